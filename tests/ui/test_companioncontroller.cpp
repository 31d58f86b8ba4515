#include "app/companion.h"
#include "app/history.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "platform/keychainsecretstore.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "ui/approvaldialog.h"
#include "ui/companioncontroller.h"

#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>

using namespace countersign;
using namespace countersign::testing;

// The companion as a person uses it, in one process: paired with a real
// gateway by the real pairing client (device key in a real Secret Service),
// connected by the real gateway client; a request arrives, its dialog comes
// up, the test clicks through it like a person, and the gateway records the
// approval.
class TestCompanionController : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void approveThroughTheDialog();
    void wrongCodeThenRightCode();
    void denyThroughTheDialog();
    void resolvedElsewhereClosesTheDialog();
    void notificationOnlyOpensTheDialog();
    void quittingWithARequestWaitingRecordsNothing();

private:
    // A notifier that records what it was asked to show.
    class RecordingNotifier : public Notifier {
    public:
        QStringList shown;
        QStringList closed;
        void notify(const QString &title, const QString &, const QString &id) override
        {
            shown.append(id);
            titles.append(title);
        }
        void close(const QString &id) override { closed.append(id); }
        QStringList titles;
    };

    ApprovalDialog *waitForDialog(const gateway::ApprovalRecord &approval);
    static void pickCodeAndEnter(ApprovalDialog &dialog, const QString &totp);

    QTemporaryDir m_dir;
    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<KeychainSecretStore> m_secrets;
    std::unique_ptr<PairedGateways> m_gateways;
    std::unique_ptr<History> m_history;
    std::unique_ptr<RecordingNotifier> m_notifier;
    std::unique_ptr<Companion> m_companion;
    std::unique_ptr<CompanionController> m_controller;
    std::optional<Totp> m_totp;
    QString m_gatewayId;
};

void TestCompanionController::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("countersign-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("companioncontroller"));
    QVERIFY(m_dir.isValid());
}

void TestCompanionController::init()
{
    QSettings().clear();
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_secrets = std::make_unique<KeychainSecretStore>(QStringLiteral("countersign-tests"), nullptr);
    m_gateways = std::make_unique<PairedGateways>(*m_secrets);

    // Pair for real: a fresh device key goes into the keychain.
    PairingClient pairing(*m_secrets, m_fixture->clock());
    QSignalSpy paired(&pairing, &PairingClient::succeeded);
    QSignalSpy failed(&pairing, &PairingClient::failed);
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    QVERIFY(offer.ok());
    QVERIFY(pairing.pair(offer->link, QStringLiteral("test-laptop")));
    QTRY_VERIFY_WITH_TIMEOUT(paired.size() + failed.size() > 0, 15000);
    QCOMPARE(paired.size(), 1);
    const auto profile = paired.first().first().value<GatewayProfile>();
    QVERIFY(m_gateways->save(profile).ok());
    m_gatewayId = profile.gatewayId;

    m_history = std::make_unique<History>(m_dir.filePath(QStringLiteral("history.sqlite")));
    m_notifier = std::make_unique<RecordingNotifier>();
    m_companion = std::make_unique<Companion>(*m_gateways, *m_secrets, *m_history, m_notifier.get(),
                                              m_fixture->clock());
    m_controller = std::make_unique<CompanionController>(*m_companion, m_fixture->clock());
    QSignalSpy summaries(m_controller.get(), &CompanionController::summaryChanged);
    m_companion->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->summary().connectedGateways == 1, 15000);
}

void TestCompanionController::cleanup()
{
    m_controller.reset();
    m_companion.reset();
    m_notifier.reset();
    if (m_gateways && !m_gatewayId.isEmpty()) {
        bool done = false;
        m_gateways->unpair(m_gatewayId, this, [&](Status) { done = true; });
        QTRY_VERIFY(done);
    }
    m_gateways.reset();
    m_secrets.reset();
    m_fixture.reset();
    if (m_history)
        QFile::remove(m_history->filePath());
    m_history.reset();
}

ApprovalDialog *TestCompanionController::waitForDialog(const gateway::ApprovalRecord &approval)
{
    ApprovalDialog *dialog = nullptr;
    (void)QTest::qWaitFor(
        [&] {
            dialog = m_controller->dialog(m_gatewayId, approval.requestId);
            return dialog && dialog->isVisible();
        },
        15000);
    return dialog;
}

void TestCompanionController::pickCodeAndEnter(ApprovalDialog &dialog, const QString &totp)
{
    for (QPushButton *choice : dialog.findChildren<QPushButton *>()) {
        if (choice->objectName().startsWith(QStringLiteral("bindingCodeChoice"))
            && choice->text() == dialog.request().bindingCode)
            QTest::mouseClick(choice, Qt::LeftButton);
    }
    auto *code = dialog.findChild<QLineEdit *>(QStringLiteral("totpCodeEdit"));
    QVERIFY(code);
    code->clear();
    QTest::keyClicks(code, totp);
}

void TestCompanionController::approveThroughTheDialog()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    ApprovalDialog *dialog = waitForDialog(approval);
    QVERIFY(dialog);
    QCOMPARE(m_controller->summary().pending.size(), 1);
    QCOMPARE(m_notifier->shown.size(), 1);
    pickCodeAndEnter(*dialog, m_totp->code(m_fixture->clock()).value());
    auto *approve = dialog->findChild<QPushButton *>(QStringLiteral("approveButton"));
    QVERIFY(approve);
    QTRY_VERIFY(approve->isEnabled()); // after the hold-back that follows its appearing
    const QPointer<ApprovalDialog> open(dialog);
    QTest::mouseClick(approve, Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(m_fixture->gateway().broker().approval(approval.requestId)->state
                                 == gateway::ApprovalState::Approved,
                             15000);
    QTRY_COMPARE(m_controller->summary().pending.size(), 0);
    QTRY_VERIFY(!m_controller->dialog(m_gatewayId, approval.requestId));
    // The person sees the outcome before the dialog goes.
    QVERIFY(open);
    auto *status = open->findChild<QLabel *>(QStringLiteral("statusLabel"));
    QTRY_VERIFY(status->text().startsWith(QStringLiteral("Approved.")));
    QTRY_VERIFY_WITH_TIMEOUT(open.isNull(),
                             static_cast<int>(ApprovalDialog::outcomeShownFor.count()) + 5000);
    QTRY_COMPARE(m_history->entries().size(), 1);
    const HistoryEntry entry = m_history->entries().first();
    QCOMPARE(entry.requestId, approval.requestId);
    QCOMPARE(entry.outcome, ApprovalOutcome::Approved);
    QCOMPARE(entry.method, std::optional<ApprovalMethod>(ApprovalMethod::Totp));
    QVERIFY(!entry.action.isEmpty());
}

void TestCompanionController::wrongCodeThenRightCode()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    ApprovalDialog *dialog = waitForDialog(approval);
    QVERIFY(dialog);
    const QString right = m_totp->code(m_fixture->clock()).value();
    const QString wrong = right == u"000000" ? QStringLiteral("111111") : QStringLiteral("000000");
    pickCodeAndEnter(*dialog, wrong);
    auto *approve = dialog->findChild<QPushButton *>(QStringLiteral("approveButton"));
    QTRY_VERIFY(approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);
    // The gateway refuses; the dialog says so and lets the person retry.
    QTRY_VERIFY_WITH_TIMEOUT(
        m_fixture->gateway().broker().approval(approval.requestId)->failedAttempts == 1, 15000);
    auto *code = dialog->findChild<QLineEdit *>(QStringLiteral("totpCodeEdit"));
    QTRY_VERIFY(code->isEnabled());
    code->clear();
    QTest::keyClicks(code, right);
    QTRY_VERIFY(approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_fixture->gateway().broker().approval(approval.requestId)->state
                                 == gateway::ApprovalState::Approved,
                             15000);
}

void TestCompanionController::denyThroughTheDialog()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    ApprovalDialog *dialog = waitForDialog(approval);
    QVERIFY(dialog);
    auto *deny = dialog->findChild<QPushButton *>(QStringLiteral("denyButton"));
    QVERIFY(deny);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("denyReasonEdit")),
                     QStringLiteral("Not during the freeze"));
    QTest::mouseClick(deny, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_fixture->gateway().broker().approval(approval.requestId)->state
                                 == gateway::ApprovalState::Denied,
                             15000);
    auto *status = dialog->findChild<QLabel *>(QStringLiteral("statusLabel"));
    QTRY_VERIFY(status->text().startsWith(QStringLiteral("Denied.")));
    // History keeps the outcome and the person's reason.
    QTRY_COMPARE(m_history->entries().size(), 1);
    QCOMPARE(m_history->entries().first().outcome, ApprovalOutcome::Denied);
    QVERIFY(!m_history->entries().first().method);
    QCOMPARE(m_history->entries().first().detail, QStringLiteral("Not during the freeze"));
}

void TestCompanionController::resolvedElsewhereClosesTheDialog()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    ApprovalDialog *shown = waitForDialog(approval);
    QVERIFY(shown);
    const QPointer<ApprovalDialog> dialog(shown);
    QVERIFY(m_fixture->gateway()
                .broker()
                .cancel(approval.requestId, QStringLiteral("agent gave up"))
                .ok());
    // It says so, then it is closed and gone (it deletes itself on close).
    auto *status = shown->findChild<QLabel *>(QStringLiteral("statusLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("Cancelled")), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), 15000);
    QTRY_COMPARE(m_controller->summary().pending.size(), 0);
    QVERIFY(m_notifier->closed.contains(m_gatewayId + u'\n' + approval.requestId));
}

void TestCompanionController::notificationOnlyOpensTheDialog()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    ApprovalDialog *shown = waitForDialog(approval);
    QVERIFY(shown);
    const QPointer<ApprovalDialog> dialog(shown);
    shown->close();
    QTRY_VERIFY(dialog.isNull());
    // Clicking the notification brings the dialog back; nothing is approved.
    Q_EMIT m_notifier->activated(m_notifier->shown.first());
    QTRY_VERIFY(m_controller->dialog(m_gatewayId, approval.requestId));
    ApprovalDialog *again = m_controller->dialog(m_gatewayId, approval.requestId);
    QVERIFY(again && again->isVisible());
    QCOMPARE(m_fixture->gateway().broker().approval(approval.requestId)->state,
             gateway::ApprovalState::Pending);
}

void TestCompanionController::quittingWithARequestWaitingRecordsNothing()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    QVERIFY(waitForDialog(approval));
    // Quit: the companion goes while the request still waits at the
    // gateway, where another device may yet approve it.
    m_controller.reset();
    m_companion.reset();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCOMPARE(m_history->entries().size(), 0);
    QCOMPARE(m_fixture->gateway().broker().approval(approval.requestId)->state,
             gateway::ApprovalState::Pending);
}

QTEST_MAIN(TestCompanionController)
#include "test_companioncontroller.moc"
