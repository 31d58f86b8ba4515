#include "app/companion.h"
#include "app/history.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "platform/fidoauthenticator.h"
#include "platform/keychainsecretstore.h"
#include "platform/qrdecoder.h"
#include "protocol/clock.h"
#include "protocol/otp/otpauthuri.h"
#include "protocol/otp/totp.h"
#include "tests/support/freeport.h"
#include "tests/support/manualclock.h"
#include "tests/support/softauthenticator.h"
#include "tests/support/softdevicesource.h"
#include "ui/approvaldialog.h"
#include "ui/companioncontroller.h"
#include "ui/pairingdialog.h"

#include <optional>

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using countersign::testing::freePort;
using countersign::testing::SoftAuthenticator;
using countersign::testing::SoftDeviceSource;

namespace {

const QString user = QStringLiteral("alice@example.com");
const QByteArray agentKey = "demo-agent-key";
// The demo's approval timeout is 55 s; here it is short so that the
// no-answer scenario ends in reasonable time, and long enough for the
// machine part of the other scenarios on a busy CI runner.
constexpr int approvalTimeoutSeconds = 20;
constexpr int deadlineMs = 30'000;

QString binary(const char *name)
{
    return QStringLiteral(COUNTERSIGN_BIN_DIR "/") + QString::fromLatin1(name);
}

// One external program of the flow (the agent CLI, the MCP SDK client),
// with its output collected as it comes and the time it ended.
class Program : public QObject {
public:
    explicit Program(QObject *parent = nullptr)
        : QObject(parent)
    {
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        connect(&m_process, &QProcess::readyReadStandardOutput, this,
                [this] { m_out += m_process.readAllStandardOutput(); });
        connect(&m_process, &QProcess::readyReadStandardError, this,
                [this] { m_err += m_process.readAllStandardError(); });
        connect(&m_process, &QProcess::finished, this,
                [this] { m_finishedAt = m_clock.elapsed(); });
    }
    ~Program() override
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    void start(const QString &program, const QStringList &arguments,
               const QString &workingDirectory = {})
    {
        m_clock.start();
        m_process.setWorkingDirectory(workingDirectory);
        m_process.start(program, arguments);
    }
    bool running() const { return m_process.state() != QProcess::NotRunning; }
    bool finished() const { return m_finishedAt.has_value(); }
    int exitCode() const
    {
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }
    QString out() const { return QString::fromUtf8(m_out); }
    QString transcript() const { return QString::fromUtf8(m_out + "\n--- stderr ---\n" + m_err); }
    // Milliseconds since start().
    qint64 now() const { return m_clock.elapsed(); }
    qint64 finishedAt() const { return m_finishedAt.value_or(-1); }

private:
    QProcess m_process;
    QByteArray m_out;
    QByteArray m_err;
    QElapsedTimer m_clock;
    std::optional<qint64> m_finishedAt;
};

// Copies a demo file with each `from` replaced by its `to` (each must occur).
bool copyEdited(const QString &from, const QString &to,
                const QList<std::pair<QString, QString>> &edits)
{
    QFile source(from);
    if (!source.open(QIODevice::ReadOnly))
        return false;
    QString text = QString::fromUtf8(source.readAll());
    for (const auto &[before, after] : edits) {
        if (!text.contains(before)) {
            qWarning("%s does not contain %s", qPrintable(from), qPrintable(before));
            return false;
        }
        text.replace(before, after);
    }
    QFile target(to);
    return target.open(QIODevice::WriteOnly) && target.write(text.toUtf8()) == text.toUtf8().size();
}

// Every piece of text the dialog shows, for "does it say X".
QString dialogText(const ApprovalDialog &dialog)
{
    QStringList texts;
    for (const QLabel *label : dialog.findChildren<QLabel *>()) {
        if (label->isVisibleTo(&dialog))
            texts.append(label->text());
    }
    return texts.join(u'\n');
}

} // namespace

// The whole Agent-Native Authorization flow with real processes: the gateway
// binary serving examples/demo/gateway.yaml (on a free port, a short approval
// timeout), which starts the example directory server over stdio; the example
// agent CLI and the MCP TypeScript SDK as agents; and the companion's own
// app/ and ui/ classes in this process (offscreen), paired by scanning the
// gateway's QR code PNG, its device key in a real Secret Service. The test
// clicks where a person would and checks what each party ends up with: the
// agent's output and exit code, the directory's file, the companion's
// history and the gateway's audit log.
class TestE2eFlow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void approveWithTotp();
    void approveWithPasskey();
    void denyLeavesTheUserUnchanged();
    void noAnswerTimesOut();
    void mcpSdkClientIsApprovedToo();

private:
    QString gatewayCli(const QStringList &arguments, const QString &pngPath = {});
    bool waitForHealthy();
    ApprovalDialog *waitForDialog(QString *requestId);
    void startAgent(Program &agent, const QString &tool, const QString &userArgument);
    static QString bindingCodeIn(const QString &text);
    static void pickCode(ApprovalDialog &dialog, const QString &code);
    std::optional<bool> directoryUserDisabled(const QString &id) const;
    QStringList auditKinds(const QString &requestId) const;

    QTemporaryDir m_dir;
    QString m_dataDir;
    QString m_configPath;
    quint16 m_port = 0;
    QProcess m_gateway;
    std::optional<Totp> m_totp;
    // The time step of the last TOTP code used (each is good once).
    qint64 m_usedTotpStep = -1;
    SystemClock m_clock;

    // The security key: a software CTAP2 authenticator behind the real
    // libfido2, touched at once when asked.
    SoftAuthenticator m_softKey;
    std::unique_ptr<FidoAuthenticator> m_authenticator;
    std::unique_ptr<KeychainSecretStore> m_secrets;
    std::unique_ptr<PairedGateways> m_gateways;
    std::unique_ptr<History> m_history;
    std::unique_ptr<Companion> m_companion;
    std::unique_ptr<CompanionController> m_controller;
    QString m_gatewayId;
};

void TestE2eFlow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("countersign-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("e2e"));
    QSettings().clear();
    QVERIFY(m_dir.isValid());
    m_dataDir = m_dir.filePath(QStringLiteral("gateway-data"));

    // The demo configuration and policy as shipped, with a free port and a
    // short approval timeout.
    m_port = freePort();
    QVERIFY(m_port != 0);
    const QString timeout = QStringLiteral("timeout: %1s").arg(approvalTimeoutSeconds);
    m_configPath = m_dir.filePath(QStringLiteral("gateway.yaml"));
    QVERIFY(copyEdited(QStringLiteral(COUNTERSIGN_DEMO_DIR "/gateway.yaml"), m_configPath,
                       {{QStringLiteral("listen: 127.0.0.1:8780"),
                         QStringLiteral("listen: 127.0.0.1:%1").arg(m_port)},
                        {QStringLiteral("timeout: 55s"), timeout}}));
    QVERIFY(copyEdited(QStringLiteral(COUNTERSIGN_DEMO_DIR "/policy.yaml"),
                       m_dir.filePath(QStringLiteral("policy.yaml")),
                       {{QStringLiteral("timeout: 55s"), timeout}}));

    m_gateway.setProgram(binary("countersign-gateway"));
    m_gateway.setArguments({QStringLiteral("serve"), QStringLiteral("--config"), m_configPath,
                            QStringLiteral("--data-dir"), m_dataDir});
    m_gateway.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_gateway.setStandardOutputFile(QProcess::nullDevice());
    m_gateway.start();
    QVERIFY2(m_gateway.waitForStarted(), qPrintable(m_gateway.errorString()));
    QVERIFY2(waitForHealthy(), "the gateway did not come up");

    // TOTP: the otpauth link the person's phone would scan; the test is the
    // phone.
    const QString enrolment = gatewayCli(
        {QStringLiteral("totp"), QStringLiteral("enroll"), QStringLiteral("--user"), user});
    const QRegularExpressionMatch otpauth =
        QRegularExpression(QStringLiteral("otpauth://\\S+")).match(enrolment);
    QVERIFY2(otpauth.hasMatch(), qPrintable(enrolment));
    const auto uri = OtpauthUri::parse(otpauth.captured());
    QVERIFY2(uri.ok(), qPrintable(otpauth.captured()));
    auto totp = uri->totp();
    QVERIFY(totp.ok());
    m_totp = totp.value();

    // Pairing: the companion opens the QR code PNG the gateway wrote, the
    // person checks the gateway and presses Pair.
    const QString png = m_dir.filePath(QStringLiteral("pairing.png"));
    const QString offer = gatewayCli({QStringLiteral("pair"), QStringLiteral("--user"), user}, png);
    QVERIFY2(QFile::exists(png), qPrintable(offer));

    m_secrets = std::make_unique<KeychainSecretStore>(QStringLiteral("countersign-tests"), nullptr);
    m_gateways = std::make_unique<PairedGateways>(*m_secrets);
    PairingClient pairingClient(*m_secrets, m_clock);
    {
        PairingDialog pairing(
            PairingDialog::Services{pairingClient, *m_gateways,
                                    [](const QImage &image) { return QrDecoder::decode(image); },
                                    nullptr, QStringLiteral("e2e-laptop")});
        QSignalSpy paired(&pairing, &PairingDialog::paired);
        pairing.show();
        pairing.openImageFile(png);
        QCOMPARE(pairing.page(), PairingDialog::Page::Confirm);
        auto *pair = pairing.findChild<QPushButton *>(QStringLiteral("pairButton"));
        QVERIFY(pair && pair->isVisible());
        QTest::mouseClick(pair, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(paired.size(), 1, deadlineMs);
        m_gatewayId = paired.first().first().value<GatewayProfile>().gatewayId;
    }
    QCOMPARE(m_gateways->all().size(), 1);

    m_history = std::make_unique<History>(m_dir.filePath(QStringLiteral("history.sqlite")));
    auto keys = std::make_unique<SoftDeviceSource>();
    keys->plug(&m_softKey);
    m_authenticator = std::make_unique<FidoAuthenticator>(std::move(keys));
    m_companion = std::make_unique<Companion>(*m_gateways, *m_secrets, *m_history, nullptr, m_clock,
                                              m_authenticator.get());
    m_controller = std::make_unique<CompanionController>(*m_companion, m_clock);
    m_companion->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->summary().connectedGateways == 1, deadlineMs);
}

void TestE2eFlow::cleanupTestCase()
{
    m_controller.reset();
    m_companion.reset();
    m_authenticator.reset();
    if (m_gateways && !m_gatewayId.isEmpty()) {
        bool done = false;
        m_gateways->unpair(m_gatewayId, this, [&](Status) { done = true; });
        QTRY_VERIFY(done);
    }
    m_gateways.reset();
    m_secrets.reset();
    if (m_gateway.state() != QProcess::NotRunning) {
        m_gateway.terminate();
        QVERIFY(m_gateway.waitForFinished(10'000));
        QCOMPARE(m_gateway.exitStatus(), QProcess::NormalExit);
    }
}

QString TestE2eFlow::gatewayCli(const QStringList &arguments, const QString &pngPath)
{
    QProcess cli;
    QStringList all = arguments;
    all << QStringLiteral("--config") << m_configPath << QStringLiteral("--data-dir") << m_dataDir;
    if (!pngPath.isEmpty())
        all << QStringLiteral("--png") << pngPath;
    cli.start(binary("countersign-gateway"), all);
    if (!cli.waitForFinished(deadlineMs))
        return {};
    return QString::fromUtf8(cli.readAllStandardOutput() + cli.readAllStandardError());
}

bool TestE2eFlow::waitForHealthy()
{
    QNetworkAccessManager network;
    const QUrl health(QStringLiteral("http://127.0.0.1:%1/healthz").arg(m_port));
    bool healthy = false;
    (void)QTest::qWaitFor(
        [&] {
            QNetworkReply *reply = network.get(QNetworkRequest(health));
            (void)QTest::qWaitFor([&] { return reply->isFinished(); }, 2000);
            healthy = reply->error() == QNetworkReply::NoError;
            reply->deleteLater();
            return healthy || m_gateway.state() != QProcess::Running;
        },
        deadlineMs);
    return healthy;
}

void TestE2eFlow::startAgent(Program &agent, const QString &tool, const QString &userArgument)
{
    agent.start(binary("countersign-agent"),
                {QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port),
                 QStringLiteral("--key"), QString::fromLatin1(agentKey), QStringLiteral("call"),
                 tool, QStringLiteral("user=") + userArgument});
}

ApprovalDialog *TestE2eFlow::waitForDialog(QString *requestId)
{
    ApprovalDialog *found = nullptr;
    (void)QTest::qWaitFor(
        [&] {
            const auto pending = m_controller->summary().pending;
            if (pending.isEmpty())
                return false;
            found = m_controller->dialog(m_gatewayId, pending.first().requestId);
            if (found && requestId)
                *requestId = pending.first().requestId;
            return found && found->isVisible();
        },
        deadlineMs);
    return found;
}

QString TestE2eFlow::bindingCodeIn(const QString &text)
{
    return QRegularExpression(QStringLiteral("binding code (\\d\\d)")).match(text).captured(1);
}

void TestE2eFlow::pickCode(ApprovalDialog &dialog, const QString &code)
{
    QPushButton *picked = nullptr;
    for (QPushButton *choice : dialog.findChildren<QPushButton *>()) {
        if (choice->objectName().startsWith(QStringLiteral("bindingCodeChoice"))
            && choice->text() == code)
            picked = choice;
    }
    QVERIFY2(picked, qPrintable(QStringLiteral("no choice shows the agent's code ") + code));
    QTest::mouseClick(picked, Qt::LeftButton);
}

std::optional<bool> TestE2eFlow::directoryUserDisabled(const QString &id) const
{
    QFile file(m_dataDir + QStringLiteral("/directory-users.json"));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonArray users =
        QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("users")).toArray();
    for (const QJsonValue &entry : users) {
        const QJsonObject object = entry.toObject();
        if (object.value(QStringLiteral("id")).toString() == id)
            return object.value(QStringLiteral("disabled")).toBool(false);
    }
    return std::nullopt;
}

QStringList TestE2eFlow::auditKinds(const QString &requestId) const
{
    QStringList kinds;
    const QString name = QStringLiteral("e2e-audit");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(m_dataDir + QStringLiteral("/gateway.sqlite"));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery query(db);
            query.prepare(QStringLiteral(
                "SELECT kind, details FROM audit_log WHERE request_id = ? ORDER BY id"));
            query.addBindValue(requestId);
            if (query.exec()) {
                while (query.next())
                    kinds.append(query.value(0).toString() + u' ' + query.value(1).toString());
            }
        }
    }
    QSqlDatabase::removeDatabase(name);
    return kinds;
}

void TestE2eFlow::approveWithTotp()
{
    // Enabled, or not seeded yet (the gateway starts the directory, which
    // seeds its file, with the first MCP session).
    QVERIFY(!directoryUserDisabled(QStringLiteral("alice")).value_or(false));
    Program agent;
    startAgent(agent, QStringLiteral("disable_user"), QStringLiteral("alice"));

    // The companion: the dialog comes up with what the agent asked for.
    QString requestId;
    ApprovalDialog *dialog = waitForDialog(&requestId);
    QVERIFY2(dialog, qPrintable(agent.transcript()));
    const qint64 shownAt = agent.now();
    const QString shown = dialogText(*dialog);
    for (const QString &expected :
         {QStringLiteral("disable_user"), QStringLiteral("alice"),
          QStringLiteral("countersign-agent"), QStringLiteral("Countersign demo gateway")})
        QVERIFY2(shown.contains(expected), qPrintable(expected + u'\n' + shown));

    // The agent: denied first, then the binding code the person compares.
    QTRY_VERIFY_WITH_TIMEOUT(!bindingCodeIn(agent.out()).isEmpty(), deadlineMs);
    QVERIFY2(agent.out().contains(QStringLiteral("DENIED: just-in-time authorization required")),
             qPrintable(agent.transcript()));
    const QString code = bindingCodeIn(agent.out());
    QCOMPARE(code, dialog->request().bindingCode);

    pickCode(*dialog, code);
    auto *totp = dialog->findChild<QLineEdit *>(QStringLiteral("totpCodeEdit"));
    QVERIFY(totp && totp->isEnabled());
    m_usedTotpStep = m_clock.secondsSinceEpoch() / m_totp->period();
    QTest::keyClicks(totp, m_totp->code(m_clock).value());
    auto *approve = dialog->findChild<QPushButton *>(QStringLiteral("approveButton"));
    QVERIFY(approve);
    QTRY_VERIFY(approve->isEnabled()); // held back a moment after the dialog appears
    const qint64 approvedAt = agent.now();
    QTest::mouseClick(approve, Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(agent.finished(), deadlineMs);
    QVERIFY2(agent.exitCode() == 0, qPrintable(agent.transcript()));
    for (const QString &step : {QStringLiteral("Approved with TOTP"),
                                QStringLiteral("elevated token issued"), QStringLiteral("RESULT:")})
        QVERIFY2(agent.out().contains(step), qPrintable(step + u'\n' + agent.transcript()));
    // The machine's share of the round trip: request to dialog, approve to
    // result (the person's reading and typing left out).
    qInfo("e2e machine time (TOTP): %lld ms = %lld ms request to dialog + %lld ms approve to "
          "result",
          shownAt + (agent.finishedAt() - approvedAt), shownAt, agent.finishedAt() - approvedAt);

    // What each party ends up with.
    QCOMPARE(directoryUserDisabled(QStringLiteral("alice")), std::optional<bool>(true));
    QTRY_VERIFY(!m_history->entries().isEmpty());
    const HistoryEntry entry = m_history->entries().constLast();
    QCOMPARE(entry.requestId, requestId);
    QCOMPARE(entry.outcome, ApprovalOutcome::Approved);
    QCOMPARE(entry.method, std::optional<ApprovalMethod>(ApprovalMethod::Totp));
    QCOMPARE(entry.action, QStringLiteral("disable_user"));
    const QString audit = auditKinds(requestId).join(u'\n');
    for (const QString &kind : {QStringLiteral("approval.requested"), QStringLiteral("mcp.step_up"),
                                QStringLiteral("approval.approved"), QStringLiteral("token.issued"),
                                QStringLiteral("\"outcome\":\"completed\"")})
        QVERIFY2(audit.contains(kind), qPrintable(kind + u'\n' + audit));
}

void TestE2eFlow::approveWithPasskey()
{
    // Register the security key with the gateway, as Settings does: the key
    // makes a credential, the gateway verifies the attestation and stores it.
    // With a code of the authenticator app (protocol 8.2): not the one the
    // TOTP approval used, so wait for the next time step if need be.
    QTRY_VERIFY_WITH_TIMEOUT(m_clock.secondsSinceEpoch() / m_totp->period() != m_usedTotpStep,
                             static_cast<int>((m_totp->period() + 5) * 1000));
    m_usedTotpStep = m_clock.secondsSinceEpoch() / m_totp->period();
    QSignalSpy registration(m_companion.get(), &Companion::passkeyRegistration);
    QVERIFY(m_companion->registerPasskey(m_gatewayId, QStringLiteral("e2e soft key"),
                                         m_totp->code(m_clock).value()));
    const auto ended = [&] {
        for (const QList<QVariant> &event : std::as_const(registration)) {
            if (event.at(2).toBool())
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(ended(), deadlineMs);
    const QList<QVariant> last = registration.constLast();
    QVERIFY2(last.at(3).toBool(), qPrintable(last.at(4).toString()));
    QCOMPARE(m_softKey.credentialIds().size(), 1);
    const auto passkeys = m_companion->client(m_gatewayId)->passkeyContext();
    QVERIFY(passkeys && passkeys->credentials.size() == 1);
    QCOMPARE(passkeys->credentials.first().name, QStringLiteral("e2e soft key"));

    // The first scenario disabled alice; the agent now asks to enable her.
    QCOMPARE(directoryUserDisabled(QStringLiteral("alice")), std::optional<bool>(true));
    Program agent;
    startAgent(agent, QStringLiteral("enable_user"), QStringLiteral("alice"));
    QString requestId;
    ApprovalDialog *dialog = waitForDialog(&requestId);
    QVERIFY2(dialog, qPrintable(agent.transcript()));
    const qint64 shownAt = agent.now();
    QVERIFY(dialogText(*dialog).contains(QStringLiteral("enable_user")));
    // Both methods are offered; the policy lists the passkey first.
    QCOMPARE(dialog->offeredMethods(),
             (QList<ApprovalMethod>{ApprovalMethod::Passkey, ApprovalMethod::Totp}));
    auto *passkeyChoice = dialog->findChild<QRadioButton *>(QStringLiteral("methodPasskeyRadio"));
    QVERIFY(passkeyChoice && passkeyChoice->isVisible() && passkeyChoice->isChecked());

    QTRY_VERIFY_WITH_TIMEOUT(!bindingCodeIn(agent.out()).isEmpty(), deadlineMs);
    pickCode(*dialog, bindingCodeIn(agent.out()));
    auto *approve = dialog->findChild<QPushButton *>(QStringLiteral("approveButton"));
    QVERIFY(approve);
    QTRY_VERIFY(approve->isEnabled()); // held back a moment after the dialog appears
    const qint64 approvedAt = agent.now();
    QTest::mouseClick(approve, Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(agent.finished(), deadlineMs);
    QVERIFY2(agent.exitCode() == 0, qPrintable(agent.transcript()));
    QVERIFY2(agent.out().contains(QStringLiteral("Approved with passkey")),
             qPrintable(agent.transcript()));
    qInfo("e2e machine time (passkey): %lld ms = %lld ms request to dialog + %lld ms approve to "
          "result (security key included, touched at once)",
          shownAt + (agent.finishedAt() - approvedAt), shownAt, agent.finishedAt() - approvedAt);
    QCOMPARE(directoryUserDisabled(QStringLiteral("alice")), std::optional<bool>(false));
    QTRY_VERIFY(m_history->entries().constLast().requestId == requestId);
    QCOMPARE(m_history->entries().constLast().method,
             std::optional<ApprovalMethod>(ApprovalMethod::Passkey));
    QVERIFY2(auditKinds(requestId).join(u'\n').contains(QStringLiteral("approval.approved")),
             qPrintable(auditKinds(requestId).join(u'\n')));
}

void TestE2eFlow::denyLeavesTheUserUnchanged()
{
    // Enabled, or not seeded yet (the gateway starts the directory, which
    // seeds its file, with the first MCP session).
    QVERIFY(!directoryUserDisabled(QStringLiteral("bob")).value_or(false));
    Program agent;
    startAgent(agent, QStringLiteral("disable_user"), QStringLiteral("bob"));
    QString requestId;
    ApprovalDialog *dialog = waitForDialog(&requestId);
    QVERIFY2(dialog, qPrintable(agent.transcript()));
    QVERIFY(dialogText(*dialog).contains(QStringLiteral("bob")));
    auto *reason = dialog->findChild<QLineEdit *>(QStringLiteral("denyReasonEdit"));
    if (reason)
        QTest::keyClicks(reason, QStringLiteral("not today"));
    auto *deny = dialog->findChild<QPushButton *>(QStringLiteral("denyButton"));
    QVERIFY(deny);
    QTest::mouseClick(deny, Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(agent.finished(), deadlineMs);
    QVERIFY2(agent.exitCode() == 3, qPrintable(agent.transcript())); // denied
    QVERIFY2(!agent.out().contains(QStringLiteral("RESULT:")), qPrintable(agent.transcript()));
    QCOMPARE(directoryUserDisabled(QStringLiteral("bob")), std::optional<bool>(false));
    QTRY_VERIFY(!m_history->entries().isEmpty()
                && m_history->entries().constLast().requestId == requestId);
    QCOMPARE(m_history->entries().constLast().outcome, ApprovalOutcome::Denied);
    QVERIFY2(auditKinds(requestId).join(u'\n').contains(QStringLiteral("approval.denied")),
             qPrintable(auditKinds(requestId).join(u'\n')));
}

void TestE2eFlow::noAnswerTimesOut()
{
    // Enabled, or not seeded yet (the gateway starts the directory, which
    // seeds its file, with the first MCP session).
    QVERIFY(!directoryUserDisabled(QStringLiteral("carol")).value_or(false));
    Program agent;
    startAgent(agent, QStringLiteral("disable_user"), QStringLiteral("carol"));
    QString requestId;
    const QPointer<ApprovalDialog> dialog = waitForDialog(&requestId);
    QVERIFY2(dialog, qPrintable(agent.transcript()));
    // Nobody answers: the request expires, the dialog closes by itself and
    // the agent is told it timed out.
    QTRY_VERIFY_WITH_TIMEOUT(agent.finished(), (approvalTimeoutSeconds + 20) * 1000);
    QVERIFY2(agent.exitCode() == 4, qPrintable(agent.transcript())); // timed out
    // Closed: it deletes itself, or at least is hidden.
    const auto closed = [&dialog] {
        const ApprovalDialog *open = dialog.data();
        return open == nullptr || open->isHidden();
    };
    QTRY_VERIFY_WITH_TIMEOUT(closed(), deadlineMs);
    QCOMPARE(directoryUserDisabled(QStringLiteral("carol")), std::optional<bool>(false));
    QVERIFY2(auditKinds(requestId).join(u'\n').contains(QStringLiteral("approval.expired")),
             qPrintable(auditKinds(requestId).join(u'\n')));
}

void TestE2eFlow::mcpSdkClientIsApprovedToo()
{
    // The official MCP TypeScript SDK as the agent: same flow, another client.
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    QVERIFY2(!node.isEmpty(), "node is missing: apt-get install -y nodejs npm");
    QVERIFY2(QFile::exists(QStringLiteral(COUNTERSIGN_INTEROP_DIR
                                          "/node_modules/@modelcontextprotocol/sdk/package.json")),
             "run `npm ci` in tests/interop (scripts/test does)");
    // Carol: the no-answer scenario left her enabled.
    // Enabled, or not seeded yet (the gateway starts the directory, which
    // seeds its file, with the first MCP session).
    QVERIFY(!directoryUserDisabled(QStringLiteral("carol")).value_or(false));
    Program sdk;
    sdk.start(node,
              {QStringLiteral(COUNTERSIGN_INTEROP_DIR "/mcp-sdk-client.mjs"),
               QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port), QString::fromLatin1(agentKey),
               QStringLiteral("disable"), QStringLiteral("carol")},
              QStringLiteral(COUNTERSIGN_INTEROP_DIR));
    QString requestId;
    ApprovalDialog *dialog = waitForDialog(&requestId);
    QVERIFY2(dialog, qPrintable(sdk.transcript()));
    QVERIFY(dialogText(*dialog).contains(QStringLiteral("disable_user")));
    // The SDK client prints the elicitation and progress messages, which
    // carry the binding code.
    QTRY_VERIFY_WITH_TIMEOUT(!bindingCodeIn(sdk.out()).isEmpty(), deadlineMs);
    QCOMPARE(bindingCodeIn(sdk.out()), dialog->request().bindingCode);
    pickCode(*dialog, dialog->request().bindingCode);
    auto *totp = dialog->findChild<QLineEdit *>(QStringLiteral("totpCodeEdit"));
    QVERIFY(totp);
    // The next time step's code: each code is good once, the first scenario
    // may have used this step's, and the gateway accepts one step ahead.
    const testing::ManualClock nextStep(m_clock.secondsSinceEpoch() + m_totp->period());
    QTest::keyClicks(totp, m_totp->code(nextStep).value());
    auto *approve = dialog->findChild<QPushButton *>(QStringLiteral("approveButton"));
    QTRY_VERIFY(approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(sdk.finished(), deadlineMs);
    QVERIFY2(sdk.exitCode() == 0, qPrintable(sdk.transcript()));
    QVERIFY2(sdk.out().contains(QStringLiteral("\"step\":\"result\"")),
             qPrintable(sdk.transcript()));
    QVERIFY2(!sdk.out().contains(QStringLiteral("\"isError\":true")), qPrintable(sdk.transcript()));
    QTRY_VERIFY(m_history->entries().constLast().requestId == requestId);
    QCOMPARE(m_history->entries().constLast().outcome, ApprovalOutcome::Approved);
    QCOMPARE(directoryUserDisabled(QStringLiteral("carol")), std::optional<bool>(true));
}

QTEST_MAIN(TestE2eFlow)
#include "test_e2e_flow.moc"
