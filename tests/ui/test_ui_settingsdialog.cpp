#include "app/appid.h"
#include "app/autostart.h"
#include "app/companionsettings.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "protocol/jose/ecprivatekey.h"
#include "tests/support/memorysecretstore.h"
#include "ui/pairingdialogtext.h"
#include "ui/passkeypanel.h"
#include "ui/safetext.h"
#include "ui/settingsdialog.h"
#include "ui/uistyle.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFontInfo>
#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleOptionButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

using namespace countersign;

namespace {

class FakeAutostart final : public Autostart {
public:
    bool isEnabled() const override { return enabled; }
    Status setEnabled(bool wanted) override
    {
        ++calls;
        if (refuse) {
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("~/.config/autostart is read-only"));
        }
        enabled = wanted;
        return Ok{};
    }

    bool enabled = false;
    bool refuse = false;
    int calls = 0;
};

GatewayProfile profile(const QString &id, const QString &name, const QString &spki = {})
{
    static const EcPrivateKey key = EcPrivateKey::generate().value();
    GatewayProfile profile;
    profile.gatewayId = id;
    profile.name = name;
    profile.baseUrl = QUrl(id);
    profile.deviceId = QStringLiteral("dev-") + name.left(3).toLower();
    profile.userId = QStringLiteral("alice@example.com");
    profile.gatewayKey = key.publicKey().toJwk();
    profile.spkiPin = spki;
    return profile;
}

PasskeyContext passkeys(int keys)
{
    PasskeyContext context;
    context.rpId = QStringLiteral("gw.example.com");
    context.userHandle = QByteArray(32, 'h');
    context.userName = QStringLiteral("alice@example.com");
    for (int i = 0; i < keys; ++i) {
        context.credentials.append(
            PasskeyCredentialInfo{QByteArray("cred-") + QByteArray::number(i),
                                  QStringLiteral("Key %1").arg(i), 1'750'000'000, true});
    }
    return context;
}

} // namespace

class TestUiSettingsDialog : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void startAtLoginFollowsAutostart();
    void withoutAutostartTheOptionIsAbsent();
    void notificationsCanBeTurnedOff();
    void defaultMethodIsChosenOnlyAmongSeveral();
    void defaultDeviceName();
    void listsPairedGateways();
    void showsTheDeviceNameNotItsId();
    void gatewayListShowsFourRows();
    void defaultMethodFallsBackWithoutAKey();
    void securityKeyLineFollowsTheState();
    void stopReadsAsCancel();
    void connectionStatesFollow();
    void securityKeysOfTheSelectedGateway();
    void unpairAsksFirstWithCancelAsDefault();
    void unpairRemovesKeyAndRecord();
    void unpairFailureIsShown();
    void renameInPlace();
    void emptyListOffersPairing();
    void screenshot();

private:
    // Types an authenticator app code (adding or removing a key needs one)
    // and clicks Add security key.
    void addWithCode(const QString &code = QStringLiteral("123456"));
    std::unique_ptr<SettingsDialog>
    makeDialog(Autostart *autostart, QList<ApprovalMethod> methods = {ApprovalMethod::Totp});
    template <typename T>
    T *child(const QString &name) const
    {
        T *found = m_dialog->findChild<T *>(name);
        if (!found)
            qFatal("no child %s", qPrintable(name));
        return found;
    }
    QMessageBox *confirmation() const
    {
        return m_dialog->findChild<QMessageBox *>(QStringLiteral("unpairConfirmation"));
    }

    QTemporaryDir m_settingsDir;
    std::unique_ptr<CompanionSettings> m_settings;
    std::unique_ptr<testing::MemorySecretStore> m_secrets;
    std::unique_ptr<PairedGateways> m_gateways;
    FakeAutostart m_autostart;
    std::unique_ptr<SettingsDialog> m_dialog;
};

void TestUiSettingsDialog::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
}

void TestUiSettingsDialog::init()
{
    QSettings(AppId::organizationName(), AppId::applicationName()).clear();
    m_settings = std::make_unique<CompanionSettings>();
    m_secrets = std::make_unique<testing::MemorySecretStore>();
    m_gateways = std::make_unique<PairedGateways>(*m_secrets);
    m_autostart = FakeAutostart();
}

void TestUiSettingsDialog::cleanup()
{
    m_dialog.reset();
    m_gateways.reset();
    m_settings.reset();
}

std::unique_ptr<SettingsDialog> TestUiSettingsDialog::makeDialog(Autostart *autostart,
                                                                 QList<ApprovalMethod> methods)
{
    auto dialog =
        std::make_unique<SettingsDialog>(*m_settings, *m_gateways, autostart, std::move(methods));
    dialog->show();
    // Active, so that its mnemonics (Alt+letter) work as for a person.
    dialog->activateWindow();
    if (!QTest::qWaitForWindowActive(dialog.get()))
        qFatal("the dialog did not show");
    return dialog;
}

void TestUiSettingsDialog::startAtLoginFollowsAutostart()
{
    m_autostart.enabled = true;
    m_dialog = makeDialog(&m_autostart);
    auto *check = child<QCheckBox>(QStringLiteral("startAtLoginCheck"));
    auto *error = child<QLabel>(QStringLiteral("autostartErrorLabel"));
    QVERIFY(check->isVisible());
    QVERIFY(check->isChecked());
    // On the box itself, where a person clicks.
    const auto box = [check] {
        QStyleOptionButton option;
        option.initFrom(check);
        return check->style()
            ->subElementRect(QStyle::SE_CheckBoxIndicator, &option, check)
            .center();
    };
    QTest::mouseClick(check, Qt::LeftButton, {}, box());
    QVERIFY(!m_autostart.enabled);
    QCOMPARE(m_autostart.calls, 1);
    // The mnemonic toggles it (a button's shortcut clicks it shortly after).
    QTest::keyClick(m_dialog.get(), Qt::Key_S, Qt::AltModifier);
    QTRY_VERIFY(m_autostart.enabled);
    QVERIFY(!error->isVisible());

    // A failure leaves the box as things are, and says why.
    m_autostart.refuse = true;
    QTest::mouseClick(check, Qt::LeftButton, {}, box());
    QVERIFY(check->isChecked());
    QVERIFY(m_autostart.enabled);
    QVERIFY(error->isVisible());
    QCOMPARE(error->text(),
             QStringLiteral("Could not turn off starting at login: "
                            "~/.config/autostart is read-only"));
}

void TestUiSettingsDialog::withoutAutostartTheOptionIsAbsent()
{
    m_dialog = makeDialog(nullptr);
    QVERIFY(!child<QCheckBox>(QStringLiteral("startAtLoginCheck"))->isVisible());
}

void TestUiSettingsDialog::notificationsCanBeTurnedOff()
{
    QVERIFY(m_settings->notificationsEnabled()); // on unless turned off
    m_dialog = makeDialog(&m_autostart);
    auto *check = child<QCheckBox>(QStringLiteral("notificationsCheck"));
    QVERIFY(check->isChecked());
    QSignalSpy changed(m_dialog.get(), &SettingsDialog::notificationsEnabledChanged);
    QTest::keyClick(m_dialog.get(), Qt::Key_N, Qt::AltModifier);
    QTRY_COMPARE(changed.count(), 1);
    QCOMPARE(changed.first().first().toBool(), false);
    QVERIFY(!m_settings->notificationsEnabled());
    // Remembered.
    m_dialog = makeDialog(&m_autostart);
    QVERIFY(!child<QCheckBox>(QStringLiteral("notificationsCheck"))->isChecked());
}

void TestUiSettingsDialog::defaultMethodIsChosenOnlyAmongSeveral()
{
    const QList<ApprovalMethod> both{ApprovalMethod::Passkey, ApprovalMethod::Totp};
    // Nothing chosen yet: the first this computer offers.
    QCOMPARE(m_settings->defaultMethod(both), ApprovalMethod::Passkey);

    // A security key is registered at a gateway: it can be the default.
    const QString id = QStringLiteral("https://gw.example.com");
    QVERIFY(m_gateways->save(profile(id, QStringLiteral("Production"))).ok());
    m_dialog = makeDialog(&m_autostart, both);
    m_dialog->setPasskeys(id, passkeys(1));
    QVERIFY(child<QWidget>(QStringLiteral("defaultMethodRow"))->isVisible());
    auto *combo = child<QComboBox>(QStringLiteral("defaultMethodCombo"));
    QCOMPARE(combo->currentData().toString(), QStringLiteral("passkey"));
    QSignalSpy changed(m_dialog.get(), &SettingsDialog::defaultMethodChanged);
    // By keyboard, as a person would: Alt+M reaches the list, Down picks TOTP.
    QTest::keyClick(m_dialog.get(), Qt::Key_M, Qt::AltModifier);
    QTRY_VERIFY(combo->hasFocus());
    QTest::keyClick(combo, Qt::Key_Down);
    QTRY_COMPARE(changed.count(), 1);
    QCOMPARE(changed.first().first().value<ApprovalMethod>(), ApprovalMethod::Totp);
    // Applies at once and is remembered.
    QCOMPARE(m_settings->defaultMethod(both), ApprovalMethod::Totp);
    m_dialog = makeDialog(&m_autostart, both);
    QCOMPARE(child<QComboBox>(QStringLiteral("defaultMethodCombo"))->currentData().toString(),
             QStringLiteral("totp"));

    // One method: nothing to choose, so no row; a stored choice this
    // computer cannot carry out gives way to what it can.
    QSettings(AppId::organizationName(), AppId::applicationName())
        .setValue(QStringLiteral("approval/defaultMethod"), QStringLiteral("passkey"));
    m_dialog = makeDialog(&m_autostart, {ApprovalMethod::Totp});
    QVERIFY(!child<QWidget>(QStringLiteral("defaultMethodRow"))->isVisible());
    QCOMPARE(m_settings->defaultMethod({ApprovalMethod::Totp}), ApprovalMethod::Totp);
}

void TestUiSettingsDialog::defaultDeviceName()
{
    QCOMPARE(m_settings->defaultDeviceName(), PairingClient::defaultDeviceName());
    m_dialog = makeDialog(&m_autostart);
    auto *edit = child<QLineEdit>(QStringLiteral("defaultDeviceNameEdit"));
    auto *error = child<QLabel>(QStringLiteral("deviceNameErrorLabel"));
    QCOMPARE(edit->placeholderText(), PairingClient::defaultDeviceName());
    QSignalSpy changed(m_dialog.get(), &SettingsDialog::defaultDeviceNameChanged);
    edit->setFocus();
    QTest::keyClicks(edit, QStringLiteral("alice-desk"));
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m_settings->defaultDeviceName(), QStringLiteral("alice-desk"));
    QVERIFY(!error->isVisible());
    // Enter in the field closes nothing: no button is default.
    QVERIFY(m_dialog->isVisible());

    edit->setText(QStringLiteral("desk\u202Eevil"));
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(error->isVisible());
    QCOMPARE(m_settings->defaultDeviceName(), QStringLiteral("alice-desk"));

    edit->clear();
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(!error->isVisible());
    QCOMPARE(m_settings->defaultDeviceName(), PairingClient::defaultDeviceName());
}

void TestUiSettingsDialog::listsPairedGateways()
{
    const GatewayProfile prod =
        profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production"),
                QStringLiteral("q1MKE-RZFJjrefm6ivlcl7m3J_NtPjnPxU1nNjLqsyI"));
    const GatewayProfile staging =
        profile(QStringLiteral("http://127.0.0.1:8080"), QStringLiteral("<b>Staging</b>"));
    QVERIFY(m_gateways->save(prod).ok());
    QVERIFY(m_gateways->save(staging).ok());
    m_dialog = makeDialog(&m_autostart);
    auto *list = child<QTreeWidget>(QStringLiteral("gatewayList"));
    QCOMPARE(list->topLevelItemCount(), 2);
    QCOMPARE(list->topLevelItem(0)->text(0), QStringLiteral("Production"));
    QCOMPARE(list->topLevelItem(0)->text(1), QStringLiteral("alice@example.com"));
    QCOMPARE(list->topLevelItem(0)->text(2), QStringLiteral("Not connected"));
    QCOMPARE(list->topLevelItem(1)->text(0), QStringLiteral("<b>Staging</b>"));
    QVERIFY(!child<QLabel>(QStringLiteral("noGatewaysLabel"))->isVisible());

    // The selected one's details, fingerprints as the gateway prints them,
    // in a fixed-pitch font as in the pairing dialog.
    const auto value = [this](const QString &name) {
        return withoutBreakOpportunities(child<QLabel>(name)->text());
    };
    QCOMPARE(value(QStringLiteral("gatewayAddressValue")),
             QStringLiteral("https://gw.example.com"));
    QCOMPARE(
        value(QStringLiteral("gatewayFingerprintValue")),
        PairingDialogText::groupedFingerprint(EcPublicKey::fromJwk(prod.gatewayKey)->thumbprint()));
    QVERIFY(value(QStringLiteral("gatewayPinValue")).startsWith(u"q1MK E-RZ"));
    for (const QString &name :
         {QStringLiteral("gatewayFingerprintValue"), QStringLiteral("gatewayPinValue")}) {
        const QFont font = child<QLabel>(name)->font();
        QVERIFY2(QFontInfo(font).fixedPitch(), qPrintable(name));
    }
    // A record from before device names were kept shows the id.
    QCOMPARE(value(QStringLiteral("gatewayDeviceValue")), QStringLiteral("dev-pro"));
    list->setCurrentItem(list->topLevelItem(1));
    QCOMPARE(value(QStringLiteral("gatewayAddressValue")), QStringLiteral("http://127.0.0.1:8080"));
    QVERIFY(!child<QLabel>(QStringLiteral("gatewayPinValue"))->isVisible());
}

void TestUiSettingsDialog::showsTheDeviceNameNotItsId()
{
    GatewayProfile prod =
        profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production"));
    prod.deviceId = QStringLiteral("dv_3Jq9xK2mP7wR4tY8");
    prod.deviceName = QStringLiteral("alice on build-box");
    QVERIFY(m_gateways->save(prod).ok());
    m_dialog = makeDialog(&m_autostart);
    auto *device = child<QLabel>(QStringLiteral("gatewayDeviceValue"));
    QCOMPARE(withoutBreakOpportunities(device->text()), QStringLiteral("alice on build-box"));
    QVERIFY(device->toolTip().contains(u"dv_3Jq9xK2mP7wR4tY8"));
}

void TestUiSettingsDialog::gatewayListShowsFourRows()
{
    for (int i = 1; i <= SettingsDialog::minVisibleGateways; ++i) {
        GatewayProfile gateway = profile(QStringLiteral("https://gw%1.example.com").arg(i),
                                         QStringLiteral("Gateway number %1").arg(i));
        gateway.userId = QStringLiteral("alice.longname-%1@accounts.example.com").arg(i);
        QVERIFY(m_gateways->save(gateway).ok());
    }
    m_dialog = makeDialog(&m_autostart);
    m_dialog->setGatewayState(QStringLiteral("https://gw1.example.com"),
                              GatewayClient::State::Revoked);
    auto *list = child<QTreeWidget>(QStringLiteral("gatewayList"));
    QCOMPARE(list->topLevelItemCount(), SettingsDialog::minVisibleGateways);
    // Every row without scrolling.
    QTRY_COMPARE(list->verticalScrollBar()->maximum(), 0);
    const QRect last =
        list->visualItemRect(list->topLevelItem(SettingsDialog::minVisibleGateways - 1));
    QVERIFY(list->viewport()->rect().contains(last));
    // The account and the state whole, not cut.
    for (int column : {1, 2}) {
        int widest = 0;
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            widest = std::max(
                widest, list->fontMetrics().horizontalAdvance(list->topLevelItem(i)->text(column)));
        QVERIFY2(list->columnWidth(column) >= widest,
                 qPrintable(QStringLiteral("column %1: %2 < %3")
                                .arg(column)
                                .arg(list->columnWidth(column))
                                .arg(widest)));
    }
    int total = 0;
    for (int column = 0; column < list->columnCount(); ++column)
        total += list->columnWidth(column);
    QVERIFY(total <= list->viewport()->width());
}

void TestUiSettingsDialog::defaultMethodFallsBackWithoutAKey()
{
    const QList<ApprovalMethod> both{ApprovalMethod::Passkey, ApprovalMethod::Totp};
    m_settings->setDefaultMethod(ApprovalMethod::Passkey);
    const QString id = QStringLiteral("https://gw.example.com");
    QVERIFY(m_gateways->save(profile(id, QStringLiteral("Production"))).ok());
    m_dialog = makeDialog(&m_autostart, both);
    auto *combo = child<QComboBox>(QStringLiteral("defaultMethodCombo"));
    auto *model = qobject_cast<QStandardItemModel *>(combo->model());
    QVERIFY(model);
    // No key anywhere: never shown as the default, not choosable, and why.
    QCOMPARE(combo->currentData().toString(), QStringLiteral("totp"));
    QVERIFY(!model->item(0)->isEnabled());
    QCOMPARE(model->item(0)->text(),
             QStringLiteral("Security key: add one to a gateway below first"));
    m_dialog->setPasskeys(id, passkeys(0)); // takes keys, has none yet
    QCOMPARE(combo->currentData().toString(), QStringLiteral("totp"));
    QVERIFY(!model->item(0)->isEnabled());
    // The person's choice is kept for when there is a key.
    QCOMPARE(m_settings->defaultMethod(both), ApprovalMethod::Passkey);
    m_dialog->setPasskeys(id, passkeys(1));
    QCOMPARE(combo->currentData().toString(), QStringLiteral("passkey"));
    QVERIFY(model->item(0)->isEnabled());
    QCOMPARE(model->item(0)->text(), QStringLiteral("Security key (passkey)"));
    // The last key removed: back to the code.
    m_dialog->setPasskeys(id, passkeys(0));
    QCOMPARE(combo->currentData().toString(), QStringLiteral("totp"));
    QVERIFY(!model->item(0)->isEnabled());
}

void TestUiSettingsDialog::addWithCode(const QString &code)
{
    QTest::keyClicks(child<QLineEdit>(QStringLiteral("passkeyCodeEdit")), code);
    QTest::mouseClick(child<QPushButton>(QStringLiteral("addPasskeyButton")), Qt::LeftButton);
}

void TestUiSettingsDialog::securityKeyLineFollowsTheState()
{
    const QString id = QStringLiteral("https://gw.example.com");
    QVERIFY(m_gateways->save(profile(id, QStringLiteral("Production"))).ok());
    m_dialog = makeDialog(&m_autostart, {ApprovalMethod::Passkey, ApprovalMethod::Totp});
    auto *status = child<QLabel>(QStringLiteral("passkeyStatusLabel"));
    auto *add = child<QPushButton>(QStringLiteral("addPasskeyButton"));
    m_dialog->setGatewayState(id, GatewayClient::State::Online);
    QCOMPARE(status->text(), QStringLiteral("This gateway does not accept security keys."));
    QVERIFY(!add->isEnabled());
    // The gateway says it takes keys: the line no longer says otherwise.
    m_dialog->setPasskeys(id, passkeys(0));
    QVERIFY(add->isEnabled());
    QVERIFY2(!status->text().contains(u"does not accept"), qPrintable(status->text()));
    QVERIFY(status->text().startsWith(u"No security key is registered here yet"));
    // A key added: the result is said, and stays while the list follows.
    addWithCode();
    m_dialog->setPasskeys(id, passkeys(1));
    m_dialog->showPasskeyRegistration(id, Authenticator::State::Done, true, true, {});
    QVERIFY(status->text().contains(u"was added"));
    m_dialog->setPasskeys(id, passkeys(1));
    QVERIFY(status->text().contains(u"was added"));
    QVERIFY(add->isEnabled());
    // Offline and back: the hint comes and goes, never stale.
    m_dialog->setGatewayState(id, GatewayClient::State::Offline);
    QVERIFY(status->text().startsWith(u"Connect to the gateway"));
    QVERIFY(!add->isEnabled());
    m_dialog->setGatewayState(id, GatewayClient::State::Online);
    QVERIFY2(status->text().isEmpty(), qPrintable(status->text()));
    QVERIFY(add->isEnabled());
    // The result of an earlier add gives way when the key is gone again.
    addWithCode();
    m_dialog->showPasskeyRegistration(id, Authenticator::State::Done, true, true, {});
    QVERIFY(status->text().contains(u"was added"));
    m_dialog->setPasskeys(id, passkeys(0));
    QVERIFY2(status->text().startsWith(u"No security key is registered here yet"),
             qPrintable(status->text()));
}

void TestUiSettingsDialog::stopReadsAsCancel()
{
    const QString id = QStringLiteral("https://gw.example.com");
    QVERIFY(m_gateways->save(profile(id, QStringLiteral("Production"))).ok());
    m_dialog = makeDialog(&m_autostart, {ApprovalMethod::Passkey, ApprovalMethod::Totp});
    m_dialog->setGatewayState(id, GatewayClient::State::Online);
    m_dialog->setPasskeys(id, passkeys(0));
    auto *status = child<QLabel>(QStringLiteral("passkeyStatusLabel"));
    QSignalSpy stopped(m_dialog.get(), &SettingsDialog::passkeyStopped);
    addWithCode();
    m_dialog->showPasskeyRegistration(id, Authenticator::State::TouchKey, false, false, {});
    auto *stop = child<QPushButton>(QStringLiteral("passkeyStopButton"));
    QVERIFY(stop->isVisible());
    QTest::mouseClick(stop, Qt::LeftButton);
    QCOMPARE(stopped.count(), 1);
    // The Companion ends a stopped registration as a failure with libfido2's
    // words; the person reads that they cancelled.
    m_dialog->showPasskeyRegistration(id, Authenticator::State::Failed, true, false,
                                      QStringLiteral("FIDO_ERR_KEEPALIVE_CANCEL"));
    QCOMPARE(status->text(), QStringLiteral("Cancelled. No security key was added."));
    QVERIFY(status->palette().color(QPalette::WindowText) != problemColour());
    QVERIFY(child<QPushButton>(QStringLiteral("addPasskeyButton"))->isEnabled());
    // A real failure still reads as one.
    addWithCode();
    m_dialog->showPasskeyRegistration(id, Authenticator::State::Failed, true, false,
                                      QStringLiteral("FIDO_ERR_TX"));
    QVERIFY(status->text().startsWith(u"The security key did not answer as expected."));
}

void TestUiSettingsDialog::connectionStatesFollow()
{
    QVERIFY(
        m_gateways
            ->save(profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production")))
            .ok());
    m_dialog = makeDialog(&m_autostart);
    auto *item = child<QTreeWidget>(QStringLiteral("gatewayList"))->topLevelItem(0);
    const QString id = QStringLiteral("https://gw.example.com");
    m_dialog->setGatewayState(id, GatewayClient::State::Connecting);
    QCOMPARE(item->text(2), QStringLiteral("Connecting…"));
    m_dialog->setGatewayState(id, GatewayClient::State::Online);
    QCOMPARE(item->text(2), QStringLiteral("Connected"));
    m_dialog->setGatewayState(id, GatewayClient::State::Revoked);
    QCOMPARE(item->text(2), QStringLiteral("Revoked: unpair, then pair again"));
    m_dialog->setGatewayState(QStringLiteral("https://other.example"),
                              GatewayClient::State::Online);
    QCOMPARE(item->text(2), QStringLiteral("Revoked: unpair, then pair again"));
}

void TestUiSettingsDialog::securityKeysOfTheSelectedGateway()
{
    const QString id = QStringLiteral("https://gw.example.com");
    QVERIFY(m_gateways->save(profile(id, QStringLiteral("Production"))).ok());
    {
        // A computer without security key support: no section.
        m_dialog = makeDialog(&m_autostart, {ApprovalMethod::Totp});
        QVERIFY(!child<QWidget>(QStringLiteral("passkeyGroup"))->isVisible());
    }
    m_dialog = makeDialog(&m_autostart, {ApprovalMethod::Passkey, ApprovalMethod::Totp});
    auto *list = child<QListWidget>(QStringLiteral("passkeyList"));
    auto *add = child<QPushButton>(QStringLiteral("addPasskeyButton"));
    auto *remove = child<QPushButton>(QStringLiteral("removePasskeyButton"));
    child<QTreeWidget>(QStringLiteral("gatewayList"))
        ->setCurrentItem(child<QTreeWidget>(QStringLiteral("gatewayList"))->topLevelItem(0));
    // Offline: nothing can change.
    QVERIFY(!add->isEnabled());
    m_dialog->setGatewayState(id, GatewayClient::State::Online);
    QVERIFY(!add->isEnabled()); // the gateway has not said it takes passkeys
    PasskeyContext context;
    context.rpId = QStringLiteral("gw.example.com");
    context.userHandle = QByteArray(32, 'h');
    context.userName = QStringLiteral("alice@example.com");
    context.credentials.append(PasskeyCredentialInfo{
        QByteArray("cred-1"), QStringLiteral("Blue key"), 1'750'000'000, true});
    m_dialog->setPasskeys(id, context);
    QCOMPARE(list->count(), 1);
    QCOMPARE(list->item(0)->text(), QStringLiteral("Blue key"));
    QVERIFY(add->isEnabled());
    QVERIFY(!remove->isEnabled()); // nothing selected

    // Adding: the dialog asks, the owner runs the key and reports.
    QSignalSpy adding(m_dialog.get(), &SettingsDialog::addPasskey);
    QTest::keyClicks(child<QLineEdit>(QStringLiteral("passkeyNameEdit")),
                     QStringLiteral("Red key"));
    // Without the authenticator app's code nothing is asked of the key: the
    // line says what is missing and the keyboard goes to the code field.
    auto *code = child<QLineEdit>(QStringLiteral("passkeyCodeEdit"));
    QTest::mouseClick(add, Qt::LeftButton);
    QCOMPARE(adding.count(), 0);
    QVERIFY2(child<QLabel>(QStringLiteral("passkeyStatusLabel"))->text().contains(u"code"),
             qPrintable(child<QLabel>(QStringLiteral("passkeyStatusLabel"))->text()));
    QTRY_VERIFY(code->hasFocus());
    // Digits only, at most 8; five are not enough.
    QTest::keyClicks(code, QStringLiteral("12a34 5"));
    QCOMPARE(code->text(), QStringLiteral("12345"));
    QTest::mouseClick(add, Qt::LeftButton);
    QCOMPARE(adding.count(), 0);
    QVERIFY(code->text().isEmpty());
    // The code's label takes the keyboard to it (Alt+D).
    m_dialog->activateWindow();
    child<QLineEdit>(QStringLiteral("passkeyNameEdit"))->setFocus();
    QTest::keyClick(m_dialog.get(), Qt::Key_D, Qt::AltModifier);
    QTRY_VERIFY(code->hasFocus());
    addWithCode(QStringLiteral("12345678"));
    QCOMPARE(adding.count(), 1);
    QCOMPARE(adding.first().at(0).toString(), id);
    QCOMPARE(adding.first().at(1).toString(), QStringLiteral("Red key"));
    QCOMPARE(adding.first().at(2).toString(), QStringLiteral("12345678"));
    // Used once: the field is empty again.
    QVERIFY(code->text().isEmpty());
    QVERIFY(!add->isEnabled()); // one at a time
    m_dialog->showPasskeyRegistration(id, Authenticator::State::TouchKey, false, false, {});
    QCOMPARE(child<QLabel>(QStringLiteral("passkeyStatusLabel"))->text(),
             PasskeyPanel::stateText(Authenticator::State::TouchKey));
    QSignalSpy pins(m_dialog.get(), &SettingsDialog::passkeyPinEntered);
    m_dialog->showPasskeyRegistration(id, Authenticator::State::PinNeeded, false, false,
                                      QStringLiteral("5"));
    QTest::keyClicks(child<QLineEdit>(QStringLiteral("passkeyPinEdit")), QStringLiteral("246810"));
    QTest::mouseClick(child<QPushButton>(QStringLiteral("passkeyPinButton")), Qt::LeftButton);
    QCOMPARE(pins.count(), 1);
    context.credentials.append(PasskeyCredentialInfo{
        QByteArray("cred-2"), QStringLiteral("Red key"), 1'750'000'100, false});
    m_dialog->setPasskeys(id, context);
    m_dialog->showPasskeyRegistration(id, Authenticator::State::Done, true, true, {});
    QCOMPARE(list->count(), 2);
    QVERIFY(child<QLabel>(QStringLiteral("passkeyStatusLabel"))
                ->text()
                .contains(QStringLiteral("added")));
    QVERIFY(add->isEnabled());

    // A refusal says why, and adding is possible again.
    addWithCode();
    m_dialog->showPasskeyRegistration(id, Authenticator::State::Failed, true, false,
                                      QStringLiteral("this key is already registered"));
    QVERIFY(child<QLabel>(QStringLiteral("passkeyStatusLabel"))
                ->text()
                .contains(QStringLiteral("already registered")));
    QVERIFY(add->isEnabled());

    // Removing asks first; Cancel is the default.
    QSignalSpy removing(m_dialog.get(), &SettingsDialog::removePasskey);
    list->setCurrentRow(1);
    QVERIFY(remove->isEnabled());
    bool sawDefaultCancel = false;
    QTimer::singleShot(0, this, [&] {
        auto *box = m_dialog->findChild<QMessageBox *>(QStringLiteral("removePasskeyConfirmation"));
        QVERIFY(box);
        sawDefaultCancel = box->defaultButton() == box->button(QMessageBox::Cancel);
        for (QAbstractButton *button : box->buttons()) {
            if (box->buttonRole(button) == QMessageBox::DestructiveRole)
                button->click();
        }
    });
    QTest::keyClicks(code, QStringLiteral("654321"));
    QTest::mouseClick(remove, Qt::LeftButton);
    QVERIFY(sawDefaultCancel);
    QCOMPARE(removing.count(), 1);
    QCOMPARE(removing.first().at(1).toByteArray(), QByteArray("cred-2"));
    QCOMPARE(removing.first().at(2).toString(), QStringLiteral("654321"));
    // The gateway's refusal is shown.
    m_dialog->showPasskeyRemovalRefused(id,
                                        QStringLiteral("the code is wrong or was already used"));
    QVERIFY(child<QLabel>(QStringLiteral("passkeyStatusLabel"))
                ->text()
                .contains(QStringLiteral("was not removed: the code is wrong")));
}

void TestUiSettingsDialog::unpairAsksFirstWithCancelAsDefault()
{
    QVERIFY(
        m_gateways
            ->save(profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production")))
            .ok());
    m_dialog = makeDialog(&m_autostart);
    QTest::mouseClick(child<QPushButton>(QStringLiteral("unpairButton")), Qt::LeftButton);
    QMessageBox *box = confirmation();
    QVERIFY(box);
    QVERIFY(QTest::qWaitForWindowExposed(box));
    QCOMPARE(box->text(), QStringLiteral("Unpair Production?"));
    auto *cancel = box->findChild<QPushButton *>(QStringLiteral("cancelUnpairButton"));
    QCOMPARE(box->defaultButton(), cancel);
    // Enter answers Cancel; nothing is removed.
    QTest::keyClick(box, Qt::Key_Return);
    QTRY_VERIFY(!confirmation());
    QCOMPARE(m_gateways->all().size(), 1);
    // So does Escape.
    QTest::mouseClick(child<QPushButton>(QStringLiteral("unpairButton")), Qt::LeftButton);
    QVERIFY(QTest::qWaitForWindowExposed(confirmation()));
    QTest::keyClick(confirmation(), Qt::Key_Escape);
    QTRY_VERIFY(!confirmation());
    QCOMPARE(m_gateways->all().size(), 1);
}

void TestUiSettingsDialog::unpairRemovesKeyAndRecord()
{
    const GatewayProfile prod =
        profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production"));
    QVERIFY(m_gateways->save(prod).ok());
    QVERIFY(m_gateways
                ->save(profile(QStringLiteral("https://staging.example.com"),
                               QStringLiteral("Staging")))
                .ok());
    const QString keyName = SecretStore::deviceKeyName(prod.gatewayId);
    m_secrets->write(keyName, "key", m_gateways.get(), [](Status) {});
    QTRY_VERIFY(m_secrets->contains(keyName));

    m_dialog = makeDialog(&m_autostart);
    QSignalSpy unpaired(m_dialog.get(), &SettingsDialog::unpaired);
    QTest::mouseClick(child<QPushButton>(QStringLiteral("unpairButton")), Qt::LeftButton);
    QVERIFY(QTest::qWaitForWindowExposed(confirmation()));
    QTest::mouseClick(
        confirmation()->findChild<QPushButton *>(QStringLiteral("confirmUnpairButton")),
        Qt::LeftButton);
    QTRY_COMPARE(unpaired.count(), 1);
    QCOMPARE(unpaired.first().first().toString(), prod.gatewayId);
    QVERIFY(!m_secrets->contains(keyName));
    QCOMPARE(m_gateways->all().size(), 1);
    auto *list = child<QTreeWidget>(QStringLiteral("gatewayList"));
    QCOMPARE(list->topLevelItemCount(), 1);
    QCOMPARE(list->topLevelItem(0)->text(0), QStringLiteral("Staging"));
    QCOMPARE(child<QLabel>(QStringLiteral("gatewayMessageLabel"))->text(),
             QStringLiteral("Unpaired Production."));
}

void TestUiSettingsDialog::unpairFailureIsShown()
{
    QVERIFY(
        m_gateways
            ->save(profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production")))
            .ok());
    m_secrets->refuseRemoval = true;
    m_dialog = makeDialog(&m_autostart);
    QSignalSpy unpaired(m_dialog.get(), &SettingsDialog::unpaired);
    QTest::mouseClick(child<QPushButton>(QStringLiteral("unpairButton")), Qt::LeftButton);
    QVERIFY(QTest::qWaitForWindowExposed(confirmation()));
    QTest::mouseClick(
        confirmation()->findChild<QPushButton *>(QStringLiteral("confirmUnpairButton")),
        Qt::LeftButton);
    auto *message = child<QLabel>(QStringLiteral("gatewayMessageLabel"));
    QTRY_VERIFY(message->text().startsWith(u"Could not unpair"));
    QCOMPARE(message->text(),
             QStringLiteral("Could not unpair Production: keychain: the keychain is locked"));
    QCOMPARE(unpaired.count(), 0);
    QCOMPARE(m_gateways->all().size(), 1);
    QVERIFY(child<QPushButton>(QStringLiteral("unpairButton"))->isEnabled());
}

void TestUiSettingsDialog::renameInPlace()
{
    QVERIFY(
        m_gateways
            ->save(profile(QStringLiteral("https://gw.example.com"), QStringLiteral("Production")))
            .ok());
    m_dialog = makeDialog(&m_autostart);
    auto *list = child<QTreeWidget>(QStringLiteral("gatewayList"));
    QSignalSpy renamed(m_dialog.get(), &SettingsDialog::gatewayRenamed);
    QTest::mouseClick(child<QPushButton>(QStringLiteral("renameButton")), Qt::LeftButton);
    auto *editor = list->findChild<QLineEdit *>();
    QVERIFY(editor);
    QTRY_VERIFY(editor->isVisible());
    editor->selectAll();
    QTest::keyClicks(editor, QStringLiteral("Prod EU"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_COMPARE(renamed.count(), 1);
    QCOMPARE(m_gateways->find(QStringLiteral("https://gw.example.com"))->name,
             QStringLiteral("Prod EU"));
    QCOMPARE(list->topLevelItem(0)->text(0), QStringLiteral("Prod EU"));

    // An unusable name is refused and the old one comes back.
    QTest::keyClick(list, Qt::Key_F2);
    const auto openEditor = [list]() -> QLineEdit * {
        for (QLineEdit *candidate : list->findChildren<QLineEdit *>()) {
            if (candidate->isVisible())
                return candidate;
        }
        return nullptr;
    };
    QTRY_VERIFY(openEditor());
    editor = openEditor();
    editor->selectAll();
    QTest::keyClick(editor, Qt::Key_Space);
    QTest::keyClick(editor, Qt::Key_Return); // the delegate commits from the event loop
    QTRY_VERIFY(child<QLabel>(QStringLiteral("gatewayMessageLabel"))->text().contains(u"1 to 64"));
    QTRY_COMPARE(list->topLevelItem(0)->text(0), QStringLiteral("Prod EU"));
    QCOMPARE(m_gateways->find(QStringLiteral("https://gw.example.com"))->name,
             QStringLiteral("Prod EU"));
    QCOMPARE(renamed.count(), 1);
}

void TestUiSettingsDialog::emptyListOffersPairing()
{
    m_dialog = makeDialog(&m_autostart);
    QVERIFY(child<QLabel>(QStringLiteral("noGatewaysLabel"))->isVisible());
    QVERIFY(!child<QTreeWidget>(QStringLiteral("gatewayList"))->isVisible());
    QVERIFY(!child<QPushButton>(QStringLiteral("unpairButton"))->isEnabled());
    QSignalSpy pairing(m_dialog.get(), &SettingsDialog::openPairing);
    QTest::mouseClick(child<QPushButton>(QStringLiteral("pairButton")), Qt::LeftButton);
    QCOMPARE(pairing.count(), 1);
    for (const QPushButton *button : m_dialog->findChildren<QPushButton *>())
        QVERIFY2(!button->isDefault(), qPrintable(button->objectName()));
}

void TestUiSettingsDialog::screenshot()
{
    QVERIFY(m_gateways
                ->save(profile(QStringLiteral("https://gateway.example.com"),
                               QStringLiteral("Example Gateway"),
                               QStringLiteral("q1MKE-RZFJjrefm6ivlcl7m3J_NtPjnPxU1nNjLqsyI")))
                .ok());
    QVERIFY(m_gateways
                ->save(profile(QStringLiteral("https://staging.example.com"),
                               QStringLiteral("Staging")))
                .ok());
    m_autostart.enabled = true;
    m_dialog = makeDialog(&m_autostart);
    m_dialog->setGatewayState(QStringLiteral("https://gateway.example.com"),
                              GatewayClient::State::Online);
    m_dialog->setGatewayState(QStringLiteral("https://staging.example.com"),
                              GatewayClient::State::Offline);
    const QString dir = qEnvironmentVariable("COUNTERSIGN_SCREENSHOT_DIR", QDir::currentPath());
    QVERIFY(QDir().mkpath(dir));
    const QString path = QDir(dir).filePath(QStringLiteral("settingsdialog.png"));
    QVERIFY2(m_dialog->grab().save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
    QTest::mouseClick(child<QPushButton>(QStringLiteral("unpairButton")), Qt::LeftButton);
    QVERIFY(QTest::qWaitForWindowExposed(confirmation()));
    const QString boxPath = QDir(dir).filePath(QStringLiteral("settingsdialog-unpair.png"));
    QVERIFY2(confirmation()->grab().save(boxPath), qPrintable(boxPath));
    qInfo("screenshot: %s", qPrintable(boxPath));
    confirmation()->reject();

    // With security keys: the whole dialog still fits a 768-pixel screen.
    m_dialog = makeDialog(&m_autostart, {ApprovalMethod::Passkey, ApprovalMethod::Totp});
    m_dialog->setGatewayState(QStringLiteral("https://gateway.example.com"),
                              GatewayClient::State::Online);
    m_dialog->setPasskeys(QStringLiteral("https://gateway.example.com"), passkeys(2));
    // Shown and hidden rows are laid out on the next turn of the event loop.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    // Rows shown or hidden meanwhile are laid out on the next turn of the
    // event loop, as for a person.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    QVERIFY(child<QWidget>(QStringLiteral("gatewayList"))->geometry().bottom()
            < child<QWidget>(QStringLiteral("gatewayDetails"))->geometry().top());
    const QString keysPath = QDir(dir).filePath(QStringLiteral("settingsdialog-keys.png"));
    QVERIFY2(m_dialog->grab().save(keysPath), qPrintable(keysPath));
    qInfo("screenshot: %s", qPrintable(keysPath));
    QVERIFY2(m_dialog->height() <= 700, qPrintable(QString::number(m_dialog->height())));
    QVERIFY(m_dialog->minimumSizeHint().height() <= 700);
}

QTEST_MAIN(TestUiSettingsDialog)
#include "test_ui_settingsdialog.moc"
