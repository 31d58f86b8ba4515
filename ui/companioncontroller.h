#pragma once

#include "app/approvalinbox.h"
#include "app/authenticator.h"
#include "app/gatewayclient.h"
#include "app/history.h"
#include "app/notifier.h"
#include "app/pairedgateways.h"
#include "app/secretstore.h"
#include "protocol/clock.h"
#include "ui/trayiconstate.h"

#include <map>
#include <memory>

#include <QHash>
#include <QObject>
#include <QPointer>

namespace countersign {

class ApprovalDialog;

// The companion's wiring: one GatewayClient per paired gateway (its device
// key read from the keychain), the inbox across them, an approval dialog per
// request the person opens, notifications, and the history. It holds no
// widgets of the tray itself: the tray shows summaryChanged() and calls the
// slots. A notification only ever opens a dialog; only the dialog's Approve
// makes a proof.
class CompanionController : public QObject {
    Q_OBJECT

public:
    // `authenticator` (may be null: no passkeys) runs the security key for
    // passkey approvals and registrations; one operation at a time.
    CompanionController(PairedGateways &gateways, SecretStore &secrets, History &history,
                        Notifier *notifier, const Clock &clock,
                        Authenticator *authenticator = nullptr, QObject *parent = nullptr);
    ~CompanionController() override;

    // Connects to every paired gateway (again after pairing or unpairing).
    void start();
    TrayIconState summary() const;
    ApprovalInbox &inbox() { return m_inbox; }
    GatewayClient *client(const QString &gatewayId) const;
    // Every paired gateway's client, by gateway id.
    QList<GatewayClient *> clients() const;
    // The open dialog of a request (for tests and the tray).
    ApprovalDialog *dialog(const QString &gatewayId, const QString &requestId) const;

    // Registers a security key for this computer's user at a paired, online
    // gateway (docs/protocol.md 8.2): the key makes a credential (the person
    // touches it), the gateway checks and stores it. Progress and the end
    // come as passkeyRegistration(); false when it cannot start (offline,
    // no passkeys at that gateway, the key busy), with the reason there.
    bool registerPasskey(const QString &gatewayId, const QString &name);
    // Asks the gateway to forget one of the user's keys.
    Status removePasskey(const QString &gatewayId, const QByteArray &credentialId);
    Authenticator *authenticator() const { return m_authenticator; }

public Q_SLOTS:
    void openApproval(const QString &gatewayId, const QString &requestId);
    // Arrival: the dialog comes up without taking the keyboard.
    void presentApproval(const QString &gatewayId, const QString &requestId);
    // Settings: desktop notifications on or off (the dialog still comes up).
    void setNotificationsEnabled(bool enabled) { m_notificationsEnabled = enabled; }
    // Settings: the method a request that allows several opens with (dialogs
    // opened from now on).
    void setPreferredMethod(countersign::ApprovalMethod method) { m_preferredMethod = method; }

Q_SIGNALS:
    void summaryChanged(const countersign::TrayIconState &summary);
    // A gateway refused this device for good (revoked/unknown): say so.
    void gatewayProblem(const QString &gatewayName, const QString &message);
    // A gateway's connection went online, offline, ... (for the settings).
    void gatewayStateChanged(const QString &gatewayId, countersign::GatewayClient::State state);
    // A gateway's list of registered passkeys changed (welcome, register,
    // remove).
    void passkeysChanged(const QString &gatewayId, const countersign::PasskeyContext &context);
    // Registration progress: the key's state; `done` once it ended, `ok`
    // when the gateway stored the key, `message` why not (for PinNeeded:
    // the tries left, -1 when the key does not say).
    void passkeyRegistration(const QString &gatewayId, countersign::Authenticator::State state,
                             bool done, bool ok, const QString &message);

private:
    void syncClients();
    void connectClient(const GatewayProfile &profile, EcPrivateKey key);
    void onAdded(const PendingApproval &approval);
    void onRemoved(const QString &gatewayId, const QString &requestId, ApprovalOutcome outcome);
    ApprovalDialog *ensureDialog(const QString &gatewayId, const QString &requestId);
    void emitSummary();
    void connectAuthenticator();
    void startAssertion(const QString &gatewayId, const QString &requestId);
    void onAsserted(const AssertionResult &result);
    void onKeyFailed(Authenticator::State state, const QString &message);
    void onRegistered(const RegistrationResult &result);
    void endRegistration(bool ok, const QString &message);
    ApprovalDialog *keyDialog() const;
    static QString key(const QString &gatewayId, const QString &requestId);

    PairedGateways &m_gateways;
    SecretStore &m_secrets;
    History &m_history;
    QPointer<Notifier> m_notifier;
    const Clock &m_clock;
    ApprovalInbox m_inbox;
    std::map<QString, std::unique_ptr<GatewayClient>> m_clients; // by gateway id
    QHash<QString, QPointer<ApprovalDialog>> m_dialogs;          // by key()
    // What this device answered, to record how a request ended.
    QHash<QString, std::optional<ApprovalMethod>> m_answered;
    QHash<QString, PendingApproval> m_seen; // pending ones, for the history
    bool m_notificationsEnabled = true;
    QPointer<Authenticator> m_authenticator;
    // Who uses the key now: a dialog's key() for an approval, or the gateway
    // id of a registration.
    QString m_keyApproval;
    QString m_keyRegistration;
    QString m_registrationName;
    QByteArray m_registeredCredential; // sent to the gateway, waiting for its answer
    std::optional<ApprovalMethod> m_preferredMethod;
};

} // namespace countersign
