#include "gateway/cli/commandcontext.h"
#include "gateway/runtime/controlsocket.h"
#include "gateway/store/auditrecord.h"
#include "gateway/store/sqlitestore.h"

#include <QDateTime>
#include <QJsonObject>

namespace countersign::gateway {

namespace {

QString timeText(qint64 seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds).toString(Qt::ISODate);
}

} // namespace

int runDevices(const QStringList &arguments)
{
    CommandContext context(QStringLiteral("countersign-gateway devices"),
                           QStringLiteral("List paired companions, or revoke one:\n"
                                          "  devices list [--user USER]\n"
                                          "  devices revoke DEVICE_ID"));
    const QCommandLineOption userOption(QStringLiteral("user"),
                                        QStringLiteral("Only this user's devices."),
                                        QStringLiteral("USER"));
    context.parser().addOption(userOption);
    context.parser().addPositionalArgument(QStringLiteral("action"),
                                           QStringLiteral("list or revoke"));
    context.parser().addPositionalArgument(QStringLiteral("device"),
                                           QStringLiteral("Device id (revoke)."));
    if (!context.parse(arguments))
        return context.exitCode();
    const QStringList positional = context.parser().positionalArguments();
    const QString action = positional.value(0);
    if (action != u"list" && action != u"revoke")
        return context.usage(QStringLiteral("say 'devices list' or 'devices revoke DEVICE_ID'"));
    if (action == u"revoke" && positional.size() != 2)
        return context.usage(QStringLiteral("'devices revoke' takes one DEVICE_ID"));
    if (!context.loadConfig())
        return context.exitCode();
    auto store = SqliteStore::open(context.dataDir());
    if (!store)
        return context.fail(store.error().message);

    QTextStream &out = context.out();
    if (action == u"list") {
        const auto devices = (*store)->devices(context.parser().value(userOption));
        if (devices.isEmpty())
            out << "No paired devices. Pair one with 'countersign-gateway pair --user USER'.\n";
        for (const DeviceRecord &device : devices) {
            out << device.deviceId << "  " << device.userId << "  \"" << device.name
                << "\"  paired " << timeText(device.pairedAt) << "  key "
                << device.keyThumbprint.left(12) << "…"
                << (device.revokedAt ? QStringLiteral("  REVOKED ") + timeText(*device.revokedAt)
                                     : QString())
                << '\n';
        }
        out.flush();
        return CommandContext::Success;
    }

    const QString deviceId = positional.at(1);
    const auto device = (*store)->device(deviceId);
    if (!device)
        return context.fail(QStringLiteral("no device %1; see 'devices list'").arg(deviceId));
    if (auto revoked = (*store)->revokeDevice(deviceId, QDateTime::currentSecsSinceEpoch());
        !revoked) {
        return context.fail(revoked.error().message);
    }
    AuditEvent event;
    event.at = QDateTime::currentSecsSinceEpoch();
    event.kind = QStringLiteral("device.revoked");
    event.userId = device->userId;
    event.deviceId = deviceId;
    recordAudit(**store, event);
    const bool told = ControlSocket::notifyDeviceRevoked(context.dataDir(), deviceId);
    out << "Revoked " << deviceId << " (" << device->name << ", " << device->userId << ")."
        << (told ? " Its live connection was closed." : " No gateway is running on this data dir.")
        << '\n';
    out.flush();
    return CommandContext::Success;
}

} // namespace countersign::gateway
