#include "app/appid.h"
#include "app/gatewayprofile.h"
#include "app/pairedgateways.h"
#include "platform/keychainsecretstore.h"
#include "protocol/jose/ecprivatekey.h"

#include <optional>

#include <QCoreApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace countersign;

// The `countersign` program itself, as scripts and the desktop start it: the
// options that end on their own (--quit-when-ready, --unpair), run in the
// throwaway HOME and private Secret Service of tests/support/with-keyring, on
// the offscreen platform (no tray there: the fallback window is up, which
// once kept the program from quitting).
class TestUiCommandLine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void quitsWhenReadyWithTheFallbackWindow();
    void helpShowsThePersonsOptionsOnly();
    void unpairForgetsTheGatewayAndItsKey();
    void secondLaunchOpensTheRunningOnesWindow();

private:
    struct Run {
        int exitCode = -1;
        QString out;
    };
    static Run runCompanion(const QStringList &arguments);
    // What the keychain holds under `name`; nullopt when reading failed.
    std::optional<std::optional<QByteArray>> readSecret(KeychainSecretStore &secrets,
                                                        const QString &name);
};

TestUiCommandLine::Run TestUiCommandLine::runCompanion(const QStringList &arguments)
{
    QProcess companion;
    companion.setProcessChannelMode(QProcess::MergedChannels);
    companion.start(QStringLiteral(COUNTERSIGN_COMPANION_BINARY), arguments);
    Run run;
    if (!companion.waitForFinished(30'000)) {
        companion.kill();
        companion.waitForFinished(5'000);
        run.out = QStringLiteral("did not end within 30 s\n");
    }
    if (companion.exitStatus() == QProcess::NormalExit)
        run.exitCode = companion.exitCode();
    run.out += QString::fromUtf8(companion.readAll());
    return run;
}

std::optional<std::optional<QByteArray>> TestUiCommandLine::readSecret(KeychainSecretStore &secrets,
                                                                       const QString &name)
{
    bool done = false;
    std::optional<std::optional<QByteArray>> value;
    secrets.read(name, this, [&](Result<std::optional<QByteArray>> read) {
        if (read.ok())
            value = read.value();
        done = true;
    });
    (void)QTest::qWaitFor([&] { return done; }, 15'000);
    return value;
}

void TestUiCommandLine::quitsWhenReadyWithTheFallbackWindow()
{
    // Not minimized: the fallback window is shown, and it refuses to close.
    const Run run = runCompanion({QStringLiteral("--quit-when-ready")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out));
    QVERIFY2(run.out.contains(QStringLiteral("tray ready")), qPrintable(run.out));
}

// --help lists what a person uses; the benchmark's --quit-when-ready works
// (above) but is not offered.
void TestUiCommandLine::helpShowsThePersonsOptionsOnly()
{
    const Run run = runCompanion({QStringLiteral("--help")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out));
    QVERIFY2(run.out.contains(QStringLiteral("--pair")), qPrintable(run.out));
    QVERIFY2(run.out.contains(QStringLiteral("--unpair")), qPrintable(run.out));
    QVERIFY2(!run.out.contains(QStringLiteral("quit-when-ready")), qPrintable(run.out));
}

void TestUiCommandLine::unpairForgetsTheGatewayAndItsKey()
{
    // A gateway paired as the companion keeps it: the record in its
    // QSettings, the device key in the keychain under the app id.
    KeychainSecretStore secrets;
    const QString gatewayId = QStringLiteral("https://gw.example.com");
    const auto gatewayKey = EcPrivateKey::generate();
    const auto deviceKey = EcPrivateKey::generate();
    QVERIFY(gatewayKey.ok() && deviceKey.ok());
    GatewayProfile profile;
    profile.gatewayId = gatewayId;
    profile.name = QStringLiteral("Example gateway");
    profile.baseUrl = QUrl(gatewayId);
    profile.deviceId = QStringLiteral("dev-1");
    profile.userId = QStringLiteral("alice@example.com");
    profile.gatewayKey = gatewayKey->publicKey().toJwk();
    bool written = false;
    secrets.write(SecretStore::deviceKeyName(gatewayId), deviceKey->toPkcs8Der(), this,
                  [&](Status stored) { written = stored.ok(); });
    QTRY_VERIFY_WITH_TIMEOUT(written, 15'000);
    QVERIFY(readSecret(secrets, SecretStore::deviceKeyName(gatewayId)).value_or(std::nullopt));
    {
        PairedGateways gateways(secrets);
        QVERIFY(gateways.save(profile).ok());
    }

    // Not paired with that one: says so, changes nothing.
    Run run = runCompanion({QStringLiteral("--unpair"), QStringLiteral("https://other.example")});
    QVERIFY2(run.exitCode == 1, qPrintable(run.out));
    QVERIFY2(run.out.contains(QStringLiteral("not paired")), qPrintable(run.out));
    QCOMPARE(PairedGateways(secrets).all().size(), 1);

    run = runCompanion({QStringLiteral("--unpair"), gatewayId});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out));
    QVERIFY(PairedGateways(secrets).all().isEmpty());
    const auto key = readSecret(secrets, SecretStore::deviceKeyName(gatewayId));
    QVERIFY2(key.has_value(), "the keychain could not be read");
    QVERIFY2(!key->has_value(), "the device key is still in the keychain");
}

// A plain `countersign` while one runs: the running one shows its window,
// and the second says so instead of ending silently.
void TestUiCommandLine::secondLaunchOpensTheRunningOnesWindow()
{
    QProcess first;
    first.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    // "tray ready" is a debug line: it tells when the first one listens.
    environment.insert(QStringLiteral("QT_LOGGING_RULES"),
                       QStringLiteral("countersign.app.debug=true"));
    first.setProcessEnvironment(environment);
    first.start(QStringLiteral(COUNTERSIGN_COMPANION_BINARY), {QStringLiteral("--minimized")});
    QVERIFY(first.waitForStarted(15'000));
    QString firstOut;
    const auto firstSaid = [&](const QString &text) {
        firstOut += QString::fromUtf8(first.readAll());
        return firstOut.contains(text);
    };
    QTRY_VERIFY2_WITH_TIMEOUT(firstSaid(QStringLiteral("tray ready")), qPrintable(firstOut),
                              30'000);
    QVERIFY(!firstOut.contains(QStringLiteral("showing the main window")));

    const Run second = runCompanion({});
    QVERIFY2(second.exitCode == 0, qPrintable(second.out));
    QVERIFY2(second.out.contains(QStringLiteral("already running")), qPrintable(second.out));
    QTRY_VERIFY2_WITH_TIMEOUT(firstSaid(QStringLiteral("launched again: showing the main window")),
                              qPrintable(firstOut), 15'000);
    QCOMPARE(first.state(), QProcess::Running);

    first.terminate();
    if (!first.waitForFinished(10'000)) {
        first.kill();
        first.waitForFinished(5'000);
    }
}

int main(int argc, char *argv[])
{
    // The same settings and keychain names as the program.
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(AppId::organizationName());
    QCoreApplication::setApplicationName(AppId::applicationName());
    TestUiCommandLine test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_ui_commandline.moc"
