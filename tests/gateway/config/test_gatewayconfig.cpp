#include "gateway/config/gatewayconfig.h"
#include "gateway/mcp/agentdirectory.h"
#include "gateway/pdp/policy.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using std::chrono::seconds;

namespace {

const QString source = QStringLiteral("gateway.yaml");

QString dataFile(const QString &name)
{
    return QStringLiteral(COUNTERSIGN_TEST_DATA_DIR) + u'/' + name;
}

Result<GatewayConfig> parse(const QByteArray &yaml)
{
    return GatewayConfig::parse(yaml, source);
}

QString messageOf(const Result<GatewayConfig> &config)
{
    return config.ok() ? QStringLiteral("(parsed)") : config.error().message;
}

bool writeFile(const QString &path, const QByteArray &contents,
               QFileDevice::Permissions permissions = QFileDevice::ReadOwner
                   | QFileDevice::WriteOwner)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(contents) == contents.size()
        && file.setPermissions(permissions);
}

} // namespace

class TestGatewayConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void minimalFileGetsDefaults();
    void readsEveryKey();
    void exampleFileLoads();
    void loadResolvesPathsAgainstTheFilesDirectory();
    void loadReportsMissingFile();
    void listenForms_data();
    void listenForms();
    void publicUrlRules_data();
    void publicUrlRules();
    void durationsAndLimits_data();
    void durationsAndLimits();
    void edgeLimitsAreRead();
    void approvalLimitsAreRead();
    void errorsNameKeyPathAndLine_data();
    void errorsNameKeyPathAndLine();
    void tlsFiles_data();
    void tlsFiles();
    void adminTokenFile();
    void passkeyRpId_data();
    void passkeyRpId();
    void usersAreChecked_data();
    void usersAreChecked();
    void reservedSectionsAreKept();
    void neverCrashesOnHostileInput_data();
    void neverCrashesOnHostileInput();
    void refusesWhatNoConfigNeeds_data();
    void refusesWhatNoConfigNeeds();
    void nestingUpToTheLimitIsRead();
    void sectionsAreGuardedToo();
    void demoFilesStillLoad();

private:
    QTemporaryDir m_dir;
};

void TestGatewayConfig::minimalFileGetsDefaults()
{
    const auto config = parse("users: [alice@example.com]\n");
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->listenAddress, QHostAddress(QStringLiteral("127.0.0.1")));
    QCOMPARE(config->listenPort, quint16(8780));
    QCOMPARE(config->publicUrl, QUrl(QStringLiteral("http://127.0.0.1:8780")));
    QVERIFY(config->publicUrlDerived);
    QCOMPARE(config->name, QStringLiteral("Countersign gateway"));
    QVERIFY(!config->dataDir.has_value());
    QVERIFY(!config->tls.has_value());
    QCOMPARE(config->approvalTimeout, seconds(120));
    QCOMPARE(config->tokenTtl, seconds(60));
    QCOMPARE(config->pairingOfferTtl, seconds(600));
    QCOMPARE(config->maxPairingAttemptsPerMinute, 10);
    QVERIFY(!config->adminTokenFile.has_value());
    QVERIFY(config->passkeyRpId.isEmpty());
    QCOMPARE(config->users.size(), 1);
    QCOMPARE(config->users.first().id, QStringLiteral("alice@example.com"));
    QCOMPARE(config->users.first().displayName, QStringLiteral("alice@example.com"));
    QVERIFY(config->reserved.isEmpty());
}

void TestGatewayConfig::readsEveryKey()
{
    QVERIFY(m_dir.isValid());
    const QString tokenPath = m_dir.filePath(QStringLiteral("admin.token"));
    QVERIFY(writeFile(tokenPath, "s3cret-token\n"));
    const QByteArray yaml = "listen: \"[::1]:9443\"\n"
                            "public_url: https://gw.example.com/countersign/\n"
                            "name: Example Gateway\n"
                            "data_dir: /var/lib/countersign\n"
                            "tls:\n"
                            "  certificate: "
        + dataFile(QStringLiteral("ec-cert.pem")).toUtf8()
        + "\n"
          "  private_key: "
        + dataFile(QStringLiteral("ec-key.pem")).toUtf8()
        + "\n"
          "approvals:\n"
          "  timeout: 5m\n"
          "tokens:\n"
          "  ttl: 30\n"
          "pairing:\n"
          "  offer_ttl: 1h\n"
          "  max_attempts_per_minute: 3\n"
          "admin:\n"
          "  token_file: "
        + tokenPath.toUtf8()
        + "\n"
          "users:\n"
          "  - id: alice@example.com\n"
          "    display_name: Alice\n"
          "  - bob@example.com\n";
    const auto config = parse(yaml);
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->listenAddress, QHostAddress(QStringLiteral("::1")));
    QCOMPARE(config->listenPort, quint16(9443));
    QCOMPARE(config->publicUrl, QUrl(QStringLiteral("https://gw.example.com/countersign")));
    QVERIFY(!config->publicUrlDerived);
    QCOMPARE(config->name, QStringLiteral("Example Gateway"));
    QCOMPARE(config->dataDir, QStringLiteral("/var/lib/countersign"));
    QVERIFY(config->tls.has_value());
    QCOMPARE(config->tls->certificatePath, dataFile(QStringLiteral("ec-cert.pem")));
    QCOMPARE(config->tls->certificateChain.size(), 1);
    QCOMPARE(config->tls->certificateChain.first().subjectInfo(QSslCertificate::CommonName),
             QStringList{QStringLiteral("gw.example.com")});
    QCOMPARE(config->tls->privateKey.algorithm(), QSsl::Ec);
    QCOMPARE(config->approvalTimeout, seconds(300));
    QCOMPARE(config->tokenTtl, seconds(30));
    QCOMPARE(config->pairingOfferTtl, seconds(3600));
    QCOMPARE(config->maxPairingAttemptsPerMinute, 3);
    QCOMPARE(config->adminTokenFile, tokenPath);
    QCOMPARE(config->users.size(), 2);
    QCOMPARE(config->users.at(0).displayName, QStringLiteral("Alice"));
    QCOMPARE(config->users.at(1).id, QStringLiteral("bob@example.com"));
    QCOMPARE(config->users.at(1).displayName, QStringLiteral("bob@example.com"));
}

void TestGatewayConfig::exampleFileLoads()
{
    const auto config = GatewayConfig::load(QStringLiteral(COUNTERSIGN_EXAMPLE_CONFIG));
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->listenAddress, QHostAddress(QStringLiteral("127.0.0.1")));
    QCOMPARE(config->listenPort, quint16(8780));
    QCOMPARE(config->name, QStringLiteral("Countersign demo gateway"));
    // Inside the 60 s many MCP clients wait (docs/gateway.md, "Client timeouts").
    QCOMPARE(config->approvalTimeout, seconds(55));
    QCOMPARE(config->tokenTtl, seconds(60));
    QCOMPARE(config->users.size(), 1);
    QCOMPARE(config->users.first().id, QStringLiteral("alice@example.com"));
}

void TestGatewayConfig::loadResolvesPathsAgainstTheFilesDirectory()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir(m_dir.path()).mkpath(QStringLiteral("etc")));
    const QString path = m_dir.filePath(QStringLiteral("etc/gateway.yaml"));
    QVERIFY(writeFile(path, "data_dir: ../state\nusers: [alice@example.com]\n"));
    const auto config = GatewayConfig::load(path);
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->dataDir, QDir::cleanPath(m_dir.filePath(QStringLiteral("state"))));
}

void TestGatewayConfig::loadReportsMissingFile()
{
    const QString path = m_dir.filePath(QStringLiteral("does-not-exist.yaml"));
    const auto config = GatewayConfig::load(path);
    QVERIFY(!config.ok());
    QCOMPARE(config.error().code, ErrorCode::ConfigError);
    QVERIFY2(config.error().message.startsWith(QStringLiteral("cannot read ") + path),
             qPrintable(config.error().message));
}

void TestGatewayConfig::listenForms_data()
{
    QTest::addColumn<QByteArray>("listen");
    QTest::addColumn<QString>("publicUrl");
    QTest::newRow("ipv4") << QByteArray("127.0.0.1:8780")
                          << QStringLiteral("http://127.0.0.1:8780");
    QTest::newRow("ipv6") << QByteArray("\"[::1]:8780\"") << QStringLiteral("http://[::1]:8780");
    QTest::newRow("localhost") << QByteArray("localhost:8000")
                               << QStringLiteral("http://127.0.0.1:8000");
    QTest::newRow("port zero") << QByteArray("127.0.0.1:0") << QStringLiteral("http://127.0.0.1:0");
}

void TestGatewayConfig::listenForms()
{
    QFETCH(QByteArray, listen);
    QFETCH(QString, publicUrl);
    const auto config = parse("listen: " + listen + "\nusers: [alice@example.com]\n");
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->publicUrl.toString(), publicUrl);
    QVERIFY(config->publicUrlDerived);
}

void TestGatewayConfig::publicUrlRules_data()
{
    QTest::addColumn<QByteArray>("settings");
    QTest::addColumn<QString>("expected"); // the URL, or "!" + start of the error
    QTest::newRow("https anywhere") << QByteArray("public_url: https://gw.example.com")
                                    << QStringLiteral("https://gw.example.com");
    QTest::newRow("https with port, trailing slash")
        << QByteArray("public_url: https://gw.example.com:8443/")
        << QStringLiteral("https://gw.example.com:8443");
    QTest::newRow("http loopback") << QByteArray("public_url: http://localhost:8780")
                                   << QStringLiteral("http://localhost:8780");
    QTest::newRow("http ipv6 loopback")
        << QByteArray("public_url: http://[::1]:8780") << QStringLiteral("http://[::1]:8780");
    QTest::newRow("wildcard listen with public_url")
        << QByteArray("listen: 0.0.0.0:8780\npublic_url: https://gw.example.com")
        << QStringLiteral("https://gw.example.com");
    QTest::newRow("http to another machine")
        << QByteArray("public_url: http://gw.example.com")
        << QStringLiteral("!gateway.yaml:1: public_url: \"http://gw.example.com\" uses plain "
                          "http to a host that is not loopback");
    QTest::newRow("http from a wildcard listen")
        << QByteArray("listen: 0.0.0.0:8780\npublic_url: http://192.168.1.20:8780")
        << QStringLiteral("!gateway.yaml:2: public_url: \"http://192.168.1.20:8780\" uses plain");
    QTest::newRow("wildcard listen needs public_url")
        << QByteArray("listen: 0.0.0.0:8780")
        << QStringLiteral("!gateway.yaml:1: public_url: is required when listen is a wildcard");
    QTest::newRow("ftp") << QByteArray("public_url: ftp://gw.example.com")
                         << QStringLiteral("!gateway.yaml:1: public_url: \"ftp://gw.example.com\" "
                                           "must be an http or https URL");
    QTest::newRow("relative") << QByteArray("public_url: gw.example.com")
                              << QStringLiteral("!gateway.yaml:1: public_url: \"gw.example.com\" "
                                                "is not an absolute URL");
    QTest::newRow("query") << QByteArray("public_url: https://gw.example.com/?a=b")
                           << QStringLiteral("!gateway.yaml:1: public_url: "
                                             "\"https://gw.example.com/?a=b\" must not have a "
                                             "query or fragment");
    QTest::newRow("fragment") << QByteArray("public_url: https://gw.example.com/#x")
                              << QStringLiteral("!gateway.yaml:1: public_url: "
                                                "\"https://gw.example.com/#x\" must not have");
    QTest::newRow("user info") << QByteArray("public_url: https://bob@gw.example.com")
                               << QStringLiteral("!gateway.yaml:1: public_url: "
                                                 "\"https://bob@gw.example.com\" must not contain "
                                                 "user info");
    QTest::newRow("no host") << QByteArray("public_url: \"https://\"")
                             << QStringLiteral("!gateway.yaml:1: public_url: \"https://\"");
    QTest::newRow("a list") << QByteArray("public_url: [https://gw.example.com]")
                            << QStringLiteral("!gateway.yaml:1: public_url: expected a single "
                                              "value, found a list");
}

void TestGatewayConfig::passkeyRpId_data()
{
    QTest::addColumn<QByteArray>("settings");
    QTest::addColumn<QString>("expected"); // the rp id, or "!" and the error's start
    const QByteArray url = "public_url: https://gw.example.com\n";
    QTest::newRow("the host") << url + "passkeys:\n  rp_id: gw.example.com"
                              << QStringLiteral("gw.example.com");
    QTest::newRow("a parent domain, any case")
        << url + "passkeys:\n  rp_id: Example.COM" << QStringLiteral("example.com");
    QTest::newRow("empty section") << url + "passkeys: {}" << QString();
    QTest::newRow("another domain")
        << url + "passkeys:\n  rp_id: example.org"
        << QStringLiteral("!gateway.yaml:3: passkeys.rp_id: \"example.org\" must be a domain name");
    QTest::newRow("a suffix that is not a parent")
        << url + "passkeys:\n  rp_id: le.com"
        << QStringLiteral("!gateway.yaml:3: passkeys.rp_id: \"le.com\" must be a domain name");
    QTest::newRow("a URL") << url + "passkeys:\n  rp_id: https://gw.example.com"
                           << QStringLiteral("!gateway.yaml:3: passkeys.rp_id:");
    QTest::newRow("unknown key") << url + "passkeys:\n  origin: x"
                                 << QStringLiteral("!gateway.yaml:3: passkeys.origin: unknown key");
}

void TestGatewayConfig::passkeyRpId()
{
    QFETCH(QByteArray, settings);
    QFETCH(QString, expected);
    const auto config = parse(settings + "\nusers: [alice@example.com]\n");
    if (expected.startsWith(u'!')) {
        QVERIFY(!config.ok());
        QVERIFY2(config.error().message.startsWith(expected.mid(1)),
                 qPrintable(config.error().message));
    } else {
        QVERIFY2(config.ok(), qPrintable(messageOf(config)));
        QCOMPARE(config->passkeyRpId, expected);
    }
}

void TestGatewayConfig::publicUrlRules()
{
    QFETCH(QByteArray, settings);
    QFETCH(QString, expected);
    const auto config = parse(settings + "\nusers: [alice@example.com]\n");
    if (expected.startsWith(u'!')) {
        QVERIFY(!config.ok());
        QCOMPARE(config.error().code, ErrorCode::ConfigError);
        QVERIFY2(config.error().message.startsWith(expected.mid(1)),
                 qPrintable(config.error().message));
    } else {
        QVERIFY2(config.ok(), qPrintable(messageOf(config)));
        QCOMPARE(config->publicUrl.toString(), expected);
        QVERIFY(!config->publicUrlDerived);
    }
}

void TestGatewayConfig::durationsAndLimits_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // "" when accepted
    QTest::newRow("timeout minimum") << QByteArray("approvals:\n  timeout: 10s") << QString();
    QTest::newRow("timeout maximum") << QByteArray("approvals:\n  timeout: 1h") << QString();
    QTest::newRow("timeout below")
        << QByteArray("approvals:\n  timeout: 5s")
        << QStringLiteral("gateway.yaml:2: approvals.timeout: \"5s\" is below the minimum 10s");
    QTest::newRow("timeout above")
        << QByteArray("approvals:\n  timeout: 61m")
        << QStringLiteral("gateway.yaml:2: approvals.timeout: \"61m\" is above the maximum 1h");
    QTest::newRow("ttl below") << QByteArray("tokens:\n  ttl: 4")
                               << QStringLiteral("gateway.yaml:2: tokens.ttl: \"4\" is below "
                                                 "the minimum 5s");
    QTest::newRow("ttl above") << QByteArray("tokens:\n  ttl: 16m")
                               << QStringLiteral("gateway.yaml:2: tokens.ttl: \"16m\" is above "
                                                 "the maximum 15m");
    QTest::newRow("offer below") << QByteArray("pairing:\n  offer_ttl: 59s")
                                 << QStringLiteral("gateway.yaml:2: pairing.offer_ttl: \"59s\" "
                                                   "is below the minimum 1m");
    QTest::newRow("offer above") << QByteArray("pairing:\n  offer_ttl: 25h")
                                 << QStringLiteral("gateway.yaml:2: pairing.offer_ttl: \"25h\" "
                                                   "is above the maximum 24h");
    QTest::newRow("not a duration")
        << QByteArray("\n\napprovals:\n  timeout: soon")
        << QStringLiteral("gateway.yaml:4: approvals.timeout: \"soon\" is not a duration (write "
                          "seconds, or a number followed by s, m or h: \"90s\", \"2m\", \"1h\")");
    QTest::newRow("negative") << QByteArray("approvals: {timeout: -30}")
                              << QStringLiteral("gateway.yaml:1: approvals.timeout: \"-30\" is "
                                                "not a duration");
    QTest::newRow("empty value") << QByteArray("approvals:\n  timeout:\n")
                                 << QStringLiteral("gateway.yaml:2: approvals.timeout: needs a "
                                                   "value");
    QTest::newRow("attempts") << QByteArray("pairing:\n  max_attempts_per_minute: 1000")
                              << QString();
    QTest::newRow("attempts zero")
        << QByteArray("pairing:\n  max_attempts_per_minute: 0")
        << QStringLiteral("gateway.yaml:2: pairing.max_attempts_per_minute: \"0\" is outside the "
                          "allowed range 1 to 1000");
    QTest::newRow("edge limits") << QByteArray(
        "limits:\n  header_bytes: 8192\n  header_timeout: 2s\n  max_connections: 0")
                                 << QString();
    QTest::newRow("edge timeout below")
        << QByteArray("limits:\n  header_timeout: 0")
        << QStringLiteral("gateway.yaml:2: limits.header_timeout: \"0\" is below the minimum 1s");
    QTest::newRow("edge header bytes above")
        << QByteArray("limits:\n  header_bytes: 2000000")
        << QStringLiteral("gateway.yaml:2: limits.header_bytes: \"2000000\" is outside the "
                          "allowed range 1024 to 1048576");
    QTest::newRow("edge connection cap too small")
        << QByteArray("limits:\n  max_connections: 5")
        << QStringLiteral("gateway.yaml:2: limits.max_connections: must be 0");
    QTest::newRow("edge send queue below a message")
        << QByteArray("limits:\n  websocket_message_bytes: 131072\n  send_queue_bytes: 65536")
        << QStringLiteral("gateway.yaml:3: limits.send_queue_bytes: must be at least "
                          "websocket_message_bytes");
    QTest::newRow("edge body budget below one body")
        << QByteArray("limits:\n  mcp_body_bytes: 8388608\n  buffered_body_bytes: 4194304")
        << QStringLiteral("gateway.yaml:3: limits.buffered_body_bytes: must be at least the "
                          "largest *_body_bytes (8388608)");
    QTest::newRow("edge unknown key")
        << QByteArray("limits:\n  header_size: 1")
        << QStringLiteral("gateway.yaml:2: limits.header_size: unknown key");
    QTest::newRow("attempts not a number")
        << QByteArray("pairing:\n  max_attempts_per_minute: ten")
        << QStringLiteral("gateway.yaml:2: pairing.max_attempts_per_minute: \"ten\" is not a "
                          "whole number");
}

void TestGatewayConfig::durationsAndLimits()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto config = parse(yaml + "\nusers: [alice@example.com]\n");
    if (expected.isEmpty()) {
        QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    } else {
        QVERIFY(!config.ok());
        QVERIFY2(config.error().message.startsWith(expected), qPrintable(config.error().message));
    }
}

void TestGatewayConfig::edgeLimitsAreRead()
{
    const auto defaults = parse("users: [alice@example.com]\n");
    QVERIFY2(defaults.ok(), qPrintable(messageOf(defaults)));
    QCOMPARE(defaults->limits.headerBytes, std::size_t(16 * 1024));
    QCOMPARE(defaults->limits.headerTimeout, std::chrono::milliseconds(10'000));
    QCOMPARE(defaults->limits.maxConnections, 0);
    const auto config = parse("users: [alice@example.com]\n"
                              "limits:\n"
                              "  header_bytes: 4096\n"
                              "  mcp_body_bytes: 65536\n"
                              "  body_idle_timeout: 5s\n"
                              "  keep_alive_timeout: 1m\n"
                              "  max_connections_per_address: 8\n"
                              "  websocket_pings_per_10s: 3\n");
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->limits.headerBytes, std::size_t(4096));
    QCOMPARE(config->limits.mcpBodyBytes, std::size_t(65536));
    QCOMPARE(config->limits.bodyLimitFor("/mcp"), std::size_t(65536));
    QCOMPARE(config->limits.bodyIdleTimeout, std::chrono::milliseconds(5000));
    QCOMPARE(config->limits.keepAliveTimeout, std::chrono::milliseconds(60'000));
    QCOMPARE(config->limits.maxConnectionsPerAddress, 8);
    QCOMPARE(config->limits.webSocketPingsPer10s, 3);
}

void TestGatewayConfig::approvalLimitsAreRead()
{
    const auto defaults = parse("users: [alice@example.com]\n");
    QVERIFY2(defaults.ok(), qPrintable(messageOf(defaults)));
    QCOMPARE(defaults->approvalLimits.pendingPerAgent, 20);
    QCOMPARE(defaults->approvalLimits.perMinutePerAgent, 30);
    QCOMPARE(defaults->approvalLimits.pendingPerUser, 50);
    QCOMPARE(defaults->approvalLimits.perMinutePerUser, 60);
    QCOMPARE(defaults->approvalLimits.maxRequestBytes, 8192);
    QCOMPARE(defaults->approvalLimits.holdAfterDenials, 3);
    QCOMPARE(defaults->approvalLimits.holdWindow, std::chrono::seconds(600));
    const auto config = parse("users: [alice@example.com]\n"
                              "approvals:\n"
                              "  timeout: 30s\n"
                              "  limits:\n"
                              "    pending_per_agent: 5\n"
                              "    per_minute_per_agent: 6\n"
                              "    pending_per_user: 7\n"
                              "    per_minute_per_user: 8\n"
                              "    max_request_bytes: 4096\n"
                              "    hold_after_denials: 0\n"
                              "    hold_window: 30m\n");
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->approvalTimeout, std::chrono::seconds(30));
    QCOMPARE(config->approvalLimits.pendingPerAgent, 5);
    QCOMPARE(config->approvalLimits.perMinutePerAgent, 6);
    QCOMPARE(config->approvalLimits.pendingPerUser, 7);
    QCOMPARE(config->approvalLimits.perMinutePerUser, 8);
    QCOMPARE(config->approvalLimits.maxRequestBytes, 4096);
    QCOMPARE(config->approvalLimits.holdAfterDenials, 0);
    QCOMPARE(config->approvalLimits.holdWindow, std::chrono::seconds(1800));
    // A request the person could not be shown within a 64 KiB message.
    const auto tooLarge = parse("users: [alice@example.com]\n"
                                "approvals:\n"
                                "  limits:\n"
                                "    max_request_bytes: 65536\n");
    QVERIFY(!tooLarge.ok());
    QVERIFY2(messageOf(tooLarge).startsWith(
                 QStringLiteral("gateway.yaml:4: approvals.limits.max_request_bytes")),
             qPrintable(messageOf(tooLarge)));
    const auto unknown = parse("users: [alice@example.com]\n"
                               "approvals:\n"
                               "  limits:\n"
                               "    pending: 5\n");
    QVERIFY(!unknown.ok());
    QVERIFY2(messageOf(unknown).contains(QStringLiteral("approvals.limits.pending: unknown key")),
             qPrintable(messageOf(unknown)));
}

void TestGatewayConfig::errorsNameKeyPathAndLine_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // start of the message
    QTest::newRow("unknown top-level key")
        << QByteArray("users: [a@example.com]\nlisten_on: 127.0.0.1:1\n")
        << QStringLiteral("gateway.yaml:2: listen_on: unknown key (expected one of: listen,");
    QTest::newRow("misspelt nested key")
        << QByteArray("users: [a@example.com]\napprovals:\n  timout: 30s\n")
        << QStringLiteral("gateway.yaml:3: approvals.timout: unknown key (expected one of: "
                          "timeout, limits)");
    QTest::newRow("repeated key") << QByteArray("users: [a@example.com]\nname: One\nname: Two\n")
                                  << QStringLiteral(
                                         "gateway.yaml:3: name: is given more than once");
    QTest::newRow("section not a mapping")
        << QByteArray("users: [a@example.com]\napprovals: 30s\n")
        << QStringLiteral("gateway.yaml:2: approvals: expected a mapping of keys to values, "
                          "found a single value");
    QTest::newRow("top level is a list")
        << QByteArray("- users\n")
        << QStringLiteral("gateway.yaml:1: expected a mapping of keys to values, found a list");
    QTest::newRow("bad listen")
        << QByteArray("users: [a@example.com]\nlisten: gw.example.com:80\n")
        << QStringLiteral("gateway.yaml:2: listen: \"gw.example.com:80\": \"gw.example.com\" is "
                          "not an IP address");
    QTest::newRow("name too long")
        << QByteArray("users: [a@example.com]\nname: " + QByteArray(65, 'x') + '\n')
        << QStringLiteral("gateway.yaml:2: name: must be 1 to 64 characters");
    QTest::newRow("name with control character")
        << QByteArray("users: [a@example.com]\nname: \"Evil\\u202Egateway\"\n")
        << QStringLiteral("gateway.yaml:2: name: must be 1 to 64 characters");
    QTest::newRow("empty data_dir") << QByteArray("users: [a@example.com]\ndata_dir: \"\"\n")
                                    << QStringLiteral("gateway.yaml:2: data_dir: needs a path");
    QTest::newRow("malformed yaml")
        << QByteArray("users: [a@example.com\nname: x\n")
        << QStringLiteral("gateway.yaml:2: a [ list is not closed with ] (yaml-cpp: end of "
                          "sequence flow not found)");
    QTest::newRow("tab in the indentation")
        << QByteArray("users:\n\t- a@example.com\n")
        << QStringLiteral("gateway.yaml:2: this line is indented with a tab; YAML indents with "
                          "spaces only");
    QTest::newRow("tab after spaces")
        << QByteArray("name: x\nusers:\n  - id: a@example.com\n  \t display_name: A\n")
        << QStringLiteral("gateway.yaml:4: this line is indented with a tab; YAML indents with "
                          "spaces only");
    QTest::newRow("indentation does not line up")
        << QByteArray("approvals:\n    timeout: 30s\n  ttl: 5\nusers: [a@example.com]\n")
        << QStringLiteral("gateway.yaml:3: the indentation does not line up");
    QTest::newRow("two documents")
        << QByteArray("users: [a@example.com]\n---\nusers: [b@example.com]\n")
        // The second document's content starts on line 3.
        << QStringLiteral("gateway.yaml:3: the file holds more than one YAML document");
    QTest::newRow("key is a mapping")
        << QByteArray("users: [a@example.com]\n? {a: b}\n: c\n")
        << QStringLiteral("gateway.yaml:2: keys must be plain names, found a mapping");
}

void TestGatewayConfig::errorsNameKeyPathAndLine()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto config = parse(yaml);
    QVERIFY(!config.ok());
    QCOMPARE(config.error().code, ErrorCode::ConfigError);
    QVERIFY2(config.error().message.startsWith(expected), qPrintable(config.error().message));
}

void TestGatewayConfig::tlsFiles_data()
{
    QTest::addColumn<QString>("certificate"); // file in data/, or "" to leave the key out
    QTest::addColumn<QString>("privateKey");
    QTest::addColumn<QString>("expected"); // "" when accepted, else a part of the error
    QTest::newRow("ec sec1 key") << QStringLiteral("ec-cert.pem") << QStringLiteral("ec-key.pem")
                                 << QString();
    QTest::newRow("ec pkcs8 key") << QStringLiteral("ec-cert.pem")
                                  << QStringLiteral("ec-key-pkcs8.pem") << QString();
    QTest::newRow("rsa") << QStringLiteral("rsa-cert.pem") << QStringLiteral("rsa-key.pem")
                         << QString();
    QTest::newRow("certificate only")
        << QStringLiteral("ec-cert.pem") << QString()
        << QStringLiteral("gateway.yaml:2: tls: needs both certificate and private_key");
    QTest::newRow("key only") << QString() << QStringLiteral("ec-key.pem")
                              << QStringLiteral("gateway.yaml:2: tls: needs both");
    QTest::newRow("missing certificate")
        << QStringLiteral("nope.pem") << QStringLiteral("ec-key.pem")
        << QStringLiteral("gateway.yaml:3: tls.certificate: cannot read ");
    QTest::newRow("key as certificate")
        << QStringLiteral("ec-key.pem") << QStringLiteral("ec-key.pem")
        << QStringLiteral("gateway.yaml:3: tls.certificate: ");
    QTest::newRow("certificate as key")
        << QStringLiteral("ec-cert.pem") << QStringLiteral("ec-cert.pem")
        << QStringLiteral("gateway.yaml:4: tls.private_key: ");
    QTest::newRow("encrypted key")
        << QStringLiteral("ec-cert.pem") << QStringLiteral("ec-key-encrypted.pem")
        << QStringLiteral("passphrase");
    QTest::newRow("key of another certificate")
        << QStringLiteral("ec-cert.pem") << QStringLiteral("other-ec-key.pem")
        << QStringLiteral("is not the private key of the certificate");
    QTest::newRow("rsa key for ec certificate")
        << QStringLiteral("ec-cert.pem") << QStringLiteral("rsa-key.pem")
        << QStringLiteral("is not the private key of the certificate");
}

void TestGatewayConfig::tlsFiles()
{
    QFETCH(QString, certificate);
    QFETCH(QString, privateKey);
    QFETCH(QString, expected);
    QByteArray yaml = "users: [a@example.com]\ntls:\n";
    if (!certificate.isEmpty()) {
        yaml += "  certificate: " + dataFile(certificate).toUtf8() + '\n';
    }
    if (!privateKey.isEmpty()) {
        yaml += "  private_key: " + dataFile(privateKey).toUtf8() + '\n';
    }
    yaml += "public_url: https://gw.example.com\n";
    const auto config = parse(yaml);
    if (expected.isEmpty()) {
        QVERIFY2(config.ok(), qPrintable(messageOf(config)));
        QVERIFY(config->tls.has_value());
        QVERIFY(!config->tls->privateKey.isNull());
        QVERIFY(!config->tls->certificateChain.first().isNull());
    } else {
        QVERIFY(!config.ok());
        QVERIFY2(config.error().message.startsWith(expected)
                     || config.error().message.contains(expected),
                 qPrintable(config.error().message));
    }
}

void TestGatewayConfig::adminTokenFile()
{
    QVERIFY(m_dir.isValid());
    const QString token = m_dir.filePath(QStringLiteral("token"));
    const auto withToken = [](const QString &path) {
        return parse("users: [a@example.com]\nadmin:\n  token_file: " + path.toUtf8() + '\n');
    };

    QVERIFY(writeFile(token, "abc\n"));
    auto config = withToken(token);
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->adminTokenFile, token);

    QVERIFY(writeFile(token, "abc\n",
                      QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup));
    config = withToken(token);
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.startsWith(QStringLiteral("gateway.yaml:3: admin.token_file: ")
                                               + token
                                               + QStringLiteral(" is readable by group or others")),
             qPrintable(config.error().message));

    QVERIFY(writeFile(token, "abc\n",
                      QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
    QVERIFY(!withToken(token).ok());

    QVERIFY(writeFile(token, " \n"));
    config = withToken(token);
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.contains(QStringLiteral("is empty")),
             qPrintable(config.error().message));

    config = withToken(m_dir.filePath(QStringLiteral("missing")));
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.contains(QStringLiteral("does not exist")),
             qPrintable(config.error().message));

    config = withToken(m_dir.path());
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.contains(QStringLiteral("not a regular file")),
             qPrintable(config.error().message));

    // An empty admin section leaves the endpoint disabled.
    config = parse("users: [a@example.com]\nadmin:\n");
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QVERIFY(!config->adminTokenFile.has_value());
}

void TestGatewayConfig::usersAreChecked_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // start of the error
    QTest::newRow("missing") << QByteArray("name: x\n")
                             << QStringLiteral("gateway.yaml:1: users: at least one user is "
                                               "required");
    QTest::newRow("empty file") << QByteArray()
                                << QStringLiteral("gateway.yaml:1: users: at least one user is "
                                                  "required");
    QTest::newRow("empty list") << QByteArray("users: []\n")
                                << QStringLiteral("gateway.yaml:1: users: at least one user");
    QTest::newRow("no value") << QByteArray("users:\n")
                              << QStringLiteral("gateway.yaml:1: users: at least one user");
    QTest::newRow("a mapping") << QByteArray("users:\n  id: a@example.com\n")
                               << QStringLiteral("gateway.yaml:2: users: expected a list of "
                                                 "users, found a mapping");
    QTest::newRow("missing id") << QByteArray("users:\n  - display_name: Alice\n")
                                << QStringLiteral("gateway.yaml:2: users[0].id: is required");
    QTest::newRow("unknown user key")
        << QByteArray("users:\n  - id: a@example.com\n    email: a@example.com\n")
        << QStringLiteral("gateway.yaml:3: users[0].email: unknown key");
    QTest::newRow("duplicate id")
        << QByteArray("users:\n  - a@example.com\n  - id: A@Example.com\n")
        << QStringLiteral("gateway.yaml:3: users[1].id: \"A@Example.com\" is already used by "
                          "users[0]");
    QTest::newRow("id with space") << QByteArray("users:\n  - id: alice smith\n")
                                   << QStringLiteral("gateway.yaml:2: users[0].id: \"alice "
                                                     "smith\" is not a valid user id");
    QTest::newRow("empty id") << QByteArray("users:\n  - id: \"\"\n")
                              << QStringLiteral("gateway.yaml:2: users[0].id: \"\" is not a valid");
    QTest::newRow("long display name")
        << QByteArray("users:\n  - id: a@example.com\n    display_name: " + QByteArray(65, 'y')
                      + '\n')
        << QStringLiteral("gateway.yaml:3: users[0].display_name: must be 1 to 64 characters");
    QTest::newRow("nested list") << QByteArray("users:\n  - [a@example.com]\n")
                                 << QStringLiteral("gateway.yaml:2: users[0]: expected a mapping");
}

void TestGatewayConfig::usersAreChecked()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto config = parse(yaml);
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.startsWith(expected), qPrintable(config.error().message));
}

void TestGatewayConfig::reservedSectionsAreKept()
{
    const auto config = parse("users: [a@example.com]\n"
                              "agents:\n"
                              "  - id: claude\n"
                              "    token: 'x'\n"
                              "upstreams: {github: {url: 'https://api.github.com/mcp'}}\n"
                              "policy:\n"
                              "  rules: []\n"
                              "pdp: ~\n");
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    QCOMPARE(config->reserved.keys(),
             (QStringList{QStringLiteral("agents"), QStringLiteral("pdp"), QStringLiteral("policy"),
                          QStringLiteral("upstreams")}));
    const auto agents = config->reserved.value(QStringLiteral("agents"));
    QCOMPARE(agents.line, 3);
    QVERIFY2(agents.yaml.contains("id: claude"), agents.yaml.constData());
    QVERIFY2(agents.yaml.contains("token: x"), agents.yaml.constData());
    const auto upstreams = config->reserved.value(QStringLiteral("upstreams"));
    QCOMPARE(upstreams.line, 5);
    QVERIFY2(upstreams.yaml.contains("https://api.github.com/mcp"), upstreams.yaml.constData());
    QCOMPARE(config->reserved.value(QStringLiteral("policy")).line, 7);
}

void TestGatewayConfig::neverCrashesOnHostileInput_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::newRow("deep flow nesting") << QByteArray(100000, '[');
    QTest::newRow("deep block nesting") << [] {
        QByteArray text;
        for (int i = 0; i < 2000; ++i) {
            text += QByteArray(i, ' ') + "a:\n";
        }
        return text;
    }();
    QTest::newRow("unknown alias") << QByteArray("users: *nobody\n");
    QTest::newRow("alias loop") << QByteArray("users: &a [*a]\n");
    QTest::newRow("billion laughs")
        << QByteArray("users: [a@example.com]\n"
                      "agents: &a [x, x, x, x, x, x, x, x, x]\n"
                      "upstreams: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "policy: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "pdp: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n");
    QTest::newRow("alias loop in reserved") << QByteArray("users: [a@example.com]\n"
                                                          "agents: &a [*a]\n");
    QTest::newRow("tabs") << QByteArray("users:\n\t- a@example.com\n");
    QTest::newRow("binary") << QByteArray("\xff\xfe\x00\x01users: [a]\x00\x80", 16);
    QTest::newRow("invalid utf-8") << QByteArray("users: [\xc3\x28]\n");
    QTest::newRow("unterminated quote") << QByteArray("name: \"abc\nusers: [a]\n");
    QTest::newRow("merge key") << QByteArray(
        "base: &b {name: x}\n<<: *b\nusers: [a@example.com]\n");
    QTest::newRow("directive only") << QByteArray("%YAML 1.2\n");
    QTest::newRow("too large") << QByteArray(2 * 1024 * 1024, '#');
}

void TestGatewayConfig::neverCrashesOnHostileInput()
{
    QFETCH(QByteArray, yaml);
    const auto config = parse(yaml);
    if (!config.ok()) {
        QCOMPARE(config.error().code, ErrorCode::ConfigError);
        QVERIFY2(config.error().message.startsWith(source + u':'),
                 qPrintable(config.error().message));
    }
}

// What the YAML guard refuses (gateway/config/yamlmap.h, loadYamlDocument):
// the same text is refused with the same message as a configuration and as
// a policy, because the guard runs before either reads a key.
void TestGatewayConfig::refusesWhatNoConfigNeeds_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected");
    // The input fuzz_gateway_config found: yaml-cpp 0.7 reports an empty
    // document at the stray "," without consuming it, forever, and LoadAll
    // kept every one until memory ran out.
    QTest::newRow("stray comma (fuzz reproducer)")
        << QByteArray(",\xff") << QStringLiteral("gateway.yaml:1: unexpected \",\"");
    QTest::newRow("stray comma after a document")
        << QByteArray("[a@example.com]\n,\n") << QStringLiteral("gateway.yaml:2: unexpected \",\"");
    QTest::newRow("stray comma after a tag")
        << QByteArray("!x ,") << QStringLiteral("gateway.yaml:1: unexpected \",\"");
    QTest::newRow("billion laughs")
        << QByteArray("users: [a@example.com]\n"
                      "agents: &a [x, x, x, x, x, x, x, x, x]\n"
                      "upstreams: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "policy: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "pdp: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
        << QStringLiteral("gateway.yaml:2: anchors (&a) and aliases are not allowed");
    QTest::newRow("anchor on a value")
        << QByteArray("users: [a@example.com]\nname: &n demo\n")
        << QStringLiteral("gateway.yaml:2: anchors (&n) and aliases are not allowed");
    QTest::newRow("anchor on a mapping") << QByteArray("users: [a@example.com]\n"
                                                       "approvals: &defaults\n"
                                                       "  timeout: 60s\n")
                                         << QStringLiteral("gateway.yaml:2: anchors (&defaults)");
    QTest::newRow("self-referencing alias")
        << QByteArray("users: [a@example.com]\nagents: &a [*a]\n")
        << QStringLiteral("gateway.yaml:2: anchors (&a)");
    QTest::newRow("merge key") << QByteArray("base: &b {name: x}\n<<: *b\n")
                               << QStringLiteral("gateway.yaml:1: anchors (&b)");
    QTest::newRow("alias without anchor")
        << QByteArray("users: [a@example.com]\nname: *n\n")
        << QStringLiteral("gateway.yaml:2: the referenced anchor is not defined");
    const QByteArray flowNesting =
        "users: [a@example.com]\nagents: " + QByteArray(20, '[') + QByteArray(20, ']') + '\n';
    QTest::newRow("flow nesting 21 deep")
        << flowNesting
        << QStringLiteral("gateway.yaml:2: lists and mappings are nested more than 20 levels deep");
    QTest::newRow("flow nesting 100000 deep")
        << QByteArray(100000, '[')
        << QStringLiteral("gateway.yaml:1: lists and mappings are nested more than 20 levels deep");
    QByteArray blockNesting;
    for (int i = 0; i < 200; ++i) {
        blockNesting += QByteArray(i, ' ') + "a:\n";
    }
    QTest::newRow("block nesting 200 deep")
        << blockNesting
        << QStringLiteral(
               "gateway.yaml:21: lists and mappings are nested more than 20 levels deep");
    const QByteArray manyValues = "users: [" + QByteArray("a,").repeated(100000) + "a]\n";
    QTest::newRow("too many values")
        << manyValues << QStringLiteral("gateway.yaml:1: more than 100000 values");
    QTest::newRow("second document")
        << QByteArray("users: [a@example.com]\n---\n,\n")
        << QStringLiteral("gateway.yaml:3: the file holds more than one YAML document");
}

void TestGatewayConfig::refusesWhatNoConfigNeeds()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    QElapsedTimer timer;
    timer.start();
    const auto config = parse(yaml);
    QVERIFY(!config.ok());
    QCOMPARE(config.error().code, ErrorCode::ConfigError);
    QVERIFY2(config.error().message.startsWith(expected), qPrintable(config.error().message));
    const auto policy = Policy::parse(yaml, source);
    QVERIFY(!policy.ok());
    QCOMPARE(policy.error().message, config.error().message);
    // Refused, not worked through: without the guard some of these never
    // finish. The bound is loose for sanitizer builds on busy machines.
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

void TestGatewayConfig::nestingUpToTheLimitIsRead()
{
    // 20 levels (the top mapping is the first) pass the guard and reach
    // the schema, which then names the key.
    const QByteArray yaml = QByteArray("users: [a@example.com]\nname: ") + QByteArray(19, '[')
        + QByteArray(19, ']') + '\n';
    const auto config = parse(yaml);
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.startsWith(
                 QStringLiteral("gateway.yaml:2: name: expected a single value, found a list")),
             qPrintable(config.error().message));
}

void TestGatewayConfig::sectionsAreGuardedToo()
{
    // The parsers of reserved sections read their text through the same
    // guard, and still name the section and the configuration's line.
    const auto agents = AgentDirectory::fromConfigSection(
        "- &k {name: a, user: a@example.com, key_sha256: x}\n", 7, source);
    QVERIFY(!agents.ok());
    QVERIFY2(
        agents.error().message.startsWith(QStringLiteral("gateway.yaml:7: agents: anchors (&k)")),
        qPrintable(agents.error().message));
    const auto stray = AgentDirectory::fromConfigSection(",", 3, source);
    QVERIFY(!stray.ok());
    QVERIFY2(stray.error().message.startsWith(QStringLiteral("gateway.yaml:3: agents: unexpected")),
             qPrintable(stray.error().message));
    const auto policy = Policy::fromConfigSection("rules: &r []\n", 4, source);
    QVERIFY(!policy.ok());
    QVERIFY2(policy.error().message.startsWith(QStringLiteral("gateway.yaml:4: anchors (&r)")),
             qPrintable(policy.error().message));
}

void TestGatewayConfig::demoFilesStillLoad()
{
    const auto config = GatewayConfig::load(QStringLiteral(COUNTERSIGN_EXAMPLE_CONFIG));
    QVERIFY2(config.ok(), qPrintable(messageOf(config)));
    const auto policy = Policy::load(QStringLiteral(COUNTERSIGN_DEMO_POLICY));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QVERIFY(!policy->rules().isEmpty());
    // The sections GatewayConfig re-emits go through the guard again.
    const auto section = config->reserved.value(QStringLiteral("policy"));
    const auto fromSection =
        Policy::fromConfigSection(section.yaml, section.line, config->sourcePath);
    QVERIFY2(fromSection.ok(),
             qPrintable(fromSection.ok() ? QString() : fromSection.error().message));
    QCOMPARE(fromSection->rules().size(), policy->rules().size());
    const auto agentSection = config->reserved.value(QStringLiteral("agents"));
    const auto agents =
        AgentDirectory::fromConfigSection(agentSection.yaml, agentSection.line, config->sourcePath);
    QVERIFY2(agents.ok(), qPrintable(agents.ok() ? QString() : agents.error().message));
}

QTEST_GUILESS_MAIN(TestGatewayConfig)
#include "test_gatewayconfig.moc"
