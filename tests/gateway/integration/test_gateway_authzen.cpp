#include "gateway/keys/privatefile.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "gatewayfixture.h"

#include <future>

#include <QHostAddress>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpSocket>

using namespace countersign;
using namespace countersign::testing;

// The demo configuration as shipped, served by a real gateway: its policy
// answers through the AuthZEN API (docs/gateway.md).
class TestGatewayAuthzen : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void discoveryIsPublic();
    void evaluationsNeedTheAdminToken();
    void demoPolicyDecides_data();
    void demoPolicyDecides();
    void batchFollowsItsSemantic();
    void decisionsDoNotWaitForTheQtThread();
    void errorsEchoTheRequestIdOnBothPaths();
    void searchesAnswerFromTheDirectory();

private:
    struct Reply {
        int status = 0;
        QJsonObject body;
        QByteArray requestId;
    };
    Reply call(const QByteArray &verb, const QString &path, const QJsonObject &body,
               bool withToken = true);
    // A raw HTTP/1.1 request on its own connection, from another thread:
    // the answer arrives while the Qt thread is blocked waiting for it.
    std::future<QByteArray> post(const QByteArray &path, const QByteArray &body,
                                 const QByteArray &headers);

    std::unique_ptr<GatewayFixture> m_fixture;
    QNetworkAccessManager m_network;
    const QByteArray m_adminToken = "authzen-test-admin-token";
};

void TestGatewayAuthzen::initTestCase()
{
    auto demo = gateway::GatewayConfig::load(QStringLiteral(COUNTERSIGN_DEMO_CONFIG));
    QVERIFY2(demo.ok(), demo.ok() ? "" : qPrintable(demo.error().message));
    QVERIFY(demo->reserved.contains(QStringLiteral("policy")));
    demo.value().listenPort = 0;
    demo.value().publicUrl.setPort(0);
    m_fixture = std::make_unique<GatewayFixture>(demo.value());
    const QString tokenFile = m_fixture->dataDir() + QStringLiteral("/admin.token");
    QVERIFY(gateway::writePrivateFile(tokenFile, m_adminToken).ok());
    m_fixture->setAdminTokenFile(tokenFile);
    QVERIFY(m_fixture->start());
    QVERIFY(m_fixture->gateway().pdp() != nullptr);
}

TestGatewayAuthzen::Reply TestGatewayAuthzen::call(const QByteArray &verb, const QString &path,
                                                   const QJsonObject &body, bool withToken)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("X-Request-ID", "req-42");
    if (withToken)
        request.setRawHeader("Authorization", "Bearer " + m_adminToken);
    QNetworkReply *reply = m_network.sendCustomRequest(
        request, verb, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson());
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(reply->readAll()).object(),
                 reply->rawHeader("X-Request-ID")};
    reply->deleteLater();
    return result;
}

void TestGatewayAuthzen::discoveryIsPublic()
{
    const Reply reply =
        call("GET", QStringLiteral("/.well-known/authzen-configuration"), {}, false);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body.value(QStringLiteral("policy_decision_point")).toString(),
             m_fixture->gateway().publicUrl().toString());
    QVERIFY(reply.body.value(QStringLiteral("access_evaluation_endpoint"))
                .toString()
                .endsWith(u"/access/v1/evaluation"));
    for (const char *kind : {"subject", "resource", "action"}) {
        QCOMPARE(reply.body.value(QStringLiteral("search_%1_endpoint").arg(QLatin1StringView(kind)))
                     .toString(),
                 m_fixture->gateway().publicUrl().toString()
                     + QStringLiteral("/access/v1/search/%1").arg(QLatin1StringView(kind)));
    }
}

void TestGatewayAuthzen::evaluationsNeedTheAdminToken()
{
    const QJsonObject body = QJsonDocument::fromJson(R"({"subject":{"type":"user","id":"a"},
        "action":{"name":"list_users"},"resource":{"type":"tool","id":"directory/list_users"}})")
                                 .object();
    QCOMPARE(call("POST", QStringLiteral("/access/v1/evaluation"), body, false).status, 401);
    QCOMPARE(call("POST", QStringLiteral("/access/v1/evaluations"), body, false).status, 401);
    QCOMPARE(call("POST", QStringLiteral("/access/v1/evaluation"), body).status, 200);
}

void TestGatewayAuthzen::demoPolicyDecides_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<bool>("decision");
    QTest::addColumn<QString>("obligation");
    QTest::newRow("list_users allowed") << QStringLiteral("list_users") << true << QString();
    QTest::newRow("get_user allowed") << QStringLiteral("get_user") << true << QString();
    QTest::newRow("disable_user needs step-up")
        << QStringLiteral("disable_user") << false << QStringLiteral("step-up");
    QTest::newRow("enable_user needs step-up")
        << QStringLiteral("enable_user") << false << QStringLiteral("step-up");
    QTest::newRow("delete_user denied") << QStringLiteral("delete_user") << false << QString();
}

void TestGatewayAuthzen::demoPolicyDecides()
{
    QFETCH(QString, tool);
    QFETCH(bool, decision);
    QFETCH(QString, obligation);
    const QJsonObject body{
        {QStringLiteral("subject"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                     {QStringLiteral("id"), QStringLiteral("alice@example.com")},
                     {QStringLiteral("properties"),
                      QJsonObject{{QStringLiteral("agent"), QStringLiteral("claude-code")}}}}},
        {QStringLiteral("action"), QJsonObject{{QStringLiteral("name"), tool}}},
        {QStringLiteral("resource"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("tool")},
                     {QStringLiteral("id"), QString(QStringLiteral("directory/") + tool)}}}};
    const Reply reply = call("POST", QStringLiteral("/access/v1/evaluation"), body);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.requestId, QByteArray("req-42"));
    QCOMPARE(reply.body.value(QStringLiteral("decision")).toBool(), decision);
    const QJsonArray obligations = reply.body.value(QStringLiteral("context"))
                                       .toObject()
                                       .value(QStringLiteral("obligations"))
                                       .toArray();
    QCOMPARE(obligations.isEmpty(), obligation.isEmpty());
    if (!obligation.isEmpty()) {
        const QJsonObject first = obligations.first().toObject();
        QCOMPARE(first.value(QStringLiteral("type")).toString(), obligation);
        QCOMPARE(first.value(QStringLiteral("properties"))
                     .toObject()
                     .value(QStringLiteral("amr_values"))
                     .toArray(),
                 (QJsonArray{QStringLiteral("hwk"), QStringLiteral("otp")}));
    }
}

void TestGatewayAuthzen::batchFollowsItsSemantic()
{
    const QJsonObject body = QJsonDocument::fromJson(R"({
        "subject": {"type": "user", "id": "alice@example.com"},
        "resource": {"type": "tool", "id": "directory/x"},
        "options": {"evaluations_semantic": "deny_on_first_deny"},
        "evaluations": [{"action": {"name": "list_users"}},
                        {"action": {"name": "delete_user"}},
                        {"action": {"name": "get_user"}}]})")
                                 .object();
    const Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"), body);
    QCOMPARE(reply.status, 200);
    const QJsonArray results = reply.body.value(QStringLiteral("evaluations")).toArray();
    QCOMPARE(results.size(), 2); // stopped at the first deny
    QCOMPARE(results.at(0).toObject().value(QStringLiteral("decision")).toBool(), true);
    QCOMPARE(results.at(1).toObject().value(QStringLiteral("decision")).toBool(), false);
}

// The evaluation endpoints are answered on the edge's I/O thread (the policy
// is immutable and the token check thread-safe): here the Qt thread processes
// no events at all until the answers are in. Routed through the Qt thread,
// they would never come.
std::future<QByteArray> TestGatewayAuthzen::post(const QByteArray &path, const QByteArray &body,
                                                 const QByteArray &headers)
{
    const quint16 port = static_cast<quint16>(m_fixture->gateway().publicUrl().port());
    return std::async(std::launch::async, [=] {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(10000))
            return QByteArray("no connection");
        socket.write("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers
                     + "Content-Length: " + QByteArray::number(body.size())
                     + "\r\nConnection: close\r\n\r\n" + body);
        QByteArray reply;
        while (socket.waitForReadyRead(10000))
            reply += socket.readAll();
        return reply;
    });
}

// The evaluation endpoints are answered on the edge's I/O thread (the policy
// is immutable and the token check thread-safe): here the Qt thread processes
// no events at all until the answers are in. Routed through the Qt thread,
// they would never come.
void TestGatewayAuthzen::decisionsDoNotWaitForTheQtThread()
{
    const QByteArray request =
        R"({"subject":{"type":"user","id":"alice@example.com"},"action":{"name":"get_user"},)"
        R"("resource":{"type":"tool","id":"directory/get_user"}})";
    const QByteArray json = "Content-Type: application/json\r\n";
    auto allowed = post("/access/v1/evaluation", request,
                        json + "Authorization: Bearer " + m_adminToken + "\r\n");
    auto refused = post("/access/v1/evaluations", request, json);
    auto searched = post("/access/v1/search/action",
                         R"({"subject":{"type":"user","id":"alice@example.com"},)"
                         R"("resource":{"type":"tool","id":"directory/get_user"}})",
                         json + "Authorization: Bearer " + m_adminToken + "\r\n");
    QCOMPARE(allowed.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    QCOMPARE(refused.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    QCOMPARE(searched.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    const QByteArray allowedReply = allowed.get();
    QVERIFY2(allowedReply.startsWith("HTTP/1.1 200"), allowedReply.constData());
    QVERIFY(allowedReply.endsWith(R"({"decision":true})"));
    const QByteArray refusedReply = refused.get();
    QVERIFY2(refusedReply.startsWith("HTTP/1.1 401"), refusedReply.constData());
    QVERIFY(refusedReply.contains("an admin bearer token is required"));
    const QByteArray searchedReply = searched.get();
    QVERIFY2(searchedReply.startsWith("HTTP/1.1 200"), searchedReply.constData());
    QVERIFY2(searchedReply.contains(R"("results":[)"), searchedReply.constData());
}

// 401 and 400 carry the caller's X-Request-ID on the I/O thread (the Qt
// thread's routes answer the same through PdpEndpoints: test_pdp_endpoints),
// and a body that is valid JSON is still refused without Content-Type:
// application/json.
void TestGatewayAuthzen::errorsEchoTheRequestIdOnBothPaths()
{
    const QByteArray request =
        R"({"subject":{"type":"user","id":"alice@example.com"},"action":{"name":"get_user"},)"
        R"("resource":{"type":"tool","id":"directory/get_user"}})";
    const QByteArray token = "Authorization: Bearer " + m_adminToken + "\r\n";
    const QByteArray id = "X-Request-ID: req-err-1\r\n";
    struct Case {
        QByteArray path;
        QByteArray headers;
        QByteArray status;
    };
    const QList<Case> cases{
        {"/access/v1/evaluation", id + "Content-Type: application/json\r\n", "401"},
        {"/access/v1/evaluation", id + token + "Content-Type: text/plain\r\n", "400"},
        {"/access/v1/evaluation", id + token, "400"},
        {"/access/v1/evaluations", id + token + "Content-Type: text/plain\r\n", "400"},
        {"/access/v1/search/subject", id + token, "400"},
        {"/access/v1/search/subject", id + "Content-Type: application/json\r\n", "401"},
        // Percent-encoded: the same endpoint once decoded.
        {"/access/v1/evaluatio%6E", id + token + "Content-Type: text/plain\r\n", "400"},
        {"/access/v1/evaluatio%6E", id + "Content-Type: application/json\r\n", "401"},
        {"/access/v1/evaluatio%6E", id + token + "Content-Type: application/json\r\n", "200"},
    };
    for (const Case &item : cases) {
        auto answer = post(item.path, request, item.headers);
        QCOMPARE(answer.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        const QByteArray reply = answer.get();
        const QByteArray statusLine = "HTTP/1.1 " + item.status;
        const QByteArray what = item.path + ": " + reply;
        QVERIFY2(reply.startsWith(statusLine), what.constData());
        QVERIFY2(reply.contains("\r\nX-Request-ID: req-err-1\r\n")
                     || reply.contains("\r\nx-request-id: req-err-1\r\n"),
                 reply.constData());
        if (item.status == "401")
            QVERIFY2(reply.contains("WWW-Authenticate: Bearer"), reply.constData());
    }
}

// The demo configuration's users and tools are the directory the searches
// walk (gateway.yaml users:, and no resources: or actions: listed there).
void TestGatewayAuthzen::searchesAnswerFromTheDirectory()
{
    const QJsonObject body = QJsonDocument::fromJson(R"({
        "subject": {"type": "user"},
        "action": {"name": "list_users"},
        "resource": {"type": "tool", "id": "directory/list_users"}})")
                                 .object();
    Reply reply = call("POST", QStringLiteral("/access/v1/search/subject"), body);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.requestId, QByteArray("req-42"));
    const auto &directory = m_fixture->gateway().pdp()->directory();
    QJsonArray expected;
    for (const auto *user : directory.subjects(QStringLiteral("user"))) {
        gateway::AccessRequest access;
        access.subject = {QStringLiteral("user"), user->id, {}};
        access.action = {QStringLiteral("list_users"), {}};
        access.resource = {QStringLiteral("tool"), QStringLiteral("directory/list_users"), {}};
        if (m_fixture->gateway().pdp()->evaluate(access).isAllow())
            expected.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                                        {QStringLiteral("id"), user->id}});
    }
    QVERIFY(!expected.isEmpty());
    QCOMPARE(reply.body.value(QStringLiteral("results")).toArray(), expected);
    QCOMPARE(reply.body.value(QStringLiteral("page"))
                 .toObject()
                 .value(QStringLiteral("next_token"))
                 .toString(),
             QString());
    QCOMPARE(call("POST", QStringLiteral("/access/v1/search/subject"), body, false).status, 401);
}

QTEST_GUILESS_MAIN(TestGatewayAuthzen)
#include "test_gateway_authzen.moc"
