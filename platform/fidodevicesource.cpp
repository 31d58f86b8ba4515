#include "fidodevicesource.h"

#include <fido.h>

namespace countersign {

namespace {

// More keys than anyone plugs in at once.
constexpr size_t MaxDevices = 16;

QString text(const char *value)
{
    return value == nullptr ? QString() : QString::fromUtf8(value);
}

} // namespace

FidoDeviceSource::~FidoDeviceSource() = default;

QList<AuthenticatorDevice> SystemFidoDevices::devices()
{
    QList<AuthenticatorDevice> found;
    fido_dev_info_t *list = fido_dev_info_new(MaxDevices);
    if (list == nullptr)
        return found;
    size_t count = 0;
    if (fido_dev_info_manifest(list, MaxDevices, &count) == FIDO_OK) {
        for (size_t i = 0; i < count; ++i) {
            const fido_dev_info_t *info = fido_dev_info_ptr(list, i);
            found.append({text(fido_dev_info_path(info)), text(fido_dev_info_product_string(info)),
                          text(fido_dev_info_manufacturer_string(info))});
        }
    }
    fido_dev_info_free(&list, MaxDevices);
    return found;
}

fido_dev_t *SystemFidoDevices::open(const QString &id, std::chrono::milliseconds timeout,
                                    int *error)
{
    fido_dev_t *device = fido_dev_new();
    int r = device == nullptr ? FIDO_ERR_INTERNAL
                              : fido_dev_set_timeout(device, static_cast<int>(timeout.count()));
    if (r == FIDO_OK)
        r = fido_dev_open(device, id.toUtf8().constData());
    *error = r;
    if (r != FIDO_OK) {
        fido_dev_free(&device);
        return nullptr;
    }
    return device;
}

} // namespace countersign
