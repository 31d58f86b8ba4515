#pragma once

#include "gateway/channel/companionsession.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

namespace countersign::gateway {

// All open companion channels: one per device (a new one replaces the old),
// requests pushed to every device of the request's user, and resolutions too,
// so that every other open dialog for the same request closes; passkey
// changes go to every device of the user as well.
class CompanionHub : public QObject {
    Q_OBJECT

public:
    CompanionHub(Store &store, ApprovalBroker &broker, PasskeyRegistry &passkeys,
                 const Clock &clock, QString gatewayId, ChannelTimings timings = {},
                 QObject *parent = nullptr);

    void accept(std::shared_ptr<CompanionConnection> socket);
    // Closes the device's channel at once (its future proofs are refused by
    // the broker, which re-reads the device).
    void disconnectDevice(const QString &deviceId, int closeCode, const QString &reason);

    int connectedDevices() const { return static_cast<int>(m_byDevice.size()); }
    bool isConnected(const QString &deviceId) const { return m_byDevice.contains(deviceId); }

Q_SIGNALS:
    void deviceConnected(const QString &deviceId);
    void deviceDisconnected(const QString &deviceId);

private:
    void onAuthenticated(CompanionSession *session);
    void onClosed(CompanionSession *session);
    void broadcast(const ApprovalRecord &approval, bool resolvedNow);
    void broadcastPasskeys(const QString &userId, const channel::PasskeyChange &change);
    void keepAllAlive();

    Store &m_store;
    ApprovalBroker &m_broker;
    PasskeyRegistry &m_passkeys;
    const Clock &m_clock;
    QString m_gatewayId;
    ChannelTimings m_timings;
    QHash<QString, CompanionSession *> m_byDevice;
    QMultiHash<QString, CompanionSession *> m_byUser; // so a request reaches only its user
    // Every open session, authenticated or not, and the one keep-alive timer
    // that pings them all (running while there is any).
    QSet<CompanionSession *> m_sessions;
    QTimer m_keepAlive;
};

} // namespace countersign::gateway
