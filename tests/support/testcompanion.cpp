#include "testcompanion.h"

#include "protocol/jose/jws.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/tlspin.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QTest>
#include <QTimer>

namespace countersign::testing {

namespace {

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QUrl channelUrl(const QUrl &gateway)
{
    QUrl url = gateway;
    url.setScheme(gateway.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/companion/v1"));
    return url;
}

} // namespace

TestCompanion::TestCompanion(const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_deviceKey(EcPrivateKey::generate().value())
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &TestCompanion::onMessage);
    connect(&m_network, &QNetworkAccessManager::sslErrors, this,
            [this](QNetworkReply *reply, const QList<QSslError> &errors) {
                checkPin(errors, reply->sslConfiguration().peerCertificate(),
                         [reply, errors] { reply->ignoreSslErrors(errors); });
            });
    connect(&m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        checkPin(errors, m_socket.sslConfiguration().peerCertificate(),
                 [this, errors] { m_socket.ignoreSslErrors(errors); });
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        m_closeCode = static_cast<int>(m_socket.closeCode());
        m_closeReason = m_socket.closeReason();
    });
}

void TestCompanion::checkPin(const QList<QSslError> &errors, const QSslCertificate &peer,
                             const std::function<void()> &ignore)
{
    Q_UNUSED(errors);
    // With a pin, the CA chain and host name do not matter: the key does.
    if (!m_spkiPin.isEmpty() && spkiPin(peer) == m_spkiPin)
        ignore();
}

std::unique_ptr<TestCompanion> TestCompanion::sameDevice() const
{
    auto twin = std::make_unique<TestCompanion>(m_clock);
    twin->m_deviceKey = m_deviceKey;
    twin->m_gatewayKey = m_gatewayKey;
    twin->m_gatewayId = m_gatewayId;
    twin->m_gatewayUrl = m_gatewayUrl;
    twin->m_spkiPin = m_spkiPin;
    twin->m_deviceId = m_deviceId;
    return twin;
}

TestCompanion::HttpReply TestCompanion::postPairing(const QUrl &gateway, const QByteArray &body)
{
    QUrl url = gateway;
    url.setPath(QStringLiteral("/companion/v1/pair"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply *reply = m_network.post(request, body);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10'000, &loop, &QEventLoop::quit);
    loop.exec();
    HttpReply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return result;
}

TestCompanion::HttpReply TestCompanion::pair(const PairingLink &link, const QString &deviceName)
{
    const QJsonObject proofClaims{{QStringLiteral("v"), 1},
                                  {QStringLiteral("code"), link.code()},
                                  {QStringLiteral("iat"), m_clock.secondsSinceEpoch()}};
    const QByteArray proof =
        Jws::sign(compact(proofClaims), m_deviceKey, QStringLiteral("countersign-pair+jwt"),
                  m_deviceKey.publicKey().thumbprint())
            .value();
    const QJsonObject body{{QStringLiteral("v"), 1},
                           {QStringLiteral("code"), link.code()},
                           {QStringLiteral("device_name"), deviceName},
                           {QStringLiteral("device_key"), m_deviceKey.publicKey().toJwk()},
                           {QStringLiteral("proof"), QString::fromLatin1(proof)}};
    m_spkiPin = link.spki();
    HttpReply reply = postPairing(link.gatewayUrl(), compact(body));
    if (reply.status == 201) {
        const auto key =
            EcPublicKey::fromJwk(reply.body.value(QStringLiteral("gateway_key")).toObject());
        // Pin only what the link vouched for.
        if (key && key->thumbprint() == link.keyThumbprint()) {
            m_gatewayKey = key.value();
            m_gatewayId = reply.body.value(QStringLiteral("gateway_id")).toString();
            m_deviceId = reply.body.value(QStringLiteral("device_id")).toString();
            m_gatewayUrl = link.gatewayUrl();
        }
    }
    return reply;
}

void TestCompanion::connectChannelWith(const EcPrivateKey &key, const QString &deviceId,
                                       const QString &nonceOverride)
{
    m_authKey = key;
    m_authDeviceId = deviceId;
    m_nonceOverride = nonceOverride;
    m_closeCode.reset();
    m_inbox.clear();
    m_socket.open(channelUrl(m_gatewayUrl));
}

bool TestCompanion::connectChannel()
{
    connectChannelWith(m_deviceKey, m_deviceId);
    return waitFor(QStringLiteral("welcome")).has_value();
}

void TestCompanion::disconnectChannel()
{
    m_socket.close();
    (void)QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::UnconnectedState; },
                          5000);
}

void TestCompanion::onMessage(const QString &text)
{
    const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
    // Tests read the wire JSON from the inbox; every message the gateway
    // sends must also be one the companion's parser takes.
    const auto parsed = channel::parseChannelMessage(message);
    if (!parsed)
        qWarning().noquote() << "the gateway sent a malformed message:" << parsed.error().message;
    const auto *hello = parsed ? std::get_if<channel::Hello>(&parsed.value()) : nullptr;
    if (hello && m_authKey) {
        const channel::AuthClaims claims{m_nonceOverride.isEmpty() ? hello->nonce : m_nonceOverride,
                                         hello->gatewayId, m_clock.secondsSinceEpoch()};
        const QByteArray proof = claims.sign(*m_authKey).value();
        sendRaw(channel::toText(channel::Auth{m_authDeviceId, QString::fromLatin1(proof)}));
    }
    m_inbox.append(message);
}

std::optional<QJsonObject> TestCompanion::waitFor(const QString &type, int timeoutMs)
{
    std::optional<QJsonObject> found;
    auto take = [&] {
        for (qsizetype i = 0; i < m_inbox.size(); ++i) {
            if (m_inbox.at(i).value(QStringLiteral("type")).toString() == type) {
                found = m_inbox.takeAt(i);
                return true;
            }
        }
        return false;
    };
    (void)QTest::qWaitFor(take, timeoutMs);
    return found;
}

std::optional<int> TestCompanion::waitForClose(int timeoutMs)
{
    (void)QTest::qWaitFor([this] { return m_closeCode.has_value(); }, timeoutMs);
    return m_closeCode;
}

Result<VerifiedApprovalRequest> TestCompanion::verify(const QString &requestJws) const
{
    if (!m_gatewayKey)
        return makeError(ErrorCode::MalformedKey, QStringLiteral("not paired"));
    return verifyApprovalRequest(requestJws.toLatin1(), *m_gatewayKey, m_gatewayId, m_clock);
}

QByteArray TestCompanion::signProof(const ApprovalProof &proof) const
{
    return proof.sign(m_deviceKey).value();
}

void TestCompanion::approveWithTotp(const VerifiedApprovalRequest &request, const QString &code)
{
    ApprovalProof proof;
    proof.requestId = request.request.requestId;
    proof.requestHash = request.requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), code}};
    proof.issuedAt = m_clock.secondsSinceEpoch();
    sendProof(signProof(proof));
}

void TestCompanion::deny(const VerifiedApprovalRequest &request, const QString &reason)
{
    ApprovalProof proof;
    proof.requestId = request.request.requestId;
    proof.requestHash = request.requestHash;
    proof.decision = Decision::Deny;
    proof.reason = reason;
    proof.issuedAt = m_clock.secondsSinceEpoch();
    sendProof(signProof(proof));
}

void TestCompanion::sendProof(const QByteArray &proofJws)
{
    sendRaw(channel::toText(channel::ApprovalRespond{QString::fromLatin1(proofJws)}));
}

void TestCompanion::sendRaw(const QString &text)
{
    m_socket.sendTextMessage(text);
}

void TestCompanion::sendBinary(const QByteArray &data)
{
    m_socket.sendBinaryMessage(data);
}

} // namespace countersign::testing
