#pragma once

#include "gateway/edge/companionconnection.h"
#include "gateway/store/store.h"
#include "protocol/clock.h"
#include "protocol/messages/channelmessage.h"

#include <chrono>
#include <memory>

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace countersign::gateway {

class ApprovalBroker;
class PasskeyRegistry;

// Close codes of the companion channel (docs/protocol.md 5).
namespace CloseCode {
constexpr int protocolError = 4000;
constexpr int unauthorized = 4401;
constexpr int revoked = 4403;
constexpr int keepAliveTimeout = 4408;
constexpr int replaced = 4409;
// RFC 6455 codes the session uses.
constexpr int unsupportedData = 1003;
} // namespace CloseCode

struct ChannelTimings {
    std::chrono::milliseconds authTimeout{10'000};
    std::chrono::milliseconds pingInterval{30'000};
    std::chrono::milliseconds pongTimeout{60'000};
    // Pending requests that do not fit in `welcome` follow as
    // approval.requested, at most catchUpBatchBytes per interval, so a long
    // backlog never overruns the connection's send queue (1 MiB default).
    std::chrono::milliseconds catchUpInterval{250};
};

// One companion's WebSocket: the hello/auth handshake, then requests out and
// proofs in. Knows nothing about other sessions; CompanionHub routes.
class CompanionSession : public QObject {
    Q_OBJECT

public:
    static constexpr qint64 maxMessageBytes = 64 * 1024;
    // What `welcome` may take of maxMessageBytes (the rest is headroom).
    static constexpr qint64 welcomeBudgetBytes = 60 * 1024;
    static constexpr qint64 catchUpBatchBytes = 256 * 1024;

    CompanionSession(std::shared_ptr<CompanionConnection> socket, Store &store,
                     ApprovalBroker &broker, PasskeyRegistry &passkeys, const Clock &clock,
                     QString gatewayId, ChannelTimings timings, QObject *parent = nullptr);
    ~CompanionSession() override;

    bool isAuthenticated() const { return m_device.has_value(); }
    const std::optional<DeviceRecord> &device() const { return m_device; }

    void sendRequest(const ApprovalRecord &approval);
    void sendResolved(const ApprovalRecord &approval);
    // The agent behind the request stopped waiting for it, or waits again.
    void sendAgentWaiting(const ApprovalRecord &approval, bool waiting);
    // The user's passkey context (docs/protocol.md 8.1) after a change.
    // `change` says what a device of the user just added or removed.
    void sendPasskeys(const QJsonObject &context,
                      const std::optional<channel::PasskeyChange> &change = std::nullopt);
    // The agent's requests are held (push fatigue, docs/protocol.md 5.3).
    void sendAgentHeld(const QString &agent, int heldCount, qint64 until);
    void close(int code, const QString &reason);
    // Pings the companion, or closes the channel when its last pong is older
    // than pongTimeout. CompanionHub calls it for every session at once
    // every pingInterval (one timer for all, not one per session).
    void keepAlive();

Q_SIGNALS:
    void authenticated(countersign::gateway::CompanionSession *session);
    void closed(countersign::gateway::CompanionSession *session);

private:
    void onText(const QString &text);
    void authenticate(const channel::Auth &auth);
    void respond(const channel::ApprovalRespond &message);
    void registerPasskey(const channel::PasskeyRegister &message);
    void removePasskey(const channel::PasskeyRemove &message);
    void refusePasskeyChange(const channel::ErrorReply &refusal);
    // A message of a type the gateway does not take, or malformed.
    void refuseUnsupported(const QString &type);
    void refuseMalformed(const QString &type, const Error &error);
    void sendError(ChannelErrorCode code, const QString &message);
    void send(const QJsonObject &message);
    void sendWelcome();
    // Sends the next batch of pending requests that did not fit in welcome.
    void catchUp();

    std::shared_ptr<CompanionConnection> m_socket;
    Store &m_store;
    ApprovalBroker &m_broker;
    PasskeyRegistry &m_passkeys;
    const Clock &m_clock;
    QString m_gatewayId;
    ChannelTimings m_timings;
    QString m_nonce;
    std::optional<DeviceRecord> m_device;
    QTimer m_authTimer;
    QTimer m_catchUpTimer;
    QStringList m_catchUp; // request ids still to send after welcome, oldest first
    QElapsedTimer m_sincePong;
    bool m_closing = false;
};

} // namespace countersign::gateway
