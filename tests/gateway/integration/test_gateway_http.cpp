#include "gateway/keys/privatefile.h"
#include "gatewayfixture.h"
#include "protocol/jose/jws.h"
#include "tests/support/samplemessages.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>

using namespace countersign;
using namespace countersign::testing;

// The HTTP endpoints: health, JWKS, and the admin API scripts use to raise
// approvals (docs/gateway.md).
class TestGatewayHttp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void servesHealthAndJwks();
    void adminApiNeedsTheToken_data();
    void adminApiNeedsTheToken();
    void adminApiRaisesApprovalAndHandsOutTokenOnce();
    void adminApiRefusesMalformedBodies_data();
    void adminApiRefusesMalformedBodies();
    void unknownPathsAre404();
    void adminApiIsBoundedPerAgentAndUser();
    void adminApiDoesNotHandOutTokensOfMcpApprovals();

private:
    struct Reply {
        int status = 0;
        QJsonObject body;
    };
    Reply call(const QByteArray &verb, const QString &path, const QByteArray &body = {},
               const QByteArray &token = {});

    std::unique_ptr<GatewayFixture> m_fixture;
    QNetworkAccessManager m_network;
    const QByteArray m_adminToken = "test-admin-token-0123456789";
};

void TestGatewayHttp::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    const QString tokenFile = m_fixture->dataDir() + QStringLiteral("/admin.token");
    QVERIFY(gateway::writePrivateFile(tokenFile, m_adminToken + '\n').ok());
    m_fixture->setAdminTokenFile(tokenFile);
    // A smaller admin body limit than the default 256 KiB, so that the
    // oversized case (the edge's 413 for /approvals) stays a small request.
    gateway::EdgeLimits limits;
    limits.adminBodyBytes = 64 * 1024;
    m_fixture->setEdgeLimits(limits);
    QVERIFY(m_fixture->start());
}

void TestGatewayHttp::cleanup()
{
    m_fixture.reset();
}

TestGatewayHttp::Reply TestGatewayHttp::call(const QByteArray &verb, const QString &path,
                                             const QByteArray &body, const QByteArray &token)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply *reply = m_network.sendCustomRequest(request, verb, body);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(reply->readAll()).object()};
    reply->deleteLater();
    return result;
}

void TestGatewayHttp::servesHealthAndJwks()
{
    QCOMPARE(
        call("GET", QStringLiteral("/healthz")).body.value(QStringLiteral("status")).toString(),
        QStringLiteral("ok"));
    const Reply jwks = call("GET", QStringLiteral("/.well-known/jwks.json"));
    QCOMPARE(jwks.status, 200);
    const QJsonObject key = jwks.body.value(QStringLiteral("keys")).toArray().first().toObject();
    QCOMPARE(key.value(QStringLiteral("kid")).toString(),
             m_fixture->gateway().signingKey().thumbprint());
    QCOMPARE(key.value(QStringLiteral("alg")).toString(), QStringLiteral("ES256"));
    QVERIFY(!key.contains(QStringLiteral("d")));
    QVERIFY(EcPublicKey::fromJwk(key).value() == m_fixture->gateway().signingKey());
}

void TestGatewayHttp::adminApiNeedsTheToken_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::newRow("none") << QByteArray();
    QTest::newRow("wrong") << QByteArray("test-admin-token-0123456788");
    QTest::newRow("prefix") << QByteArray("test-admin-token");
}

void TestGatewayHttp::adminApiNeedsTheToken()
{
    QFETCH(QByteArray, token);
    const Reply reply = call("POST", QStringLiteral("/approvals"), "{}", token);
    QCOMPARE(reply.status, 401);
    QVERIFY(m_fixture->gateway().store().pendingApprovals({}, 0).isEmpty());
}

void TestGatewayHttp::adminApiRaisesApprovalAndHandsOutTokenOnce()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());

    const QJsonObject body{{QStringLiteral("sarc"), sampleSarc().toJson()},
                           {QStringLiteral("methods"), QJsonArray{QStringLiteral("totp")}},
                           {QStringLiteral("timeout"), 60},
                           {QStringLiteral("upstream"), QStringLiteral("https://up.example")}};
    const Reply created = call("POST", QStringLiteral("/approvals"),
                               QJsonDocument(body).toJson(QJsonDocument::Compact), m_adminToken);
    QCOMPARE(created.status, 201);
    const QString requestId = created.body.value(QStringLiteral("request_id")).toString();
    QCOMPARE(created.body.value(QStringLiteral("state")).toString(), QStringLiteral("pending"));

    const auto message = companion->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(message);
    const auto request = companion->verify(message->value(QStringLiteral("request")).toString());
    QVERIFY(request.ok());
    // The code the agent's user sees matches the companion's own derivation.
    QCOMPARE(created.body.value(QStringLiteral("binding_code")).toString(), request->bindingCode);

    QCOMPARE(
        call("POST", QStringLiteral("/approvals/%1/token").arg(requestId), {}, m_adminToken).status,
        409); // not approved yet
    companion->approveWithTotp(request.value(), totp.code(m_fixture->clock()).value());
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));

    const Reply status =
        call("GET", QStringLiteral("/approvals/%1").arg(requestId), {}, m_adminToken);
    QCOMPARE(status.body.value(QStringLiteral("state")).toString(), QStringLiteral("approved"));
    QCOMPARE(status.body.value(QStringLiteral("method")).toString(), QStringLiteral("totp"));

    const Reply token =
        call("POST", QStringLiteral("/approvals/%1/token").arg(requestId), {}, m_adminToken);
    QCOMPARE(token.status, 200);
    QVERIFY(Jws::verify(token.body.value(QStringLiteral("token")).toString().toLatin1(),
                        m_fixture->gateway().signingKey(), QStringLiteral("at+jwt"))
                .ok());
    QCOMPARE(
        call("POST", QStringLiteral("/approvals/%1/token").arg(requestId), {}, m_adminToken).status,
        409);
    QCOMPARE(call("GET", QStringLiteral("/approvals/unknown"), {}, m_adminToken).status, 404);
}

void TestGatewayHttp::adminApiRefusesMalformedBodies_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    const QByteArray sarc = QJsonDocument(sampleSarc().toJson()).toJson(QJsonDocument::Compact);
    QTest::newRow("not json") << QByteArray("sarc=1") << 400;
    QTest::newRow("no sarc") << QByteArray("{}") << 400;
    QTest::newRow("bad sarc") << QByteArray(R"({"sarc":{"subject":{}}})") << 400;
    QTest::newRow("unknown member")
        << QByteArray(R"({"sarc":)" + sarc + R"(,"approve":true})") << 400;
    QTest::newRow("timeout too short")
        << QByteArray(R"({"sarc":)" + sarc + R"(,"timeout":1})") << 400;
    QTest::newRow("unknown method")
        << QByteArray(R"({"sarc":)" + sarc + R"(,"methods":["sms"]})") << 400;
    QTest::newRow("duplicate member")
        << QByteArray(R"({"sarc":)" + sarc + R"(,"timeout":60,"timeout":1})") << 400;
    QTest::newRow("oversized") << QByteArray(70 * 1024, ' ') << 413;
}

void TestGatewayHttp::adminApiRefusesMalformedBodies()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    const Reply reply = call("POST", QStringLiteral("/approvals"), body, m_adminToken);
    QCOMPARE(reply.status, status);
    QVERIFY(!reply.body.value(QStringLiteral("message")).toString().isEmpty());
    QVERIFY(m_fixture->gateway().store().pendingApprovals({}, 0).isEmpty());
}

void TestGatewayHttp::unknownPathsAre404()
{
    QCOMPARE(call("GET", QStringLiteral("/admin")).status, 404);
    QCOMPARE(call("GET", QStringLiteral("/companion/v1/pair")).status, 404);
}

// POST /approvals raises at most approvals.limits per agent (the SARC's
// subject.agent) and per user, like the MCP proxy: 429 with what to do.
void TestGatewayHttp::adminApiIsBoundedPerAgentAndUser()
{
    const auto raise = [this](const QString &agent) {
        Sarc sarc = sampleSarc();
        sarc.subject.agent = agent;
        const QJsonObject body{{QStringLiteral("sarc"), sarc.toJson()},
                               {QStringLiteral("methods"), QJsonArray{QStringLiteral("totp")}}};
        return call("POST", QStringLiteral("/approvals"),
                    QJsonDocument(body).toJson(QJsonDocument::Compact), m_adminToken);
    };
    for (int i = 0; i < 20; ++i)
        QCOMPARE(raise(QStringLiteral("agent-a")).status, 201);
    const Reply agentFull = raise(QStringLiteral("agent-a"));
    QCOMPARE(agentFull.status, 429);
    QCOMPARE(agentFull.body.value(QStringLiteral("error")).toString(),
             QStringLiteral("rate_limited"));
    QVERIFY2(agentFull.body.value(QStringLiteral("message"))
                 .toString()
                 .contains(QStringLiteral("20 approvals from this agent are already waiting for "
                                          "alice@example.com")),
             qPrintable(agentFull.body.value(QStringLiteral("message")).toString()));
    for (int i = 0; i < 20; ++i)
        QCOMPARE(raise(QStringLiteral("agent-b")).status, 201);
    for (int i = 0; i < 10; ++i)
        QCOMPARE(raise(QStringLiteral("agent-c")).status, 201);
    const Reply userFull = raise(QStringLiteral("agent-d"));
    QCOMPARE(userFull.status, 429);
    QVERIFY2(
        userFull.body.value(QStringLiteral("message"))
            .toString()
            .contains(QStringLiteral("50 approvals are already waiting for alice@example.com")),
        qPrintable(userFull.body.value(QStringLiteral("message")).toString()));
    QCOMPARE(m_fixture->gateway().store().pendingApprovals({}, 0).size(), 50);
}

// An approval the MCP proxy raised is for the one call the proxy makes; the
// admin API never hands out its token (before, it did: a token the proxy's
// caller never used could be taken by whoever held the admin token).
void TestGatewayHttp::adminApiDoesNotHandOutTokensOfMcpApprovals()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.upstream = QStringLiteral("directory");
    spec.argumentsHash = QByteArray(32, 'a');
    spec.origin = gateway::ApprovalOrigin::McpProxy;
    const auto created = m_fixture->gateway().broker().create(spec);
    QVERIFY(created.ok());
    const auto message = companion->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(message);
    const auto request = companion->verify(message->value(QStringLiteral("request")).toString());
    QVERIFY(request.ok());
    companion->approveWithTotp(request.value(), totp.code(m_fixture->clock()).value());
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));

    const Reply refused = call(
        "POST", QStringLiteral("/approvals/%1/token").arg(created->requestId), {}, m_adminToken);
    QCOMPARE(refused.status, 409);
    QCOMPARE(refused.body.value(QStringLiteral("error")).toString(),
             QStringLiteral("not_redeemable"));
    QVERIFY2(refused.body.value(QStringLiteral("message"))
                 .toString()
                 .contains(QStringLiteral("not raised through the admin API (origin mcp)")),
             qPrintable(refused.body.value(QStringLiteral("message")).toString()));
    // Refusing did not use it up: the proxy's call still can.
    QVERIFY(m_fixture->gateway().broker().redeem(created->requestId).ok());
}

QTEST_GUILESS_MAIN(TestGatewayHttp)
#include "test_gateway_http.moc"
