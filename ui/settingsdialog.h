#pragma once

#include "app/authenticator.h"
#include "app/gatewayclient.h"
#include "app/gatewayprofile.h"
#include "app/passkeycontext.h"
#include "protocol/messages/approvalmethod.h"

#include <optional>

#include <QDialog>
#include <QHash>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QMessageBox;
class QPushButton;
class QListWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace countersign {

class Autostart;
class CompanionSettings;
class PairedGateways;
class PasskeyPanel;
class PlainLabel;

// The companion's settings. Every change applies at once (there is no OK):
//
// - Start at login, through the injected Autostart (platform/ writes the
//   XDG autostart entry); hidden when there is none.
// - Notifications on/off, the default approval method (which one a request
//   that allows several opens with; shown only when this computer can carry
//   out more than one, and never the security key while no paired gateway
//   has one registered) and the default name this computer gets when
//   pairing, kept in the injected CompanionSettings (app/, where the
//   companion reads them).
// - Paired gateways (at least minVisibleGateways rows without scrolling):
//   name (renamable in place), account, connection state (fed by the app
//   through setGatewayState), address, key fingerprint and TLS pin (as in
//   the pairing dialog), the device name this computer was paired under;
//   Unpair asks first (Cancel is the default) and then removes the device
//   key from the keychain and the record (PairedGateways::unpair).
// - Security keys registered at the selected gateway (fed by the app through
//   setPasskeys): add one (the owner runs the key and reports back through
//   showPasskeyRegistration) or remove one (asks first). Either needs a
//   fresh code of the person's authenticator app (docs/protocol.md 8.2),
//   typed in the code field and cleared once sent. Shown only when
//   this computer can use security keys (`methods` has passkey). Its line
//   follows the state; Stop reads as a cancel.
class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    static constexpr int maxGatewayNameLength = 64;
    // Rows of the gateway list visible without scrolling.
    static constexpr int minVisibleGateways = 4;

    // `autostart` may be null (no way to start at login here). All must
    // outlive the dialog. `methods`: the approval methods this computer can
    // carry out, in their default order.
    SettingsDialog(CompanionSettings &settings, PairedGateways &gateways, Autostart *autostart,
                   QList<ApprovalMethod> methods, QWidget *parent = nullptr);
    ~SettingsDialog() override;

public Q_SLOTS:
    void setGatewayState(const QString &gatewayId, countersign::GatewayClient::State state);
    void setPasskeys(const QString &gatewayId, const countersign::PasskeyContext &context);
    // Selects a gateway and puts the keyboard in the security key name, for
    // "Add a security key" right after pairing.
    void startAddingSecurityKey(const QString &gatewayId);
    // The security keys connected now (for choosing one while adding).
    void setSecurityKeys(const QList<countersign::AuthenticatorDevice> &devices);
    // Progress of a registration the dialog asked for (addPasskey).
    void showPasskeyRegistration(const QString &gatewayId, countersign::Authenticator::State state,
                                 bool done, bool ok, const QString &message);
    // A removal the dialog asked for was refused (by the gateway or before
    // it was sent).
    void showPasskeyRemovalRefused(const QString &gatewayId, const QString &message);

Q_SIGNALS:
    void notificationsEnabledChanged(bool enabled);
    void defaultMethodChanged(countersign::ApprovalMethod method);
    void defaultDeviceNameChanged(const QString &name);
    // The gateway's key and record are gone: stop its client.
    void unpaired(const QString &gatewayId);
    void gatewayRenamed(const QString &gatewayId, const QString &name);
    void openPairing();
    void addPasskey(const QString &gatewayId, const QString &name, const QString &totpCode);
    void removePasskey(const QString &gatewayId, const QByteArray &credentialId,
                       const QString &totpCode);
    void passkeyPinEntered(const QString &pin);
    void passkeyStopped();
    void passkeyKeyChosen(const QString &deviceId);

private:
    QWidget *buildGeneral();
    QWidget *buildGateways();
    QWidget *buildPasskeys();
    void updatePasskeys();
    // The code field's text when it holds 6 or 8 digits; otherwise says so
    // on the panel, puts the keyboard there and returns an empty string.
    QString takePasskeyCode();
    // The default method shown: never a security key while no gateway has
    // one registered (the stored choice comes back once one has).
    void updateDefaultMethod();
    bool anySecurityKeyRegistered() const;
    void fitGatewayList();
    void reloadGateways();
    void updateGatewayDetails();
    void onAutostartToggled(bool enabled);
    void onDeviceNameEdited();
    void onUnpairClicked();
    void unpair(const GatewayProfile &profile);
    void onItemChanged(QTreeWidgetItem *item, int column);
    std::optional<GatewayProfile> selectedGateway() const;
    static void setRowIcon(QTreeWidgetItem *item, bool online);
    QString stateText(const QString &gatewayId) const;
    void showGatewayMessage(const QString &text, bool problem);

    CompanionSettings &m_settings;
    PairedGateways &m_gateways;
    Autostart *m_autostart = nullptr;
    QList<ApprovalMethod> m_methods;
    QList<GatewayProfile> m_profiles;
    QHash<QString, GatewayClient::State> m_states;
    QString m_unpairing; // gateway id while its unpairing runs
    bool m_reloading = false;

    QCheckBox *m_startAtLogin = nullptr;
    PlainLabel *m_autostartError = nullptr;
    QCheckBox *m_notifications = nullptr;
    QComboBox *m_defaultMethod = nullptr;
    QLineEdit *m_deviceName = nullptr;
    PlainLabel *m_deviceNameError = nullptr;
    QTreeWidget *m_list = nullptr;
    PlainLabel *m_empty = nullptr;
    QWidget *m_details = nullptr;
    PlainLabel *m_detailAddress = nullptr;
    PlainLabel *m_detailFingerprint = nullptr;
    PlainLabel *m_detailDevice = nullptr;
    PlainLabel *m_detailPin = nullptr;
    PlainLabel *m_gatewayMessage = nullptr;
    QPushButton *m_rename = nullptr;
    QPushButton *m_unpair = nullptr;
    QPointer<QMessageBox> m_confirm;

    QHash<QString, PasskeyContext> m_passkeys; // by gateway id
    QString m_registering;                     // gateway id while adding a key
    bool m_stopRequested = false;              // the person pressed Stop while adding
    QString m_passkeyHint;                     // the hint updatePasskeys() last showed
    QWidget *m_passkeyGroup = nullptr;
    QListWidget *m_passkeyList = nullptr;
    QLineEdit *m_passkeyName = nullptr;
    QLineEdit *m_passkeyCode = nullptr;
    QPushButton *m_addPasskey = nullptr;
    QPushButton *m_removePasskey = nullptr;
    PasskeyPanel *m_passkeyPanel = nullptr;
    QList<AuthenticatorDevice> m_securityKeys;
};

} // namespace countersign
