#include "gateway/keys/privatefile.h"
#include "gatewayfixture.h"
#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"
#include "protocol/jose/jws.h"
#include "tests/support/samplemessages.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>

using namespace countersign;
using namespace countersign::testing;
using countersign::gateway::CloseCode::revoked;
using countersign::gateway::CloseCode::unauthorized;

// docs/protocol.md as a contract, over real sockets: signed payloads are
// strict (1.1, 9), a device JWS names its own key (1.2), a revoked device id
// is told apart from an unknown one only by its key's holder (5.2), the
// pairing endpoint cannot be used by web pages (2.2), and an elevated token
// is bound to the arguments the person saw (6).
class TestGatewayStrictProtocol : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    // Channel authentication (5.2).
    void authRefusesUnknownMembers();
    void authRefusesOtherVersion();
    void authRefusesKidOfAnotherKey();
    void revokedAndUnknownDeviceIdsLookAlikeWithoutTheKey();
    // Approval proofs (4.1, 5.3, 9).
    void approvalProofWithKidOfAnotherKeyIsUnknownDevice();
    void approvalProofOfAnotherVersionIsUnsupportedVersion();
    // The pairing proof of possession (2.2).
    void pairingProofWithUnknownMemberDoesNotPair();
    void pairingProofOfAnotherVersionDoesNotPair();
    void pairingProofWithKidOfAnotherKeyDoesNotPair();
    void pairingProofOutsideItsTimeWindowDoesNotPair();
    // The pairing endpoint (2.2).
    void pairingRefusesWebPagesWithoutUsingTheLimit();
    void successfulPairingsDoNotCountTowardsTheLimit();
    // The admin API's tokens (6).
    void adminTokenIsBoundToTheSarcArguments();
    void adminTokenWithoutArgumentsIsBoundToTheEmptyObject();
    void adminApiRefusesArgumentsHashOfOtherArguments();

private:
    struct Closed {
        int code = 0;
        QString reason;
        bool welcomed = false;
    };
    struct Reply {
        int status = 0;
        QJsonObject body;
    };
    // Opens the channel, answers hello with `makeProof(nonce, gatewayId)`
    // for `deviceId`, and reports how the gateway closed it.
    Closed
    authenticateWith(const QString &deviceId,
                     const std::function<QByteArray(const QString &, const QString &)> &makeProof);
    Reply post(const QString &path, const QByteArray &body, const QByteArray &contentType,
               const QList<std::pair<QByteArray, QByteArray>> &headers = {});
    Reply adminCall(const QByteArray &verb, const QString &path, const QByteArray &body = {});
    // The pairing body of a fresh device key, with a proof of `claims` signed
    // by that key under `kid` (its own thumbprint when empty).
    static QByteArray pairingBody(const PairingLink &link, const EcPrivateKey &key,
                                  const QJsonObject &claims, const QString &kid = {});
    QJsonObject proofClaims(const PairingLink &link) const;
    // Approves a SARC through the admin API and returns the token's claims.
    std::optional<QJsonObject> approvedTokenClaims(const Sarc &sarc);

    std::unique_ptr<GatewayFixture> m_fixture;
    QNetworkAccessManager m_network;
    const QByteArray m_adminToken = "test-admin-token-0123456789";
};

namespace {

QByteArray compact(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

QByteArray signJson(const QJsonObject &payload, const EcPrivateKey &key, const QString &type,
                    const QString &kid)
{
    return Jws::sign(compact(payload), key, type, kid).value();
}

QJsonObject authClaims(const QString &nonce, const QString &gatewayId, qint64 now)
{
    return QJsonObject{{QStringLiteral("v"), 1},
                       {QStringLiteral("nonce"), nonce},
                       {QStringLiteral("gateway_id"), gatewayId},
                       {QStringLiteral("iat"), now}};
}

} // namespace

void TestGatewayStrictProtocol::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    const QString tokenFile = m_fixture->dataDir() + QStringLiteral("/admin.token");
    QVERIFY(gateway::writePrivateFile(tokenFile, m_adminToken + '\n').ok());
    m_fixture->setAdminTokenFile(tokenFile);
    QVERIFY(m_fixture->start());
}

void TestGatewayStrictProtocol::cleanup()
{
    m_fixture.reset();
}

TestGatewayStrictProtocol::Closed TestGatewayStrictProtocol::authenticateWith(
    const QString &deviceId,
    const std::function<QByteArray(const QString &, const QString &)> &makeProof)
{
    QWebSocket socket;
    Closed closed;
    connect(&socket, &QWebSocket::textMessageReceived, &socket, [&](const QString &text) {
        const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
        const QString type = message.value(QStringLiteral("type")).toString();
        if (type == u"hello") {
            const QByteArray proof =
                makeProof(message.value(QStringLiteral("nonce")).toString(),
                          message.value(QStringLiteral("gateway_id")).toString());
            socket.sendTextMessage(QString::fromUtf8(
                compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("auth")},
                                    {QStringLiteral("device_id"), deviceId},
                                    {QStringLiteral("proof"), QString::fromLatin1(proof)}})));
        } else if (type == u"welcome") {
            closed.welcomed = true;
            socket.close();
        }
    });
    QUrl url = m_fixture->gateway().publicUrl();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/companion/v1"));
    socket.open(url);
    (void)QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    (void)QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; },
                          5000);
    closed.code = int(socket.closeCode());
    closed.reason = socket.closeReason();
    return closed;
}

TestGatewayStrictProtocol::Reply
TestGatewayStrictProtocol::post(const QString &path, const QByteArray &body,
                                const QByteArray &contentType,
                                const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(path);
    QNetworkRequest request(url);
    if (!contentType.isEmpty())
        request.setRawHeader("Content-Type", contentType);
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = m_network.post(request, body);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(reply->readAll()).object()};
    reply->deleteLater();
    return result;
}

TestGatewayStrictProtocol::Reply TestGatewayStrictProtocol::adminCall(const QByteArray &verb,
                                                                      const QString &path,
                                                                      const QByteArray &body)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Authorization", "Bearer " + m_adminToken);
    QNetworkReply *reply = m_network.sendCustomRequest(request, verb, body);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(reply->readAll()).object()};
    reply->deleteLater();
    return result;
}

QByteArray TestGatewayStrictProtocol::pairingBody(const PairingLink &link, const EcPrivateKey &key,
                                                  const QJsonObject &claims, const QString &kid)
{
    const QByteArray proof = signJson(claims, key, QStringLiteral("countersign-pair+jwt"),
                                      kid.isEmpty() ? key.publicKey().thumbprint() : kid);
    return compact(QJsonObject{{QStringLiteral("v"), 1},
                               {QStringLiteral("code"), link.code()},
                               {QStringLiteral("device_name"), QStringLiteral("laptop")},
                               {QStringLiteral("device_key"), key.publicKey().toJwk()},
                               {QStringLiteral("proof"), QString::fromLatin1(proof)}});
}

QJsonObject TestGatewayStrictProtocol::proofClaims(const PairingLink &link) const
{
    return QJsonObject{{QStringLiteral("v"), 1},
                       {QStringLiteral("code"), link.code()},
                       {QStringLiteral("iat"), m_fixture->clock().secondsSinceEpoch()}};
}

void TestGatewayStrictProtocol::authRefusesUnknownMembers()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    const qint64 now = m_fixture->clock().secondsSinceEpoch();
    const auto closed = authenticateWith(
        companion->deviceId(), [&](const QString &nonce, const QString &gatewayId) {
            QJsonObject claims = authClaims(nonce, gatewayId, now);
            claims.insert(QStringLiteral("scope"), QStringLiteral("admin"));
            return signJson(claims, companion->deviceKey(), QStringLiteral("countersign-auth+jwt"),
                            companion->deviceKey().publicKey().thumbprint());
        });
    QVERIFY(!closed.welcomed);
    QCOMPARE(closed.code, unauthorized);
    QVERIFY2(closed.reason.contains(u"scope"), qPrintable(closed.reason));

    // The same proof without the extra member opens the channel.
    const auto welcomed = authenticateWith(
        companion->deviceId(), [&](const QString &nonce, const QString &gatewayId) {
            return signJson(authClaims(nonce, gatewayId, now), companion->deviceKey(),
                            QStringLiteral("countersign-auth+jwt"),
                            companion->deviceKey().publicKey().thumbprint());
        });
    QVERIFY(welcomed.welcomed);
}

void TestGatewayStrictProtocol::authRefusesOtherVersion()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    const qint64 now = m_fixture->clock().secondsSinceEpoch();
    const auto closed = authenticateWith(
        companion->deviceId(), [&](const QString &nonce, const QString &gatewayId) {
            QJsonObject claims = authClaims(nonce, gatewayId, now);
            claims.insert(QStringLiteral("v"), 2);
            return signJson(claims, companion->deviceKey(), QStringLiteral("countersign-auth+jwt"),
                            companion->deviceKey().publicKey().thumbprint());
        });
    QVERIFY(!closed.welcomed);
    QCOMPARE(closed.code, unauthorized);
    QVERIFY2(closed.reason.startsWith(u"unsupported_version"), qPrintable(closed.reason));
}

void TestGatewayStrictProtocol::authRefusesKidOfAnotherKey()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    const QString otherKid = EcPrivateKey::generate().value().publicKey().thumbprint();
    const qint64 now = m_fixture->clock().secondsSinceEpoch();
    const auto closed = authenticateWith(
        companion->deviceId(), [&](const QString &nonce, const QString &gatewayId) {
            return signJson(authClaims(nonce, gatewayId, now), companion->deviceKey(),
                            QStringLiteral("countersign-auth+jwt"), otherKid);
        });
    QVERIFY(!closed.welcomed);
    QCOMPARE(closed.code, unauthorized);
}

void TestGatewayStrictProtocol::revokedAndUnknownDeviceIdsLookAlikeWithoutTheKey()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    QVERIFY(m_fixture->gateway().store().revokeDevice(companion->deviceId(),
                                                      m_fixture->clock().secondsSinceEpoch()));
    const EcPrivateKey stranger = EcPrivateKey::generate().value();
    const qint64 now = m_fixture->clock().secondsSinceEpoch();
    const auto byStranger = [&](const QString &nonce, const QString &gatewayId) {
        return signJson(authClaims(nonce, gatewayId, now), stranger,
                        QStringLiteral("countersign-auth+jwt"), stranger.publicKey().thumbprint());
    };
    const auto unsigned_ = [](const QString &, const QString &) {
        return QByteArray("eyJhbGciOiJub25lIn0.e30.");
    };
    for (const auto &proof :
         {std::function<QByteArray(const QString &, const QString &)>(byStranger),
          std::function<QByteArray(const QString &, const QString &)>(unsigned_)}) {
        const auto revokedId = authenticateWith(companion->deviceId(), proof);
        const auto unknownId = authenticateWith(QStringLiteral("no-such-device"), proof);
        QVERIFY(!revokedId.welcomed);
        QCOMPARE(revokedId.code, unauthorized);
        QCOMPARE(revokedId.code, unknownId.code);
        QCOMPARE(revokedId.reason, unknownId.reason);
    }
    // Whoever holds the key learns that it was revoked, and what to do.
    const auto holder = authenticateWith(
        companion->deviceId(), [&](const QString &nonce, const QString &gatewayId) {
            return signJson(authClaims(nonce, gatewayId, now), companion->deviceKey(),
                            QStringLiteral("countersign-auth+jwt"),
                            companion->deviceKey().publicKey().thumbprint());
        });
    QCOMPARE(holder.code, revoked);
}

void TestGatewayStrictProtocol::approvalProofWithKidOfAnotherKeyIsUnknownDevice()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto message = companion->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(message);
    const auto request = companion->verify(message->value(QStringLiteral("request")).toString());
    QVERIFY(request.ok());

    ApprovalProof proof;
    proof.requestId = request->request.requestId;
    proof.requestHash = request->requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), totp.code(m_fixture->clock()).value()}};
    proof.issuedAt = m_fixture->clock().secondsSinceEpoch();
    const QString otherKid = EcPrivateKey::generate().value().publicKey().thumbprint();
    companion->sendProof(
        signJson(proof.toJson(), companion->deviceKey(), ApprovalProof::jwsType, otherKid));
    const auto error = companion->waitFor(QStringLiteral("error"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("code")).toString(), QStringLiteral("unknown_device"));
    QCOMPARE(error->value(QStringLiteral("request_id")).toString(), proof.requestId);
    QCOMPARE(m_fixture->gateway().store().approval(proof.requestId)->state,
             gateway::ApprovalState::Pending);
}

void TestGatewayStrictProtocol::approvalProofOfAnotherVersionIsUnsupportedVersion()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto message = companion->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(message);
    const auto request = companion->verify(message->value(QStringLiteral("request")).toString());
    QVERIFY(request.ok());

    ApprovalProof proof;
    proof.requestId = request->request.requestId;
    proof.requestHash = request->requestHash;
    proof.decision = Decision::Deny;
    proof.issuedAt = m_fixture->clock().secondsSinceEpoch();
    QJsonObject payload = proof.toJson();
    payload.insert(QStringLiteral("v"), 2);
    companion->sendProof(signJson(payload, companion->deviceKey(), ApprovalProof::jwsType,
                                  companion->deviceKey().publicKey().thumbprint()));
    const auto error = companion->waitFor(QStringLiteral("error"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("code")).toString(),
             QStringLiteral("unsupported_version"));
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"version 1"));
    QCOMPARE(m_fixture->gateway().store().approval(proof.requestId)->state,
             gateway::ApprovalState::Pending);
}

void TestGatewayStrictProtocol::pairingProofWithUnknownMemberDoesNotPair()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    const EcPrivateKey key = EcPrivateKey::generate().value();
    QJsonObject claims = proofClaims(offer->link);
    claims.insert(QStringLiteral("admin"), true);
    const Reply reply = post(QStringLiteral("/companion/v1/pair"),
                             pairingBody(offer->link, key, claims), "application/json");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(), QStringLiteral("invalid_proof"));
    QVERIFY(reply.body.value(QStringLiteral("message")).toString().contains(u"admin"));
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
    // The code is not spent: the strict proof pairs.
    QCOMPARE(post(QStringLiteral("/companion/v1/pair"),
                  pairingBody(offer->link, key, proofClaims(offer->link)), "application/json")
                 .status,
             201);
}

void TestGatewayStrictProtocol::pairingProofOfAnotherVersionDoesNotPair()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    QJsonObject claims = proofClaims(offer->link);
    claims.insert(QStringLiteral("v"), 2);
    const Reply reply = post(QStringLiteral("/companion/v1/pair"),
                             pairingBody(offer->link, EcPrivateKey::generate().value(), claims),
                             "application/json");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
             QStringLiteral("unsupported_version"));
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
}

void TestGatewayStrictProtocol::pairingProofWithKidOfAnotherKeyDoesNotPair()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    const QString otherKid = EcPrivateKey::generate().value().publicKey().thumbprint();
    const Reply reply = post(QStringLiteral("/companion/v1/pair"),
                             pairingBody(offer->link, EcPrivateKey::generate().value(),
                                         proofClaims(offer->link), otherKid),
                             "application/json");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(), QStringLiteral("invalid_proof"));
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
}

void TestGatewayStrictProtocol::pairingProofOutsideItsTimeWindowDoesNotPair()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    const EcPrivateKey key = EcPrivateKey::generate().value();
    const qint64 now = m_fixture->clock().secondsSinceEpoch();
    // docs/protocol.md 2.2: iat within 300 seconds of the gateway's clock.
    for (const qint64 skew : {qint64(-301), qint64(301)}) {
        QJsonObject claims = proofClaims(offer->link);
        claims.insert(QStringLiteral("iat"), now + skew);
        const Reply reply = post(QStringLiteral("/companion/v1/pair"),
                                 pairingBody(offer->link, key, claims), "application/json");
        QCOMPARE(reply.status, 400);
        QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
                 QStringLiteral("invalid_proof"));
    }
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
    QJsonObject edge = proofClaims(offer->link);
    edge.insert(QStringLiteral("iat"), now - 300);
    QCOMPARE(post(QStringLiteral("/companion/v1/pair"), pairingBody(offer->link, key, edge),
                  "application/json")
                 .status,
             201);
}

void TestGatewayStrictProtocol::pairingRefusesWebPagesWithoutUsingTheLimit()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    const EcPrivateKey key = EcPrivateKey::generate().value();
    const QByteArray body = pairingBody(offer->link, key, proofClaims(offer->link));
    // What a web page can send without a preflight: text/plain, its Origin
    // or none (a form); and JSON with its Origin. The fixture allows 20
    // failures a minute; 30 of each are refused before they count.
    for (int i = 0; i < 30; ++i) {
        const Reply plain = post(QStringLiteral("/companion/v1/pair"), "{}", "text/plain");
        QCOMPARE(plain.status, 415);
        QCOMPARE(plain.body.value(QStringLiteral("error")).toString(),
                 QStringLiteral("unsupported_media_type"));
        QCOMPARE(post(QStringLiteral("/companion/v1/pair"), "{}", {}).status, 415);
        const Reply page = post(QStringLiteral("/companion/v1/pair"), body, "application/json",
                                {{"Origin", "https://evil.example"}});
        QCOMPARE(page.status, 403);
        QCOMPARE(page.body.value(QStringLiteral("error")).toString(),
                 QStringLiteral("forbidden_origin"));
    }
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
    // The person's companion still pairs.
    QCOMPARE(
        post(QStringLiteral("/companion/v1/pair"), body, "application/json; charset=utf-8").status,
        201);
}

void TestGatewayStrictProtocol::successfulPairingsDoNotCountTowardsTheLimit()
{
    // The fixture allows 20 failures a minute per address.
    for (int i = 0; i < 25; ++i) {
        const auto offer =
            m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
        QVERIFY(offer.ok());
        const Reply reply = post(
            QStringLiteral("/companion/v1/pair"),
            pairingBody(offer->link, EcPrivateKey::generate().value(), proofClaims(offer->link)),
            "application/json");
        QCOMPARE(reply.status, 201);
    }
    // Failures still do.
    int limited = 0;
    for (int i = 0; i < 25; ++i) {
        const Reply reply = post(QStringLiteral("/companion/v1/pair"), "{}", "application/json");
        if (reply.status == 429)
            ++limited;
        else
            QCOMPARE(reply.status, 400);
    }
    QCOMPARE(limited, 5);
    // A locked-out address cannot pair until the window passes.
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    const QByteArray body =
        pairingBody(offer->link, EcPrivateKey::generate().value(), proofClaims(offer->link));
    QCOMPARE(post(QStringLiteral("/companion/v1/pair"), body, "application/json").status, 429);
    m_fixture->clock().advance(61);
    const QByteArray fresh =
        pairingBody(offer->link, EcPrivateKey::generate().value(), proofClaims(offer->link));
    QCOMPARE(post(QStringLiteral("/companion/v1/pair"), fresh, "application/json").status, 201);
}

std::optional<QJsonObject> TestGatewayStrictProtocol::approvedTokenClaims(const Sarc &sarc)
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    if (!companion || !companion->connectChannel())
        return std::nullopt;
    const QJsonObject body{{QStringLiteral("sarc"), sarc.toJson()},
                           {QStringLiteral("methods"), QJsonArray{QStringLiteral("totp")}},
                           {QStringLiteral("upstream"), QStringLiteral("https://up.example")}};
    const Reply created = adminCall("POST", QStringLiteral("/approvals"), compact(body));
    if (created.status != 201) {
        qWarning() << "approval not created:" << created.status << created.body;
        return std::nullopt;
    }
    const QString requestId = created.body.value(QStringLiteral("request_id")).toString();
    const auto message = companion->waitFor(QStringLiteral("approval.requested"));
    if (!message)
        return std::nullopt;
    const auto request = companion->verify(message->value(QStringLiteral("request")).toString());
    if (!request)
        return std::nullopt;
    companion->approveWithTotp(request.value(), totp.code(m_fixture->clock()).value());
    if (!companion->waitFor(QStringLiteral("approval.accepted")))
        return std::nullopt;
    const Reply token = adminCall("POST", QStringLiteral("/approvals/%1/token").arg(requestId));
    if (token.status != 200) {
        qWarning() << "no token:" << token.status << token.body;
        return std::nullopt;
    }
    const auto decoded =
        Jws::decodeUnverified(token.body.value(QStringLiteral("token")).toString().toLatin1());
    if (!decoded)
        return std::nullopt;
    return QJsonDocument::fromJson(decoded->payload).object();
}

void TestGatewayStrictProtocol::adminTokenIsBoundToTheSarcArguments()
{
    const Sarc sarc = sampleSarc();
    const auto claims = approvedTokenClaims(sarc);
    QVERIFY(claims);
    const QJsonObject details =
        claims->value(QStringLiteral("authorization_details")).toArray().first().toObject();
    const QByteArray expected =
        argumentsHash(sarc.resource.properties.value(QStringLiteral("arguments")).toObject())
            .value();
    QCOMPARE(details.value(QStringLiteral("arguments_hash")).toString(),
             QString::fromLatin1(base64UrlEncode(expected)));
}

void TestGatewayStrictProtocol::adminTokenWithoutArgumentsIsBoundToTheEmptyObject()
{
    Sarc sarc = sampleSarc();
    sarc.resource.properties = {};
    const auto claims = approvedTokenClaims(sarc);
    QVERIFY(claims);
    const QJsonObject details =
        claims->value(QStringLiteral("authorization_details")).toArray().first().toObject();
    // base64url(SHA-256("{}")), as docs/protocol.md 6 spells it out.
    QCOMPARE(details.value(QStringLiteral("arguments_hash")).toString(),
             QStringLiteral("RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o"));
}

void TestGatewayStrictProtocol::adminApiRefusesArgumentsHashOfOtherArguments()
{
    const QJsonObject other{{QStringLiteral("user"), QStringLiteral("carol")}};
    const QJsonObject body{{QStringLiteral("sarc"), sampleSarc().toJson()},
                           {QStringLiteral("arguments_hash"),
                            QString::fromLatin1(base64UrlEncode(argumentsHash(other).value()))}};
    const Reply reply = adminCall("POST", QStringLiteral("/approvals"), compact(body));
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
             QStringLiteral("arguments_hash_mismatch"));
    Sarc notAnObject = sampleSarc();
    notAnObject.resource.properties =
        QJsonObject{{QStringLiteral("arguments"), QStringLiteral("user=bob")}};
    QCOMPARE(adminCall("POST", QStringLiteral("/approvals"),
                       compact(QJsonObject{{QStringLiteral("sarc"), notAnObject.toJson()}}))
                 .status,
             400);
    QVERIFY(m_fixture->gateway().store().pendingApprovals({}, 0).isEmpty());
}

QTEST_GUILESS_MAIN(TestGatewayStrictProtocol)
#include "test_gateway_strictprotocol.moc"
