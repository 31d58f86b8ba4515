#include "gateway/keys/signingkey.h"
#include "gatewayfixture.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>

using namespace countersign;
using namespace countersign::testing;

// The whole gateway configured as an MCP proxy (agents:, upstreams:,
// policy:) with the example directory server as its stdio upstream.
class TestGatewayMcp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void agentListsAndCallsAllowedTools();
    void refusesUnknownAgentKey();
    void refusesUpstreamsWithoutPolicy();

private:
    struct Reply {
        int status = 0;
        QJsonObject body;
        QByteArray session;
    };
    Reply post(const QJsonObject &message, const QByteArray &key, const QByteArray &session = {});

    QTemporaryDir m_dir;
    std::unique_ptr<GatewayFixture> m_fixture;
    QNetworkAccessManager m_network;
};

void TestGatewayMcp::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString jwks = m_dir.filePath(QStringLiteral("jwks.json"));
    QFile jwksFile(jwks);
    QVERIFY(jwksFile.open(QIODevice::WriteOnly));
    jwksFile.write(
        QJsonDocument(gateway::SigningKey::jwks(EcPrivateKey::generate()->publicKey())).toJson());
    jwksFile.close();
    const QByteArray keyHash =
        QCryptographicHash::hash("demo-agent-key", QCryptographicHash::Sha256).toHex();
    const QString yaml =
        QStringLiteral("listen: 127.0.0.1:0\nusers: [alice@example.com]\n"
                       "policy:\n  file: %1\n"
                       "agents:\n  - name: countersign-agent\n    user: alice@example.com\n"
                       "    key_sha256: %2\n"
                       "upstreams:\n  - name: directory\n    command: [%3, --users, %4, --seed, "
                       "--stdio, --jwks-file, %5, --issuer, x, --audience, directory]\n")
            .arg(QStringLiteral(COUNTERSIGN_DEMO_POLICY), QString::fromLatin1(keyHash),
                 QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY),
                 m_dir.filePath(QStringLiteral("users.json")), jwks);
    m_fixture = std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, yaml.toUtf8());
    QVERIFY(m_fixture->start());
}

TestGatewayMcp::Reply TestGatewayMcp::post(const QJsonObject &message, const QByteArray &key,
                                           const QByteArray &session)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    request.setRawHeader("Authorization", "Bearer " + key);
    if (!session.isEmpty()) {
        request.setRawHeader("Mcp-Session-Id", session);
        request.setRawHeader("MCP-Protocol-Version", "2025-06-18");
    }
    QNetworkReply *reply = m_network.post(request, QJsonDocument(message).toJson());
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000); }();
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(reply->readAll()).object(),
                 reply->rawHeader("Mcp-Session-Id")};
    reply->deleteLater();
    return result;
}

void TestGatewayMcp::agentListsAndCallsAllowedTools()
{
    const Reply init =
        post(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":1,"method":"initialize",
        "params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},
                  "clientInfo":{"name":"test","version":"1"}}})")
                 .object(),
             "demo-agent-key");
    QCOMPARE(init.status, 200);
    QVERIFY(!init.session.isEmpty());

    const Reply tools =
        post(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})").object(),
             "demo-agent-key", init.session);
    QCOMPARE(tools.status, 200);
    QStringList names;
    for (const QJsonValue &tool : tools.body.value(QStringLiteral("result"))
                                      .toObject()
                                      .value(QStringLiteral("tools"))
                                      .toArray())
        names.append(tool.toObject().value(QStringLiteral("name")).toString());
    names.sort();
    QCOMPARE(names,
             (QStringList{QStringLiteral("disable_user"), QStringLiteral("enable_user"),
                          QStringLiteral("get_user"), QStringLiteral("list_users")}));

    const Reply list =
        post(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":3,"method":"tools/call",
        "params":{"name":"list_users","arguments":{}}})")
                 .object(),
             "demo-agent-key", init.session);
    QCOMPARE(list.status, 200);
    const QString text = QString::fromUtf8(QJsonDocument(list.body).toJson());
    QVERIFY2(text.contains(u"alice") && text.contains(u"carol"), qPrintable(text));

    const Reply denied =
        post(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":4,"method":"tools/call",
        "params":{"name":"delete_user","arguments":{"user":"bob"}}})")
                 .object(),
             "demo-agent-key", init.session);
    QCOMPARE(
        denied.body.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32001);
}

void TestGatewayMcp::refusesUnknownAgentKey()
{
    const Reply reply =
        post(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":1,"method":"ping"})").object(),
             "not-the-key");
    QCOMPARE(reply.status, 401);
}

void TestGatewayMcp::refusesUpstreamsWithoutPolicy()
{
    auto config =
        gateway::GatewayConfig::parse("listen: 127.0.0.1:0\nusers: [a@example.com]\n"
                                      "upstreams:\n  - name: directory\n    command: [/bin/true]\n",
                                      QStringLiteral("nopolicy.yaml"));
    QVERIFY(config.ok());
    ManualClock clock;
    QTemporaryDir dir;
    const auto runtime = gateway::GatewayRuntime::start(config.value(), dir.path(), clock);
    QVERIFY(!runtime.ok());
    QVERIFY(runtime.error().message.contains(u"policy"));
}

QTEST_GUILESS_MAIN(TestGatewayMcp)
#include "test_gateway_mcp.moc"
