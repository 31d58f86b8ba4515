#include "directorytestkit.h"
#include "protocol/clock.h"
#include "tests/support/freeport.h"

#include <QHttpServer>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::testing;

// The real countersign-directory program over Streamable HTTP on a loopback
// port: sessions, protocol versions, bearer elevated tokens, JWKS by URL.
class TestDirectoryHttp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void initializeAnswersWithASessionId();
    void requestWithoutSessionIs400();
    void unknownSessionIs404();
    void protocolVersionHeader_data();
    void protocolVersionHeader();
    void notificationIs202();
    void getIs405();
    void originOfAWebPageIs403();
    void readToolsWork();
    void disableWithoutTokenIsRefusedAndTheFileIsUnchanged();
    void disableWithABearerTokenDisablesAliceOnce();
    void enableWithABearerTokenEnablesAlice();
    void tokenInMetaIsNotAcceptedOverHttp();
    void malformedMessagesAre400AndTheServerKeepsServing();
    void deleteEndsTheSession();
    void keysAreFetchedFromTheJwksUrl();
    void unreachableJwksUrlFailsTheCallCleanly();

private:
    struct Reply {
        int status = 0;
        QByteArray sessionId;
        QByteArray contentType;
        QByteArray body;
        QJsonObject json;
    };
    using Headers = QList<std::pair<QByteArray, QByteArray>>;

    quint16 startServer(QProcess &process, const QStringList &jwksArguments, const QString &users);
    Reply send(quint16 port, const QByteArray &verb, const QByteArray &body, Headers headers);
    Reply post(const QJsonObject &message, Headers headers = {});
    Reply postWithSession(const QJsonObject &message, const QByteArray &token = {});
    QByteArray initialize(quint16 port);

    QTemporaryDir m_dir;
    QString m_users;
    QString m_jwks;
    std::optional<EcPrivateKey> m_key;
    SystemClock m_clock;
    QProcess m_server;
    quint16 m_port = 0;
    QByteArray m_session;
    QNetworkAccessManager m_network;
};

quint16 TestDirectoryHttp::startServer(QProcess &process, const QStringList &jwksArguments,
                                       const QString &users)
{
    process.setReadChannel(QProcess::StandardError);
    process.start(QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY),
                  QStringList{QStringLiteral("--users"), users, QStringLiteral("--seed"),
                              QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                              QStringLiteral("--issuer"), directoryIssuer,
                              QStringLiteral("--audience"), directoryAudience}
                      + jwksArguments);
    if (!process.waitForStarted())
        return 0;
    // Port 0: the server picks a free port and prints it, so there is no
    // race between probing a port and binding it.
    static const QRegularExpression listening(
        QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)/mcp"));
    for (QByteArray line = readLine(process); !line.isEmpty(); line = readLine(process)) {
        const auto match = listening.match(QString::fromUtf8(line));
        if (match.hasMatch())
            return match.captured(1).toUShort();
    }
    return 0;
}

void TestDirectoryHttp::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_users = m_dir.filePath(QStringLiteral("users.json"));
    m_jwks = m_dir.filePath(QStringLiteral("jwks.json"));
    m_key = EcPrivateKey::generate().value();
    QVERIFY(writeJwksFile(m_jwks, m_key->publicKey()));
    m_port = startServer(m_server, {QStringLiteral("--jwks-file"), m_jwks}, m_users);
    QVERIFY(m_port != 0);
    m_session = initialize(m_port);
    QVERIFY(!m_session.isEmpty());
}

void TestDirectoryHttp::cleanupTestCase()
{
    m_server.terminate();
    QVERIFY(m_server.waitForFinished(10'000));
    QCOMPARE(m_server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_server.exitCode(), 0);
}

TestDirectoryHttp::Reply TestDirectoryHttp::send(quint16 port, const QByteArray &verb,
                                                 const QByteArray &body, Headers headers)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = m_network.sendCustomRequest(request, verb, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    Reply result;
    if (!finished.wait(15'000))
        return result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.sessionId = reply->rawHeader("Mcp-Session-Id");
    result.contentType = reply->rawHeader("Content-Type");
    result.body = reply->readAll();
    result.json = QJsonDocument::fromJson(result.body).object();
    reply->deleteLater();
    return result;
}

TestDirectoryHttp::Reply TestDirectoryHttp::post(const QJsonObject &message, Headers headers)
{
    return send(m_port, "POST", QJsonDocument(message).toJson(QJsonDocument::Compact),
                std::move(headers));
}

TestDirectoryHttp::Reply TestDirectoryHttp::postWithSession(const QJsonObject &message,
                                                            const QByteArray &token)
{
    Headers headers{{"Mcp-Session-Id", m_session}, {"MCP-Protocol-Version", "2025-11-25"}};
    if (!token.isEmpty())
        headers.append({"Authorization", "Bearer " + token});
    return post(message, headers);
}

QByteArray TestDirectoryHttp::initialize(quint16 port)
{
    const Reply reply = send(port, "POST",
                             QJsonDocument(request(1, QStringLiteral("initialize"),
                                                   initializeParams(QStringLiteral("2025-11-25"))))
                                 .toJson(QJsonDocument::Compact),
                             {});
    return reply.status == 200 ? reply.sessionId : QByteArray();
}

void TestDirectoryHttp::initializeAnswersWithASessionId()
{
    const Reply reply = post(
        request(1, QStringLiteral("initialize"), initializeParams(QStringLiteral("2025-06-18"))));
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.contentType.startsWith("application/json"));
    QVERIFY(reply.sessionId.size() >= 32);
    QVERIFY(reply.sessionId != m_session);
    for (const char c : reply.sessionId)
        QVERIFY(c >= 0x21 && c <= 0x7E);
    QCOMPARE(reply.json.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("protocolVersion"))
                 .toString(),
             QStringLiteral("2025-06-18"));
}

void TestDirectoryHttp::requestWithoutSessionIs400()
{
    const Reply reply = post(request(2, QStringLiteral("tools/list")));
    QCOMPARE(reply.status, 400);
    QVERIFY(reply.json.value(QStringLiteral("error"))
                .toObject()
                .value(u"message")
                .toString()
                .contains(u"Mcp-Session-Id"));
}

void TestDirectoryHttp::unknownSessionIs404()
{
    const Reply reply =
        post(request(3, QStringLiteral("tools/list")), {{"Mcp-Session-Id", "not-a-session"}});
    QCOMPARE(reply.status, 404);
}

void TestDirectoryHttp::protocolVersionHeader_data()
{
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<int>("status");
    QTest::newRow("2025-11-25") << QByteArray("2025-11-25") << 200;
    QTest::newRow("2025-06-18") << QByteArray("2025-06-18") << 200;
    QTest::newRow("2025-03-26") << QByteArray("2025-03-26") << 200;
    QTest::newRow("2024-11-05") << QByteArray("2024-11-05") << 400;
    QTest::newRow("nonsense") << QByteArray("latest") << 400;
}

void TestDirectoryHttp::protocolVersionHeader()
{
    QFETCH(QByteArray, version);
    QFETCH(int, status);
    const Reply reply = post(request(4, QStringLiteral("ping")),
                             {{"Mcp-Session-Id", m_session}, {"MCP-Protocol-Version", version}});
    QCOMPARE(reply.status, status);
    if (status == 200)
        QCOMPARE(reply.json.value(QStringLiteral("id")).toInt(), 4);
}

void TestDirectoryHttp::notificationIs202()
{
    const Reply reply = postWithSession(
        QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                    {QStringLiteral("method"), QStringLiteral("notifications/initialized")}});
    QCOMPARE(reply.status, 202);
    QVERIFY(reply.body.isEmpty());
}

void TestDirectoryHttp::getIs405()
{
    const Reply reply = send(m_port, "GET", {}, {{"Mcp-Session-Id", m_session}});
    QCOMPARE(reply.status, 405);
}

void TestDirectoryHttp::originOfAWebPageIs403()
{
    const QByteArray ping = QJsonDocument(request(20, QStringLiteral("ping"))).toJson();
    QCOMPARE(send(m_port, "POST", ping,
                  {{"Mcp-Session-Id", m_session}, {"Origin", "https://evil.example.com"}})
                 .status,
             403);
    QCOMPARE(send(m_port, "POST", ping,
                  {{"Mcp-Session-Id", m_session}, {"Origin", "http://localhost:3000"}})
                 .status,
             200);
}

void TestDirectoryHttp::readToolsWork()
{
    const Reply tools = postWithSession(request(5, QStringLiteral("tools/list")));
    QCOMPARE(tools.status, 200);
    QCOMPARE(tools.json.value(QStringLiteral("result")).toObject().value(u"tools").toArray().size(),
             4);
    const Reply list = postWithSession(toolCall(6, QStringLiteral("list_users"), {}));
    QVERIFY(!isToolError(list.json));
    QVERIFY(resultText(list.json).contains(u"carol@example.com"));
    const Reply bob = postWithSession(
        toolCall(7, QStringLiteral("get_user"), userArguments(QStringLiteral("bob"))));
    QVERIFY(!isToolError(bob.json));
    QVERIFY(resultText(bob.json).contains(u"bob@example.com"));
    const Reply unknown = postWithSession(toolCall(8, QStringLiteral("nope"), {}));
    QCOMPARE(unknown.json.value(QStringLiteral("error")).toObject().value(u"code").toInt(), -32602);
}

void TestDirectoryHttp::disableWithoutTokenIsRefusedAndTheFileIsUnchanged()
{
    const QJsonObject before = readJsonFile(m_users);
    const Reply reply = postWithSession(
        toolCall(9, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))));
    QCOMPARE(reply.status, 200);
    QVERIFY(isToolError(reply.json));
    QVERIFY(resultText(reply.json).contains(u"Authorization: Bearer"));
    QCOMPARE(readJsonFile(m_users), before);
}

void TestDirectoryHttp::disableWithABearerTokenDisablesAliceOnce()
{
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("alice")));
    const Reply first = postWithSession(
        toolCall(10, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
        token);
    QVERIFY2(!isToolError(first.json), qPrintable(resultText(first.json)));
    QVERIFY(isDisabledInFile(m_users, QStringLiteral("alice")));

    const Reply replay = postWithSession(
        toolCall(11, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
        token);
    QVERIFY(isToolError(replay.json));
    QVERIFY(resultText(replay.json).contains(u"already used"));
}

void TestDirectoryHttp::enableWithABearerTokenEnablesAlice()
{
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("enable_user"),
                                       userArguments(QStringLiteral("alice")));
    const Reply reply = postWithSession(
        toolCall(12, QStringLiteral("enable_user"), userArguments(QStringLiteral("alice"))), token);
    QVERIFY2(!isToolError(reply.json), qPrintable(resultText(reply.json)));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("alice")));
}

void TestDirectoryHttp::tokenInMetaIsNotAcceptedOverHttp()
{
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("carol")));
    const Reply reply = postWithSession(toolCall(13, QStringLiteral("disable_user"),
                                                 userArguments(QStringLiteral("carol")), token));
    QVERIFY(isToolError(reply.json));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("carol")));
}

void TestDirectoryHttp::malformedMessagesAre400AndTheServerKeepsServing()
{
    const Headers headers{{"Mcp-Session-Id", m_session}};
    const Reply garbage = send(m_port, "POST", "{not json", headers);
    QCOMPARE(garbage.status, 400);
    QCOMPARE(garbage.json.value(QStringLiteral("error")).toObject().value(u"code").toInt(), -32700);
    const Reply invalid = send(m_port, "POST", R"({"jsonrpc":"2.0","id":14})", headers);
    QCOMPARE(invalid.status, 400);
    QCOMPARE(invalid.json.value(QStringLiteral("error")).toObject().value(u"code").toInt(), -32600);
    const Reply batch = send(m_port, "POST", "[]", headers);
    QCOMPARE(batch.status, 400);
    const Reply ping = postWithSession(request(15, QStringLiteral("ping")));
    QCOMPARE(ping.status, 200);
    QCOMPARE(ping.json.value(QStringLiteral("id")).toInt(), 15);
}

void TestDirectoryHttp::deleteEndsTheSession()
{
    const QByteArray session = initialize(m_port);
    QVERIFY(!session.isEmpty());
    QCOMPARE(send(m_port, "DELETE", {}, {{"Mcp-Session-Id", session}}).status, 200);
    QCOMPARE(send(m_port, "POST", QJsonDocument(request(16, QStringLiteral("ping"))).toJson(),
                  {{"Mcp-Session-Id", session}})
                 .status,
             404);
}

void TestDirectoryHttp::keysAreFetchedFromTheJwksUrl()
{
    // A stand-in for the gateway's /.well-known/jwks.json.
    QHttpServer gateway;
    int fetches = 0;
    const QJsonObject jwks = gateway::SigningKey::jwks(m_key->publicKey());
    gateway.route(QStringLiteral("/.well-known/jwks.json"), [&fetches, jwks] {
        ++fetches;
        return QHttpServerResponse(jwks);
    });
    const quint16 gatewayPort = gateway.listen(QHostAddress::LocalHost, 0);
    QVERIFY(gatewayPort != 0);

    QTemporaryDir dir;
    QProcess server;
    const quint16 port =
        startServer(server,
                    {QStringLiteral("--jwks-url"),
                     QStringLiteral("http://127.0.0.1:%1/.well-known/jwks.json").arg(gatewayPort)},
                    dir.filePath(QStringLiteral("users.json")));
    QVERIFY(port != 0);
    const QByteArray session = initialize(port);
    QVERIFY(!session.isEmpty());
    const Headers headers{{"Mcp-Session-Id", session}};
    for (const QString &user : {QStringLiteral("bob"), QStringLiteral("carol")}) {
        const QByteArray token =
            mintToken(*m_key, m_clock, QStringLiteral("disable_user"), userArguments(user));
        const Reply reply =
            send(port, "POST",
                 QJsonDocument(toolCall(17, QStringLiteral("disable_user"), userArguments(user)))
                     .toJson(),
                 headers + Headers{{"Authorization", "Bearer " + token}});
        QVERIFY2(!isToolError(reply.json), qPrintable(resultText(reply.json)));
    }
    // Fetched on first use, then kept while the key id is known.
    QCOMPARE(fetches, 1);
    server.terminate();
    QVERIFY(server.waitForFinished(10'000));
}

void TestDirectoryHttp::unreachableJwksUrlFailsTheCallCleanly()
{
    const quint16 closedPort = testing::freePort();
    QVERIFY(closedPort != 0);
    const QString url = QStringLiteral("http://127.0.0.1:%1/.well-known/jwks.json").arg(closedPort);
    QTemporaryDir dir;
    QProcess server;
    const quint16 port = startServer(server, {QStringLiteral("--jwks-url"), url},
                                     dir.filePath(QStringLiteral("users.json")));
    QVERIFY(port != 0);
    const QByteArray session = initialize(port);
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("alice")));
    const Reply reply = send(port, "POST",
                             QJsonDocument(toolCall(18, QStringLiteral("disable_user"),
                                                    userArguments(QStringLiteral("alice"))))
                                 .toJson(),
                             {{"Mcp-Session-Id", session}, {"Authorization", "Bearer " + token}});
    QCOMPARE(reply.status, 200);
    QVERIFY(isToolError(reply.json));
    QVERIFY2(resultText(reply.json)
                 .contains(QStringLiteral("cannot fetch the gateway's keys from ") + url),
             qPrintable(resultText(reply.json)));
    // Still serving.
    QCOMPARE(send(port, "POST", QJsonDocument(request(19, QStringLiteral("ping"))).toJson(),
                  {{"Mcp-Session-Id", session}})
                 .status,
             200);
    server.terminate();
    QVERIFY(server.waitForFinished(10'000));
}

QTEST_GUILESS_MAIN(TestDirectoryHttp)
#include "test_directory_http.moc"
