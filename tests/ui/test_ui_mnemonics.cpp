// Every mnemonic (Alt+letter) of the approval dialog, pressed one at a time:
// none may pick a binding code or approve. A QLabel whose buddy is a button
// clicks that button on its mnemonic, so "Pick the code _s_hown ..." once
// picked the first code for the person (issue 14).
#include "protocol/jose/ecprivatekey.h"
#include "tests/support/manualclock.h"
#include "tests/support/samplemessages.h"
#include "ui/approvaldialog.h"

#include <memory>
#include <optional>

#include <QAbstractButton>
#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace countersign;
using countersign::testing::ManualClock;

namespace {

constexpr qint64 now = 1'750'000'000;

struct Mnemonic {
    QChar letter;
    QWidget *owner; // the label or button whose text carries it
};

// The mnemonic letter of a widget text ("&Deny" -> 'd'), if any ("&&" is a
// literal ampersand).
std::optional<QChar> mnemonicOf(const QString &text)
{
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i) != u'&')
            continue;
        if (text.at(i + 1) == u'&') {
            ++i;
            continue;
        }
        return text.at(i + 1).toLower();
    }
    return std::nullopt;
}

// The mnemonics a person can use now: on labels and buttons visible in the
// dialog.
QList<Mnemonic> visibleMnemonics(QWidget *root)
{
    QList<Mnemonic> found;
    const auto widgets = root->findChildren<QWidget *>();
    for (QWidget *widget : widgets) {
        if (!widget->isVisibleTo(root))
            continue;
        QString text;
        if (auto *label = qobject_cast<QLabel *>(widget); label && label->buddy())
            text = label->text();
        else if (auto *button = qobject_cast<QAbstractButton *>(widget))
            text = button->text();
        if (const auto letter = mnemonicOf(text))
            found.append({*letter, widget});
    }
    return found;
}

Qt::Key keyFor(QChar letter)
{
    return static_cast<Qt::Key>(Qt::Key_A + (letter.unicode() - u'a'));
}

} // namespace

class TestMnemonics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void noLabelIsABuddyOfAButton_data();
    void noLabelIsABuddyOfAButton();
    void mnemonicsAreUnique_data();
    void mnemonicsAreUnique();
    void noMnemonicPicksACodeOrApproves_data();
    void noMnemonicPicksACodeOrApproves();
    void pickStepMnemonicOnlyMovesTheKeyboard();

private:
    static void addMethodRows();
    std::unique_ptr<ApprovalDialog> makeDialog(const QList<ApprovalMethod> &methods);
    static QList<QPushButton *> codeButtons(ApprovalDialog &dialog);

    std::optional<EcPrivateKey> m_gatewayKey;
    ManualClock m_clock{now};
};

void TestMnemonics::initTestCase()
{
    auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    m_gatewayKey = key.value();
}

void TestMnemonics::addMethodRows()
{
    QTest::addColumn<QList<ApprovalMethod>>("methods");
    QTest::newRow("totp") << QList<ApprovalMethod>{ApprovalMethod::Totp};
    QTest::newRow("passkey") << QList<ApprovalMethod>{ApprovalMethod::Passkey};
    QTest::newRow("both") << QList<ApprovalMethod>{ApprovalMethod::Passkey, ApprovalMethod::Totp};
}

std::unique_ptr<ApprovalDialog> TestMnemonics::makeDialog(const QList<ApprovalMethod> &methods)
{
    auto dialog = std::make_unique<ApprovalDialog>(
        testing::verifiedAsReceived(testing::sampleRequest(now), *m_gatewayKey, m_clock),
        QStringLiteral("Example Gateway"), methods, m_clock);
    dialog->present();
    dialog->activateWindow();
    return dialog;
}

QList<QPushButton *> TestMnemonics::codeButtons(ApprovalDialog &dialog)
{
    QList<QPushButton *> buttons;
    const auto all = dialog.findChildren<QPushButton *>();
    for (QPushButton *button : all) {
        if (button->objectName().startsWith(QStringLiteral("bindingCodeChoice")))
            buttons.append(button);
    }
    return buttons;
}

void TestMnemonics::noLabelIsABuddyOfAButton_data()
{
    addMethodRows();
}

// The structural rule behind the safety bug: a label's mnemonic clicks a
// buddy that is a button. Labels name fields, never buttons.
void TestMnemonics::noLabelIsABuddyOfAButton()
{
    QFETCH(QList<ApprovalMethod>, methods);
    auto dialog = makeDialog(methods);
    const auto labels = dialog->findChildren<QLabel *>();
    int buddies = 0;
    for (const QLabel *label : labels) {
        if (!label->buddy())
            continue;
        ++buddies;
        QVERIFY2(!qobject_cast<QAbstractButton *>(label->buddy()),
                 qPrintable(QStringLiteral("label \"%1\" would click %2")
                                .arg(label->text(), label->buddy()->objectName())));
    }
    QVERIFY(buddies >= 2); // the pick step and the deny reason at least
}

void TestMnemonics::mnemonicsAreUnique_data()
{
    addMethodRows();
}

// Two widgets with one letter make Qt cycle between them instead of acting:
// the person cannot predict what Alt+letter does.
void TestMnemonics::mnemonicsAreUnique()
{
    QFETCH(QList<ApprovalMethod>, methods);
    auto dialog = makeDialog(methods);
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    QHash<QChar, QString> owners;
    for (const Mnemonic &mnemonic : visibleMnemonics(dialog.get())) {
        const QString name = mnemonic.owner->objectName();
        QVERIFY2(!owners.contains(mnemonic.letter),
                 qPrintable(QStringLiteral("Alt+%1 is both %2 and %3")
                                .arg(mnemonic.letter, owners.value(mnemonic.letter), name)));
        owners.insert(mnemonic.letter, name);
    }
    QVERIFY(owners.size() >= 3);
}

void TestMnemonics::noMnemonicPicksACodeOrApproves_data()
{
    addMethodRows();
}

// Each mnemonic on a fresh dialog. A click by mnemonic goes through
// QAbstractButton::animateClick, which emits pressed() at once (the click
// itself follows on a timer), so a press spy tells without waiting.
void TestMnemonics::noMnemonicPicksACodeOrApproves()
{
    QFETCH(QList<ApprovalMethod>, methods);
    QList<QChar> letters;
    {
        auto probe = makeDialog(methods);
        QVERIFY(QTest::qWaitForWindowExposed(probe.get()));
        for (const Mnemonic &mnemonic : visibleMnemonics(probe.get()))
            letters.append(mnemonic.letter);
    }
    QVERIFY(!letters.isEmpty());

    for (const QChar letter : std::as_const(letters)) {
        auto dialog = makeDialog(methods);
        QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
        QList<std::shared_ptr<QSignalSpy>> codePresses;
        for (QPushButton *button : codeButtons(*dialog))
            codePresses.append(std::make_shared<QSignalSpy>(button, &QPushButton::pressed));
        QCOMPARE(codePresses.size(), 3);
        auto *approve = dialog->findChild<QPushButton *>(QStringLiteral("approveButton"));
        QVERIFY(approve);
        QSignalSpy approvePresses(approve, &QPushButton::pressed);
        QSignalSpy totpApprovals(dialog.get(), &ApprovalDialog::approveWithTotp);
        QSignalSpy keyApprovals(dialog.get(), &ApprovalDialog::approveWithPasskey);

        QTest::keyClick(dialog->focusWidget() ? dialog->focusWidget() : dialog.get(),
                        keyFor(letter), Qt::AltModifier);

        for (const auto &spy : std::as_const(codePresses))
            QVERIFY2(spy->isEmpty(),
                     qPrintable(QStringLiteral("Alt+%1 pressed a code").arg(letter)));
        for (QPushButton *button : codeButtons(*dialog)) {
            QVERIFY2(!button->isDown() && !button->isChecked(),
                     qPrintable(QStringLiteral("Alt+%1 picked a code").arg(letter)));
        }
        QVERIFY2(approvePresses.isEmpty(),
                 qPrintable(QStringLiteral("Alt+%1 pressed Approve").arg(letter)));
        QCOMPARE(totpApprovals.size(), 0);
        QCOMPARE(keyApprovals.size(), 0);
    }
}

// Alt+S ("Pick the code _s_hown ...") brings the keyboard to the codes from
// anywhere in the dialog, and picks nothing.
void TestMnemonics::pickStepMnemonicOnlyMovesTheKeyboard()
{
    auto dialog = makeDialog({ApprovalMethod::Totp});
    QVERIFY(QTest::qWaitForWindowActive(dialog.get()));
    auto *reason = dialog->findChild<QLineEdit *>(QStringLiteral("denyReasonEdit"));
    QVERIFY(reason);
    reason->setFocus(Qt::TabFocusReason);
    QTRY_COMPARE(dialog->focusWidget(), reason);

    const auto codes = codeButtons(*dialog);
    QSignalSpy firstPressed(codes.constFirst(), &QPushButton::pressed);
    QTest::keyClick(reason, Qt::Key_S, Qt::AltModifier);
    QTRY_COMPARE(dialog->focusWidget(), codes.constFirst());
    QCOMPARE(firstPressed.size(), 0);
    QVERIFY(!codes.constFirst()->isChecked());
}

QTEST_MAIN(TestMnemonics)
#include "test_ui_mnemonics.moc"
