#include "gateway/mcp/agentdirectory.h"
#include "gateway/mcp/upstreamconfig.h"

#include <QCryptographicHash>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The agents: and upstreams: sections, as GatewayConfig hands them over
// (the section's YAML text and the line it starts on).
class TestMcpConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void agentsAreRead();
    void agentErrorsNameFileAndLine_data();
    void agentErrorsNameFileAndLine();
    void authenticateComparesKeyHashes();
    void upstreamsAreRead();
    void httpUpstreamsAreRead();
    void upstreamErrorsNameFileAndLine_data();
    void upstreamErrorsNameFileAndLine();
};

namespace {

QByteArray sha256Hex(const QByteArray &key)
{
    return QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex();
}

const QString configPath = QStringLiteral("/etc/countersign/gateway.yaml");

} // namespace

void TestMcpConfig::agentsAreRead()
{
    const QByteArray yaml =
        "- name: claude\n  user: alice@example.com\n  key_sha256: " + sha256Hex("key-1")
        + "\n- name: cursor\n  user: bob\n  key_sha256: " + sha256Hex("key-2") + "\n";
    const auto agents = AgentDirectory::fromConfigSection(yaml, 10, configPath);
    QVERIFY2(agents.ok(), agents.ok() ? "" : qPrintable(agents.error().message));
    QCOMPARE(agents->agents().size(), 2);
    QCOMPARE(agents->agents()[0].name, QStringLiteral("claude"));
    QCOMPARE(agents->agents()[0].userId, QStringLiteral("alice@example.com"));
    QCOMPARE(agents->agents()[1].keySha256,
             QCryptographicHash::hash("key-2", QCryptographicHash::Sha256));
}

void TestMcpConfig::agentErrorsNameFileAndLine_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected");
    const QByteArray hash = sha256Hex("k");
    QTest::newRow("not a list") << QByteArray("name: x\n")
                                << QStringLiteral("gateway.yaml:20: agents:");
    QTest::newRow("missing key") << QByteArray("- name: a\n  user: alice\n")
                                 << QStringLiteral(
                                        "gateway.yaml:20: agents[0].key_sha256: is required");
    QTest::newRow("unknown key") << QByteArray("- name: a\n  user: alice\n  key_sha256: " + hash
                                               + "\n  key: secret\n")
                                 << QStringLiteral("gateway.yaml:23: agents[0]");
    QTest::newRow("short hash") << QByteArray("- name: a\n  user: alice\n  key_sha256: abc\n")
                                << QStringLiteral("gateway.yaml:22: agents[0].key_sha256: must be "
                                                  "64 hex digits");
    QTest::newRow("bad name") << QByteArray("- name: a b\n  user: alice\n  key_sha256: " + hash
                                            + "\n")
                              << QStringLiteral("gateway.yaml:20: agents[0].name:");
    QTest::newRow("duplicate name")
        << QByteArray("- name: a\n  user: alice\n  key_sha256: " + hash
                      + "\n- name: a\n  user: bob\n  key_sha256: " + sha256Hex("other") + "\n")
        << QStringLiteral("gateway.yaml:23: agents[1].name: \"a\" is already used");
    QTest::newRow("duplicate key")
        << QByteArray("- name: a\n  user: alice\n  key_sha256: " + hash
                      + "\n- name: b\n  user: bob\n  key_sha256: " + hash + "\n")
        << QStringLiteral("gateway.yaml:25: agents[1].key_sha256: is the same");
}

void TestMcpConfig::agentErrorsNameFileAndLine()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto agents = AgentDirectory::fromConfigSection(yaml, 20, QStringLiteral("gateway.yaml"));
    QVERIFY(!agents.ok());
    QVERIFY2(agents.error().message.startsWith(expected), qPrintable(agents.error().message));
}

void TestMcpConfig::authenticateComparesKeyHashes()
{
    const AgentDirectory agents(
        {McpAgent{QStringLiteral("claude"), QStringLiteral("alice"),
                  QCryptographicHash::hash("right-key", QCryptographicHash::Sha256)}});
    const auto agent = agents.authenticate("Bearer right-key");
    QVERIFY(agent);
    QCOMPARE(agent->name, QStringLiteral("claude"));
    QVERIFY(agents.authenticate("bearer right-key"));
    QVERIFY(!agents.authenticate("Bearer wrong-key"));
    QVERIFY(!agents.authenticate("Basic right-key"));
    QVERIFY(!agents.authenticate("Bearer "));
    QVERIFY(!agents.authenticate({}));
    QVERIFY(!AgentDirectory().authenticate("Bearer right-key"));
}

void TestMcpConfig::upstreamsAreRead()
{
    const QByteArray yaml = "- name: directory\n  command: [./bin/countersign-directory, --stdio, "
                            "--seed]\n- name: other\n  command: [python3]\n";
    const auto upstreams = UpstreamConfig::fromConfigSection(yaml, 40, configPath);
    QVERIFY2(upstreams.ok(), upstreams.ok() ? "" : qPrintable(upstreams.error().message));
    QCOMPARE(upstreams->size(), 2);
    QCOMPARE(upstreams->at(0).name, QStringLiteral("directory"));
    QCOMPARE(upstreams->at(0).program,
             QStringLiteral("/etc/countersign/bin/countersign-directory"));
    QCOMPARE(upstreams->at(0).arguments,
             QStringList({QStringLiteral("--stdio"), QStringLiteral("--seed")}));
    QCOMPARE(upstreams->at(1).program, QStringLiteral("python3")); // PATH lookup
    QCOMPARE(upstreams->at(0).audience, QStringLiteral("directory"));
    QVERIFY(upstreams->at(0).url.isEmpty());
}

void TestMcpConfig::httpUpstreamsAreRead()
{
    const QByteArray yaml = "- name: remote\n  url: https://MCP.example.com:8443/mcp\n"
                            "- name: local\n  url: http://127.0.0.1:8766/mcp\n"
                            "  audience: urn:example:directory\n"
                            "- name: v6\n  url: http://[::1]:8766/mcp\n"
                            "- name: named\n  url: http://localhost/mcp\n"
                            "- name: child\n  command: [python3]\n  audience: child-aud\n";
    const auto upstreams = UpstreamConfig::fromConfigSection(yaml, 40, configPath);
    QVERIFY2(upstreams.ok(), upstreams.ok() ? "" : qPrintable(upstreams.error().message));
    QCOMPARE(upstreams->size(), 5);
    const UpstreamConfig &remote = upstreams->at(0);
    QCOMPARE(remote.url, QUrl(QStringLiteral("https://mcp.example.com:8443/mcp")));
    QVERIFY(remote.program.isEmpty());
    QVERIFY(remote.arguments.isEmpty());
    // The audience defaults to the url exactly as written: the server
    // compares `aud` with what its operator typed.
    QCOMPARE(remote.audience, QStringLiteral("https://MCP.example.com:8443/mcp"));
    QCOMPARE(upstreams->at(1).audience, QStringLiteral("urn:example:directory"));
    QCOMPARE(upstreams->at(1).url.port(), 8766);
    QCOMPARE(upstreams->at(2).url.host(), QStringLiteral("::1"));
    QCOMPARE(upstreams->at(3).url.host(), QStringLiteral("localhost"));
    QCOMPARE(upstreams->at(4).program, QStringLiteral("python3"));
    QCOMPARE(upstreams->at(4).audience, QStringLiteral("child-aud"));
    QVERIFY(upstreams->at(4).url.isEmpty());
}

void TestMcpConfig::upstreamErrorsNameFileAndLine_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("command and url")
        << QByteArray("- name: x\n  command: [x]\n  url: https://mcp.example.com/mcp\n")
        << QStringLiteral("gateway.yaml:42: upstreams[0].url: cannot be given with command:");
    QTest::newRow("neither command nor url")
        << QByteArray("- name: x\n  audience: a\n")
        << QStringLiteral("gateway.yaml:40: upstreams[0]: needs command: [program, arguments...] "
                          "(stdio) or url: (Streamable HTTP)");
    QTest::newRow("missing name") << QByteArray("- url: https://mcp.example.com/mcp\n")
                                  << QStringLiteral("gateway.yaml:40: upstreams[0].name: is "
                                                    "required");
    QTest::newRow("http to another host")
        << QByteArray("- name: remote\n  url: http://mcp.example.com/mcp\n")
        << QStringLiteral("gateway.yaml:41: upstreams[0].url: \"http://mcp.example.com/mcp\" "
                          "must use https");
    QTest::newRow("http to a private address")
        << QByteArray("- name: remote\n  url: http://10.0.0.5:8080/mcp\n")
        << QStringLiteral("gateway.yaml:41: upstreams[0].url: \"http://10.0.0.5:8080/mcp\" must "
                          "use https");
    QTest::newRow("bad scheme") << QByteArray("- name: r\n  url: ftp://mcp.example.com/mcp\n")
                                << QStringLiteral("gateway.yaml:41: upstreams[0].url: "
                                                  "\"ftp://mcp.example.com/mcp\" is not an "
                                                  "http(s) URL");
    QTest::newRow("no scheme") << QByteArray("- name: r\n  url: mcp.example.com/mcp\n")
                               << QStringLiteral("gateway.yaml:41: upstreams[0].url: "
                                                 "\"mcp.example.com/mcp\" is not an http(s) URL");
    QTest::newRow("no host") << QByteArray("- name: r\n  url: \"https:///mcp\"\n")
                             << QStringLiteral(
                                    "gateway.yaml:41: upstreams[0].url: \"https:///mcp\" "
                                    "is not an http(s) URL");
    QTest::newRow("credentials in url")
        << QByteArray("- name: r\n  url: https://user:secret@mcp.example.com/mcp\n")
        << QStringLiteral("gateway.yaml:41: upstreams[0].url: must not contain a user name or "
                          "password");
    QTest::newRow("url list") << QByteArray("- name: r\n  url: [https://a.example.com]\n")
                              << QStringLiteral("gateway.yaml:41: upstreams[0].url: expected a "
                                                "single value");
    QTest::newRow("empty audience")
        << QByteArray("- name: x\n  command: [x]\n  audience: \"\"\n")
        << QStringLiteral("gateway.yaml:42: upstreams[0].audience: must not be empty");
    QTest::newRow("audience list")
        << QByteArray("- name: x\n  url: https://a.example.com/mcp\n  audience: [a, b]\n")
        << QStringLiteral("gateway.yaml:42: upstreams[0].audience: expected a single value");
    QTest::newRow("command not a list")
        << QByteArray("- name: x\n  command: ./server --stdio\n")
        << QStringLiteral("gateway.yaml:41: upstreams[0].command: must be a non-empty list");
    QTest::newRow("separator in name") << QByteArray("- name: a__b\n  command: [x]\n")
                                       << QStringLiteral("gateway.yaml:40: upstreams[0].name:");
    QTest::newRow("duplicate")
        << QByteArray("- name: a\n  command: [x]\n- name: a\n  command: [y]\n")
        << QStringLiteral("gateway.yaml:42: upstreams[1].name: \"a\" is already used");
    QTest::newRow("empty list") << QByteArray("[]\n")
                                << QStringLiteral("gateway.yaml:40: upstreams:");
}

void TestMcpConfig::upstreamErrorsNameFileAndLine()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto upstreams =
        UpstreamConfig::fromConfigSection(yaml, 40, QStringLiteral("gateway.yaml"));
    QVERIFY(!upstreams.ok());
    QVERIFY2(upstreams.error().message.startsWith(expected), qPrintable(upstreams.error().message));
}

QTEST_GUILESS_MAIN(TestMcpConfig)
#include "test_mcp_config.moc"
