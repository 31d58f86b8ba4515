#include "companionsession.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/passkeys/passkeyregistry.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/messages/deviceproof.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/randombytes.h"
#include "protocol/strictjson.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcChannel, "countersign.gateway.channel")

namespace countersign::gateway {

namespace {

constexpr qint64 authFreshnessSeconds = 300;

// A key no device has: an auth for an unknown device id is verified with it,
// so that refusing it costs what refusing a known id's bad proof does.
const std::optional<EcPublicKey> &decoyKey()
{
    static const std::optional<EcPublicKey> key = []() -> std::optional<EcPublicKey> {
        auto generated = EcPrivateKey::generate();
        if (!generated)
            return std::nullopt;
        return generated->publicKey();
    }();
    return key;
}

} // namespace

CompanionSession::CompanionSession(std::shared_ptr<CompanionConnection> socket, Store &store,
                                   ApprovalBroker &broker, PasskeyRegistry &passkeys,
                                   const Clock &clock, QString gatewayId, ChannelTimings timings,
                                   QObject *parent)
    : QObject(parent)
    , m_socket(std::move(socket))
    , m_store(store)
    , m_broker(broker)
    , m_passkeys(passkeys)
    , m_clock(clock)
    , m_gatewayId(std::move(gatewayId))
    , m_timings(timings)
    , m_nonce(randomToken(32))
{
    // The edge refuses messages over its limit (limits.websocket_message,
    // 64 KiB by default, closing with 1009) before they reach us. Events
    // arrive on this thread, and stop when this session is destroyed.
    CompanionConnection::Events events;
    events.text = [this](const QString &text) { onText(text); };
    events.binary = [this] {
        close(CloseCode::unsupportedData,
              QStringLiteral("binary frames are not part of the protocol"));
    };
    events.pong = [this] { m_sincePong.restart(); };
    events.closed = [this] {
        m_authTimer.stop();
        m_catchUpTimer.stop();
        Q_EMIT closed(this);
    };
    m_socket->start(this, std::move(events));

    m_authTimer.setSingleShot(true);
    connect(&m_authTimer, &QTimer::timeout, this, [this] {
        close(CloseCode::unauthorized, QStringLiteral("no authentication in time"));
    });
    m_authTimer.start(m_timings.authTimeout);

    m_sincePong.start();

    send(channel::Hello{m_gatewayId, m_nonce}.toJson());
}

CompanionSession::~CompanionSession()
{
    // Nothing is delivered to a destroyed session; a socket still open is
    // closed rather than left to the peer.
    if (m_socket && !m_closing)
        m_socket->close(1001, QStringLiteral("going away"));
}

void CompanionSession::close(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    qCInfo(lcChannel) << "closing channel" << (m_device ? m_device->deviceId : QString()) << code
                      << reason;
    m_socket->close(code, reason);
}

void CompanionSession::keepAlive()
{
    if (m_closing)
        return;
    if (m_sincePong.elapsed() > m_timings.pongTimeout.count()) {
        close(CloseCode::keepAliveTimeout, QStringLiteral("no pong in time"));
        return;
    }
    m_socket->ping();
}

void CompanionSession::send(const QJsonObject &message)
{
    m_socket->sendText(channel::toText(message));
}

void CompanionSession::sendError(ChannelErrorCode code, const QString &message)
{
    send(channel::ErrorReply{code, message, {}, {}}.toJson());
}

void CompanionSession::onText(const QString &text)
{
    if (m_closing)
        return;
    const auto json = parseStrictJsonObject(text.toUtf8(), QStringLiteral("message"));
    if (!json) {
        close(CloseCode::protocolError, json.error().message.left(120));
        return;
    }
    const QString type = json->value(QStringLiteral("type")).toString();
    const auto message = channel::parseChannelMessage(json.value());
    if (!m_device) {
        if (type != channel::Auth::typeName) {
            close(CloseCode::unauthorized, QStringLiteral("authenticate first"));
            return;
        }
        if (!message) {
            close(CloseCode::unauthorized,
                  QStringLiteral("malformed auth: ") + message.error().message.left(100));
            return;
        }
        authenticate(std::get<channel::Auth>(message.value()));
        return;
    }
    if (!message) {
        refuseMalformed(type, message.error());
        return;
    }
    if (const auto *answer = std::get_if<channel::ApprovalRespond>(&message.value()))
        respond(*answer);
    else if (const auto *added = std::get_if<channel::PasskeyRegister>(&message.value()))
        registerPasskey(*added);
    else if (const auto *removed = std::get_if<channel::PasskeyRemove>(&message.value()))
        removePasskey(*removed);
    else
        refuseUnsupported(type);
}

void CompanionSession::refuseUnsupported(const QString &type)
{
    sendError(ChannelErrorCode::UnsupportedMessage,
              QStringLiteral("unknown message type \"%1\"").arg(type.left(40)));
}

void CompanionSession::refuseMalformed(const QString &type, const Error &error)
{
    // Only the messages a companion sends are malformed; anything else is
    // refused as unsupported, malformed or not.
    if (type == channel::PasskeyRegister::typeName)
        sendError(ChannelErrorCode::InvalidRegistration, error.message);
    else if (type == channel::ApprovalRespond::typeName || type == channel::PasskeyRemove::typeName)
        sendError(ChannelErrorCode::MalformedMessage, error.message);
    else
        refuseUnsupported(type);
}

void CompanionSession::authenticate(const channel::Auth &auth)
{
    // One answer for an unknown device id, a proof that does not verify
    // with the device's key and a kid that is not that key's thumbprint:
    // only whoever holds a device's key learns that it is revoked, and
    // nobody learns which device ids exist (docs/protocol.md 5.2).
    const QString refused = QStringLiteral("unknown device or bad authentication proof");
    const QByteArray proof = auth.proof.toLatin1();
    const auto device = m_store.device(auth.deviceId);
    std::optional<EcPublicKey> key;
    if (device) {
        if (auto stored = EcPublicKey::fromJwk(device->publicJwk))
            key = std::move(stored).value();
    }
    if (!key) {
        // The same work as for a known id, so that timing tells no more.
        if (const auto &decoy = decoyKey())
            (void)verifyDeviceJws(proof, *decoy, channel::AuthClaims::jwsType);
        // The log, unlike the peer, may say which it was.
        qCInfo(lcChannel) << "auth refused: no usable device" << auth.deviceId.left(64);
        close(CloseCode::unauthorized, refused);
        return;
    }
    const auto jws = verifyDeviceJws(proof, *key, channel::AuthClaims::jwsType);
    if (!jws) {
        qCInfo(lcChannel) << "auth refused for device" << device->deviceId << ":"
                          << jws.error().message.left(100);
        close(CloseCode::unauthorized, refused);
        return;
    }
    if (device->isRevoked()) {
        close(CloseCode::revoked, QStringLiteral("device revoked"));
        return;
    }
    const auto claims = parseAuthClaims(jws->payload);
    if (!claims) {
        close(CloseCode::unauthorized,
              claims.error().code == ErrorCode::UnsupportedVersion
                  ? QStringLiteral("unsupported_version: this gateway speaks version %1")
                        .arg(channel::protocolVersion)
                  : QStringLiteral("malformed auth proof: ") + claims.error().message.left(100));
        return;
    }
    const qint64 now = m_clock.secondsSinceEpoch();
    if (claims->nonce != m_nonce || claims->gatewayId != m_gatewayId
        || qAbs(claims->issuedAt - now) > authFreshnessSeconds) {
        close(CloseCode::unauthorized,
              QStringLiteral("authentication proof is for another nonce, gateway or time"));
        return;
    }
    m_authTimer.stop();
    m_device = device;
    m_socket->markTrusted();
    qCInfo(lcChannel) << "device" << device->deviceId << "connected for" << device->userId;

    sendWelcome();
    Q_EMIT authenticated(this);
}

void CompanionSession::sendWelcome()
{
    channel::Welcome welcome;
    welcome.deviceId = m_device->deviceId;
    welcome.user = m_device->userId;
    // Without it the companion only loses the passkey method; TOTP works.
    if (const auto passkey = m_passkeys.context(m_device->userId))
        welcome.passkey = passkey.value();
    else
        qCWarning(lcChannel) << "no passkey context for" << m_device->userId << ":"
                             << passkey.error().message;
    const QList<ApprovalRecord> pending = m_broker.pending(m_device->userId);
    welcome.pendingTotal = pending.size();
    // The welcome must fit the channel's 64 KiB message limit however many
    // requests wait (an agent could raise many large ones): the oldest that
    // fit go in it, the others follow as approval.requested (v1.2). A
    // request JWS is base64url and dots, so it adds its length plus quotes
    // and a comma.
    qint64 size = channel::toText(welcome.toJson()).toUtf8().size();
    qsizetype fitted = 0;
    for (; fitted < pending.size(); ++fitted) {
        const qint64 more = pending[fitted].requestJws.size() + 3;
        if (size + more > welcomeBudgetBytes)
            break;
        size += more;
        welcome.pending.append(QString::fromLatin1(pending[fitted].requestJws));
    }
    for (qsizetype i = fitted; i < pending.size(); ++i)
        m_catchUp.append(pending[i].requestId);
    send(welcome.toJson());
    if (!m_catchUp.isEmpty()) {
        qCInfo(lcChannel) << "welcome carries" << fitted << "of" << pending.size()
                          << "pending requests; the others follow";
        connect(&m_catchUpTimer, &QTimer::timeout, this, &CompanionSession::catchUp);
        m_catchUpTimer.start(m_timings.catchUpInterval);
        catchUp();
    }
}

void CompanionSession::catchUp()
{
    qint64 sent = 0;
    while (!m_catchUp.isEmpty() && sent < catchUpBatchBytes && !m_closing) {
        const auto approval = m_broker.approval(m_catchUp.takeFirst());
        // Answered or expired meanwhile: its approval.resolved went out.
        if (!approval || approval->state != ApprovalState::Pending)
            continue;
        sendRequest(*approval);
        sent += approval->requestJws.size();
    }
    if (m_catchUp.isEmpty() || m_closing)
        m_catchUpTimer.stop();
}

void CompanionSession::respond(const channel::ApprovalRespond &message)
{
    const auto outcome = m_broker.submitProof(*m_device, message.proof.toLatin1());
    if (const auto *rejection = std::get_if<ProofRejection>(&outcome)) {
        send(rejection->toJson());
        if (rejection->code == ChannelErrorCode::DeviceRevoked)
            close(CloseCode::revoked, QStringLiteral("device revoked"));
        return;
    }
    const auto &approval = std::get<ApprovalRecord>(outcome);
    send(channel::ApprovalAccepted{approval.requestId, approvalStateName(approval.state)}.toJson());
}

void CompanionSession::registerPasskey(const channel::PasskeyRegister &message)
{
    // The challenge is this connection's hello nonce: fresh, issued by this
    // gateway, and already bound to this device by the auth proof.
    if (const auto refusal = m_passkeys.registerPasskey(*m_device, message, m_nonce))
        refusePasskeyChange(*refusal);
}

void CompanionSession::removePasskey(const channel::PasskeyRemove &message)
{
    if (const auto refusal = m_passkeys.removePasskey(*m_device, message))
        refusePasskeyChange(*refusal);
}

void CompanionSession::refusePasskeyChange(const PasskeyRefusal &refusal)
{
    send(refusal.toJson());
    if (refusal.code == ChannelErrorCode::DeviceRevoked)
        close(CloseCode::revoked, QStringLiteral("device revoked"));
}

void CompanionSession::sendPasskeys(const QJsonObject &context,
                                    const std::optional<channel::PasskeyChange> &change)
{
    send(channel::Passkeys{context, change}.toJson());
}

void CompanionSession::sendRequest(const ApprovalRecord &approval)
{
    send(channel::ApprovalRequested{QString::fromLatin1(approval.requestJws)}.toJson());
}

void CompanionSession::sendAgentHeld(const QString &agent, int heldCount, qint64 until)
{
    send(channel::AgentHeld{agent, heldCount, until}.toJson());
}

void CompanionSession::sendAgentWaiting(const ApprovalRecord &approval, bool waiting)
{
    send(channel::ApprovalWaiting{approval.requestId, waiting}.toJson());
}

void CompanionSession::sendResolved(const ApprovalRecord &approval)
{
    send(channel::ApprovalResolved{approval.requestId, approvalStateName(approval.state),
                                   approval.reason}
             .toJson());
}

} // namespace countersign::gateway
