#include "protocol/clock.h"
#include "protocol/jose/jwkthumbprint.h"
#include "protocol/otp/otpauthuri.h"
#include "protocol/pairing/pairinglink.h"
#include "tests/support/freeport.h"
#include "tests/support/testcompanion.h"

#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::testing;

// The countersign-gateway program itself, as an admin runs it: serve in one
// process, pair/devices/totp in others, against the same data dir.
class TestGatewayCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void helpListsCommands();
    void refusesBadInvocations_data();
    void refusesBadInvocations();
    void pairsCompanionThroughPrintedLink();
    void enrollsTotpWithAWorkingLink();
    void revokeClosesTheLiveChannelOfTheRunningGateway();
    void serveFailsWhenTheControlSocketCannotListen();
    void serveReportsConfigErrorsBeforeThePort_data();
    void serveReportsConfigErrorsBeforeThePort();

private:
    struct Run {
        int exitCode = -1;
        QString out;
        QString err;
    };
    Run run(const QStringList &arguments);
    QString linkFromPairOutput(const QString &out) const;

    QTemporaryDir m_dir;
    QString m_config;
    QProcess m_server;
    quint16 m_port = 0;
    SystemClock m_clock;
    std::unique_ptr<TestCompanion> m_companion;
};

TestGatewayCli::Run TestGatewayCli::run(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(COUNTERSIGN_GATEWAY_BINARY), arguments);
    Run result;
    if (!process.waitForFinished(30'000))
        return result;
    result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

QString TestGatewayCli::linkFromPairOutput(const QString &out) const
{
    const auto match = QRegularExpression(QStringLiteral("^countersign://pair\\?\\S+$"),
                                          QRegularExpression::MultilineOption)
                           .match(out);
    return match.hasMatch() ? match.captured(0) : QString();
}

void TestGatewayCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // A free port for the server process.
    m_port = freePort();
    QVERIFY(m_port != 0);
    m_config = m_dir.filePath(QStringLiteral("gateway.yaml"));
    QFile config(m_config);
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QStringLiteral("listen: 127.0.0.1:%1\nname: CLI test gateway\ndata_dir: data\n"
                                "users: [alice@example.com]\n")
                     .arg(m_port)
                     .toUtf8());
    config.close();

    m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_server.start(QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
                   {QStringLiteral("serve"), QStringLiteral("--config"), m_config});
    QVERIFY(m_server.waitForStarted());
    QByteArray output;
    QTRY_VERIFY_WITH_TIMEOUT((output += m_server.readAllStandardOutput()).contains("serving"),
                             15000);
}

void TestGatewayCli::cleanupTestCase()
{
    m_companion.reset();
    m_server.terminate(); // SIGTERM: a clean shutdown
    QVERIFY(m_server.waitForFinished(10'000));
    QCOMPARE(m_server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_server.exitCode(), 0);
}

void TestGatewayCli::helpListsCommands()
{
    const Run help = run({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    for (const char *command : {"serve", "pair", "devices", "totp"})
        QVERIFY2(help.out.contains(QLatin1StringView(command)), command);
    const Run pairHelp = run({QStringLiteral("pair"), QStringLiteral("--help")});
    QCOMPARE(pairHelp.exitCode, 0);
    QVERIFY(pairHelp.out.contains(u"--user"));
    QVERIFY(pairHelp.out.contains(u"--png"));
    // The program's name once, then the command's.
    QVERIFY2(pairHelp.out.startsWith(u"Usage: countersign-gateway pair [options]"),
             qPrintable(pairHelp.out));
    QVERIFY(!pairHelp.out.contains(u"countersign-gateway countersign-gateway"));
    // Each devices action describes itself.
    const Run listHelp =
        run({QStringLiteral("devices"), QStringLiteral("list"), QStringLiteral("--help")});
    QCOMPARE(listHelp.exitCode, 0);
    QVERIFY2(listHelp.out.startsWith(u"Usage: countersign-gateway devices list [options]"),
             qPrintable(listHelp.out));
    QVERIFY(listHelp.out.contains(u"List the paired companions"));
    QVERIFY(listHelp.out.contains(u"--user"));
    const Run revokeHelp =
        run({QStringLiteral("devices"), QStringLiteral("revoke"), QStringLiteral("--help")});
    QCOMPARE(revokeHelp.exitCode, 0);
    QVERIFY2(
        revokeHelp.out.startsWith(u"Usage: countersign-gateway devices revoke [options] DEVICE_ID"),
        qPrintable(revokeHelp.out));
    QVERIFY(revokeHelp.out.contains(u"Revoke a paired companion"));
    QCOMPARE(run({QStringLiteral("--version")}).out.trimmed(),
             QStringLiteral("countersign-gateway " COUNTERSIGN_VERSION));
}

void TestGatewayCli::refusesBadInvocations_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("mentions");
    const QString config = m_dir.filePath(QStringLiteral("gateway.yaml"));
    QTest::newRow("no command") << QStringList{} << 2 << QStringLiteral("Usage");
    QTest::newRow("unknown command")
        << QStringList{QStringLiteral("approve")} << 2 << QStringLiteral("unknown command");
    QTest::newRow("pair without config")
        << QStringList{QStringLiteral("pair")} << 2 << QStringLiteral("--config");
    QTest::newRow("pair unknown user")
        << QStringList{QStringLiteral("pair"), QStringLiteral("--config"), config,
                       QStringLiteral("--user"), QStringLiteral("mallory@example.com")}
        << 1 << QStringLiteral("not a user");
    QTest::newRow("missing config file")
        << QStringList{QStringLiteral("devices"), QStringLiteral("list"),
                       QStringLiteral("--config"), m_dir.filePath(QStringLiteral("nope.yaml"))}
        << 1 << QStringLiteral("nope.yaml");
    QTest::newRow("revoke unknown device")
        << QStringList{QStringLiteral("devices"), QStringLiteral("revoke"), QStringLiteral("nope"),
                       QStringLiteral("--config"), config}
        << 1 << QStringLiteral("no device");
}

void TestGatewayCli::refusesBadInvocations()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, mentions);
    const Run result = run(arguments);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(result.err.contains(mentions), qPrintable(result.err));
}

void TestGatewayCli::pairsCompanionThroughPrintedLink()
{
    const QString png = m_dir.filePath(QStringLiteral("pair.png"));
    const Run pair =
        run({QStringLiteral("pair"), QStringLiteral("--config"), m_config, QStringLiteral("--user"),
             QStringLiteral("alice@example.com"), QStringLiteral("--png"), png});
    QCOMPARE(pair.exitCode, 0);
    QVERIFY(pair.out.contains(u"\u2580") || pair.out.contains(u"\u2584")); // a QR code
    QVERIFY(QFile::exists(png));
    const auto link = PairingLink::parse(linkFromPairOutput(pair.out));
    QVERIFY2(link.ok(), qPrintable(pair.out));
    QCOMPARE(link->gatewayUrl().port(), int(m_port));
    // The fingerprint as the companion shows it: in groups of four.
    QVERIFY2(pair.out.contains(QStringLiteral("Gateway key fingerprint: ")
                               + fingerprintForReading(link->keyThumbprint())),
             qPrintable(pair.out));
    QVERIFY(fingerprintForReading(link->keyThumbprint()).contains(u' '));

    m_companion = std::make_unique<TestCompanion>(m_clock);
    QCOMPARE(m_companion->pair(link.value(), QStringLiteral("cli-test")).status, 201);
    QVERIFY(m_companion->connectChannel());

    const Run list = run(
        {QStringLiteral("devices"), QStringLiteral("list"), QStringLiteral("--config"), m_config});
    QCOMPARE(list.exitCode, 0);
    QVERIFY(list.out.contains(m_companion->deviceId()));
    QVERIFY(list.out.contains(u"cli-test"));
}

void TestGatewayCli::enrollsTotpWithAWorkingLink()
{
    const Run enroll =
        run({QStringLiteral("totp"), QStringLiteral("enroll"), QStringLiteral("--config"), m_config,
             QStringLiteral("--user"), QStringLiteral("alice@example.com")});
    QCOMPARE(enroll.exitCode, 0);
    const auto match =
        QRegularExpression(QStringLiteral("^otpauth://\\S+$"), QRegularExpression::MultilineOption)
            .match(enroll.out);
    QVERIFY(match.hasMatch());
    const auto uri = OtpauthUri::parse(match.captured(0));
    QVERIFY2(uri.ok(), uri.ok() ? "" : qPrintable(uri.error().message));
    QCOMPARE(uri->accountName(), QStringLiteral("alice@example.com"));
    QCOMPARE(uri->issuer(), QStringLiteral("CLI test gateway"));
}

void TestGatewayCli::revokeClosesTheLiveChannelOfTheRunningGateway()
{
    QVERIFY(m_companion);
    const Run revoke = run({QStringLiteral("devices"), QStringLiteral("revoke"),
                            m_companion->deviceId(), QStringLiteral("--config"), m_config});
    QCOMPARE(revoke.exitCode, 0);
    QVERIFY2(revoke.out.contains(u"live connection was closed"), qPrintable(revoke.out));
    QCOMPARE(m_companion->waitForClose(), 4403);
    // And it cannot come back.
    m_companion->connectChannelWith(m_companion->deviceKey(), m_companion->deviceId());
    QCOMPARE(m_companion->waitForClose(), 4403);
    const Run list = run(
        {QStringLiteral("devices"), QStringLiteral("list"), QStringLiteral("--config"), m_config});
    QVERIFY(list.out.contains(u"REVOKED"));
}

void TestGatewayCli::serveFailsWhenTheControlSocketCannotListen()
{
    // A directory sits where the control socket goes. A gateway running
    // without it would leave a revoked device's channel open while `devices
    // revoke` says no gateway runs: it must not start.
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    QVERIFY(QDir(dataDir.path()).mkdir(QStringLiteral("control.sock")));
    const quint16 port = freePort();
    QVERIFY(port != 0);
    const Run serve = run({QStringLiteral("serve"), QStringLiteral("--config"), m_config,
                           QStringLiteral("--data-dir"), dataDir.path(), QStringLiteral("--listen"),
                           QStringLiteral("127.0.0.1:%1").arg(port)});
    QVERIFY2(serve.exitCode > 0, qPrintable(serve.err));
    QVERIFY2(serve.err.contains(QStringLiteral("cannot listen on the control socket")),
             qPrintable(serve.err));
}

void TestGatewayCli::serveReportsConfigErrorsBeforeThePort_data()
{
    QTest::addColumn<QString>("sections");
    QTest::addColumn<QString>("expected");
    const QString agents =
        QStringLiteral("agents:\n  - {name: a, user: alice@example.com, key_sha256: "
                       "0000000000000000000000000000000000000000000000000000000000000000}\n");
    const QString upstreams = QStringLiteral("upstreams:\n  - {name: directory, command: [x]}\n");
    const QString rules = QStringLiteral("policy: {rules: [{name: all, effect: deny}]}\n");
    // The control: a good configuration fails on the port, which is taken.
    QTest::newRow("nothing wrong") << QString() << QStringLiteral("cannot listen");
    QTest::newRow("policy file missing") << QStringLiteral("policy: {file: no-such-policy.yaml}\n")
                                         << QStringLiteral("no-such-policy.yaml");
    QTest::newRow("agent with an unknown key") << QString(
        rules + upstreams + u"agents:\n  - {name: a, user: alice@example.com, token: x}\n")
                                               << QStringLiteral("token");
    QTest::newRow("upstream without a program")
        << QString(rules + agents + u"upstreams:\n  - {name: directory}\n")
        << QStringLiteral("upstreams");
    QTest::newRow("upstreams without a policy")
        << QString(agents + upstreams) << QStringLiteral("needs a policy");
    QTest::newRow("external pdp") << QStringLiteral("pdp: {url: 'https://pdp.example.com'}\n")
                                  << QStringLiteral("pdp: an external AuthZEN PDP");
}

// A mistake in the configuration is reported as such even when the port is
// taken as well: the admin fixes the file first, not the port.
void TestGatewayCli::serveReportsConfigErrorsBeforeThePort()
{
    QFETCH(QString, sections);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("gateway.yaml"));
    QFile config(path);
    QVERIFY(config.open(QIODevice::WriteOnly));
    // m_port: the gateway of initTestCase listens there.
    config.write(QStringLiteral("listen: 127.0.0.1:%1\nusers: [alice@example.com]\n%2")
                     .arg(m_port)
                     .arg(sections)
                     .toUtf8());
    config.close();
    const Run serve = run({QStringLiteral("serve"), QStringLiteral("--config"), path,
                           QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("data"))});
    QCOMPARE(serve.exitCode, 1);
    QVERIFY2(serve.err.contains(expected), qPrintable(serve.err));
    if (!sections.isEmpty())
        QVERIFY2(!serve.err.contains(QStringLiteral("cannot listen")), qPrintable(serve.err));
}

QTEST_GUILESS_MAIN(TestGatewayCli)
#include "test_gateway_cli.moc"
