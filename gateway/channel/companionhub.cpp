#include "companionhub.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/passkeys/passkeyregistry.h"

#include <QLoggingCategory>

namespace countersign::gateway {

CompanionHub::CompanionHub(Store &store, ApprovalBroker &broker, PasskeyRegistry &passkeys,
                           const Clock &clock, QString gatewayId, ChannelTimings timings,
                           QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_broker(broker)
    , m_passkeys(passkeys)
    , m_clock(clock)
    , m_gatewayId(std::move(gatewayId))
    , m_timings(timings)
{
    connect(&m_broker, &ApprovalBroker::requested, this,
            [this](const ApprovalRecord &approval) { broadcast(approval, false); });
    connect(&m_broker, &ApprovalBroker::resolved, this,
            [this](const ApprovalRecord &approval) { broadcast(approval, true); });
    connect(&m_passkeys, &PasskeyRegistry::changed, this, &CompanionHub::broadcastPasskeys);
    // One sweep for all sessions instead of a timer each: 10,000 idle
    // companions cost one wake-up per interval, not 10,000.
    m_keepAlive.setInterval(m_timings.pingInterval);
    connect(&m_keepAlive, &QTimer::timeout, this, &CompanionHub::keepAllAlive);
    connect(&m_broker, &ApprovalBroker::agentHeld, this,
            [this](const QString &userId, const QString &agent, int heldCount, qint64 until) {
                const QList<CompanionSession *> sessions = m_byUser.values(userId);
                for (CompanionSession *session : sessions)
                    session->sendAgentHeld(agent, heldCount, until);
            });
    connect(&m_broker, &ApprovalBroker::agentWaitingChanged, this,
            [this](const ApprovalRecord &approval, bool waiting) {
                const QList<CompanionSession *> sessions = m_byUser.values(approval.userId);
                for (CompanionSession *session : sessions)
                    session->sendAgentWaiting(approval, waiting);
            });
}

void CompanionHub::accept(std::shared_ptr<CompanionConnection> socket)
{
    auto *session = new CompanionSession(std::move(socket), m_store, m_broker, m_passkeys, m_clock,
                                         m_gatewayId, m_timings, this);
    connect(session, &CompanionSession::authenticated, this, &CompanionHub::onAuthenticated);
    connect(session, &CompanionSession::closed, this, &CompanionHub::onClosed);
    m_sessions.insert(session);
    if (!m_keepAlive.isActive())
        m_keepAlive.start();
}

void CompanionHub::keepAllAlive()
{
    // A copy: a session that closes now leaves m_sessions (it is deleted
    // later, never during this loop).
    const QList<CompanionSession *> sessions = m_sessions.values();
    for (CompanionSession *session : sessions)
        session->keepAlive();
}

void CompanionHub::onAuthenticated(CompanionSession *session)
{
    const QString deviceId = session->device()->deviceId;
    if (CompanionSession *previous = m_byDevice.value(deviceId); previous && previous != session) {
        m_byUser.remove(previous->device()->userId, previous);
        previous->close(CloseCode::replaced, QStringLiteral("replaced by a newer connection"));
    }
    m_byDevice.insert(deviceId, session);
    m_byUser.insert(session->device()->userId, session);
    Q_EMIT deviceConnected(deviceId);
}

void CompanionHub::onClosed(CompanionSession *session)
{
    if (session->isAuthenticated()) {
        const QString deviceId = session->device()->deviceId;
        m_byUser.remove(session->device()->userId, session);
        if (m_byDevice.value(deviceId) == session) {
            m_byDevice.remove(deviceId);
            Q_EMIT deviceDisconnected(deviceId);
        }
    }
    m_sessions.remove(session);
    if (m_sessions.isEmpty())
        m_keepAlive.stop();
    session->deleteLater();
}

void CompanionHub::disconnectDevice(const QString &deviceId, int closeCode, const QString &reason)
{
    if (CompanionSession *session = m_byDevice.value(deviceId))
        session->close(closeCode, reason);
}

void CompanionHub::broadcast(const ApprovalRecord &approval, bool resolvedNow)
{
    const QList<CompanionSession *> sessions = m_byUser.values(approval.userId);
    for (CompanionSession *session : sessions) {
        if (resolvedNow)
            session->sendResolved(approval);
        else
            session->sendRequest(approval);
    }
}

} // namespace countersign::gateway

namespace countersign::gateway {

void CompanionHub::broadcastPasskeys(const QString &userId, const channel::PasskeyChange &change)
{
    const QList<CompanionSession *> sessions = m_byUser.values(userId);
    if (sessions.isEmpty())
        return;
    const auto context = m_passkeys.context(userId);
    if (!context) {
        qWarning() << "cannot tell" << userId << "about passkeys:" << context.error().message;
        return;
    }
    for (CompanionSession *session : sessions)
        session->sendPasskeys(context.value(), change);
}

} // namespace countersign::gateway
