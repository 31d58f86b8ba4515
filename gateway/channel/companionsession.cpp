#include "companionsession.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/passkeys/passkeyregistry.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/randombytes.h"
#include "protocol/strictjson.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcChannel, "countersign.gateway.channel")

namespace countersign::gateway {

namespace {

constexpr qint64 authFreshnessSeconds = 300;

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
        m_pingTimer.stop();
        Q_EMIT closed(this);
    };
    m_socket->start(this, std::move(events));

    m_authTimer.setSingleShot(true);
    connect(&m_authTimer, &QTimer::timeout, this, [this] {
        close(CloseCode::unauthorized, QStringLiteral("no authentication in time"));
    });
    m_authTimer.start(m_timings.authTimeout);

    m_sincePong.start();
    connect(&m_pingTimer, &QTimer::timeout, this, [this] {
        if (m_sincePong.elapsed() > m_timings.pongTimeout.count()) {
            close(CloseCode::keepAliveTimeout, QStringLiteral("no pong in time"));
            return;
        }
        m_socket->ping();
    });
    m_pingTimer.start(m_timings.pingInterval);

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
    const QString &deviceId = auth.deviceId;
    const QByteArray proof = auth.proof.toLatin1();
    const auto device = m_store.device(deviceId);
    if (!device) {
        close(CloseCode::unauthorized, QStringLiteral("unknown device"));
        return;
    }
    if (device->isRevoked()) {
        close(CloseCode::revoked, QStringLiteral("device revoked"));
        return;
    }
    const auto key = EcPublicKey::fromJwk(device->publicJwk);
    const auto jws = key ? Jws::verify(proof, key.value(), channel::AuthClaims::jwsType)
                         : Result<DecodedJws>(key.error());
    if (!jws) {
        close(CloseCode::unauthorized, QStringLiteral("authentication proof refused"));
        return;
    }
    const auto claims = parseStrictJsonObject(jws->payload, QStringLiteral("auth proof"));
    const JsonFields fields(claims ? claims.value() : QJsonObject(), QStringLiteral("auth"));
    const auto issuedAt = fields.requiredInteger(QStringLiteral("iat"));
    const qint64 now = m_clock.secondsSinceEpoch();
    if (!claims || claims->value(QStringLiteral("nonce")).toString() != m_nonce
        || claims->value(QStringLiteral("gateway_id")).toString() != m_gatewayId || !issuedAt
        || qAbs(issuedAt.value() - now) > authFreshnessSeconds) {
        close(CloseCode::unauthorized,
              QStringLiteral("authentication proof is for another nonce, gateway or time"));
        return;
    }
    m_authTimer.stop();
    m_device = device;
    m_socket->markTrusted();
    qCInfo(lcChannel) << "device" << deviceId << "connected for" << device->userId;

    channel::Welcome welcome;
    welcome.deviceId = device->deviceId;
    welcome.user = device->userId;
    for (const ApprovalRecord &approval : m_broker.pending(device->userId))
        welcome.pending.append(QString::fromLatin1(approval.requestJws));
    // Without it the companion only loses the passkey method; TOTP works.
    if (const auto passkey = m_passkeys.context(device->userId))
        welcome.passkey = passkey.value();
    else
        qCWarning(lcChannel) << "no passkey context for" << device->userId << ":"
                             << passkey.error().message;
    send(welcome.toJson());
    Q_EMIT authenticated(this);
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
