#include "app/appid.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "app/screenshotsource.h"
#include "gateway/pairing/qrcode.h"
#include "platform/qrdecoder.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/freeport.h"
#include "tests/support/memorysecretstore.h"
#include "ui/pairingdialog.h"
#include "ui/pairingdialogtext.h"
#include "ui/safetext.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFontInfo>
#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

using namespace countersign;
using namespace countersign::testing;
using Page = PairingDialog::Page;

namespace {

constexpr int timeoutMs = 15'000;

// A screen that shows what the test put there, or fails as told.
class FakeScreenshots final : public ScreenshotSource {
public:
    void grab(const QObject *context, Captured captured, Failed failed) override
    {
        ++grabs;
        QTimer::singleShot(0, context, [this, captured, failed] {
            if (failure)
                failed(*failure);
            else
                captured(screens);
        });
    }

    QList<QImage> screens;
    std::optional<ScreenshotFailure> failure;
    int grabs = 0;
};

// A QR code drawn from the gateway's own encoder (the one behind its
// terminal code and PNG), dark on light, `scale` pixels per module.
QImage qrImage(const QString &text, int scale = 6)
{
    const auto code = gateway::QrCode::encode(text.toUtf8());
    if (!code)
        qFatal("the gateway's encoder refused the text");
    constexpr int quiet = 4;
    const int side = (code->size() + 2 * quiet) * scale;
    QImage image(side, side, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    for (int y = 0; y < code->size(); ++y) {
        for (int x = 0; x < code->size(); ++x) {
            if (code->isDark(x, y))
                painter.fillRect((x + quiet) * scale, (y + quiet) * scale, scale, scale, Qt::black);
        }
    }
    return image;
}

// A desktop with windows, text and, in a terminal, the code.
QImage desktopWith(const QImage &code)
{
    QImage screen(1600, 900, QImage::Format_RGB32);
    screen.fill(QColor(0x3d, 0x38, 0x46));
    QPainter painter(&screen);
    painter.fillRect(40, 40, 700, 500, QColor(0xf6, 0xf5, 0xf4));
    painter.setPen(Qt::black);
    for (int line = 0; line < 20; ++line)
        painter.drawText(60, 70 + line * 22,
                         QStringLiteral("Lorem ipsum dolor sit amet %1").arg(line));
    painter.fillRect(800, 80, 760, 760, QColor(0x24, 0x1f, 0x31));
    painter.setPen(Qt::white);
    painter.drawText(820, 110,
                     QStringLiteral("$ countersign-gateway pair --user alice@example.com"));
    painter.drawImage(860, 140, code);
    return screen;
}

QString readable(const QLabel *label)
{
    return withoutBreakOpportunities(label->text());
}

} // namespace

// The pairing dialog driven like a person would, against a real gateway on
// loopback (tests/gateway/integration/gatewayfixture.h), with QR codes drawn
// by the gateway's encoder and read by the real decoder.
class TestUiPairingDialog : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void fingerprintIsGroupedLikeTheGatewayPrintsIt();
    void everyFailureKindSaysWhatToDo();
    void sourcePageOffersEveryWay();
    void scanFindsTheCodeOnTheScreen();
    void scanWithoutCodeSaysSo();
    void scanCancelledOrUnavailable();
    void openImageThroughTheFileDialog();
    void openImageErrors();
    void pastesTextLink();
    void pastesImageOfTheCode();
    void pasteWithNothingUsable();
    void typedLinkAndInvalidInput();
    void refusesOtherQrCodes();
    void confirmationShowsWhatTheLinkSays();
    void cancelIsDefaultAndEnterNeverPairs();
    void pairsWithTheRealGateway();
    void offersToAddASecurityKey();
    void cannotCloseWhilePairing();
    void usedLinkSaysGetANewOne();
    void unreachableGatewayCanBeRetried();
    void deviceNameIsChecked();
    void linkFromTheCommandLine();
    void linkFromOutsideNeverReplacesTheOneBeingChecked();
    void pairIsHeldBackAfterALinkFromOutside();
    void errorKeepsTheLinkEditable();
    void problemIsSaidOnce();
    void noBackOnTheFirstVisiblePage();
    void alreadyPairedSaysWhatToDo();
    void keychainIsCheckedBeforeRegistering();
    void defaultNameTellsComputersApart();
    void fingerprintIsMonospace();
    void screenshots();

private:
    std::unique_ptr<PairingDialog> makeDialog(bool withScreen = true,
                                              bool offerSecurityKey = false);
    PairingLink newLink();
    template <typename T>
    T *child(const QString &name) const
    {
        T *found = m_dialog->findChild<T *>(name);
        if (!found)
            qFatal("no child %s", qPrintable(name));
        return found;
    }
    QString text(const QString &labelName) const { return readable(child<QLabel>(labelName)); }
    // Clicks Pair once a link from outside no longer holds it back
    // (pairIsHeldBackAfterALinkFromOutside tests the hold-back).
    void clickPair()
    {
        QTRY_VERIFY(!m_dialog->isPairHeldBack());
        QTest::mouseClick(child<QPushButton>(QStringLiteral("pairButton")), Qt::LeftButton);
    }
    void saveScreenshot(const QString &fileName);
    void forgetPairedGateways()
    {
        QSettings(AppId::organizationName(), AppId::applicationName()).clear();
        QVERIFY(m_gateways->all().isEmpty());
    }

    QTemporaryDir m_settingsDir;
    QTemporaryDir m_files;
    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<testing::MemorySecretStore> m_secrets;
    std::unique_ptr<PairingClient> m_client;
    std::unique_ptr<PairedGateways> m_gateways;
    FakeScreenshots m_screen;
    std::unique_ptr<PairingDialog> m_dialog;
};

void TestUiPairingDialog::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QVERIFY(m_files.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
}

void TestUiPairingDialog::init()
{
    QSettings(AppId::organizationName(), AppId::applicationName()).clear();
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
    m_secrets = std::make_unique<testing::MemorySecretStore>();
    m_client = std::make_unique<PairingClient>(*m_secrets, m_fixture->clock());
    m_gateways = std::make_unique<PairedGateways>(*m_secrets);
    m_screen = FakeScreenshots();
    QApplication::clipboard()->clear();
}

void TestUiPairingDialog::cleanup()
{
    m_dialog.reset();
    m_gateways.reset();
    m_client.reset();
    m_fixture.reset();
}

std::unique_ptr<PairingDialog> TestUiPairingDialog::makeDialog(bool withScreen,
                                                               bool offerSecurityKey)
{
    auto dialog = std::make_unique<PairingDialog>(PairingDialog::Services{
        *m_client, *m_gateways, &QrDecoder::decode, withScreen ? &m_screen : nullptr,
        QStringLiteral("alice-laptop"), offerSecurityKey});
    dialog->show();
    // Active, so that its mnemonics (Alt+letter) work as for a person.
    dialog->activateWindow();
    if (!QTest::qWaitForWindowActive(dialog.get()))
        qFatal("the dialog did not show");
    return dialog;
}

PairingLink TestUiPairingDialog::newLink()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    if (!offer)
        qFatal("no pairing offer: %s", qPrintable(offer.error().message));
    return offer->link;
}

void TestUiPairingDialog::fingerprintIsGroupedLikeTheGatewayPrintsIt()
{
    const QString kid = QStringLiteral("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    const QString grouped = PairingDialogText::groupedFingerprint(kid);
    QCOMPARE(grouped, QStringLiteral("NzbL sXh8 uDCc d-6M NwXF 4W_7 noWX FZAf HkxZ sRGC 9Xs"));
    // The same characters, only spaced: comparable with the gateway's line.
    QCOMPARE(QString(grouped).remove(u' '), kid);
    QCOMPARE(PairingDialogText::groupedFingerprint(QString()), QString());
}

void TestUiPairingDialog::everyFailureKindSaysWhatToDo()
{
    using Kind = PairingFailure::Kind;
    QSet<QString> headlines;
    for (Kind kind :
         {Kind::InvalidDeviceName, Kind::Unreachable, Kind::UntrustedCertificate, Kind::PinMismatch,
          Kind::InvalidCode, Kind::RateLimited, Kind::Refused, Kind::MalformedAnswer,
          Kind::GatewayKeyMismatch, Kind::KeychainFailure, Kind::Internal}) {
        const QString headline = PairingDialogText::failureHeadline(kind);
        const QString advice = PairingDialogText::failureAdvice(kind);
        QVERIFY(!headline.isEmpty());
        QVERIFY(advice.endsWith(u'.'));
        headlines.insert(headline);
    }
    QCOMPARE(headlines.size(), 11);
    QVERIFY(
        PairingDialogText::failureAdvice(Kind::InvalidCode).contains(u"countersign-gateway pair"));
    QVERIFY(PairingDialogText::failureAdvice(Kind::PinMismatch).contains(u"intercepting"));
    QVERIFY(PairingDialogText::canRetry(Kind::Unreachable));
    QVERIFY(PairingDialogText::canRetry(Kind::RateLimited));
    // A spent or untrustworthy link is never offered again.
    QVERIFY(!PairingDialogText::canRetry(Kind::InvalidCode));
    QVERIFY(!PairingDialogText::canRetry(Kind::PinMismatch));
    QVERIFY(!PairingDialogText::canRetry(Kind::GatewayKeyMismatch));
}

void TestUiPairingDialog::sourcePageOffersEveryWay()
{
    m_dialog = makeDialog();
    QCOMPARE(m_dialog->page(), Page::Source);
    QVERIFY(child<QToolButton>(QStringLiteral("scanButton"))->isVisible());
    QVERIFY(child<QToolButton>(QStringLiteral("openImageButton"))->isVisible());
    QVERIFY(child<QToolButton>(QStringLiteral("pasteButton"))->isVisible());
    QVERIFY(child<QLineEdit>(QStringLiteral("linkEdit"))->isVisible());
    QVERIFY(!child<QPushButton>(QStringLiteral("continueButton"))->isEnabled());
    QVERIFY(!child<QPushButton>(QStringLiteral("pairButton"))->isVisible());
    for (const QPushButton *button : m_dialog->findChildren<QPushButton *>())
        QVERIFY2(!button->isDefault(), qPrintable(button->objectName()));
    QVERIFY(text(QStringLiteral("subtitleLabel")).contains(u"countersign-gateway pair"));

    // Without a screen grabber there is no scan button to fail.
    m_dialog = makeDialog(false);
    QVERIFY(!child<QToolButton>(QStringLiteral("scanButton"))->isVisible());
}

void TestUiPairingDialog::scanFindsTheCodeOnTheScreen()
{
    const PairingLink link = newLink();
    m_screen.screens = {QImage(800, 600, QImage::Format_RGB32),
                        desktopWith(qrImage(link.toString()))};
    m_screen.screens[0].fill(Qt::darkGray); // a second screen without the code
    m_dialog = makeDialog();
    QTest::mouseClick(child<QToolButton>(QStringLiteral("scanButton")), Qt::LeftButton);
    // Out of the way while the screen is captured.
    QVERIFY(!m_dialog->isVisible());
    QTRY_COMPARE(m_dialog->page(), Page::Confirm);
    QVERIFY(m_dialog->isVisible());
    QCOMPARE(m_screen.grabs, 1);
    QCOMPARE(m_dialog->link(), std::optional(link));
    QCOMPARE(text(QStringLiteral("gatewayNameValue")), QStringLiteral("Test gateway"));
}

void TestUiPairingDialog::scanWithoutCodeSaysSo()
{
    QImage empty(1200, 800, QImage::Format_RGB32);
    empty.fill(Qt::white);
    m_screen.screens = {empty};
    m_dialog = makeDialog();
    QTest::mouseClick(child<QToolButton>(QStringLiteral("scanButton")), Qt::LeftButton);
    QTRY_VERIFY(m_dialog->isVisible());
    QCOMPARE(m_dialog->page(), Page::Source);
    QTRY_VERIFY(child<QLabel>(QStringLiteral("sourceErrorLabel"))->isVisible());
    QVERIFY(
        text(QStringLiteral("sourceErrorLabel")).startsWith(u"No QR code was found on the screen"));
}

void TestUiPairingDialog::scanCancelledOrUnavailable()
{
    m_screen.failure = ScreenshotFailure{ScreenshotFailure::Kind::Cancelled, QString()};
    m_dialog = makeDialog();
    auto *error = child<QLabel>(QStringLiteral("sourceErrorLabel"));
    QTest::mouseClick(child<QToolButton>(QStringLiteral("scanButton")), Qt::LeftButton);
    QTRY_COMPARE(m_screen.grabs, 1);
    QTRY_VERIFY(m_dialog->isVisible());
    // The person cancelled: nothing to complain about.
    QVERIFY(!error->isVisible());

    m_screen.failure =
        ScreenshotFailure{ScreenshotFailure::Kind::Unavailable,
                          QStringLiteral("This desktop offers no way to capture the screen")};
    QTest::mouseClick(child<QToolButton>(QStringLiteral("scanButton")), Qt::LeftButton);
    QTRY_COMPARE(m_screen.grabs, 2);
    QTRY_VERIFY(error->isVisible());
    QCOMPARE(readable(error),
             QStringLiteral("The screen could not be captured: This desktop offers no way to "
                            "capture the screen. Open an image of the code or paste the link "
                            "instead."));
}

void TestUiPairingDialog::openImageThroughTheFileDialog()
{
    // The PNG exactly as `countersign-gateway pair --png` writes it.
    const PairingLink link = newLink();
    const auto code = gateway::QrCode::encode(link.toString().toUtf8());
    QVERIFY(code.ok());
    const QString png = m_files.filePath(QStringLiteral("pairing.png"));
    QVERIFY(code->writePng(png).ok());

    m_dialog = makeDialog();
    QTest::mouseClick(child<QToolButton>(QStringLiteral("openImageButton")), Qt::LeftButton);
    QFileDialog *chooser = nullptr;
    QTRY_VERIFY((chooser = m_dialog->findChild<QFileDialog *>(QStringLiteral("imageFileDialog"))));
    QTRY_VERIFY(chooser->isVisible());
    chooser->selectFile(png);
    static_cast<QDialog *>(chooser)->accept(); // QFileDialog hides it
    QTRY_COMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(m_dialog->link(), std::optional(link));
}

void TestUiPairingDialog::openImageErrors()
{
    m_dialog = makeDialog();
    auto *error = child<QLabel>(QStringLiteral("sourceErrorLabel"));

    const QString notImage = m_files.filePath(QStringLiteral("notes.png"));
    {
        QFile file(notImage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a picture");
    }
    m_dialog->openImageFile(notImage);
    QVERIFY(error->isVisible());
    QVERIFY2(readable(error).startsWith(u"Countersign could not read notes.png as an image"),
             qPrintable(readable(error)));

    const QString blank = m_files.filePath(QStringLiteral("blank.png"));
    QImage white(300, 200, QImage::Format_RGB32);
    white.fill(Qt::white);
    QVERIFY(white.save(blank));
    m_dialog->openImageFile(blank);
    QCOMPARE(readable(error),
             QStringLiteral("There is no QR code in blank.png. Open the picture "
                            "of the code the gateway showed, or paste the link."));
    QCOMPARE(m_dialog->page(), Page::Source);
}

void TestUiPairingDialog::pastesTextLink()
{
    const PairingLink link = newLink();
    QApplication::clipboard()->setText(u"  " + link.toString() + u"\n");
    m_dialog = makeDialog();
    QTest::mouseClick(child<QToolButton>(QStringLiteral("pasteButton")), Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(m_dialog->link(), std::optional(link));
}

void TestUiPairingDialog::pastesImageOfTheCode()
{
    const PairingLink link = newLink();
    QApplication::clipboard()->setImage(desktopWith(qrImage(link.toString(), 4)));
    m_dialog = makeDialog();
    // Alt+P: the keyboard way.
    QTest::keyClick(m_dialog.get(), Qt::Key_P, Qt::AltModifier);
    QTRY_COMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(m_dialog->link(), std::optional(link));
}

void TestUiPairingDialog::pasteWithNothingUsable()
{
    m_dialog = makeDialog();
    auto *error = child<QLabel>(QStringLiteral("sourceErrorLabel"));
    QTest::mouseClick(child<QToolButton>(QStringLiteral("pasteButton")), Qt::LeftButton);
    QVERIFY(readable(error).startsWith(u"The clipboard holds neither a link nor an image"));

    QApplication::clipboard()->setText(QStringLiteral("hello"));
    QTest::mouseClick(child<QToolButton>(QStringLiteral("pasteButton")), Qt::LeftButton);
    QVERIFY2(readable(error).startsWith(u"That is not a Countersign pairing link: "),
             qPrintable(readable(error)));
    QCOMPARE(m_dialog->page(), Page::Source);
}

void TestUiPairingDialog::typedLinkAndInvalidInput()
{
    m_dialog = makeDialog();
    auto *edit = child<QLineEdit>(QStringLiteral("linkEdit"));
    auto *error = child<QLabel>(QStringLiteral("sourceErrorLabel"));
    edit->setFocus();
    // A link whose version is not ours: named in the message.
    QTest::keyClicks(edit,
                     QStringLiteral("countersign://pair?v=9&gw=https%3A%2F%2Fgw.example.com"));
    QVERIFY(child<QPushButton>(QStringLiteral("continueButton"))->isEnabled());
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(m_dialog->page(), Page::Source);
    QVERIFY(error->isVisible());
    QVERIFY2(readable(error).contains(u"version"), qPrintable(readable(error)));
    // Hostile input stays text, and control characters become visible.
    edit->setText(QStringLiteral("<b>bold</b>\u202E"));
    QTest::mouseClick(child<QPushButton>(QStringLiteral("continueButton")), Qt::LeftButton);
    QCOMPARE(error->textFormat(), Qt::PlainText);

    const PairingLink link = newLink();
    edit->setText(link.toString());
    QTest::keyClick(edit, Qt::Key_Return);
    // Enter in the link field leads to the confirmation only (and does not
    // go on to press the confirmation's default button, Cancel).
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QVERIFY(m_dialog->isVisible());
    QVERIFY(!error->isVisible());
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
}

void TestUiPairingDialog::refusesOtherQrCodes()
{
    m_dialog = makeDialog();
    const QString path = m_files.filePath(QStringLiteral("website.png"));
    QVERIFY(qrImage(QStringLiteral("https://example.com/welcome")).save(path));
    m_dialog->openImageFile(path);
    const QString message = text(QStringLiteral("sourceErrorLabel"));
    QVERIFY2(message.startsWith(u"Countersign found a QR code, but the QR code is not a "
                                u"Countersign pairing link"),
             qPrintable(message));
    QCOMPARE(m_dialog->page(), Page::Source);
}

void TestUiPairingDialog::confirmationShowsWhatTheLinkSays()
{
    m_dialog = makeDialog();
    const PairingLink link = newLink();
    m_dialog->showLink(link);
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(text(QStringLiteral("titleLabel")), QStringLiteral("Pair with Test gateway?"));
    QCOMPARE(text(QStringLiteral("gatewayNameValue")), QStringLiteral("Test gateway"));
    QCOMPARE(text(QStringLiteral("gatewayUrlValue")),
             m_fixture->gateway().publicUrl().toDisplayString());
    QCOMPARE(text(QStringLiteral("fingerprintValue")),
             PairingDialogText::groupedFingerprint(m_fixture->gateway().signingKey().thumbprint()));
    QCOMPARE(
        text(QStringLiteral("connectionValue")),
        QStringLiteral("Not encrypted. Allowed only because the gateway runs on this computer."));
    QVERIFY(!child<QLabel>(QStringLiteral("pinValue"))->isVisible());
    QCOMPARE(child<QLineEdit>(QStringLiteral("deviceNameEdit"))->text(),
             QStringLiteral("alice-laptop"));
    QVERIFY(child<QPushButton>(QStringLiteral("pairButton"))->isVisible());
    QVERIFY(child<QPushButton>(QStringLiteral("backButton"))->isVisible());
    // The account is not in the link: the gateway names it when pairing.
    QVERIFY(!child<QLabel>(QStringLiteral("accountValue"))->isVisible());

    // A TLS link with a pinned certificate, and a name that looks like markup.
    const QString spki = QStringLiteral("q1MKE-RZFJjrefm6ivlcl7m3J_NtPjnPxU1nNjLqsyI");
    const auto pinned = PairingLink::create(
        PairingLink::Fields{QUrl(QStringLiteral("https://gw.example.com:8443")), link.code(),
                            link.keyThumbprint(), spki, QStringLiteral("<b>Prod</b> & co")});
    QVERIFY(pinned.ok());
    // (A link from outside never replaces the one being checked: back first.)
    QTest::mouseClick(child<QPushButton>(QStringLiteral("backButton")), Qt::LeftButton);
    m_dialog->showLink(pinned.value());
    QCOMPARE(text(QStringLiteral("gatewayNameValue")), QStringLiteral("<b>Prod</b> & co"));
    QCOMPARE(child<QLabel>(QStringLiteral("gatewayNameValue"))->textFormat(), Qt::PlainText);
    QCOMPARE(text(QStringLiteral("gatewayUrlValue")),
             QStringLiteral("https://gw.example.com:8443"));
    QCOMPARE(text(QStringLiteral("connectionValue")),
             QStringLiteral("Encrypted (TLS) with the gateway's own certificate, pinned by the "
                            "link."));
    // The pin is a fingerprint like the key's: its own row, grouped, fixed-pitch.
    auto *pin = child<QLabel>(QStringLiteral("pinValue"));
    QVERIFY(pin->isVisible());
    QCOMPARE(readable(pin), PairingDialogText::groupedFingerprint(spki));
    QVERIFY(QFontInfo(pin->font()).fixedPitch());

    // Back: to the sources, forgetting the link.
    QTest::mouseClick(child<QPushButton>(QStringLiteral("backButton")), Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Source);
    QVERIFY(!m_dialog->link());
}

void TestUiPairingDialog::cancelIsDefaultAndEnterNeverPairs()
{
    m_dialog = makeDialog();
    m_dialog->showLink(newLink());
    auto *pair = child<QPushButton>(QStringLiteral("pairButton"));
    auto *cancel = child<QPushButton>(QStringLiteral("cancelButton"));
    QVERIFY(cancel->isDefault());
    QVERIFY(!pair->isDefault());
    QVERIFY(!pair->autoDefault());
    QSignalSpy finished(m_dialog.get(), &QDialog::finished);
    QSignalSpy paired(m_dialog.get(), &PairingDialog::paired);
    // Enter in the device name: the default button, Cancel, answers.
    QTest::keyClick(child<QLineEdit>(QStringLiteral("deviceNameEdit")), Qt::Key_Return);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().first().toInt(), int(QDialog::Rejected));
    QVERIFY(!m_dialog->isVisible());
    QVERIFY(!m_client->isBusy());
    QCOMPARE(paired.count(), 0);
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
}

void TestUiPairingDialog::pairsWithTheRealGateway()
{
    m_dialog = makeDialog();
    QApplication::clipboard()->setText(newLink().toString());
    QTest::mouseClick(child<QToolButton>(QStringLiteral("pasteButton")), Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Confirm);
    auto *name = child<QLineEdit>(QStringLiteral("deviceNameEdit"));
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("alice-desk"));
    QSignalSpy paired(m_dialog.get(), &PairingDialog::paired);
    clickPair();
    QCOMPARE(m_dialog->page(), Page::Progress);
    QVERIFY(!child<QPushButton>(QStringLiteral("cancelButton"))->isEnabled());

    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    QCOMPARE(paired.count(), 1);
    const auto profile = paired.first().first().value<GatewayProfile>();
    QCOMPARE(profile.userId, QStringLiteral("alice@example.com"));
    QCOMPARE(profile.name, QStringLiteral("Test gateway"));
    // Saved, registered under the chosen name, key in the keychain.
    QCOMPARE(m_gateways->all(), QList<GatewayProfile>{profile});
    const auto device = m_fixture->gateway().store().device(profile.deviceId);
    QVERIFY(device.has_value());
    QCOMPARE(device->name, QStringLiteral("alice-desk"));
    QVERIFY(m_secrets->contains(SecretStore::deviceKeyName(profile.gatewayId)));

    QCOMPARE(text(QStringLiteral("titleLabel")), QStringLiteral("Paired with Test gateway"));
    QCOMPARE(
        text(QStringLiteral("subtitleLabel")),
        QStringLiteral("This computer is registered as \"alice-desk\" for alice@example.com."));
    QCOMPARE(text(QStringLiteral("accountValue")), QStringLiteral("alice@example.com"));
    QCOMPARE(text(QStringLiteral("deviceValue")), QStringLiteral("alice-desk"));
    QVERIFY(child<QLabel>(QStringLiteral("accountValue"))->isVisible());
    QCOMPARE(text(QStringLiteral("doneText")),
             QStringLiteral("When an agent's action through Test gateway needs your approval, "
                            "Countersign shows it: from the tray, or in a window of its own. "
                            "Gateways are managed in Settings."));
    auto *done = child<QPushButton>(QStringLiteral("doneButton"));
    QVERIFY(done->isVisible());
    // Without security key support nothing is offered.
    QVERIFY(!child<QPushButton>(QStringLiteral("addSecurityKeyButton"))->isVisible());
    QSignalSpy accepted(m_dialog.get(), &QDialog::accepted);
    QTest::mouseClick(done, Qt::LeftButton);
    QCOMPARE(accepted.count(), 1);
}

void TestUiPairingDialog::offersToAddASecurityKey()
{
    m_dialog = makeDialog(true, true);
    m_dialog->showLink(newLink());
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    auto *add = child<QPushButton>(QStringLiteral("addSecurityKeyButton"));
    QVERIFY(add->isVisible());
    QVERIFY(!add->isDefault()); // Done stays the default of this page
    QSignalSpy adding(m_dialog.get(), &PairingDialog::addSecurityKey);
    QSignalSpy accepted(m_dialog.get(), &QDialog::accepted);
    QTest::mouseClick(add, Qt::LeftButton);
    QCOMPARE(accepted.count(), 1);
    QCOMPARE(adding.count(), 1);
    QCOMPARE(adding.first().first().toString(), m_gateways->all().constFirst().gatewayId);
}

void TestUiPairingDialog::cannotCloseWhilePairing()
{
    m_dialog = makeDialog();
    m_dialog->showLink(newLink());
    clickPair();
    QCOMPARE(m_dialog->page(), Page::Progress);
    QTest::keyClick(m_dialog.get(), Qt::Key_Escape);
    QVERIFY(!m_dialog->close());
    QVERIFY(m_dialog->isVisible());
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
}

void TestUiPairingDialog::usedLinkSaysGetANewOne()
{
    const PairingLink link = newLink();
    m_dialog = makeDialog();
    m_dialog->showLink(link);
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    forgetPairedGateways(); // else the dialog says it is paired already

    m_dialog = makeDialog();
    m_dialog->showLink(link);
    QSignalSpy paired(m_dialog.get(), &PairingDialog::paired);
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
    QCOMPARE(paired.count(), 0);
    QCOMPARE(text(QStringLiteral("titleLabel")),
             QStringLiteral("The link has been used or has expired"));
    QVERIFY(text(QStringLiteral("failedAdvice")).contains(u"Run countersign-gateway pair again"));
    QVERIFY(text(QStringLiteral("failedDetails"))
                .startsWith(u"Details: the gateway refused the pairing code"));
    QVERIFY(!child<QPushButton>(QStringLiteral("retryButton"))->isVisible());
    QCOMPARE(child<QPushButton>(QStringLiteral("cancelButton"))->text(), QStringLiteral("C&lose"));
    QTest::mouseClick(child<QPushButton>(QStringLiteral("backButton")), Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Source);
}

void TestUiPairingDialog::unreachableGatewayCanBeRetried()
{
    // A loopback port where nothing listens.
    const quint16 port = testing::freePort();
    QVERIFY(port != 0);
    const auto link = PairingLink::create(PairingLink::Fields{
        QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)),
        QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        m_fixture->gateway().signingKey().thumbprint(), QString(), QStringLiteral("Gone")});
    QVERIFY(link.ok());
    m_dialog = makeDialog();
    m_dialog->showLink(link.value());
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
    QCOMPARE(text(QStringLiteral("titleLabel")),
             QStringLiteral("The gateway could not be reached"));
    auto *retry = child<QPushButton>(QStringLiteral("retryButton"));
    QVERIFY(retry->isVisible());
    QVERIFY(!retry->isDefault());
    QTest::mouseClick(retry, Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Progress);
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
}

void TestUiPairingDialog::deviceNameIsChecked()
{
    m_dialog = makeDialog();
    m_dialog->showLink(newLink());
    auto *name = child<QLineEdit>(QStringLiteral("deviceNameEdit"));
    auto *error = child<QLabel>(QStringLiteral("confirmErrorLabel"));
    name->clear();
    clickPair();
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QVERIFY(error->isVisible());
    QVERIFY(readable(error).startsWith(u"Give this computer a name"));
    name->setText(QStringLiteral("desk\u202Eevil"));
    clickPair();
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QVERIFY(readable(error).contains(u"control or formatting characters"));
    QVERIFY(!m_client->isBusy());
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
}

void TestUiPairingDialog::linkFromTheCommandLine()
{
    m_dialog = makeDialog();
    m_dialog->showLinkText(newLink().toString());
    QCOMPARE(m_dialog->page(), Page::Confirm);

    m_dialog = makeDialog();
    m_dialog->showLinkText(QStringLiteral("countersign://pair?v=1"));
    QCOMPARE(m_dialog->page(), Page::Source);
    QVERIFY(text(QStringLiteral("sourceErrorLabel"))
                .startsWith(u"That is not a Countersign pairing link"));
}

void TestUiPairingDialog::linkFromOutsideNeverReplacesTheOneBeingChecked()
{
    // Any program, or a web page through the countersign:// handler, can
    // send a link while the person compares this one's fingerprint: it must
    // not swap the gateway under the Pair button (docs/threat-model.md).
    m_dialog = makeDialog();
    const PairingLink checked = newLink();
    m_dialog->showLinkText(checked.toString());
    QCOMPARE(m_dialog->page(), Page::Confirm);
    const QString fingerprint = text(QStringLiteral("fingerprintValue"));
    const QString url = text(QStringLiteral("gatewayUrlValue"));
    auto *note = child<QLabel>(QStringLiteral("confirmErrorLabel"));
    QVERIFY(!note->isVisible());

    const auto attacker = PairingLink::create(PairingLink::Fields{
        QUrl(QStringLiteral("https://gateway.attacker.example")), checked.code(),
        QStringLiteral("q1MKE-RZFJjrefm6ivlcl7m3J_NtPjnPxU1nNjLqsyI"), QString(),
        QStringLiteral("Test gateway")});
    QVERIFY(attacker.ok());
    m_dialog->showLinkText(attacker->toString());
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(m_dialog->link()->toString(), checked.toString());
    QCOMPARE(text(QStringLiteral("fingerprintValue")), fingerprint);
    QCOMPARE(text(QStringLiteral("gatewayUrlValue")), url);
    QVERIFY(note->isVisible());
    QVERIFY(note->text().startsWith(u"Another pairing link arrived while you check this one"));

    // Nor through the source page: a broken link does not clear the page.
    m_dialog->showLink(attacker.value());
    m_dialog->showLinkText(QStringLiteral("countersign://pair?v=1"));
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(m_dialog->link()->toString(), checked.toString());

    // The same link again is harmless, and Pair pairs with the one checked.
    m_dialog->showLinkText(checked.toString());
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QSignalSpy paired(m_dialog.get(), &PairingDialog::paired);
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    QCOMPARE(paired.count(), 1);
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
}

void TestUiPairingDialog::pairIsHeldBackAfterALinkFromOutside()
{
    // A web page can open a link that pops the dialog up under a pointer
    // about to click elsewhere: that click must not pair.
    m_dialog = makeDialog();
    QSignalSpy paired(m_dialog.get(), &PairingDialog::paired);
    m_dialog->showLink(newLink());
    QCOMPARE(m_dialog->page(), Page::Confirm);
    auto *pair = child<QPushButton>(QStringLiteral("pairButton"));
    QVERIFY(m_dialog->isPairHeldBack());
    QVERIFY(!pair->isEnabled());
    QTest::mouseClick(pair, Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QCOMPARE(paired.count(), 0);
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
    // Then it works as usual.
    QTRY_VERIFY(pair->isEnabled());
    QVERIFY(!m_dialog->isPairHeldBack());
    QTest::mouseClick(pair, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    QCOMPARE(paired.count(), 1);
}

void TestUiPairingDialog::errorKeepsTheLinkEditable()
{
    // A link from outside that is not one: the source page, with the text
    // in the link field and the keyboard there, to be corrected.
    m_dialog = makeDialog();
    const QString broken =
        newLink().toString().replace(QStringLiteral("pair?"), QStringLiteral("pear?"));
    m_dialog->showLinkText(broken);
    QCOMPARE(m_dialog->page(), Page::Source);
    auto *edit = child<QLineEdit>(QStringLiteral("linkEdit"));
    QVERIFY(edit->isVisible());
    QVERIFY(edit->isEnabled());
    QVERIFY(!edit->isReadOnly());
    QCOMPARE(edit->text(), broken);
    QTRY_VERIFY(edit->hasFocus());
    QVERIFY(child<QLabel>(QStringLiteral("sourceErrorLabel"))->isVisible());
    // Corrected in place, it works.
    edit->setText(QString(broken).replace(QStringLiteral("pear?"), QStringLiteral("pair?")));
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(m_dialog->page(), Page::Confirm);

    // A typed link with a mistake stays as typed.
    QTest::mouseClick(child<QPushButton>(QStringLiteral("backButton")), Qt::LeftButton);
    edit->clear();
    edit->setFocus();
    QTest::keyClicks(edit, QStringLiteral("countersign://pair?v=1&gw=nowhere"));
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(m_dialog->page(), Page::Source);
    QCOMPARE(edit->text(), QStringLiteral("countersign://pair?v=1&gw=nowhere"));
    QVERIFY(edit->hasFocus());
}

void TestUiPairingDialog::problemIsSaidOnce()
{
    m_dialog = makeDialog();
    auto *error = child<QLabel>(QStringLiteral("sourceErrorLabel"));
    m_dialog->showLinkText(QStringLiteral("hello"));
    QCOMPARE(readable(error),
             QStringLiteral("That is not a Countersign pairing link: it must "
                            "start with countersign://."));
    QCOMPARE(readable(error).count(u"pairing link"), 1);

    const QString path = m_files.filePath(QStringLiteral("menu.png"));
    QVERIFY(qrImage(QStringLiteral("https://example.com/menu")).save(path));
    m_dialog->openImageFile(path);
    QVERIFY2(readable(error).count(u"not a pairing link")
                     + readable(error).count(u"not a Countersign pairing link")
                 == 1,
             qPrintable(readable(error)));
}

void TestUiPairingDialog::noBackOnTheFirstVisiblePage()
{
    // Source: nothing before it.
    m_dialog = makeDialog();
    QVERIFY(!child<QPushButton>(QStringLiteral("backButton"))->isVisible());

    // A link from the command line opens the dialog on the confirmation,
    // as main.cpp does it: show, then the link at once. (A gateway that is
    // not there, for the failure below.)
    const quint16 port = testing::freePort();
    QVERIFY(port != 0);
    const auto gone = PairingLink::create(PairingLink::Fields{
        QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)),
        QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        m_fixture->gateway().signingKey().thumbprint(), QString(), QStringLiteral("Gone")});
    QVERIFY(gone.ok());
    m_dialog = std::make_unique<PairingDialog>(PairingDialog::Services{
        *m_client, *m_gateways, &QrDecoder::decode, &m_screen, QStringLiteral("alice-laptop")});
    m_dialog->show();
    m_dialog->showLinkText(gone->toString());
    QVERIFY(QTest::qWaitForWindowExposed(m_dialog.get()));
    QCOMPARE(m_dialog->page(), Page::Confirm);
    QVERIFY(!child<QPushButton>(QStringLiteral("backButton"))->isVisible());
    QVERIFY(child<QPushButton>(QStringLiteral("cancelButton"))->isVisible());

    // After a failure there is a way to another link, named for what it does.
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
    auto *back = child<QPushButton>(QStringLiteral("backButton"));
    QVERIFY(back->isVisible());
    QCOMPARE(back->text(), QStringLiteral("Use &another link"));
    QTest::mouseClick(back, Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Source);
    QVERIFY(!back->isVisible());
}

void TestUiPairingDialog::alreadyPairedSaysWhatToDo()
{
    m_dialog = makeDialog();
    m_dialog->showLink(newLink());
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);

    // A new link of the same gateway.
    m_dialog = makeDialog();
    QApplication::clipboard()->setText(newLink().toString());
    QTest::mouseClick(child<QToolButton>(QStringLiteral("pasteButton")), Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::AlreadyPaired);
    QCOMPARE(text(QStringLiteral("titleLabel")),
             QStringLiteral("Already paired with Test gateway"));
    const QString advice = text(QStringLiteral("alreadyPairedText"));
    QVERIFY2(advice.contains(u"already paired with Test gateway, as \"alice-laptop\" for "
                             u"alice@example.com"),
             qPrintable(advice));
    QVERIFY(advice.contains(u"there is nothing to do"));
    QVERIFY(advice.contains(u"first unpair Test gateway in Settings"));
    // The gateway is shown, pairing is not offered, Close is the answer.
    QVERIFY(child<QLabel>(QStringLiteral("fingerprintValue"))->isVisible());
    auto *pair = child<QPushButton>(QStringLiteral("pairButton"));
    QVERIFY(!pair->isVisible());
    auto *close = child<QPushButton>(QStringLiteral("cancelButton"));
    QCOMPARE(close->text(), QStringLiteral("C&lose"));
    QVERIFY(close->isDefault());
    pair->click(); // hidden, and would do nothing
    QVERIFY(!m_client->isBusy());
    QCOMPARE(m_dialog->page(), Page::AlreadyPaired);
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
    // Back to the sources for another link.
    QTest::mouseClick(child<QPushButton>(QStringLiteral("backButton")), Qt::LeftButton);
    QCOMPARE(m_dialog->page(), Page::Source);
}

void TestUiPairingDialog::keychainIsCheckedBeforeRegistering()
{
    m_secrets->refuseWrites = true; // a locked keychain
    m_dialog = makeDialog();
    const PairingLink link = newLink();
    m_dialog->showLink(link);
    QSignalSpy paired(m_dialog.get(), &PairingDialog::paired);
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
    QCOMPARE(text(QStringLiteral("titleLabel")),
             QStringLiteral("The system keychain is not usable"));
    QVERIFY(text(QStringLiteral("failedAdvice")).contains(u"Nothing was sent to the gateway"));
    // The gateway never heard of this computer: no orphan registration.
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
    QCOMPARE(paired.count(), 0);
    // The link is not spent: unlocked, Try again pairs with it.
    auto *retry = child<QPushButton>(QStringLiteral("retryButton"));
    QVERIFY(retry->isVisible());
    m_secrets->refuseWrites = false;
    QTest::mouseClick(retry, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
    QVERIFY(!m_secrets->contains(PairingClient::probeKeyName));
}

void TestUiPairingDialog::defaultNameTellsComputersApart()
{
    // No name chosen in Settings: the user and the host.
    m_dialog = std::make_unique<PairingDialog>(
        PairingDialog::Services{*m_client, *m_gateways, &QrDecoder::decode, &m_screen, QString()});
    m_dialog->show();
    m_dialog->showLink(newLink());
    const QString name = child<QLineEdit>(QStringLiteral("deviceNameEdit"))->text();
    QCOMPARE(name, PairingClient::defaultDeviceName());
    const QString host = QSysInfo::machineHostName().section(u'.', 0, 0);
    const QString user = PairingClient::currentUserName();
    if (host.isEmpty() || host == u"localhost" || user.isEmpty())
        QSKIP("this machine has no usable host or user name");
    QVERIFY2(name.contains(host), qPrintable(name));
    QVERIFY2(name.contains(user), qPrintable(name));
}

void TestUiPairingDialog::fingerprintIsMonospace()
{
    m_dialog = makeDialog();
    m_dialog->showLink(newLink());
    auto *fingerprint = child<QLabel>(QStringLiteral("fingerprintValue"));
    QCOMPARE(readable(fingerprint),
             PairingDialogText::groupedFingerprint(m_fixture->gateway().signingKey().thumbprint()));
    QVERIFY(readable(fingerprint).contains(u' '));
    QVERIFY2(QFontInfo(fingerprint->font()).fixedPitch(),
             qPrintable(QFontInfo(fingerprint->font()).family()));
}

void TestUiPairingDialog::saveScreenshot(const QString &fileName)
{
    const QString dir = qEnvironmentVariable("COUNTERSIGN_SCREENSHOT_DIR", QDir::currentPath());
    QVERIFY(QDir().mkpath(dir));
    const QString path = QDir(dir).filePath(fileName);
    QVERIFY2(m_dialog->grab().save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
}

void TestUiPairingDialog::screenshots()
{
    m_dialog = makeDialog();
    saveScreenshot(QStringLiteral("pairingdialog-source.png"));
    m_dialog->openImageFile(m_files.filePath(QStringLiteral("missing.png")));
    saveScreenshot(QStringLiteral("pairingdialog-source-error.png"));

    const PairingLink link = newLink();
    const auto pinned = PairingLink::create(PairingLink::Fields{
        QUrl(QStringLiteral("https://gateway.example.com")), link.code(), link.keyThumbprint(),
        QStringLiteral("q1MKE-RZFJjrefm6ivlcl7m3J_NtPjnPxU1nNjLqsyI"),
        QStringLiteral("Example Gateway")});
    m_dialog->showLink(pinned.value());
    QTRY_VERIFY(!m_dialog->isPairHeldBack()); // as a person sees it a moment later
    saveScreenshot(QStringLiteral("pairingdialog-confirm.png"));

    QTest::mouseClick(child<QPushButton>(QStringLiteral("backButton")), Qt::LeftButton);
    m_dialog->showLink(link);
    clickPair();
    saveScreenshot(QStringLiteral("pairingdialog-progress.png"));
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Done, timeoutMs);
    saveScreenshot(QStringLiteral("pairingdialog-done.png"));

    m_dialog = makeDialog();
    m_dialog->showLink(newLink());
    QCOMPARE(m_dialog->page(), Page::AlreadyPaired);
    saveScreenshot(QStringLiteral("pairingdialog-already-paired.png"));
    forgetPairedGateways();

    m_dialog = makeDialog();
    m_secrets->refuseWrites = true;
    m_dialog->showLink(newLink());
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
    saveScreenshot(QStringLiteral("pairingdialog-keychain.png"));
    m_secrets->refuseWrites = false;

    m_dialog = makeDialog();
    m_dialog->showLink(link);
    clickPair();
    QTRY_COMPARE_WITH_TIMEOUT(m_dialog->page(), Page::Failed, timeoutMs);
    saveScreenshot(QStringLiteral("pairingdialog-failed.png"));
}

QTEST_MAIN(TestUiPairingDialog)
#include "test_ui_pairingdialog.moc"
