#include "companionsession.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/passkeys/passkeyregistry.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/randombytes.h"
#include "protocol/strictjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcChannel, "countersign.gateway.channel")

namespace countersign::gateway {

namespace {

constexpr qint64 authFreshnessSeconds = 300;

} // namespace

CompanionSession::CompanionSession(std::unique_ptr<QWebSocket> socket, Store &store,
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
    m_socket->setMaxAllowedIncomingMessageSize(maxMessageBytes);
    m_socket->setMaxAllowedIncomingFrameSize(maxMessageBytes);
    connect(m_socket.get(), &QWebSocket::textMessageReceived, this, &CompanionSession::onText);
    connect(m_socket.get(), &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        close(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
              QStringLiteral("binary frames are not part of the protocol"));
    });
    connect(m_socket.get(), &QWebSocket::pong, this, [this] { m_sincePong.restart(); });
    connect(m_socket.get(), &QWebSocket::disconnected, this, [this] {
        m_authTimer.stop();
        m_pingTimer.stop();
        Q_EMIT closed(this);
    });

    m_authTimer.setSingleShot(true);
    connect(&m_authTimer, &QTimer::timeout, this, [this] {
        close(CloseCode::unauthorized, QStringLiteral("no authentication in time"));
    });
    m_authTimer.start(m_timings.authTimeoutMs);

    m_sincePong.start();
    connect(&m_pingTimer, &QTimer::timeout, this, [this] {
        if (m_sincePong.elapsed() > m_timings.pongTimeoutMs) {
            close(CloseCode::keepAliveTimeout, QStringLiteral("no pong in time"));
            return;
        }
        m_socket->ping();
    });
    m_pingTimer.start(m_timings.pingIntervalMs);

    send(QJsonObject{{QStringLiteral("type"), QStringLiteral("hello")},
                     {QStringLiteral("v"), 1},
                     {QStringLiteral("gateway_id"), m_gatewayId},
                     {QStringLiteral("nonce"), m_nonce}});
}

CompanionSession::~CompanionSession()
{
    if (m_socket)
        m_socket->disconnect(this);
}

void CompanionSession::close(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    qCInfo(lcChannel) << "closing channel" << (m_device ? m_device->deviceId : QString()) << code
                      << reason;
    m_socket->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
}

void CompanionSession::send(const QJsonObject &message)
{
    m_socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

void CompanionSession::sendError(const QString &code, const QString &message,
                                 const QJsonObject &extra)
{
    QJsonObject error = extra;
    error.insert(QStringLiteral("type"), QStringLiteral("error"));
    error.insert(QStringLiteral("code"), code);
    error.insert(QStringLiteral("message"), message);
    send(error);
}

void CompanionSession::onText(const QString &text)
{
    if (m_closing)
        return;
    const auto message = parseStrictJsonObject(text.toUtf8(), QStringLiteral("message"));
    if (!message) {
        close(CloseCode::protocolError, message.error().message.left(120));
        return;
    }
    const QString type = message->value(QStringLiteral("type")).toString();
    if (!m_device) {
        if (type != u"auth") {
            close(CloseCode::unauthorized, QStringLiteral("authenticate first"));
            return;
        }
        authenticate(message.value());
        return;
    }
    if (type == u"approval.respond") {
        respond(message.value());
        return;
    }
    if (type == u"passkey.register") {
        registerPasskey(message.value());
        return;
    }
    if (type == u"passkey.remove") {
        removePasskey(message.value());
        return;
    }
    sendError(QStringLiteral("unsupported_message"),
              QStringLiteral("unknown message type \"%1\"").arg(type.left(40)));
}

void CompanionSession::authenticate(const QJsonObject &message)
{
    const QString deviceId = message.value(QStringLiteral("device_id")).toString();
    const QByteArray proof = message.value(QStringLiteral("proof")).toString().toLatin1();
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
    const auto jws =
        key ? Jws::verify(proof, key.value(), authType) : Result<DecodedJws>(key.error());
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
    qCInfo(lcChannel) << "device" << deviceId << "connected for" << device->userId;

    QJsonArray pending;
    for (const ApprovalRecord &approval : m_broker.pending(device->userId))
        pending.append(QString::fromLatin1(approval.requestJws));
    QJsonObject welcome{{QStringLiteral("type"), QStringLiteral("welcome")},
                        {QStringLiteral("device_id"), device->deviceId},
                        {QStringLiteral("user"), device->userId},
                        {QStringLiteral("pending"), pending}};
    // Without it the companion only loses the passkey method; TOTP works.
    if (const auto passkey = m_passkeys.context(device->userId))
        welcome.insert(QStringLiteral("passkey"), passkey.value());
    else
        qCWarning(lcChannel) << "no passkey context for" << device->userId << ":"
                             << passkey.error().message;
    send(welcome);
    Q_EMIT authenticated(this);
}

void CompanionSession::respond(const QJsonObject &message)
{
    const QByteArray proof = message.value(QStringLiteral("proof")).toString().toLatin1();
    const auto outcome = m_broker.submitProof(*m_device, proof);
    if (const auto *rejection = std::get_if<ProofRejection>(&outcome)) {
        QJsonObject extra;
        if (rejection->attemptsLeft)
            extra.insert(QStringLiteral("attempts_left"), *rejection->attemptsLeft);
        const auto decoded = Jws::decodeUnverified(proof);
        if (decoded) {
            const auto claims = parseStrictJsonObject(decoded->payload, QStringLiteral("proof"));
            if (claims && claims->value(QStringLiteral("request_id")).isString()) {
                extra.insert(QStringLiteral("request_id"),
                             claims->value(QStringLiteral("request_id")).toString().left(128));
            }
        }
        sendError(rejection->reason, rejection->message, extra);
        if (rejection->reason == u"device_revoked")
            close(CloseCode::revoked, QStringLiteral("device revoked"));
        return;
    }
    const auto &approval = std::get<ApprovalRecord>(outcome);
    send(QJsonObject{{QStringLiteral("type"), QStringLiteral("approval.accepted")},
                     {QStringLiteral("request_id"), approval.requestId},
                     {QStringLiteral("outcome"), approvalStateName(approval.state)}});
}

void CompanionSession::registerPasskey(const QJsonObject &message)
{
    // The challenge is this connection's hello nonce: fresh, issued by this
    // gateway, and already bound to this device by the auth proof.
    if (const auto refusal = m_passkeys.registerPasskey(*m_device, message, m_nonce))
        refusePasskeyChange(*refusal);
}

void CompanionSession::removePasskey(const QJsonObject &message)
{
    if (const auto refusal = m_passkeys.removePasskey(*m_device, message))
        refusePasskeyChange(*refusal);
}

void CompanionSession::refusePasskeyChange(const PasskeyRefusal &refusal)
{
    sendError(refusal.code, refusal.message);
    if (refusal.code == u"device_revoked")
        close(CloseCode::revoked, QStringLiteral("device revoked"));
}

void CompanionSession::sendPasskeys(const QJsonObject &context)
{
    send(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkeys")},
                     {QStringLiteral("passkey"), context}});
}

void CompanionSession::sendRequest(const ApprovalRecord &approval)
{
    send(QJsonObject{{QStringLiteral("type"), QStringLiteral("approval.requested")},
                     {QStringLiteral("request"), QString::fromLatin1(approval.requestJws)}});
}

void CompanionSession::sendResolved(const ApprovalRecord &approval)
{
    QJsonObject message{{QStringLiteral("type"), QStringLiteral("approval.resolved")},
                        {QStringLiteral("request_id"), approval.requestId},
                        {QStringLiteral("outcome"), approvalStateName(approval.state)}};
    if (!approval.reason.isEmpty())
        message.insert(QStringLiteral("reason"), approval.reason);
    send(message);
}

} // namespace countersign::gateway
