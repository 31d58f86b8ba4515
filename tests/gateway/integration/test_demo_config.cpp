#include "examples/agent-cli/mcphttpclient.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/freeport.h"

#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using countersign::agent::McpHttpClient;
using namespace countersign::testing;

// examples/demo/gateway.yaml as a newcomer runs it: the real
// countersign-gateway binary from the build's bin folder, which starts the
// directory server next to it as a stdio upstream with its users seeded in
// the data dir, and accepts the demo agent key. Only the port differs (serve
// --listen): a free one instead of the demo's 8780, which may be in use.
class TestDemoConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void demoAgentListsAndReadsUsers();
    void disableUserWaitsForAnApproval();

private:
    std::unique_ptr<McpHttpClient> client();

    QTemporaryDir m_dataDir;
    QProcess m_gateway;
    QString m_base; // http://127.0.0.1:PORT
    QUrl m_endpoint;
};

void TestDemoConfig::initTestCase()
{
    QVERIFY(m_dataDir.isValid());
    const quint16 port = freePort();
    QVERIFY(port != 0);
    m_base = QStringLiteral("http://127.0.0.1:%1").arg(port);
    m_endpoint = QUrl(m_base + QStringLiteral("/mcp"));
    m_gateway.setProgram(QStringLiteral(COUNTERSIGN_GATEWAY_BINARY));
    m_gateway.setArguments({QStringLiteral("serve"), QStringLiteral("--config"),
                            QStringLiteral(COUNTERSIGN_DEMO_CONFIG), QStringLiteral("--data-dir"),
                            m_dataDir.path(), QStringLiteral("--listen"),
                            QStringLiteral("127.0.0.1:%1").arg(port)});
    m_gateway.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_gateway.start();
    QVERIFY(m_gateway.waitForStarted());
    QNetworkAccessManager network;
    bool healthy = false;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     QNetworkReply *reply =
                         network.get(QNetworkRequest(QUrl(m_base + QStringLiteral("/healthz"))));
                     (void)QTest::qWaitFor([&] { return reply->isFinished(); }, 2000);
                     healthy = reply->error() == QNetworkReply::NoError;
                     reply->deleteLater();
                     return healthy || m_gateway.state() != QProcess::Running;
                 },
                 20000),
             qPrintable(QStringLiteral("the demo gateway did not come up on ") + m_base));
    QVERIFY2(healthy,
             qPrintable(QStringLiteral("the demo gateway exited (is ") + m_base
                        + QStringLiteral(" in use?)")));
}

void TestDemoConfig::cleanupTestCase()
{
    m_gateway.terminate();
    QVERIFY(m_gateway.waitForFinished(10000));
    QCOMPARE(m_gateway.exitStatus(), QProcess::NormalExit);
}

std::unique_ptr<McpHttpClient> TestDemoConfig::client()
{
    return initializedMcpClient(m_endpoint, "demo-agent-key");
}

void TestDemoConfig::demoAgentListsAndReadsUsers()
{
    auto mcp = client();
    QVERIFY(mcp);
    std::optional<McpHttpClient::Response> answer;
    mcp->request(QStringLiteral("tools/call"),
                 QJsonObject{{QStringLiteral("name"), QStringLiteral("list_users")},
                             {QStringLiteral("arguments"), QJsonObject{}}},
                 [&](const McpHttpClient::Response &response) { answer = response; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 20000);
    QVERIFY2(answer->ok(), qPrintable(answer->transportError));
    const QByteArray text = QJsonDocument(answer->result).toJson();
    for (const char *user : {"alice", "bob", "carol"})
        QVERIFY2(text.contains(user), text.constData());
    // Seeded where the config says: in the data dir.
    QVERIFY(QFile::exists(m_dataDir.filePath(QStringLiteral("directory-users.json"))));
}

void TestDemoConfig::disableUserWaitsForAnApproval()
{
    auto mcp = client();
    QVERIFY(mcp);
    QStringList progress;
    connect(mcp.get(), &McpHttpClient::notification, this, [&](const QJsonObject &message) {
        progress.append(message.value(QStringLiteral("params"))
                            .toObject()
                            .value(QStringLiteral("message"))
                            .toString());
    });
    std::optional<McpHttpClient::Response> answer;
    const qint64 id = mcp->request(
        QStringLiteral("tools/call"),
        QJsonObject{{QStringLiteral("name"), QStringLiteral("disable_user")},
                    {QStringLiteral("arguments"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}}},
                    {QStringLiteral("_meta"), QJsonObject{{QStringLiteral("progressToken"), 1}}}},
        [&](const McpHttpClient::Response &response) { answer = response; });
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty(), 20000);
    QVERIFY2(progress.first().contains(QStringLiteral("binding code")),
             qPrintable(progress.first()));
    // The demo's approval ends before the 60 s after which MCP clients with
    // default settings give up (docs/gateway.md, "Client timeouts").
    const auto waiting =
        QRegularExpression(QStringLiteral("Waiting (\\d+) s more")).match(progress.first());
    QVERIFY2(waiting.hasMatch(), qPrintable(progress.first()));
    QVERIFY2(waiting.captured(1).toInt() < 60, qPrintable(progress.first()));
    // Nobody is paired: it waits; nothing approves it.
    QVERIFY(!answer);
    mcp->abort(id);
}

QTEST_GUILESS_MAIN(TestDemoConfig)
#include "test_demo_config.moc"
