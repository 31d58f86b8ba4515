#include "protocol/displaytext.h"
#include "protocol/jose/ecprivatekey.h"
#include "tests/support/manualclock.h"
#include "tests/support/samplemessages.h"
#include "tests/support/timerwait.h"
#include "ui/approvaldialog.h"
#include "ui/factsection.h"
#include "ui/passkeypanel.h"
#include "ui/safetext.h"

#include <memory>
#include <optional>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>
#include <QWindow>

using namespace countersign;
using countersign::testing::ManualClock;

Q_DECLARE_METATYPE(countersign::ApprovalOutcome)

namespace {

constexpr qint64 now = 1'750'000'000;
const QString gatewayName = QStringLiteral("Example Gateway");

// Label text as a person reads it (without the invisible break opportunities
// the dialog adds to long runs).
QString readable(const QLabel *label)
{
    return withoutBreakOpportunities(label->text());
}

QStringList labelTexts(const QWidget *root, const QString &objectName = QString())
{
    QStringList texts;
    const auto labels = root->findChildren<QLabel *>(objectName);
    for (const QLabel *label : labels)
        texts.append(readable(label));
    return texts;
}

// What a person can see: labels shown on screen (hidden ones left out).
QStringList visibleLabelTexts(const QWidget *root)
{
    QStringList texts;
    const auto labels = root->findChildren<QLabel *>();
    for (const QLabel *label : labels) {
        if (label->isVisibleTo(root))
            texts.append(readable(label));
    }
    return texts;
}

bool anyContains(const QStringList &texts, const QString &needle)
{
    for (const QString &text : texts) {
        if (text.contains(needle))
            return true;
    }
    return false;
}

} // namespace

class TestApprovalDialog : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void showsTheSignedRequest();
    void agentSuppliedTextIsLabelledUnverified();
    void withoutAgentTextThereIsNoUnverifiedSection();
    void unsafeTextIsNeverShownRaw();
    void remoteTextIsNeverRichText();
    void approveNeedsMatchingCodeAndSixDigits();
    void approveEmitsTheTotpCodeOnce();
    void enterInTheCodeFieldDoesNotApprove();
    void noButtonIsDefaultAndReturnNeverApproves();
    void wrongBindingCodeDenies();
    void denyWithAndWithoutReason();
    void countdownFollowsTheClockAndClosesAtExpiry();
    void alreadyExpiredRequestIsNeverShown();
    void resolvedElsewhereClosesWithoutSignals();
    void rejectedCodeAllowsRetry();
    void lockedRequestCannotBeApproved();
    void undeliveredAnswerAllowsRetry();
    void escapeClosesWithoutDeciding();
    void arrivesWithoutTakingFocus();
    void keyboardAccessible();
    void passkeyOnlyWhenTheOwnerOffersIt();
    void approveWithSecurityKey();
    void securityKeyPinAndFailures();
    void switchingMethods();
    void outcomesAreShownThenTheDialogCloses_data();
    void outcomesAreShownThenTheDialogCloses();
    void approveIsHeldBackAfterAppearingOrMoving();
    void messagesDoNotMoveTheButtons();
    void fitsASmallScreen();
    void saysWhenTheAgentStoppedWaiting();
    void disabledApproveLooksDisabledOnADarkTheme();
    void screenshot();

private:
    VerifiedApprovalRequest verified(const ApprovalRequest &request) const;
    std::unique_ptr<ApprovalDialog> makeDialog(const ApprovalRequest &request,
                                               QList<ApprovalMethod> methods = {
                                                   ApprovalMethod::Totp});
    static QPushButton *choiceFor(ApprovalDialog &dialog, const QString &code);
    static QPushButton *decoyFor(ApprovalDialog &dialog);
    static QPushButton *button(ApprovalDialog &dialog, const char *name);
    static QLineEdit *edit(ApprovalDialog &dialog, const char *name);
    static QLabel *label(ApprovalDialog &dialog, const char *name);
    static void pickRealCode(ApprovalDialog &dialog);
    static void waitUntilApproveIsNotHeldBack(ApprovalDialog &dialog);
    void saveScreenshot(QWidget &widget, const QString &fileName);

    std::optional<EcPrivateKey> m_gatewayKey;
    ManualClock m_clock{now};
};

void TestApprovalDialog::initTestCase()
{
    auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    m_gatewayKey = key.value();
}

void TestApprovalDialog::init()
{
    m_clock.set(now);
}

VerifiedApprovalRequest TestApprovalDialog::verified(const ApprovalRequest &request) const
{
    return testing::verifiedAsReceived(request, *m_gatewayKey, m_clock);
}

std::unique_ptr<ApprovalDialog> TestApprovalDialog::makeDialog(const ApprovalRequest &request,
                                                               QList<ApprovalMethod> methods)
{
    return std::make_unique<ApprovalDialog>(verified(request), gatewayName, methods, m_clock);
}

QPushButton *TestApprovalDialog::choiceFor(ApprovalDialog &dialog, const QString &code)
{
    const auto buttons = dialog.findChildren<QPushButton *>();
    for (QPushButton *candidate : buttons) {
        if (candidate->objectName().startsWith(QStringLiteral("bindingCodeChoice"))
            && candidate->text() == code)
            return candidate;
    }
    return nullptr;
}

QPushButton *TestApprovalDialog::decoyFor(ApprovalDialog &dialog)
{
    const auto buttons = dialog.findChildren<QPushButton *>();
    for (QPushButton *candidate : buttons) {
        if (candidate->objectName().startsWith(QStringLiteral("bindingCodeChoice"))
            && candidate->text() != dialog.request().bindingCode)
            return candidate;
    }
    return nullptr;
}

QPushButton *TestApprovalDialog::button(ApprovalDialog &dialog, const char *name)
{
    auto *found = dialog.findChild<QPushButton *>(QString::fromLatin1(name));
    Q_ASSERT(found);
    return found;
}

QLineEdit *TestApprovalDialog::edit(ApprovalDialog &dialog, const char *name)
{
    auto *found = dialog.findChild<QLineEdit *>(QString::fromLatin1(name));
    Q_ASSERT(found);
    return found;
}

QLabel *TestApprovalDialog::label(ApprovalDialog &dialog, const char *name)
{
    auto *found = dialog.findChild<QLabel *>(QString::fromLatin1(name));
    Q_ASSERT(found);
    return found;
}

void TestApprovalDialog::waitUntilApproveIsNotHeldBack(ApprovalDialog &dialog)
{
    QTRY_VERIFY(!dialog.isApproveHeldBack());
}

// Waits out Approve's hold-back after the dialog appeared first, so that
// what a test checks of Approve afterwards is the dialog's rule, not the
// hold-back (approveIsHeldBackAfterAppearingOrMoving tests that).
void TestApprovalDialog::pickRealCode(ApprovalDialog &dialog)
{
    waitUntilApproveIsNotHeldBack(dialog);
    QPushButton *real = choiceFor(dialog, dialog.request().bindingCode);
    QVERIFY(real);
    QTest::mouseClick(real, Qt::LeftButton);
}

void TestApprovalDialog::showsTheSignedRequest()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    dialog->present();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));

    QCOMPARE(readable(label(*dialog, "subjectUserValue")), QStringLiteral("alice@example.com"));
    QCOMPARE(readable(label(*dialog, "subjectAgentValue")), QStringLiteral("claude-code"));
    QCOMPARE(readable(label(*dialog, "actionValue")), QStringLiteral("disable_user"));
    QCOMPARE(readable(label(*dialog, "resourceValue")),
             QStringLiteral("directory/disable_user (tool)"));
    QCOMPARE(readable(label(*dialog, "gatewayValue")),
             QStringLiteral("Example Gateway (https://gateway.example.com)"));
    QCOMPARE(readable(label(*dialog, "headline")),
             QStringLiteral("claude-code wants to run disable_user"));
    QVERIFY(readable(label(*dialog, "subline")).contains(gatewayName));

    // Resource properties (the tool's arguments) and verified context facts
    // are in the verified section.
    auto *verifiedSection = dialog->findChild<QWidget *>(QStringLiteral("verifiedSection"));
    QVERIFY(verifiedSection);
    const QStringList verifiedValues = labelTexts(verifiedSection, QStringLiteral("factValue"));
    QVERIFY2(verifiedValues.contains(QStringLiteral("user: bob")),
             qPrintable(verifiedValues.join(QLatin1Char('|'))));
    QVERIFY(verifiedValues.contains(QStringLiteral("s-1")));
    // Member names read as words, the gateway's own in plain language.
    const QStringList captions = labelTexts(verifiedSection, QStringLiteral("factCaption"));
    QVERIFY2(captions.contains(QStringLiteral("Session")), qPrintable(captions.join(u'|')));
    QVERIFY(!captions.contains(QStringLiteral("session")));
    QCOMPARE(FactSection::captionFor(QStringLiteral("arguments")), QStringLiteral("Arguments"));
    QCOMPARE(FactSection::captionFor(QStringLiteral("upstream")),
             QStringLiteral("Upstream server"));
    QCOMPARE(FactSection::captionFor(QStringLiteral("policy_reason")), QStringLiteral("Policy"));
    QCOMPARE(FactSection::captionFor(QStringLiteral("ticket-id")), QStringLiteral("Ticket id"));

    QCOMPARE(readable(label(*dialog, "countdownLabel")), QStringLiteral("Expires in 2:00"));
    // The ids are folded away under Details, for whoever reads the audit log.
    QLabel *requestId = label(*dialog, "requestIdLabel");
    QCOMPARE(readable(requestId), QStringLiteral("Request req_7Hk2"));
    QVERIFY(!requestId->isVisible());
    auto *details = dialog->findChild<QToolButton *>(QStringLiteral("technicalDetailsToggle"));
    QVERIFY(details);
    QTest::mouseClick(details, Qt::LeftButton);
    QVERIFY(requestId->isVisible());
    QVERIFY(readable(label(*dialog, "gatewayIdLabel")).contains(QStringLiteral("gateway.example")));

    // Three distinct choices, exactly one of them the request's code.
    QStringList choices;
    for (int i = 0; i < 3; ++i) {
        auto *choice =
            dialog->findChild<QPushButton *>(QStringLiteral("bindingCodeChoice%1").arg(i));
        QVERIFY(choice);
        QVERIFY(choice->isVisible());
        choices.append(choice->text());
    }
    QCOMPARE(choices.count(dialog->request().bindingCode), 1);
    QCOMPARE(QSet<QString>(choices.cbegin(), choices.cend()).size(), 3);
}

void TestApprovalDialog::agentSuppliedTextIsLabelledUnverified()
{
    ApprovalRequest request = testing::sampleRequest(now);
    request.sarc.context.agentSupplied.insert(QStringLiteral("description"),
                                              QStringLiteral("Offboarding checklist step 4"));
    auto dialog = makeDialog(request);
    dialog->present();

    auto *unverified = dialog->findChild<QWidget *>(QStringLiteral("unverifiedSection"));
    auto *verifiedSection = dialog->findChild<QWidget *>(QStringLiteral("verifiedSection"));
    QVERIFY(unverified && verifiedSection);
    QVERIFY(unverified->isVisible());
    QVERIFY(anyContains(labelTexts(unverified, QStringLiteral("sectionTitle")),
                        QStringLiteral("Unverified — supplied by the agent")));
    const QStringList agentValues = labelTexts(unverified, QStringLiteral("factValue"));
    QVERIFY(agentValues.contains(QStringLiteral("Bob left the company")));
    QVERIFY(agentValues.contains(QStringLiteral("Offboarding checklist step 4")));
    QVERIFY(
        labelTexts(unverified, QStringLiteral("factCaption")).contains(QStringLiteral("reason")));

    // ...and nowhere among the verified facts or the headline.
    QVERIFY(!anyContains(labelTexts(verifiedSection), QStringLiteral("Bob left")));
    QVERIFY(!readable(label(*dialog, "headline")).contains(QStringLiteral("Bob left")));
    QVERIFY(!unverified->isAncestorOf(verifiedSection));
    QVERIFY(!verifiedSection->isAncestorOf(unverified));
}

void TestApprovalDialog::withoutAgentTextThereIsNoUnverifiedSection()
{
    ApprovalRequest request = testing::sampleRequest(now);
    request.sarc.context.agentSupplied = QJsonObject();
    auto dialog = makeDialog(request);
    dialog->present();
    auto *unverified = dialog->findChild<QWidget *>(QStringLiteral("unverifiedSection"));
    QVERIFY(unverified);
    QVERIFY(!unverified->isVisible());
}

void TestApprovalDialog::unsafeTextIsNeverShownRaw()
{
    ApprovalRequest request = testing::sampleRequest(now);
    // Trojan-Source style: an override that makes the text read backwards,
    // a newline that fakes a second fact, and an isolate in an argument.
    request.sarc.context.agentSupplied = QJsonObject{
        {QStringLiteral("reason"), QStringLiteral("routine \u202Eesaeler\u202C cleanup")},
        {QStringLiteral("description"), QStringLiteral("harmless\nVerified: approved by admin")},
        {QStringLiteral("evil\u2066key"), QStringLiteral("x")},
    };
    request.sarc.resource.properties =
        QJsonObject{{QStringLiteral("arguments"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("bob\u2067\u200F")}}}};
    request.sarc.context.verified.insert(QStringLiteral("note"), QStringLiteral("a\u0085b"));
    auto dialog = makeDialog(request);
    dialog->present();

    // Nothing a person can see or a screen reader can read holds an unsafe
    // character.
    const auto widgets = dialog->findChildren<QWidget *>();
    for (const QWidget *widget : widgets) {
        QVERIFY2(isDisplaySafe(widget->accessibleName()), qPrintable(widget->objectName()));
        if (const auto *asLabel = qobject_cast<const QLabel *>(widget))
            QVERIFY2(isDisplaySafe(asLabel->text()), qPrintable(asLabel->objectName()));
        if (const auto *asButton = qobject_cast<const QPushButton *>(widget))
            QVERIFY(isDisplaySafe(asButton->text()));
    }
    QVERIFY(isDisplaySafe(dialog->windowTitle()));

    const QStringList texts = labelTexts(dialog.get());
    QVERIFY(texts.contains(QStringLiteral("routine \\u{202E}esaeler\\u{202C} cleanup")));
    QVERIFY(texts.contains(QStringLiteral("harmless\\nVerified: approved by admin")));
    QVERIFY(texts.contains(QStringLiteral("evil\\u{2066}key")));
    QVERIFY(texts.contains(QStringLiteral("user: bob\\u{2067}\\u{200F}")));
    QVERIFY(texts.contains(QStringLiteral("a\\u{0085}b")));
    // Each escaped fact says why it looks odd.
    QCOMPARE(dialog->findChildren<QLabel *>(QStringLiteral("escapedNotice")).size(), 5);
}

void TestApprovalDialog::remoteTextIsNeverRichText()
{
    ApprovalRequest request = testing::sampleRequest(now);
    const QString markup =
        QStringLiteral("<b>Approved by IT</b><img src=\"https://evil.example/x.png\">");
    request.sarc.context.agentSupplied.insert(QStringLiteral("reason"), markup);
    auto dialog = makeDialog(request);
    dialog->present();

    const auto labels = dialog->findChildren<QLabel *>();
    for (const QLabel *each : labels) {
        QCOMPARE(each->textFormat(), Qt::PlainText);
        QVERIFY(!each->openExternalLinks());
    }
    QVERIFY(labelTexts(dialog.get(), QStringLiteral("factValue")).contains(markup));
}

void TestApprovalDialog::approveNeedsMatchingCodeAndSixDigits()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    dialog->present();
    QPushButton *approve = button(*dialog, "approveButton");
    QLineEdit *code = edit(*dialog, "totpCodeEdit");

    QVERIFY(approve->isVisible());
    QVERIFY(!approve->isEnabled());
    // The code field opens only after the binding code matches.
    QVERIFY(!code->isEnabled());

    QVERIFY(label(*dialog, "totpHint")->isVisible());
    pickRealCode(*dialog);
    QVERIFY(code->isEnabled());
    QVERIFY(!label(*dialog, "totpHint")->isVisible());
    QVERIFY(!approve->isEnabled());

    QTest::keyClicks(code, QStringLiteral("12a3-45"));
    QCOMPARE(code->text(), QStringLiteral("12345")); // only digits get in
    QVERIFY(!approve->isEnabled());
    QTest::keyClicks(code, QStringLiteral("6"));
    QVERIFY(approve->isEnabled());
    QTest::keyClicks(code, QStringLiteral("7"));
    QCOMPARE(code->text(), QStringLiteral("123456")); // never more than six
    QTest::keyClick(code, Qt::Key_Backspace);
    QVERIFY(!approve->isEnabled());
}

void TestApprovalDialog::approveEmitsTheTotpCodeOnce()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    dialog->present();

    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
    QPushButton *approve = button(*dialog, "approveButton");
    QTest::mouseClick(approve, Qt::LeftButton);
    QTest::mouseClick(approve, Qt::LeftButton); // a double click sends one answer

    QCOMPARE(approvals.size(), 1);
    QCOMPARE(approvals.first().first().toString(), QStringLiteral("287082"));
    QCOMPARE(denials.size(), 0);
    QVERIFY(!approve->isEnabled());
    QVERIFY(label(*dialog, "statusLabel")->isVisible());
    QVERIFY(readable(label(*dialog, "statusLabel")).contains(QStringLiteral("Checking")));
    // Still open until the gateway answers.
    QVERIFY(dialog->isVisible());
}

void TestApprovalDialog::enterInTheCodeFieldDoesNotApprove()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    dialog->present();
    dialog->activateWindow(); // as if the person clicked into it
    QVERIFY(QTest::qWaitForWindowActive(dialog.get()));

    pickRealCode(*dialog);
    QLineEdit *code = edit(*dialog, "totpCodeEdit");
    QTest::keyClicks(code, QStringLiteral("287082"));
    QVERIFY(button(*dialog, "approveButton")->isEnabled());
    QTest::keyClick(code, Qt::Key_Return);
    QTest::keyClick(code, Qt::Key_Enter, Qt::KeypadModifier);
    QTest::keyClick(edit(*dialog, "denyReasonEdit"), Qt::Key_Return);

    QCOMPARE(approvals.size(), 0);
    QCOMPARE(denials.size(), 0);
    QCOMPARE(dismissals.size(), 0);
    QVERIFY(dialog->isVisible());
}

void TestApprovalDialog::noButtonIsDefaultAndReturnNeverApproves()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    dialog->present();
    dialog->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));

    const auto buttons = dialog->findChildren<QPushButton *>();
    for (const QPushButton *each : buttons) {
        QVERIFY2(!each->isDefault(), qPrintable(each->objectName()));
        QVERIFY2(!each->autoDefault(), qPrintable(each->objectName()));
    }

    // Return on the dialog, and Return with the keyboard on Approve itself.
    QTest::keyClick(dialog.get(), Qt::Key_Return);
    QPushButton *approve = button(*dialog, "approveButton");
    approve->setFocus();
    QTest::keyClick(approve, Qt::Key_Return);
    QTest::keyClick(approve, Qt::Key_Enter, Qt::KeypadModifier);
    QVERIFY(!approve->isDefault());
    QCOMPARE(approvals.size(), 0);
    QCOMPARE(denials.size(), 0);
    QVERIFY(dialog->isVisible());
}

void TestApprovalDialog::wrongBindingCodeDenies()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    dialog->present();

    QPushButton *decoy = decoyFor(*dialog);
    QVERIFY(decoy);
    QTest::mouseClick(decoy, Qt::LeftButton);

    QCOMPARE(denials.size(), 1);
    QCOMPARE(denials.first().first().toString(), QStringLiteral("binding_code_mismatch"));
    QCOMPARE(denials.first().first().toString(), ApprovalDialog::bindingCodeMismatchReason);
    // The dialog stays to say what happened, with nothing left to approve.
    QVERIFY(dialog->isVisible());
    QLabel *status = label(*dialog, "statusLabel");
    QVERIFY(status->isVisible());
    QVERIFY(readable(status).contains(decoy->text()));
    QVERIFY(readable(status).contains(QStringLiteral("denied")));
    QVERIFY(!button(*dialog, "approveButton")->isVisible());
    QVERIFY(!button(*dialog, "denyButton")->isVisible());
    QVERIFY(!edit(*dialog, "totpCodeEdit")->isEnabled());
    QVERIFY(!choiceFor(*dialog, dialog->request().bindingCode)->isEnabled());
    QVERIFY(button(*dialog, "closeButton")->isVisible());

    // Closing now is not a dismissal: the request is already denied.
    QTest::keyClick(dialog.get(), Qt::Key_Escape);
    QVERIFY(!dialog->isVisible());
    QCOMPARE(dismissals.size(), 0);
    QCOMPARE(denials.size(), 1);
    QCOMPARE(approvals.size(), 0);
}

void TestApprovalDialog::denyWithAndWithoutReason()
{
    {
        auto dialog = makeDialog(testing::sampleRequest(now));
        QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
        QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
        dialog->present();
        QLineEdit *reason = edit(*dialog, "denyReasonEdit");
        QCOMPARE(reason->maxLength(), 500);
        QTest::keyClicks(reason, QStringLiteral("  Not during the freeze  "));
        QTest::mouseClick(button(*dialog, "denyButton"), Qt::LeftButton);
        QCOMPARE(denials.size(), 1);
        QCOMPARE(denials.first().first().toString(), QStringLiteral("Not during the freeze"));
        // On its way: nothing more to press but Close (Escape).
        QVERIFY(dialog->isVisible());
        QVERIFY(readable(label(*dialog, "statusLabel")).contains(QStringLiteral("denial")));
        QVERIFY(!button(*dialog, "denyButton")->isEnabled());
        QVERIFY(!button(*dialog, "approveButton")->isEnabled());
        QTest::mouseClick(button(*dialog, "denyButton"), Qt::LeftButton);
        QCOMPARE(denials.size(), 1);
        // The gateway took it: the outcome shows, then the dialog goes.
        dialog->showAccepted(ApprovalOutcome::Denied);
        QVERIFY(readable(label(*dialog, "statusLabel")).startsWith(QStringLiteral("Denied.")));
        QVERIFY(button(*dialog, "closeButton")->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isVisible(),
                                 static_cast<int>(ApprovalDialog::outcomeShownFor.count()) + 5000);
        QCOMPARE(dismissals.size(), 0);
    }
    {
        // Deny needs no binding code and no reason.
        auto dialog = makeDialog(testing::sampleRequest(now));
        QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
        dialog->present();
        QTest::mouseClick(button(*dialog, "denyButton"), Qt::LeftButton);
        QCOMPARE(denials.size(), 1);
        QCOMPARE(denials.first().first().toString(), QString());

        // A denial that did not get through leaves the request to answer again.
        dialog->showNotDelivered();
        QVERIFY(readable(label(*dialog, "statusLabel")).contains(QStringLiteral("did not reach")));
        QVERIFY(button(*dialog, "denyButton")->isEnabled());
        QVERIFY(choiceFor(*dialog, dialog->request().bindingCode)->isEnabled());
        QTest::mouseClick(button(*dialog, "denyButton"), Qt::LeftButton);
        QCOMPARE(denials.size(), 2);
    }
}

void TestApprovalDialog::countdownFollowsTheClockAndClosesAtExpiry()
{
    auto dialog = makeDialog(testing::sampleRequest(now)); // expires at now + 120
    QSignalSpy expiries(dialog.get(), &ApprovalDialog::expired);
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    dialog->present();
    QLabel *countdown = label(*dialog, "countdownLabel");
    QCOMPARE(readable(countdown), QStringLiteral("Expires in 2:00"));

    m_clock.advance(30);
    QTRY_COMPARE(readable(countdown), QStringLiteral("Expires in 1:30"));
    m_clock.advance(81);
    QTRY_COMPARE(readable(countdown), QStringLiteral("Expires in 0:09"));
    QVERIFY(dialog->isVisible());

    m_clock.set(now + 120);
    // It says so for a moment, then goes.
    QTRY_COMPARE(expiries.size(), 1);
    QVERIFY(dialog->isVisible());
    QVERIFY(readable(label(*dialog, "statusLabel")).startsWith(QStringLiteral("Expired")));
    QVERIFY(!button(*dialog, "approveButton")->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isVisible(),
                             static_cast<int>(ApprovalDialog::outcomeShownFor.count()) + 5000);
    QCOMPARE(expiries.size(), 1);
    QCOMPARE(dismissals.size(), 0);
    QCOMPARE(denials.size(), 0);

    // Long-lived requests read in hours.
    m_clock.set(now);
    ApprovalRequest longLived = testing::sampleRequest(now);
    longLived.expiresAt = now + 3 * 3600 + 5 * 60 + 7;
    auto later = makeDialog(longLived);
    QCOMPARE(readable(label(*later, "countdownLabel")), QStringLiteral("Expires in 3 h 05 min"));
}

void TestApprovalDialog::alreadyExpiredRequestIsNeverShown()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy expiries(dialog.get(), &ApprovalDialog::expired);
    m_clock.advance(500); // e.g. the companion was busy before showing it
    dialog->present();
    QVERIFY(!dialog->isVisible());
    QCOMPARE(expiries.size(), 1);
}

void TestApprovalDialog::resolvedElsewhereClosesWithoutSignals()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    QSignalSpy expiries(dialog.get(), &ApprovalDialog::expired);
    QSignalSpy finished(dialog.get(), &QDialog::finished);
    dialog->present();
    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("1234"));

    dialog->showResolved(ApprovalOutcome::Approved);
    QCOMPARE(readable(label(*dialog, "statusLabel")),
             QStringLiteral("Decided on another device: approved."));
    QVERIFY(!button(*dialog, "approveButton")->isVisible());
    QVERIFY(!edit(*dialog, "totpCodeEdit")->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isVisible(),
                             static_cast<int>(ApprovalDialog::outcomeShownFor.count()) + 5000);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(approvals.size() + denials.size() + dismissals.size() + expiries.size(), 0);

    // Done is done: a late present or expiry does nothing.
    dialog->present();
    QVERIFY(!dialog->isVisible());
    m_clock.advance(1000);
    QVERIFY(testing::waitForTimersToFire(ApprovalDialog::countdownInterval));
    QCOMPARE(expiries.size(), 0);
}

void TestApprovalDialog::rejectedCodeAllowsRetry()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    dialog->present();
    pickRealCode(*dialog);
    QLineEdit *code = edit(*dialog, "totpCodeEdit");
    QPushButton *approve = button(*dialog, "approveButton");
    QTest::keyClicks(code, QStringLiteral("111111"));
    QTest::mouseClick(approve, Qt::LeftButton);
    QCOMPARE(approvals.size(), 1);

    dialog->showCodeRejected(3);
    QLabel *status = label(*dialog, "statusLabel");
    QVERIFY(status->isVisible());
    QVERIFY2(readable(status).contains(QStringLiteral("Wrong code, 3 attempts left")),
             qPrintable(readable(status)));
    QVERIFY(code->isEnabled());
    QVERIFY(code->text().isEmpty());
    QVERIFY(!approve->isEnabled());

    QTest::keyClicks(code, QStringLiteral("222222"));
    QTest::mouseClick(approve, Qt::LeftButton);
    QCOMPARE(approvals.size(), 2);
    QCOMPARE(approvals.at(1).first().toString(), QStringLiteral("222222"));

    dialog->showCodeRejected(1);
    QVERIFY2(readable(status).contains(QStringLiteral("Wrong code, 1 attempt left")),
             qPrintable(readable(status)));
}

void TestApprovalDialog::lockedRequestCannotBeApproved()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    dialog->present();
    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("111111"));
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);

    dialog->showCodeRejected(0); // the last attempt: the gateway locks
    QPushButton *approve = button(*dialog, "approveButton");
    QVERIFY(!approve->isVisible() || !approve->isEnabled());
    QVERIFY(!edit(*dialog, "totpCodeEdit")->isEnabled());
    QVERIFY(readable(label(*dialog, "statusLabel")).contains(QStringLiteral("locked")));
    QVERIFY(button(*dialog, "closeButton")->isVisible());

    // Nothing revives it.
    dialog->showCodeRejected(2);
    QVERIFY(!edit(*dialog, "totpCodeEdit")->isEnabled());
    QTest::mouseClick(button(*dialog, "closeButton"), Qt::LeftButton);
    QVERIFY(!dialog->isVisible());
    QCOMPARE(approvals.size(), 1);
    QCOMPARE(dismissals.size(), 0);

    auto direct = makeDialog(testing::sampleRequest(now));
    direct->present();
    direct->showLocked();
    QVERIFY(!button(*direct, "approveButton")->isVisible());
    QVERIFY(readable(label(*direct, "statusLabel")).contains(QStringLiteral("locked")));
}

void TestApprovalDialog::undeliveredAnswerAllowsRetry()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    dialog->present();
    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    dialog->showNotDelivered();
    QVERIFY(readable(label(*dialog, "statusLabel")).contains(QStringLiteral("did not reach")));
    QVERIFY(button(*dialog, "approveButton")->isEnabled());
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QCOMPARE(approvals.size(), 2);
}

void TestApprovalDialog::escapeClosesWithoutDeciding()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    dialog->present();
    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));

    QTest::keyClick(edit(*dialog, "totpCodeEdit"), Qt::Key_Escape);
    QVERIFY(!dialog->isVisible());
    QCOMPARE(dismissals.size(), 1);
    QCOMPARE(approvals.size(), 0);
    QCOMPARE(denials.size(), 0);

    // The window's close button is the same as Escape.
    auto other = makeDialog(testing::sampleRequest(now));
    QSignalSpy otherDismissals(other.get(), &ApprovalDialog::dismissed);
    other->present();
    QVERIFY(other->close());
    QCOMPARE(otherDismissals.size(), 1);
}

void TestApprovalDialog::arrivesWithoutTakingFocus()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QVERIFY(dialog->testAttribute(Qt::WA_ShowWithoutActivating));
    if (QGuiApplication::platformName() == QStringLiteral("offscreen")) {
        // The offscreen platform activates every window it shows, whatever
        // the widget asks for; the same test under Xvfb (xcb) checks the
        // real behaviour. Here: the request reaches the platform window,
        // which is what every platform plugin reads.
        dialog->present();
        QVERIFY(dialog->isVisible());
        QVERIFY(dialog->windowHandle());
        QVERIFY(dialog->windowHandle()->property("_q_showWithoutActivating").toBool());
        QSKIP("activation is not observable on the offscreen platform");
    }

    // The person is typing somewhere else when the request arrives.
    QLineEdit typing;
    typing.setWindowTitle(QStringLiteral("Editor"));
    typing.show();
    typing.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&typing));
    QVERIFY(typing.hasFocus());

    QSignalSpy seen(dialog.get(), &ApprovalDialog::seen);
    dialog->present();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    // A round trip to the X server: an activation (ours or the window
    // manager's) asked for so far has arrived and been delivered.
    QGuiApplication::sync();
    QVERIFY(dialog->isVisible());
    QCOMPARE(QApplication::activeWindow(), &typing);
    QVERIFY(typing.hasFocus());
    QVERIFY(!dialog->isActiveWindow());
    // Not seen yet: its notification stays up.
    QCOMPARE(seen.size(), 0);

    // Keys typed meanwhile stay in the editor.
    QTest::keyClicks(&typing, QStringLiteral("ls -la"));
    QCOMPARE(typing.text(), QStringLiteral("ls -la"));

    // The person switches to it: seen, once.
    dialog->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
    QCOMPARE(seen.size(), 1);
    typing.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&typing));
    dialog->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
    QCOMPARE(seen.size(), 1);
}

void TestApprovalDialog::keyboardAccessible()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    dialog->present();
    dialog->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
    waitUntilApproveIsNotHeldBack(*dialog);

    // The keyboard starts on the first binding-code choice.
    auto *first = dialog->findChild<QPushButton *>(QStringLiteral("bindingCodeChoice0"));
    QCOMPARE(dialog->focusWidget(), first);
    // And it shows: a ring in the highlight colour around that code only.
    const QColor ring = first->palette().color(QPalette::Active, QPalette::Highlight);
    const auto ringPixels = [&ring](QWidget *button) {
        const QImage image = button->grab().toImage();
        int count = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                const bool edge =
                    x < 3 || y < 3 || x >= image.width() - 3 || y >= image.height() - 3;
                const QColor pixel = image.pixelColor(x, y);
                if (edge && qAbs(pixel.red() - ring.red()) < 30
                    && qAbs(pixel.green() - ring.green()) < 30
                    && qAbs(pixel.blue() - ring.blue()) < 30)
                    ++count;
            }
        }
        return count;
    };
    auto *second = dialog->findChild<QPushButton *>(QStringLiteral("bindingCodeChoice1"));
    QVERIFY2(ringPixels(first) > first->width(), qPrintable(QString::number(ringPixels(first))));
    QVERIFY2(ringPixels(second) < second->width() / 4,
             qPrintable(QString::number(ringPixels(second))));

    // Arrow keys never pick a code (in an exclusive button group they would
    // click, and a wrong pick denies).
    QSignalSpy denials(dialog.get(), &ApprovalDialog::denied);
    QTest::keyClick(first, Qt::Key_Right);
    QTest::keyClick(first, Qt::Key_Down);
    QCOMPARE(denials.size(), 0);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(!dialog->findChild<QPushButton *>(QStringLiteral("bindingCodeChoice%1").arg(i))
                     ->isChecked());
    }
    first->setFocus();

    // Tab walks the choices, then (once open) code field, Approve, reason, Deny.
    QStringList visited;
    for (int i = 0; i < 3; ++i) {
        visited.append(QApplication::focusWidget()->objectName());
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
    }
    QCOMPARE(
        visited,
        (QStringList{QStringLiteral("bindingCodeChoice0"), QStringLiteral("bindingCodeChoice1"),
                     QStringLiteral("bindingCodeChoice2")}));
    // Approve and the code field are disabled until the code matches, so
    // Tab goes on to the reason and Deny.
    QCOMPARE(QApplication::focusWidget()->objectName(), QStringLiteral("denyReasonEdit"));
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
    QCOMPARE(QApplication::focusWidget()->objectName(), QStringLiteral("denyButton"));

    // Space picks the focused choice (keyboard only), then focus moves to the
    // code field; Tab reaches Approve.
    QPushButton *real = choiceFor(*dialog, dialog->request().bindingCode);
    real->setFocus();
    QTest::keyClick(real, Qt::Key_Space);
    QCOMPARE(QApplication::focusWidget()->objectName(), QStringLiteral("totpCodeEdit"));
    QTest::keyClicks(QApplication::focusWidget(), QStringLiteral("287082"));
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
    QCOMPARE(QApplication::focusWidget()->objectName(), QStringLiteral("approveButton"));

    // Mnemonics and names for assistive technology.
    QVERIFY(button(*dialog, "approveButton")->text().contains(QLatin1Char('&')));
    QVERIFY(button(*dialog, "denyButton")->text().contains(QLatin1Char('&')));
    const auto labels = dialog->findChildren<QLabel *>();
    QList<QWidget *> buddies;
    for (const QLabel *each : labels) {
        if (each->buddy())
            buddies.append(each->buddy());
    }
    QVERIFY(buddies.contains(edit(*dialog, "totpCodeEdit")));
    QVERIFY(buddies.contains(edit(*dialog, "denyReasonEdit")));
    // The pick step names the row of codes, never a code button: a label
    // clicks a button buddy on its mnemonic (test_ui_mnemonics).
    QVERIFY(buddies.contains(dialog->findChild<QWidget *>(QStringLiteral("bindingCodePicker"))));
    QVERIFY(!buddies.contains(first));
    for (int i = 0; i < 3; ++i) {
        auto *choice =
            dialog->findChild<QPushButton *>(QStringLiteral("bindingCodeChoice%1").arg(i));
        QCOMPARE(choice->accessibleName(), QStringLiteral("Code %1").arg(choice->text()));
    }
    QVERIFY(!label(*dialog, "countdownLabel")->accessibleName().isEmpty());
    QVERIFY(!dialog->findChild<QWidget *>(QStringLiteral("unverifiedSection"))
                 ->accessibleName()
                 .isEmpty());
    QCOMPARE(label(*dialog, "subjectUserValue")->accessibleName(), QStringLiteral("User"));
}

void TestApprovalDialog::passkeyOnlyWhenTheOwnerOffersIt()
{
    {
        // The request allows both; the owner offers TOTP only (no key
        // registered): nothing pretends to be a passkey option.
        auto dialog = makeDialog(testing::sampleRequest(now), {ApprovalMethod::Totp});
        dialog->present();
        QCOMPARE(dialog->offeredMethods(), QList<ApprovalMethod>{ApprovalMethod::Totp});
        QVERIFY(!dialog->findChild<QWidget *>(QStringLiteral("methodChoice"))->isVisible());
        QVERIFY(!dialog->findChild<QWidget *>(QStringLiteral("passkeyPanel"))->isVisible());
        QVERIFY(!anyContains(visibleLabelTexts(dialog.get()), QStringLiteral("security key")));
    }
    {
        // A passkey-only request and an owner without passkeys: nothing to
        // approve with here, Deny stays.
        ApprovalRequest request = testing::sampleRequest(now);
        request.methods = {ApprovalMethod::Passkey};
        auto dialog = makeDialog(request, {ApprovalMethod::Totp});
        dialog->present();
        QVERIFY(dialog->offeredMethods().isEmpty());
        QVERIFY(!button(*dialog, "approveButton")->isVisible());
        QVERIFY(button(*dialog, "denyButton")->isVisible());
        QVERIFY(label(*dialog, "noMethodNotice")->isVisible());
        QVERIFY(!edit(*dialog, "totpCodeEdit")->isVisible());
    }
    {
        // Passkey only, offered: no choice to make, no code field.
        ApprovalRequest request = testing::sampleRequest(now);
        request.methods = {ApprovalMethod::Passkey};
        auto dialog = makeDialog(request, {ApprovalMethod::Passkey, ApprovalMethod::Totp});
        dialog->present();
        QCOMPARE(dialog->offeredMethods(), QList<ApprovalMethod>{ApprovalMethod::Passkey});
        QVERIFY(label(*dialog, "passkeyTitle")->isVisible());
        QVERIFY(!dialog->findChild<QWidget *>(QStringLiteral("methodChoice"))->isVisible());
        QVERIFY(!edit(*dialog, "totpCodeEdit")->isVisible());
    }
}

void TestApprovalDialog::approveWithSecurityKey()
{
    auto dialog =
        makeDialog(testing::sampleRequest(now), {ApprovalMethod::Passkey, ApprovalMethod::Totp});
    dialog->present();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    auto *passkeyChoice = dialog->findChild<QRadioButton *>(QStringLiteral("methodPasskeyRadio"));
    QVERIFY(passkeyChoice && passkeyChoice->isVisible() && passkeyChoice->isChecked());
    QVERIFY(!edit(*dialog, "totpCodeEdit")->isVisible());
    QSignalSpy approve(dialog.get(), &ApprovalDialog::approveWithPasskey);
    QSignalSpy totp(dialog.get(), &ApprovalDialog::approveWithTotp);

    // The code comes first, as with TOTP.
    waitUntilApproveIsNotHeldBack(*dialog);
    QVERIFY(!button(*dialog, "approveButton")->isEnabled());
    pickRealCode(*dialog);
    QTRY_VERIFY(button(*dialog, "approveButton")->isEnabled());
    // Enter never approves, with the key chosen either.
    QTest::keyClick(dialog.get(), Qt::Key_Return);
    QTest::keyClick(dialog.get(), Qt::Key_Enter);
    QCOMPARE(approve.count(), 0);

    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QCOMPARE(approve.count(), 1);
    QCOMPARE(totp.count(), 0);
    // Working: Approve waits, the panel says what the key needs.
    QVERIFY(!button(*dialog, "approveButton")->isEnabled());
    dialog->showPasskeyState(Authenticator::State::TouchKey);
    QCOMPARE(label(*dialog, "passkeyStatusLabel")->text(),
             PasskeyPanel::stateText(Authenticator::State::TouchKey));
    QVERIFY(button(*dialog, "passkeyStopButton")->isVisible());
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QCOMPARE(approve.count(), 1);

    // Sent: the dialog waits for the gateway, then takes a refusal.
    dialog->showPasskeySent();
    QVERIFY(label(*dialog, "statusLabel")->text().contains(gatewayName));
    dialog->showPasskeyRefused(QStringLiteral("the signature count did not increase"));
    QVERIFY(label(*dialog, "statusLabel")->text().contains(QStringLiteral("did not increase")));
    QTRY_VERIFY(button(*dialog, "approveButton")->isEnabled());
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QCOMPARE(approve.count(), 2);
}

void TestApprovalDialog::securityKeyPinAndFailures()
{
    auto dialog =
        makeDialog(testing::sampleRequest(now), {ApprovalMethod::Passkey, ApprovalMethod::Totp});
    dialog->present();
    pickRealCode(*dialog);
    QSignalSpy approve(dialog.get(), &ApprovalDialog::approveWithPasskey);
    QSignalSpy pins(dialog.get(), &ApprovalDialog::passkeyPinEntered);
    QSignalSpy stopped(dialog.get(), &ApprovalDialog::passkeyStopped);
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QCOMPARE(approve.count(), 1);

    // The key wants its PIN: typed in the dialog, sent by Continue only.
    dialog->askForPin(8);
    QLineEdit *pin = edit(*dialog, "passkeyPinEdit");
    QVERIFY(pin->isVisible());
    QCOMPARE(pin->echoMode(), QLineEdit::Password);
    QVERIFY(label(*dialog, "passkeyStatusLabel")->text().contains(QStringLiteral("8")));
    QTest::keyClicks(pin, QStringLiteral("123"));
    QVERIFY(!button(*dialog, "passkeyPinButton")->isEnabled()); // CTAP2: 4 at least
    QTest::keyClicks(pin, QStringLiteral("4"));
    QTest::keyClick(pin, Qt::Key_Return);
    QCOMPARE(pins.count(), 0);
    QTest::mouseClick(button(*dialog, "passkeyPinButton"), Qt::LeftButton);
    QCOMPARE(pins.count(), 1);
    QCOMPARE(pins.first().first().toString(), QStringLiteral("1234"));
    QVERIFY(pin->text().isEmpty()); // not kept around
    QVERIFY(!pin->isVisible());

    // A wrong PIN says so; Stop asks the owner to cancel.
    dialog->askForPin(7);
    QVERIFY(label(*dialog, "passkeyStatusLabel")->text().contains(QStringLiteral("wrong")));
    QTest::mouseClick(button(*dialog, "passkeyStopButton"), Qt::LeftButton);
    QCOMPARE(stopped.count(), 1);
    dialog->passkeyFailed(Authenticator::State::Cancelled, QString());
    QCOMPARE(label(*dialog, "passkeyStatusLabel")->text(),
             PasskeyPanel::stateText(Authenticator::State::Cancelled));
    QVERIFY(button(*dialog, "approveButton")->isEnabled());

    // Two keys plugged in: the person picks one by name.
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QSignalSpy chosen(dialog.get(), &ApprovalDialog::passkeyKeyChosen);
    dialog->askForKey({AuthenticatorDevice{QStringLiteral("/dev/hidraw3"),
                                           QStringLiteral("YubiKey 5"), QStringLiteral("Yubico")},
                       AuthenticatorDevice{QStringLiteral("/dev/hidraw7"), QStringLiteral("Solo 2"),
                                           QStringLiteral("SoloKeys")}});
    auto *keys = dialog->findChild<QComboBox *>(QStringLiteral("passkeyDeviceCombo"));
    QVERIFY(keys && keys->isVisible());
    QCOMPARE(keys->count(), 2);
    QVERIFY(keys->itemText(1).contains(QStringLiteral("Solo 2")));
    keys->setCurrentIndex(1);
    QTest::mouseClick(button(*dialog, "passkeyDeviceButton"), Qt::LeftButton);
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.first().first().toString(), QStringLiteral("/dev/hidraw7"));
    QVERIFY(!keys->isVisible());
    dialog->passkeyFailed(Authenticator::State::Cancelled, QString());

    // Libfido2's words follow ours for an unexpected failure.
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    dialog->passkeyFailed(Authenticator::State::Failed, QStringLiteral("FIDO_ERR_RX"));
    QVERIFY(label(*dialog, "passkeyStatusLabel")->text().contains(QStringLiteral("FIDO_ERR_RX")));
    // Progress that arrives after an ending is ignored.
    dialog->showPasskeyState(Authenticator::State::TouchKey);
    QVERIFY(!label(*dialog, "passkeyStatusLabel")->text().contains(QStringLiteral("Touch")));
}

void TestApprovalDialog::switchingMethods()
{
    auto dialog =
        makeDialog(testing::sampleRequest(now), {ApprovalMethod::Totp, ApprovalMethod::Passkey});
    dialog->present();
    // The owner's order decides the first choice (the default method).
    auto *totpChoice = dialog->findChild<QRadioButton *>(QStringLiteral("methodTotpRadio"));
    auto *passkeyChoice = dialog->findChild<QRadioButton *>(QStringLiteral("methodPasskeyRadio"));
    QVERIFY(totpChoice->isChecked());
    QVERIFY(edit(*dialog, "totpCodeEdit")->isVisible());
    pickRealCode(*dialog);
    QVERIFY(!button(*dialog, "approveButton")->isEnabled()); // no code yet
    QTest::mouseClick(passkeyChoice, Qt::LeftButton);
    QVERIFY(passkeyChoice->isChecked());
    QVERIFY(!edit(*dialog, "totpCodeEdit")->isVisible());
    // The steps changed under the pointer: Approve is held back a moment.
    QTRY_VERIFY(button(*dialog, "approveButton")->isEnabled());
    QTest::mouseClick(totpChoice, Qt::LeftButton);
    QVERIFY(edit(*dialog, "totpCodeEdit")->isVisible());
    QVERIFY(!button(*dialog, "approveButton")->isEnabled());
    QSignalSpy totp(dialog.get(), &ApprovalDialog::approveWithTotp);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
    QTRY_VERIFY(button(*dialog, "approveButton")->isEnabled());
    QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    QCOMPARE(totp.count(), 1);
}

void TestApprovalDialog::outcomesAreShownThenTheDialogCloses_data()
{
    QTest::addColumn<QString>("answer"); // what this dialog did: approve, deny, nothing
    QTest::addColumn<ApprovalOutcome>("outcome");
    QTest::addColumn<bool>("viaAccepted"); // the gateway's accepted, or resolved
    QTest::addColumn<QString>("shown");

    QTest::newRow("approved here") << "approve" << ApprovalOutcome::Approved << true
                                   << "Approved. The agent's action goes ahead.";
    QTest::newRow("denied here") << "deny" << ApprovalOutcome::Denied << true
                                 << "Denied. The agent was told it may not go ahead.";
    QTest::newRow("approved elsewhere")
        << "" << ApprovalOutcome::Approved << false << "Decided on another device: approved.";
    QTest::newRow("denied elsewhere while checking")
        << "approve" << ApprovalOutcome::Denied << false << "Decided on another device: denied.";
    QTest::newRow("expired") << "" << ApprovalOutcome::Expired << false
                             << "Expired before anyone approved it. Nothing was run.";
    QTest::newRow("cancelled") << "" << ApprovalOutcome::Cancelled << false
                               << "Cancelled at the gateway. Nothing was run.";
}

void TestApprovalDialog::outcomesAreShownThenTheDialogCloses()
{
    QFETCH(QString, answer);
    QFETCH(ApprovalOutcome, outcome);
    QFETCH(bool, viaAccepted);
    QFETCH(QString, shown);

    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy dismissals(dialog.get(), &ApprovalDialog::dismissed);
    QSignalSpy finished(dialog.get(), &QDialog::finished);
    dialog->present();
    pickRealCode(*dialog);
    if (answer == u"approve") {
        QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
        QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
    } else if (answer == u"deny") {
        QTest::mouseClick(button(*dialog, "denyButton"), Qt::LeftButton);
    }
    if (viaAccepted)
        dialog->showAccepted(outcome);
    else
        dialog->showResolved(outcome);

    QLabel *status = label(*dialog, "statusLabel");
    QVERIFY(status->isVisible());
    QCOMPARE(readable(status), shown);
    QVERIFY(dialog->isVisible());
    QVERIFY(!button(*dialog, "approveButton")->isVisible());
    QVERIFY(!button(*dialog, "denyButton")->isVisible());
    QVERIFY(button(*dialog, "closeButton")->isVisible());
    QCOMPARE(readable(label(*dialog, "countdownLabel")), QStringLiteral("Ended"));
    // A later word about the same request changes nothing.
    dialog->showResolved(ApprovalOutcome::Unknown);
    QCOMPARE(readable(status), shown);

    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isVisible(),
                             static_cast<int>(ApprovalDialog::outcomeShownFor.count()) + 5000);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(dismissals.size(), 0);
}

void TestApprovalDialog::approveIsHeldBackAfterAppearingOrMoving()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    QSignalSpy approvals(dialog.get(), &ApprovalDialog::approveWithTotp);
    dialog->present();
    QVERIFY(dialog->isApproveHeldBack());
    // Everything ready at once (a fast person, or clicks meant for another
    // window): Approve stays disabled and a click on it does nothing.
    QTest::mouseClick(choiceFor(*dialog, dialog->request().bindingCode), Qt::LeftButton);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
    QPushButton *approve = button(*dialog, "approveButton");
    QVERIFY(dialog->isApproveHeldBack());
    QVERIFY(!approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);
    QCOMPARE(approvals.size(), 0);

    QTRY_VERIFY(approve->isEnabled());
    QVERIFY(!dialog->isApproveHeldBack());

    // The dialog changes size (the details open, the window is resized):
    // Approve moved, so it is held back again.
    dialog->resize(dialog->width() + 40, dialog->height() + 40);
    QTRY_VERIFY(dialog->isApproveHeldBack() || approve->isEnabled());
    QVERIFY(dialog->isApproveHeldBack());
    QVERIFY(!approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);
    QCOMPARE(approvals.size(), 0);
    QTRY_VERIFY(approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);
    QCOMPARE(approvals.size(), 1);
}

void TestApprovalDialog::messagesDoNotMoveTheButtons()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    dialog->present();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    pickRealCode(*dialog);
    QPushButton *approve = button(*dialog, "approveButton");
    QPushButton *deny = button(*dialog, "denyButton");
    const int height = dialog->height();
    const QPoint approveAt = approve->mapTo(dialog.get(), QPoint(0, 0));
    const QPoint denyAt = deny->mapTo(dialog.get(), QPoint(0, 0));

    // A wrong TOTP code: the message takes the room kept for it.
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("111111"));
    QTest::mouseClick(approve, Qt::LeftButton);
    dialog->showCodeRejected(3);
    QCoreApplication::sendPostedEvents();
    QVERIFY(label(*dialog, "statusLabel")->isVisible());
    QCOMPARE(dialog->height(), height);
    QCOMPARE(approve->mapTo(dialog.get(), QPoint(0, 0)), approveAt);
    QCOMPARE(deny->mapTo(dialog.get(), QPoint(0, 0)), denyAt);
    QVERIFY(!dialog->isApproveHeldBack());

    // A wrong binding code: the explanation takes the same room.
    auto other = makeDialog(testing::sampleRequest(now));
    other->present();
    QVERIFY(QTest::qWaitForWindowExposed(other.get()));
    waitUntilApproveIsNotHeldBack(*other);
    const int otherHeight = other->height();
    const int buttonRowY = button(*other, "denyButton")->mapTo(other.get(), QPoint(0, 0)).y();
    const int chipWidth = label(*other, "countdownLabel")->width();
    QVERIFY(label(*other, "totpHint")->isVisible()); // why the code field is off
    QTest::mouseClick(decoyFor(*other), Qt::LeftButton);
    QCoreApplication::sendPostedEvents();
    QCOMPARE(other->height(), otherHeight);
    // "Ended" takes the countdown's width: the headline beside it stays put.
    QCOMPARE(label(*other, "countdownLabel")->width(), chipWidth);
    QCOMPARE(button(*other, "closeButton")->mapTo(other.get(), QPoint(0, 0)).y(), buttonRowY);
}

void TestApprovalDialog::saysWhenTheAgentStoppedWaiting()
{
    auto dialog = makeDialog(testing::sampleRequest(now));
    dialog->present();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    pickRealCode(*dialog);
    QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
    QTRY_VERIFY(button(*dialog, "approveButton")->isEnabled());
    QLabel *notice = label(*dialog, "agentGoneNotice");
    QVERIFY(!notice->isVisible());

    dialog->showAgentWaiting(false);
    QVERIFY(notice->isVisible());
    QVERIFY(readable(notice).contains(QStringLiteral("no longer waiting")));
    // The request can still be answered, but Approve moved: held back.
    QVERIFY(dialog->isApproveHeldBack());
    QTRY_VERIFY(button(*dialog, "approveButton")->isEnabled());

    dialog->showAgentWaiting(true);
    QVERIFY(!notice->isVisible());
}

void TestApprovalDialog::fitsASmallScreen()
{
    // Many facts: more than a 768-pixel screen (or the offscreen one) holds.
    ApprovalRequest request = testing::sampleRequest(now);
    QJsonObject arguments;
    for (int i = 0; i < 40; ++i)
        arguments.insert(QStringLiteral("field_%1").arg(i, 2, 10, QLatin1Char('0')),
                         QStringLiteral("value %1").arg(i));
    request.sarc.resource.properties = QJsonObject{{QStringLiteral("arguments"), arguments}};
    auto dialog = makeDialog(request);
    dialog->present();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    const QRect available = dialog->screen()->availableGeometry();
    QVERIFY2(dialog->frameGeometry().height() <= available.height(),
             qPrintable(QStringLiteral("%1 > %2")
                            .arg(dialog->frameGeometry().height())
                            .arg(available.height())));
    // The details scroll instead, and stay readable.
    auto *details = dialog->findChild<QScrollArea *>(QStringLiteral("details"));
    QVERIFY(details->height() >= 120);
    QVERIFY(details->verticalScrollBar()->maximum() > 0);
}

void TestApprovalDialog::disabledApproveLooksDisabledOnADarkTheme()
{
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    dark.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
    dark.setColor(QPalette::Button, QColor(0x3c, 0x3c, 0x3c));
    dark.setColor(QPalette::ButtonText, QColor(0xf0, 0xf0, 0xf0));
    // A theme that (like some) draws disabled text as bright as enabled.
    dark.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0xe0, 0xe0, 0xe0));
    auto dialog = makeDialog(testing::sampleRequest(now));
    dialog->setPalette(dark);
    QPushButton *approve = button(*dialog, "approveButton");
    QVERIFY(!approve->isEnabled());
    const QPalette shown = approve->palette();
    const QColor disabledText = shown.color(QPalette::Disabled, QPalette::ButtonText);
    const QColor enabledText = shown.color(QPalette::Active, QPalette::ButtonText);
    const QColor background = shown.color(QPalette::Active, QPalette::Button);
    // Nearer the background than the enabled text is.
    const auto distance = [](const QColor &a, const QColor &b) {
        return qAbs(a.lightness() - b.lightness());
    };
    QVERIFY2(distance(disabledText, enabledText) > 80,
             qPrintable(disabledText.name() + u' ' + enabledText.name()));
    QVERIFY(distance(disabledText, background) < distance(enabledText, background));
}

void TestApprovalDialog::saveScreenshot(QWidget &widget, const QString &fileName)
{
    const QString dir = qEnvironmentVariable("COUNTERSIGN_SCREENSHOT_DIR", QDir::currentPath());
    QVERIFY(QDir().mkpath(dir));
    // On xcb a resize is a round trip to the X server: wait until the server
    // has answered everything asked so far and its events (the resize, the
    // expose) are delivered, then let the layouts settle.
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    QGuiApplication::sync();
    QCoreApplication::sendPostedEvents();
    const QString path = QDir(dir).filePath(fileName);
    QVERIFY2(widget.grab().save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
}

void TestApprovalDialog::screenshot()
{
    // What a person sees for the demo's request, for review (not compared).
    ApprovalRequest request = testing::sampleRequest(now);
    request.sarc.resource.properties = QJsonObject{
        {QStringLiteral("arguments"),
         QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")},
                     {QStringLiteral("revoke_sessions"), true}}},
        {QStringLiteral("server"), QStringLiteral("https://directory.example.com/mcp")}};
    request.sarc.context.verified =
        QJsonObject{{QStringLiteral("session"), QStringLiteral("s-1")},
                    {QStringLiteral("policy"), QStringLiteral("directory-mutations: step-up")}};
    request.sarc.context.agentSupplied = QJsonObject{
        {QStringLiteral("reason"),
         QStringLiteral("Bob left the company on Friday; HR ticket HR-4411 asks to disable his "
                        "account.")}};
    {
        auto dialog = makeDialog(request);
        dialog->present();
        QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
        saveScreenshot(*dialog, QStringLiteral("approvaldialog.png"));
        // The keyboard on the first code, as after Tab: the focus must show.
        dialog->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
        QTest::keyClick(dialog->focusWidget(), Qt::Key_Tab);
        saveScreenshot(*dialog, QStringLiteral("approvaldialog-focus.png"));

        pickRealCode(*dialog);
        QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("287082"));
        QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
        dialog->showCodeRejected(3);
        QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("2870"));
        saveScreenshot(*dialog, QStringLiteral("approvaldialog-wrong-code.png"));

        // Waiting for the gateway, with the countdown running out.
        QTest::keyClicks(edit(*dialog, "totpCodeEdit"), QStringLiteral("82"));
        QTest::mouseClick(button(*dialog, "approveButton"), Qt::LeftButton);
        m_clock.advance(100);
        QTRY_VERIFY(readable(label(*dialog, "countdownLabel")).contains(QStringLiteral("0:20")));
        saveScreenshot(*dialog, QStringLiteral("approvaldialog-checking.png"));
    }
    {
        m_clock.set(now);
        auto dialog = makeDialog(request);
        dialog->present();
        QTest::mouseClick(decoyFor(*dialog), Qt::LeftButton);
        saveScreenshot(*dialog, QStringLiteral("approvaldialog-mismatch.png"));
    }
    {
        // Long and hostile text: wraps inside the dialog, escapes visible.
        m_clock.set(now);
        ApprovalRequest hostile = request;
        hostile.sarc.resource.id = QStringLiteral("directory/") + QString(120, QLatin1Char('x'));
        hostile.sarc.context.agentSupplied = QJsonObject{
            {QStringLiteral("reason"),
             QStringLiteral("Routine cleanup \u202Etxt.exe\u202C\nVerified: approved by admin")},
            {QStringLiteral("description"), QString(300, QLatin1Char('y'))}};
        auto dialog = makeDialog(hostile);
        dialog->present();
        QVERIFY(dialog->width() < 800);
        // Scrolled to the agent's text, where the escapes are.
        auto *details = dialog->findChild<QScrollArea *>(QStringLiteral("details"));
        QVERIFY(details);
        details->verticalScrollBar()->setValue(details->verticalScrollBar()->maximum());
        saveScreenshot(*dialog, QStringLiteral("approvaldialog-hostile.png"));
    }
}

QTEST_MAIN(TestApprovalDialog)
#include "test_approvaldialog.moc"
