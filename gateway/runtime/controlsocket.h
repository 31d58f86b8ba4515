#pragma once

#include "protocol/result.h"

#include <QLocalServer>
#include <QString>

namespace countersign::gateway {

// A local socket in the data dir (owner-only) through which admin commands
// tell a running gateway what they changed in the store, so that
// `devices revoke` closes the device's live channel at once.
class ControlSocket : public QObject {
    Q_OBJECT

public:
    static QString pathFor(const QString &dataDir);

    explicit ControlSocket(QObject *parent = nullptr);
    // Listens on pathFor(dataDir). A gateway that cannot listen must not
    // start: `devices revoke` would then report a revoked device's live
    // channel as closed by nobody while it stays open.
    Status listen(const QString &dataDir);

    // Client side: tells the gateway running on dataDir, if any. Returns
    // whether a gateway was there to tell.
    static bool notifyDeviceRevoked(const QString &dataDir, const QString &deviceId);

Q_SIGNALS:
    void deviceRevoked(const QString &deviceId);

private:
    QLocalServer m_server;
};

} // namespace countersign::gateway
