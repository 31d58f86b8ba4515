#include "gatewayclient.h"

#include "protocol/base64url.h"
#include "protocol/displaytext.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/strictjson.h"
#include "protocol/tlspin.h"

#include <algorithm>
#include <string>

#include <QHostAddress>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QSslConfiguration>

Q_LOGGING_CATEGORY(lcGateway, "countersign.app.gateway")

namespace countersign {

namespace {

constexpr qsizetype maxCloseReasonLength = 120;
constexpr int maxAttemptsLeft = 1000;
constexpr int closeGraceMs = 5'000;
constexpr qsizetype maxPasskeyNameLength = channel::maxPasskeyNameLength;

// Close codes of the companion channel (docs/protocol.md 5.3) that the
// client acts on. When the client itself closes for a malformed message it
// uses the standard 1002: the gateway's 4000 lies outside the range of Qt's
// CloseCode enum, and the gateway does not act on the companion's code.
constexpr int closeUnauthorized = 4401;
constexpr int closeRevoked = 4403;
constexpr int closeReplaced = 4409;

// Text from the gateway that may reach a person (error messages, close
// reasons): without characters that make text read differently, and short.
QString displaySafe(const QString &text, qsizetype maxLength)
{
    std::u32string kept;
    for (const uint codePoint : text.toUcs4()) {
        if (!isDisplayUnsafe(static_cast<char32_t>(codePoint)))
            kept.push_back(static_cast<char32_t>(codePoint));
    }
    QString safe = QString::fromUcs4(kept.data(), static_cast<qsizetype>(kept.size()));
    if (safe.size() > maxLength)
        safe = safe.left(maxLength - 1) + QChar(0x2026);
    return safe;
}

bool isRequestId(const QString &id)
{
    if (id.isEmpty() || id.size() > channel::maxRequestIdLength)
        return false;
    return std::all_of(id.cbegin(), id.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
            || c == u'-' || c == u'_';
    });
}

bool isLoopbackHost(const QString &host)
{
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// What the client relies on in a profile, checked once: the pairing code
// produced it, but it was stored and read back since, and a client must not
// trust a key or URL it cannot use safely.
Result<EcPublicKey> checkProfile(const GatewayProfile &profile)
{
    auto invalid = [](const QString &message) {
        return makeError(ErrorCode::InvalidField, message);
    };
    if (profile.gatewayId.isEmpty() || profile.deviceId.isEmpty() || profile.userId.isEmpty())
        return invalid(QStringLiteral("the gateway profile lacks its gateway, device or user id"));
    const QUrl &url = profile.baseUrl;
    if (!url.isValid() || url.host().isEmpty() || !url.userInfo().isEmpty() || url.hasQuery()
        || url.hasFragment()) {
        return invalid(QStringLiteral("the gateway URL is not usable"));
    }
    const bool https = url.scheme() == u"https";
    if (!https && !(url.scheme() == u"http" && isLoopbackHost(url.host())))
        return invalid(
            QStringLiteral("the gateway URL must be https (http only on this computer)"));
    if (!profile.spkiPin.isEmpty()) {
        // A pin without TLS could not be enforced: refuse rather than ignore it.
        const auto pin = base64UrlDecode(profile.spkiPin.toLatin1());
        if (!https || !pin || pin->size() != 32)
            return invalid(QStringLiteral("the TLS key pin is not usable"));
    }
    auto key = EcPublicKey::fromJwk(profile.gatewayKey);
    if (!key)
        return invalid(QStringLiteral("the pinned gateway key is not usable: ")
                       + key.error().message);
    return key;
}

QUrl channelUrl(const QUrl &base)
{
    QUrl url = base;
    url.setScheme(base.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    QString path = base.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + QStringLiteral("/companion/v1"));
    return url;
}

} // namespace

GatewayClient::GatewayClient(GatewayProfile profile, EcPrivateKey deviceKey, const Clock &clock,
                             GatewayClientTimings timings, QObject *parent)
    : QObject(parent)
    , m_profile(std::move(profile))
    , m_deviceKey(std::move(deviceKey))
    , m_clock(clock)
    , m_timings(timings)
    , m_backoff(timings.backoff)
{
    if (auto key = checkProfile(m_profile)) {
        m_gatewayKey = std::move(key).value();
    } else {
        m_state = State::Refused;
        m_lastError = key.error().message;
        qCWarning(lcGateway) << "gateway" << m_profile.gatewayId
                             << "cannot be used:" << m_lastError;
    }

    connect(&m_socket, &QWebSocket::connected, this, &GatewayClient::onConnected);
    connect(&m_socket, &QWebSocket::disconnected, this, &GatewayClient::onDisconnected);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &GatewayClient::onText);
    connect(&m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        fail(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
             QStringLiteral("the gateway sent a binary frame"));
    });
    connect(&m_socket, &QWebSocket::pong, this, [this] { m_sinceHeard.restart(); });
    connect(&m_socket, &QWebSocket::sslErrors, this, &GatewayClient::onSslErrors);

    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &GatewayClient::connectNow);
    m_handshakeTimer.setSingleShot(true);
    connect(&m_handshakeTimer, &QTimer::timeout, this,
            [this] { drop(QStringLiteral("the gateway did not complete the handshake in time")); });
    m_stableTimer.setSingleShot(true);
    connect(&m_stableTimer, &QTimer::timeout, this, [this] { m_backoff.reset(); });
    connect(&m_keepAliveTimer, &QTimer::timeout, this, &GatewayClient::onKeepAliveTick);
    m_closeGraceTimer.setSingleShot(true);
    connect(&m_closeGraceTimer, &QTimer::timeout, this, [this] {
        if (m_phase != Phase::Closed)
            abortNow();
    });
}

GatewayClient::~GatewayClient()
{
    // The socket is destroyed after this body and may still report a
    // disconnection: nobody is left to hear it.
    m_socket.disconnect(this);
    m_socket.abort();
}

QList<VerifiedApprovalRequest> GatewayClient::pendingRequests() const
{
    return m_pending;
}

void GatewayClient::start()
{
    if (!m_gatewayKey) {
        setState(State::Refused);
        return;
    }
    m_wanted = true;
    m_retryTimer.stop();
    if (m_phase != Phase::Closed)
        return;
    connectNow();
}

void GatewayClient::stop()
{
    m_wanted = false;
    m_retryTimer.stop();
    forgetAllPending();
    if (m_phase == Phase::Closed) {
        // Refused and Revoked stay: they say why this gateway is not in use.
        if (m_state == State::Offline || m_state == State::Connecting) {
            m_lastError.clear();
            setState(State::Offline);
        }
        return;
    }
    m_lastError.clear();
    m_ownCloseCode = QWebSocketProtocol::CloseCodeNormal;
    if (m_socket.state() == QAbstractSocket::ConnectedState) {
        closeSocket(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("companion stopped"));
    } else {
        abortNow();
    }
}

void GatewayClient::connectNow()
{
    if (!m_wanted || m_phase != Phase::Closed)
        return;
    const QUrl url = channelUrl(m_profile.baseUrl);
    QNetworkRequest request(url);
    if (url.scheme() == u"wss") {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        if (!m_profile.spkiPin.isEmpty()) {
            // With a pin, no certificate authority vouches for the gateway:
            // every certificate reaches onSslErrors, where only the pinned
            // key is accepted.
            tls.setCaCertificates({});
        }
        request.setSslConfiguration(tls);
    }
    m_closeGraceTimer.stop();
    m_phase = Phase::AwaitingHello;
    m_ownCloseCode.reset();
    m_tlsError.clear();
    m_reachedPeer = false;
    // "welcome" lists every pending request; after it the protocol's limit holds.
    m_socket.setMaxAllowedIncomingMessageSize(static_cast<quint64>(maxWelcomeBytes));
    m_socket.setMaxAllowedIncomingFrameSize(static_cast<quint64>(maxWelcomeBytes));
    setState(State::Connecting);
    qCDebug(lcGateway) << "connecting to" << url.toString();
    m_handshakeTimer.start(m_timings.handshakeTimeout);
    m_socket.open(request);
}

void GatewayClient::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    qCInfo(lcGateway) << "gateway" << m_profile.gatewayId << "is now" << state
                      << (m_lastError.isEmpty() ? QString() : m_lastError);
    Q_EMIT stateChanged(state);
}

bool GatewayClient::pinMatches() const
{
    const QString pin = spkiPin(m_socket.sslConfiguration().peerCertificate());
    return !pin.isEmpty() && pin == m_profile.spkiPin;
}

void GatewayClient::onSslErrors(const QList<QSslError> &errors)
{
    // Only a pinned key overrides certificate errors (self-signed, another
    // host name); without a pin the system's authorities decide.
    if (!m_profile.spkiPin.isEmpty() && pinMatches()) {
        m_socket.ignoreSslErrors(errors);
        return;
    }
    QStringList descriptions;
    for (const QSslError &error : errors)
        descriptions.append(error.errorString());
    m_tlsError = m_profile.spkiPin.isEmpty()
        ? QStringLiteral("the gateway's TLS certificate is not trusted: ")
            + descriptions.join(QStringLiteral("; "))
        : QStringLiteral("the gateway's TLS key does not match the key pinned at pairing");
    qCWarning(lcGateway) << "gateway" << m_profile.gatewayId << ":" << m_tlsError;
}

void GatewayClient::onConnected()
{
    // Belt and braces: a certificate that raised no error (valid for a public
    // authority) must still carry the pinned key.
    if (!m_profile.spkiPin.isEmpty() && !pinMatches()) {
        drop(QStringLiteral("the gateway's TLS key does not match the key pinned at pairing"));
        return;
    }
    m_reachedPeer = true;
    m_sinceHeard.start();
    m_keepAliveTimer.start(m_timings.pingInterval);
}

void GatewayClient::onDisconnected()
{
    if (m_phase == Phase::Closed)
        return;
    m_phase = Phase::Closed;
    m_handshakeTimer.stop();
    m_keepAliveTimer.stop();
    m_stableTimer.stop();
    m_closeGraceTimer.stop();

    // Both are per connection: the next welcome brings them again.
    m_helloNonce.clear();
    m_passkeys.reset();

    const int code = m_ownCloseCode.value_or(static_cast<int>(m_socket.closeCode()));
    const QString reason = displaySafe(m_socket.closeReason(), maxCloseReasonLength);
    qCInfo(lcGateway) << "gateway" << m_profile.gatewayId << "disconnected:" << code << reason
                      << m_socket.errorString();

    // Proofs in flight will never be answered on this connection; the
    // pending list at the next welcome says whether their requests remain.
    const QSet<QString> unanswered = std::exchange(m_awaitingAnswer, {});
    for (const QString &requestId : unanswered) {
        Q_EMIT proofRefused(ProofRefusal::make(
            requestId, ChannelErrorCode::ConnectionLost,
            QStringLiteral("The connection to the gateway was lost before it answered.")));
    }

    // The gateway's verdicts on this device: retrying would be refused the
    // same way (and look like an attack in its logs), so wait for a person.
    if (code == closeRevoked || code == closeUnauthorized || code == closeReplaced) {
        if (code == closeRevoked) {
            m_lastError = QStringLiteral(
                "the gateway revoked this device: unpair it in Settings, then pair again");
        } else if (code == closeReplaced) {
            m_lastError = QStringLiteral("another connection of this device replaced this one");
        } else {
            m_lastError = QStringLiteral("the gateway refused this device");
            if (!reason.isEmpty())
                m_lastError += QStringLiteral(": ") + reason;
        }
        forgetAllPending();
        setState(code == closeRevoked ? State::Revoked : State::Refused);
        return;
    }
    // Our own closes (fail, drop, stop) have already said why.
    if (!m_ownCloseCode) {
        if (!m_tlsError.isEmpty()) {
            m_lastError = m_tlsError;
        } else if (m_reachedPeer) {
            m_lastError = QStringLiteral("the connection to the gateway closed (%1%2)")
                              .arg(code)
                              .arg(reason.isEmpty() ? QString() : QStringLiteral(": ") + reason);
        } else {
            m_lastError = QStringLiteral("cannot reach the gateway: ") + m_socket.errorString();
        }
    }
    setState(State::Offline);
    if (m_wanted)
        scheduleReconnect();
}

void GatewayClient::scheduleReconnect()
{
    const std::chrono::milliseconds delay = m_backoff.nextDelay();
    qCInfo(lcGateway) << "reconnecting to" << m_profile.gatewayId << "in" << delay.count() << "ms";
    m_retryTimer.start(delay);
    Q_EMIT reconnectScheduled(delay);
}

void GatewayClient::fail(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (m_phase == Phase::Closed || m_ownCloseCode)
        return;
    qCWarning(lcGateway) << "closing the connection to" << m_profile.gatewayId << ":" << reason;
    m_lastError = reason;
    m_ownCloseCode = static_cast<int>(code);
    closeSocket(code, reason.left(maxCloseReasonLength));
}

void GatewayClient::closeSocket(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    // Armed first: close() may report the disconnection before it returns,
    // and onDisconnected() must find the timer running to stop it, or it
    // would fire into the next connection.
    m_closeGraceTimer.start(closeGraceMs);
    m_socket.close(code, reason);
}

void GatewayClient::drop(const QString &reason)
{
    if (m_phase == Phase::Closed)
        return;
    qCWarning(lcGateway) << "dropping the connection to" << m_profile.gatewayId << ":" << reason;
    m_lastError = reason;
    m_ownCloseCode = QWebSocketProtocol::CloseCodeAbnormalDisconnection;
    abortNow();
}

void GatewayClient::abortNow()
{
    m_socket.abort();
    // A socket still looking up the host or connecting may not report the
    // disconnection; the bookkeeping must happen either way.
    if (m_phase != Phase::Closed)
        onDisconnected();
}

void GatewayClient::onKeepAliveTick()
{
    if (m_sinceHeard.isValid() && m_sinceHeard.elapsed() > m_timings.silenceTimeout.count()) {
        drop(QStringLiteral("the gateway stopped answering"));
        return;
    }
    m_socket.ping();
}

void GatewayClient::onText(const QString &text)
{
    if (m_phase == Phase::Closed || m_ownCloseCode)
        return;
    m_sinceHeard.restart();
    const QByteArray utf8 = text.toUtf8();
    const qint64 limit = m_phase == Phase::Authenticated ? maxMessageBytes : maxWelcomeBytes;
    if (utf8.size() > limit) {
        fail(QWebSocketProtocol::CloseCodeTooMuchData,
             QStringLiteral("the gateway sent a message over %1 bytes").arg(limit));
        return;
    }
    const auto message = parseStrictJsonObject(utf8, QStringLiteral("gateway message"));
    if (!message) {
        fail(QWebSocketProtocol::CloseCodeProtocolError,
             QStringLiteral("the gateway sent a malformed message: ") + message.error().message);
        return;
    }
    const QString type = message->value(QStringLiteral("type")).toString();
    switch (m_phase) {
    case Phase::AwaitingHello:
        if (type != channel::Hello::typeName) {
            fail(QWebSocketProtocol::CloseCodeProtocolError,
                 QStringLiteral("the gateway did not start with hello"));
            return;
        }
        break;
    case Phase::AwaitingWelcome:
        if (type != channel::Welcome::typeName) {
            fail(QWebSocketProtocol::CloseCodeProtocolError,
                 QStringLiteral("the gateway did not answer auth with welcome"));
            return;
        }
        break;
    case Phase::Authenticated:
        break;
    case Phase::Closed:
        return;
    }
    const auto parsed = channel::parseChannelMessage(message.value());
    if (!parsed) {
        // The handshake cannot go on without hello or welcome; later, one
        // bad message costs only itself.
        if (m_phase != Phase::Authenticated) {
            fail(QWebSocketProtocol::CloseCodeProtocolError,
                 QStringLiteral("the gateway sent a malformed %1: %2")
                     .arg(type, parsed.error().message));
        } else if (parsed.error().code == ErrorCode::UnsupportedMessage) {
            qCDebug(lcGateway) << "ignoring a message of unknown type from" << m_profile.gatewayId;
        } else {
            qCWarning(lcGateway).noquote() << "ignored a malformed" << type << "from"
                                           << m_profile.gatewayId << ":" << parsed.error().message;
        }
        return;
    }
    dispatch(parsed.value());
}

void GatewayClient::dispatch(const channel::ChannelMessage &message)
{
    if (const auto *hello = std::get_if<channel::Hello>(&message);
        hello && m_phase == Phase::AwaitingHello)
        onHello(*hello);
    else if (const auto *welcome = std::get_if<channel::Welcome>(&message);
             welcome && m_phase == Phase::AwaitingWelcome)
        onWelcome(*welcome);
    else if (m_phase != Phase::Authenticated)
        return;
    else if (const auto *requested = std::get_if<channel::ApprovalRequested>(&message))
        onRequested(*requested);
    else if (const auto *resolved = std::get_if<channel::ApprovalResolved>(&message))
        onResolved(*resolved);
    else if (const auto *accepted = std::get_if<channel::ApprovalAccepted>(&message))
        onAccepted(*accepted);
    else if (const auto *waiting = std::get_if<channel::ApprovalWaiting>(&message))
        onAgentWaiting(*waiting);
    else if (const auto *error = std::get_if<channel::ErrorReply>(&message))
        onError(*error);
    else if (const auto *passkeys = std::get_if<channel::Passkeys>(&message))
        onPasskeys(*passkeys);
    else if (const auto *held = std::get_if<channel::AgentHeld>(&message))
        onAgentHeld(*held);
    else
        qCDebug(lcGateway) << "ignoring a" << channel::channelMessageType(message) << "from"
                           << m_profile.gatewayId;
}

void GatewayClient::onHello(const channel::Hello &hello)
{
    // The auth proof is only ever signed for the pinned gateway, over TLS to
    // the pinned key: a server that is not the gateway learns nothing useful.
    if (!m_profile.spkiPin.isEmpty() && !pinMatches()) {
        drop(QStringLiteral("the gateway's TLS key does not match the key pinned at pairing"));
        return;
    }
    // The version and the nonce's form were checked with the message.
    if (hello.gatewayId != m_profile.gatewayId) {
        fail(QWebSocketProtocol::CloseCodePolicyViolated,
             QStringLiteral("the gateway does not present the id it was paired with"));
        return;
    }
    const auto proof =
        channel::AuthClaims{hello.nonce, m_profile.gatewayId, m_clock.secondsSinceEpoch()}.sign(
            m_deviceKey);
    if (!proof) {
        fail(QWebSocketProtocol::CloseCodeNormal,
             QStringLiteral("cannot sign with the device key: ") + proof.error().message);
        return;
    }
    m_phase = Phase::AwaitingWelcome;
    m_helloNonce = hello.nonce;
    m_socket.sendTextMessage(
        channel::toText(channel::Auth{m_profile.deviceId, QString::fromLatin1(proof.value())}));
}

void GatewayClient::onWelcome(const channel::Welcome &welcome)
{
    if (welcome.deviceId != m_profile.deviceId || welcome.user != m_profile.userId) {
        fail(QWebSocketProtocol::CloseCodePolicyViolated,
             QStringLiteral("the gateway welcomed another device or user than the one paired"));
        return;
    }
    QStringList pending = welcome.pending;
    if (pending.size() > maxPendingRequests) {
        qCWarning(lcGateway) << "gateway" << m_profile.gatewayId << "lists" << pending.size()
                             << "pending requests; keeping the first" << maxPendingRequests;
        pending.resize(maxPendingRequests);
    }

    QList<VerifiedApprovalRequest> current;
    for (const QString &value : std::as_const(pending)) {
        auto verified = verify(value);
        if (!verified)
            continue;
        const QString id = verified->request.requestId;
        const bool duplicate = std::any_of(current.cbegin(), current.cend(), [&](const auto &r) {
            return r.request.requestId == id;
        });
        if (!duplicate)
            current.append(std::move(verified).value());
    }

    // Re-sync: the gateway's list is the truth about what is still pending.
    // What we held and it no longer lists was resolved while we were away.
    // A partial list (v1.2: pending_total is larger) is the truth only once
    // the rest has arrived: until then, unlisted ones are kept unconfirmed.
    const bool partial = welcome.pendingTotal && *welcome.pendingTotal > welcome.pending.size();
    m_catchUp.reset();
    if (partial) {
        m_catchUp = CatchUp{};
        m_catchUp->total = *welcome.pendingTotal;
        for (const VerifiedApprovalRequest &request : std::as_const(current))
            m_catchUp->heard.insert(request.request.requestId);
    }
    const QList<VerifiedApprovalRequest> held = m_pending;
    for (const VerifiedApprovalRequest &old : held) {
        const auto now = std::find_if(current.cbegin(), current.cend(), [&](const auto &r) {
            return r.request.requestId == old.request.requestId;
        });
        if (partial && now == current.cend())
            m_catchUp->unconfirmed.insert(old.request.requestId);
        else if (now == current.cend() || now->compact != old.compact)
            removePending(old.request.requestId, ApprovalOutcome::Unknown);
    }

    // A malformed passkey context costs the passkey method, not the
    // connection: TOTP and denials keep working.
    const bool passkeys = !welcome.passkey.isUndefined() && takePasskeyContext(welcome.passkey);

    m_phase = Phase::Authenticated;
    m_handshakeTimer.stop();
    m_socket.setMaxAllowedIncomingMessageSize(static_cast<quint64>(maxMessageBytes));
    m_socket.setMaxAllowedIncomingFrameSize(static_cast<quint64>(maxMessageBytes));
    m_lastError.clear();
    setState(State::Online);
    m_stableTimer.start(m_timings.stableAfter);
    if (passkeys)
        Q_EMIT passkeysChanged(*m_passkeys);
    for (const VerifiedApprovalRequest &request : std::as_const(current))
        addPending(request);
}

bool GatewayClient::takePasskeyContext(const QJsonValue &value)
{
    auto context = value.isObject()
        ? PasskeyContext::fromJson(value.toObject())
        : Result<PasskeyContext>(
            makeError(ErrorCode::InvalidField, QStringLiteral("passkey is not an object")));
    if (context && context->userName != m_profile.userId) {
        context = makeError(ErrorCode::InvalidField,
                            QStringLiteral("passkey.user_name is not the paired user"));
    }
    if (!context) {
        qCWarning(lcGateway).noquote() << "ignored the passkey context of" << m_profile.gatewayId
                                       << ":" << context.error().message;
        m_passkeys.reset();
        return false;
    }
    m_passkeys = std::move(context).value();
    return true;
}

void GatewayClient::onPasskeys(const channel::Passkeys &message)
{
    if (takePasskeyContext(message.passkey))
        Q_EMIT passkeysChanged(*m_passkeys);
    if (message.change) {
        channel::PasskeyChange change = *message.change;
        change.name = displaySafe(change.name, maxPasskeyNameLength);
        change.device = displaySafe(change.device, maxPasskeyNameLength);
        Q_EMIT passkeyChangeAnnounced(change);
    }
}

std::optional<VerifiedApprovalRequest> GatewayClient::verify(const QString &text) const
{
    const bool ascii =
        std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c.unicode() < 0x80; });
    if (!ascii) {
        qCWarning(lcGateway) << "dropped a request from" << m_profile.gatewayId
                             << "that is not a compact JWS";
        return std::nullopt;
    }
    auto verified =
        verifyApprovalRequest(text.toLatin1(), *m_gatewayKey, m_profile.gatewayId, m_clock);
    if (!verified) {
        qCWarning(lcGateway).noquote()
            << "dropped an unverifiable request from" << m_profile.gatewayId << ":"
            << errorCodeName(verified.error().code) << verified.error().message;
        return std::nullopt;
    }
    // The gateway sends a device only its own user's requests; anything else
    // is not this person's to approve.
    if (verified->request.sarc.subject.id != m_profile.userId) {
        qCWarning(lcGateway) << "dropped request" << verified->request.requestId << "from"
                             << m_profile.gatewayId << ": it is for another user";
        return std::nullopt;
    }
    return std::move(verified).value();
}

qsizetype GatewayClient::indexOfPending(const QString &requestId) const
{
    for (qsizetype i = 0; i < m_pending.size(); ++i) {
        if (m_pending.at(i).request.requestId == requestId)
            return i;
    }
    return -1;
}

bool GatewayClient::addPending(const VerifiedApprovalRequest &request)
{
    if (const qsizetype index = indexOfPending(request.request.requestId); index >= 0) {
        if (m_pending.at(index).compact != request.compact) {
            // Same id, other bytes: keep what the person may already be
            // reading; the next welcome settles which one is real.
            qCWarning(lcGateway) << "ignored a second, different request"
                                 << request.request.requestId << "from" << m_profile.gatewayId;
        }
        return false;
    }
    // Requests past their time need no answer: make room before refusing.
    const qint64 now = m_clock.secondsSinceEpoch();
    m_pending.removeIf(
        [now](const VerifiedApprovalRequest &r) { return r.request.expiresAt <= now; });
    if (m_pending.size() >= maxPendingRequests) {
        qCWarning(lcGateway) << "dropped request" << request.request.requestId << "from"
                             << m_profile.gatewayId << ": too many pending requests";
        return false;
    }
    m_pending.append(request);
    qCInfo(lcGateway) << "request" << request.request.requestId << "from" << m_profile.gatewayId
                      << "verified";
    Q_EMIT requestReceived(request);
    return true;
}

void GatewayClient::removePending(const QString &requestId, ApprovalOutcome outcome)
{
    const qsizetype index = indexOfPending(requestId);
    if (index < 0)
        return;
    m_pending.removeAt(index);
    Q_EMIT requestResolved(requestId, outcome);
}

void GatewayClient::forgetAllPending()
{
    m_catchUp.reset();
    const QList<VerifiedApprovalRequest> held = std::exchange(m_pending, {});
    for (const VerifiedApprovalRequest &request : held)
        Q_EMIT requestResolved(request.request.requestId, ApprovalOutcome::Unknown);
}

void GatewayClient::onRequested(const channel::ApprovalRequested &message)
{
    auto verified = verify(message.request);
    if (!verified)
        return;
    const QString requestId = verified->request.requestId;
    // Already held from before a partial welcome: the same bytes again.
    if (m_catchUp && m_catchUp->unconfirmed.contains(requestId)) {
        const qsizetype index = indexOfPending(requestId);
        if (index >= 0 && m_pending.at(index).compact == verified->compact) {
            m_catchUp->unconfirmed.remove(requestId);
            noteCaughtUp(requestId);
            return;
        }
        removePending(requestId, ApprovalOutcome::Unknown);
    }
    addPending(verified.value());
    noteCaughtUp(requestId);
}

void GatewayClient::noteCaughtUp(const QString &requestId)
{
    if (!m_catchUp)
        return;
    m_catchUp->heard.insert(requestId);
    if (m_catchUp->heard.size() < m_catchUp->total)
        return;
    const QSet<QString> gone = std::exchange(m_catchUp->unconfirmed, {});
    m_catchUp.reset();
    for (const QString &id : gone)
        removePending(id, ApprovalOutcome::Unknown);
}

void GatewayClient::onAgentHeld(const channel::AgentHeld &message)
{
    Q_EMIT agentHeld(message.agent.left(maxGatewayMessageLength), message.heldCount, message.until);
}

void GatewayClient::onResolved(const channel::ApprovalResolved &message)
{
    const QString &requestId = message.requestId;
    const auto outcome = approvalOutcomeFromWire(message.outcome);
    if (!isRequestId(requestId) || !outcome) {
        qCWarning(lcGateway) << "ignored a malformed approval.resolved from" << m_profile.gatewayId;
        return;
    }
    // Unknown ids (a request we dropped, or never saw) need no action.
    removePending(requestId, *outcome);
    if (m_catchUp)
        m_catchUp->unconfirmed.remove(requestId);
    noteCaughtUp(requestId);
}

void GatewayClient::onAgentWaiting(const channel::ApprovalWaiting &message)
{
    // Only about a request this client holds (and so has verified).
    for (const VerifiedApprovalRequest &pending : std::as_const(m_pending)) {
        if (pending.request.requestId == message.requestId) {
            Q_EMIT agentWaitingChanged(message.requestId, message.agentWaiting);
            return;
        }
    }
}

void GatewayClient::onAccepted(const channel::ApprovalAccepted &message)
{
    const QString &requestId = message.requestId;
    const auto outcome = approvalOutcomeFromWire(message.outcome);
    if (!m_awaitingAnswer.contains(requestId) || !outcome
        || (*outcome != ApprovalOutcome::Approved && *outcome != ApprovalOutcome::Denied)) {
        qCWarning(lcGateway) << "ignored an approval.accepted for no proof in flight from"
                             << m_profile.gatewayId;
        return;
    }
    m_awaitingAnswer.remove(requestId);
    Q_EMIT proofAccepted(requestId, *outcome);
}

void GatewayClient::onError(const channel::ErrorReply &error)
{
    const QString message = displaySafe(error.message, maxGatewayMessageLength);
    if (isPasskeyChangeError(error.code)) {
        qCInfo(lcGateway) << "gateway" << m_profile.gatewayId
                          << "refused a passkey change:" << channelErrorCodeName(error.code)
                          << message;
        Q_EMIT passkeyRefused(PasskeyRefusal::make(error.code, message));
        return;
    }
    ProofRefusal refusal = ProofRefusal::make(error.requestId, error.code, message);
    if (error.attemptsLeft && *error.attemptsLeft <= maxAttemptsLeft)
        refusal.attemptsLeft = error.attemptsLeft;
    if (!refusal.requestId.isEmpty() && !m_awaitingAnswer.remove(refusal.requestId)) {
        qCWarning(lcGateway) << "ignored an error for no proof in flight from"
                             << m_profile.gatewayId << ":" << channelErrorCodeName(refusal.code);
        return;
    }
    qCInfo(lcGateway) << "gateway" << m_profile.gatewayId
                      << "refused:" << channelErrorCodeName(refusal.code) << refusal.requestId
                      << refusal.message;
    Q_EMIT proofRefused(refusal);
}

Status GatewayClient::approveWithTotp(const QString &requestId, const QString &code)
{
    const qsizetype index = indexOfPending(requestId);
    if (index >= 0 && !m_pending.at(index).request.methods.contains(ApprovalMethod::Totp)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request %1 does not allow TOTP").arg(requestId));
    }
    ApprovalProof proof;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), code}};
    return sendProof(requestId, proof);
}

QString GatewayClient::passkeyRegistrationChallenge() const
{
    return m_phase == Phase::Authenticated ? m_helloNonce : QString();
}

Status GatewayClient::sendPasskeyMessage(const QJsonObject &message)
{
    if (m_phase != Phase::Authenticated) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("not connected to the gateway; try again when it is online"));
    }
    if (!m_passkeys) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("this gateway does not offer passkeys"));
    }
    m_socket.sendTextMessage(channel::toText(message));
    return Ok{};
}

namespace {

// The factor of a passkey change (8.2): checked here too, so that a typo is
// told at once instead of costing one of the gateway's few attempts.
Result<channel::PasskeyFactor> totpFactor(const QString &code)
{
    const QString trimmed = code.trimmed();
    const bool digits = std::all_of(trimmed.cbegin(), trimmed.cend(),
                                    [](QChar c) { return c >= u'0' && c <= u'9'; });
    if (!digits || (trimmed.size() != 6 && trimmed.size() != 8)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("enter the 6- or 8-digit code your authenticator app "
                                        "shows for this gateway"));
    }
    return channel::PasskeyFactor{trimmed};
}

} // namespace

Status GatewayClient::registerPasskey(const QString &name,
                                      const PasskeyRegistrationEvidence &evidence,
                                      const QString &totpCode)
{
    if (name.trimmed().isEmpty() || name.size() > maxPasskeyNameLength || !isDisplaySafe(name)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("a security key's name is 1 to %1 printable characters")
                             .arg(maxPasskeyNameLength));
    }
    if (m_phase == Phase::Authenticated) {
        if (auto client =
                checkPasskeyClientData(evidence.clientDataJson, QStringLiteral("webauthn.create"),
                                       m_helloNonce, m_profile.gatewayId);
            !client) {
            return client.error();
        }
    }
    const auto factor = totpFactor(totpCode);
    if (!factor)
        return factor.error();
    const Status sent = sendPasskeyMessage(
        channel::PasskeyRegister{name, evidence.toJson(), factor.value()}.toJson());
    if (sent)
        qCInfo(lcGateway) << "sent passkey registration" << name << "to" << m_profile.gatewayId;
    return sent;
}

Status GatewayClient::removePasskey(const QByteArray &credentialId, const QString &totpCode)
{
    if (m_passkeys && !m_passkeys->hasCredential(credentialId)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("this security key is not registered at the gateway"));
    }
    const auto factor = totpFactor(totpCode);
    if (!factor)
        return factor.error();
    return sendPasskeyMessage(channel::PasskeyRemove{credentialId, factor.value()}.toJson());
}

Status GatewayClient::approveWithPasskey(const QString &requestId, const PasskeyEvidence &evidence)
{
    const qsizetype index = indexOfPending(requestId);
    if (index >= 0) {
        const VerifiedApprovalRequest &request = m_pending.at(index);
        if (!request.request.methods.contains(ApprovalMethod::Passkey)) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("request %1 does not allow passkeys").arg(requestId));
        }
        if (!m_passkeys || !m_passkeys->hasCredential(evidence.credentialId)) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("this security key is not registered at the gateway"));
        }
        // The signature must cover this request: an assertion over another
        // request's hash would only be refused by the gateway.
        if (auto client = checkPasskeyClientData(
                evidence.clientDataJson, QStringLiteral("webauthn.get"),
                QString::fromLatin1(base64UrlEncode(request.requestHash)), m_profile.gatewayId);
            !client) {
            return client.error();
        }
    }
    ApprovalProof proof;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Passkey;
    proof.evidence = evidence.toJson();
    return sendProof(requestId, proof);
}

Status GatewayClient::deny(const QString &requestId, const QString &reason)
{
    ApprovalProof proof;
    proof.decision = Decision::Deny;
    proof.reason = reason;
    return sendProof(requestId, proof);
}

Status GatewayClient::sendProof(const QString &requestId, const ApprovalProof &draft)
{
    if (m_phase != Phase::Authenticated) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("not connected to the gateway; try again when it is online"));
    }
    const qsizetype index = indexOfPending(requestId);
    if (index < 0) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request %1 is not pending").arg(requestId));
    }
    if (m_awaitingAnswer.contains(requestId)) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("an answer to request %1 is already on its way").arg(requestId));
    }
    const VerifiedApprovalRequest &request = m_pending.at(index);
    ApprovalProof proof = draft;
    proof.requestId = request.request.requestId;
    proof.requestHash = request.requestHash;
    proof.issuedAt = m_clock.secondsSinceEpoch();
    // Our own output is checked like the gateway will check it: a malformed
    // code or an overlong reason is the person's to fix, not a round trip.
    if (auto shape = ApprovalProof::fromJson(proof.toJson()); !shape)
        return shape.error();
    const auto signedProof = proof.sign(m_deviceKey);
    if (!signedProof)
        return signedProof.error();
    m_awaitingAnswer.insert(requestId);
    m_socket.sendTextMessage(
        channel::toText(channel::ApprovalRespond{QString::fromLatin1(signedProof.value())}));
    qCInfo(lcGateway) << "sent" << (proof.decision == Decision::Approve ? "approval" : "denial")
                      << "of" << requestId << "to" << m_profile.gatewayId;
    return Ok{};
}

} // namespace countersign
