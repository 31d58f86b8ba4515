#pragma once

#include "app/authenticator.h"

#include <chrono>

#include <QList>
#include <QString>

typedef struct fido_dev fido_dev_t;

namespace countersign {

// Where FidoAuthenticator finds security keys: the USB/NFC keys libfido2
// enumerates (SystemFidoDevices), or in tests software keys plugged into
// libfido2 through its custom I/O hooks. Called on a worker thread, never on
// the GUI thread; implementations must be thread-safe.
class FidoDeviceSource {
public:
    virtual ~FidoDeviceSource();

    virtual QList<AuthenticatorDevice> devices() = 0;
    // An opened device (fido_dev_open done, with `timeout` set by
    // fido_dev_set_timeout first; -1 ms waits forever), or nullptr with the
    // libfido2 code in `error`. The caller closes and frees it.
    virtual fido_dev_t *open(const QString &id, std::chrono::milliseconds timeout, int *error) = 0;
};

// The keys attached to this machine, from fido_dev_info_manifest().
class SystemFidoDevices final : public FidoDeviceSource {
public:
    QList<AuthenticatorDevice> devices() override;
    fido_dev_t *open(const QString &id, std::chrono::milliseconds timeout, int *error) override;
};

} // namespace countersign
