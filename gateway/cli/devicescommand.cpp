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
    // "devices list --help" and "devices revoke --help" describe themselves;
    // the action is the first argument after the program name that is not
    // an option (or an option's value: only --config, --data-dir and --user
    // take one).
    QString named;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &argument = arguments.at(i);
        if (argument == u"-c" || argument == u"--config" || argument == u"--data-dir"
            || argument == u"--user") {
            ++i;
            continue;
        }
        if (!argument.startsWith(u'-')) {
            named = argument;
            break;
        }
    }
    const bool listing = named == u"list";
    const bool revoking = named == u"revoke";
    CommandContext context(
        listing        ? QStringLiteral("countersign-gateway devices list")
            : revoking ? QStringLiteral("countersign-gateway devices revoke")
                       : QStringLiteral("countersign-gateway devices"),
        listing ? QStringLiteral("List the paired companions: device id, user, name, when it was "
                                 "paired, the start of its key's thumbprint, and whether it is "
                                 "revoked.")
            : revoking
            ? QStringLiteral("Revoke a paired companion: its open connection closes at once "
                             "and it can never connect again (pair it again to use it).")
            : QStringLiteral("List paired companions, or revoke one:\n"
                             "  devices list [--user USER]\n"
                             "  devices revoke DEVICE_ID"));
    const QCommandLineOption userOption(QStringLiteral("user"),
                                        QStringLiteral("Only this user's devices."),
                                        QStringLiteral("USER"));
    if (!revoking)
        context.parser().addOption(userOption);
    if (revoking) {
        context.parser().addPositionalArgument(
            QStringLiteral("DEVICE_ID"),
            QStringLiteral("The device to revoke, as 'devices list' shows it."));
    } else if (!listing) {
        context.parser().addPositionalArgument(QStringLiteral("action"),
                                               QStringLiteral("list or revoke"));
        context.parser().addPositionalArgument(QStringLiteral("device"),
                                               QStringLiteral("Device id (revoke)."));
    }
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
