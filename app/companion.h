#pragma once

#include "app/approvalinbox.h"
#include "app/authenticator.h"
#include "app/gatewayclient.h"
#include "app/history.h"
#include "app/notifier.h"
#include "app/pairedgateways.h"
#include "app/requestkey.h"
#include "app/secretstore.h"
#include "protocol/clock.h"

#include <map>
#include <memory>
#include <optional>

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>

namespace countersign {

// What happened to one request, for whoever shows it (ui/ maps each kind to
// the request's dialog). Only the members the kind names are set.
struct RequestEvent {
    enum class Kind {
        Arrived,        // new in the inbox: show it
        Accepted,       // the gateway accepted this device's answer
        Resolved,       // no longer pending (`outcome`): answered, elsewhere, expired
        NotDelivered,   // the answer did not reach the gateway; the person may retry
        CodeRejected,   // wrong authenticator code, `attemptsLeft` more tries
        Locked,         // too many wrong codes: it cannot be approved any more
        PasskeyRefused, // the gateway refused the key's evidence (`message`)
        KeyState,       // the security key's progress (`keyState`; ChooseKey: pick one
                        // of Companion::authenticator()->devices())
        KeyPinNeeded,   // the key wants its PIN (`pinRetries`, -1 when it does not say)
        KeySent,        // the key's assertion went to the gateway
        KeyFailed,      // the key ended without an assertion (`keyState`, `message`)
        AgentWaiting,   // the agent stopped waiting for it, or waits again (`agentWaiting`)
    };

    Kind kind = Kind::Arrived;
    ApprovalOutcome outcome = ApprovalOutcome::Unknown;
    int attemptsLeft = 0;
    Authenticator::State keyState = Authenticator::State::Idle;
    int pinRetries = -1;
    QString message;
    bool agentWaiting = true;
};

// One paired gateway as the tray names it.
struct GatewaySummary {
    QString name;
    bool online = false;
};

// Counts and pending requests, for the tray.
struct CompanionSummary {
    int pairedGateways = 0;
    int connectedGateways = 0;
    QList<GatewaySummary> gateways; // every paired gateway with a client, by id
    QList<PendingApproval> pending; // oldest first
};

// The companion's service, without widgets: one GatewayClient per paired
// gateway (its device key read from the SecretStore), the inbox across them,
// notifications, the history rows, and the security key for passkey
// approvals and registrations. The person's intent comes in through the
// approve/deny/passkey calls (ui/ forwards it from the dialogs); what
// happens to a request goes out as requestChanged(), one event per change.
// A notification only ever asks to open a request (openRequested); only an
// explicit approve call makes a proof.
class Companion : public QObject {
    Q_OBJECT

public:
    // `notifier` and `authenticator` may be null (no notifications, no
    // passkeys). The authenticator runs one operation at a time.
    Companion(PairedGateways &gateways, SecretStore &secrets, History &history, Notifier *notifier,
              const Clock &clock, Authenticator *authenticator = nullptr,
              QObject *parent = nullptr);
    ~Companion() override;

    // Connects to every paired gateway (again after pairing or unpairing).
    void start();
    // The person asked to reconnect now ("Reconnect now" in the tray): every
    // gateway that is not connected or connecting tries at once, skipping
    // the rest of its backoff.
    void reconnectNow();
    CompanionSummary summary() const;
    ApprovalInbox &inbox() { return m_inbox; }
    std::optional<PendingApproval> find(const RequestKey &request) const;
    // False while the agent behind a pending request has stopped waiting
    // for it (the gateway said so); true otherwise.
    bool isAgentWaiting(const RequestKey &request) const { return !m_agentGone.contains(request); }
    GatewayClient *client(const QString &gatewayId) const;
    // Every paired gateway's client.
    QList<GatewayClient *> clients() const;
    Authenticator *authenticator() const { return m_authenticator; }

    // The methods a request can be approved with here, the preferred one
    // first: passkey only with a security key and a passkey at that gateway.
    QList<ApprovalMethod> methodsFor(const PendingApproval &approval) const;

    // The person's answers. The outcome comes as requestChanged().
    void approveWithCode(const RequestKey &request, const QString &code);
    void approveWithPasskey(const RequestKey &request);
    void deny(const RequestKey &request, const QString &reason);
    // The security key at work for `request`: its PIN, which key, stop it.
    void setPasskeyPin(const RequestKey &request, const QString &pin);
    void choosePasskeyDevice(const RequestKey &request, const QString &deviceId);
    void stopPasskey(const RequestKey &request);
    // Like stopPasskey, and an assertion that still comes is not sent (the
    // request's dialog went away).
    void abandonPasskey(const RequestKey &request);
    // The request is in front of the person: its notification is done.
    void withdrawNotification(const RequestKey &request);

    // Registers a security key for this computer's user at a paired, online
    // gateway (docs/protocol.md 8.2): the key makes a credential (the person
    // touches it), the gateway checks and stores it. Progress and the end
    // come as passkeyRegistration(); false when it cannot start (offline,
    // no passkeys at that gateway, the key busy), with the reason there.
    // `totpCode` is the person's fresh authenticator app code, which the
    // gateway demands for every passkey change (8.2): a paired device alone
    // cannot add an approval factor. It is kept only until it is sent.
    bool registerPasskey(const QString &gatewayId, const QString &name, const QString &totpCode);
    // Asks the gateway to forget one of the user's keys; needs the code too.
    // A refusal comes as passkeyRemovalRefused().
    Status removePasskey(const QString &gatewayId, const QByteArray &credentialId,
                         const QString &totpCode);

public Q_SLOTS:
    // Settings: desktop notifications on or off.
    void setNotificationsEnabled(bool enabled) { m_notificationsEnabled = enabled; }
    // Settings: the method a request that allows several opens with.
    void setPreferredMethod(countersign::ApprovalMethod method) { m_preferredMethod = method; }

Q_SIGNALS:
    void requestChanged(const countersign::RequestKey &request,
                        const countersign::RequestEvent &event);
    // The person clicked a request's notification: open it, nothing else.
    void openRequested(const countersign::RequestKey &request);
    // Counts or pending requests changed (summary()).
    void summaryChanged();
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
    // A gateway holds the requests of `agent` (the person denied it
    // repeatedly) until `until`, `heldCount` so far (docs/protocol.md 5.3,
    // agent.held). Shown as one notification per gateway and agent whose
    // count is updated in place, never as one per request.
    void agentHeld(const QString &gatewayId, const QString &agent, qint64 heldCount, qint64 until);
    // The gateway refused a removal (a wrong code, for instance).
    void passkeyRemovalRefused(const QString &gatewayId, const QString &message);
    // A security key was added to or removed from the person's account at a
    // gateway, from this device or another: tell the person, who may not
    // have done it (docs/protocol.md 8.2).
    void securityNotice(const QString &gatewayName, const QString &message);

private:
    // The security key approving a request: idle, asserting for
    // `request`, or abandoned (its dialog went away: the result is dropped).
    struct KeyApproval {
        enum class Phase { Idle, Asserting, Abandoned };
        Phase phase = Phase::Idle;
        RequestKey request;
    };
    // The security key registering at a gateway: idle, the key making the
    // credential, or the credential sent and the gateway's answer awaited
    // (its passkeys list with `credentialId`, or a refusal).
    struct KeyRegistration {
        enum class Phase { Idle, OnKey, AwaitingGateway };
        Phase phase = Phase::Idle;
        QString gatewayId;
        QString name;
        QByteArray credentialId;
        QString totpCode; // until it is sent with the credential
    };

    void syncClients();
    void connectClient(const GatewayProfile &profile, EcPrivateKey key);
    void watchClient(GatewayClient *client);
    void onClientState(GatewayClient *client, GatewayClient::State state);
    void onAdded(const PendingApproval &approval);
    void onAgentHeld(const GatewayProfile &gateway, const QString &agent, qint64 heldCount,
                     qint64 until);
    void onRemoved(const QString &gatewayId, const QString &requestId, ApprovalOutcome outcome);
    void recordInHistory(const RequestKey &request, ApprovalOutcome outcome);
    void emitEvent(const RequestKey &request, RequestEvent event);
    void notSent(const RequestKey &request, const Status &sent);
    void connectAuthenticator();
    // Sends the security key's news to the request it is asserting for;
    // false when no approval uses the key (a registration may).
    bool toKeyApproval(const RequestEvent &event);
    void onKeyState(Authenticator::State state);
    void onPinRequested(int retriesLeft);
    void onAsserted(const AssertionResult &result);
    void onKeyFailed(Authenticator::State state, const QString &message);
    void onRegistered(const RegistrationResult &result);
    void endRegistration(bool ok, const QString &message);
    bool isAwaitingGateway(const QString &gatewayId) const;

    PairedGateways &m_gateways;
    SecretStore &m_secrets;
    History &m_history;
    QPointer<Notifier> m_notifier;
    const Clock &m_clock;
    ApprovalInbox m_inbox;
    std::map<QString, std::unique_ptr<GatewayClient>> m_clients; // by gateway id
    // What this device answered, to record how a request ended: the method
    // of an approval, or the reason given with a denial.
    struct Answer {
        std::optional<ApprovalMethod> method;
        QString denyReason;
    };
    QHash<RequestKey, Answer> m_answered;
    QHash<RequestKey, PendingApproval> m_seen; // pending ones, for the history
    QSet<RequestKey> m_agentGone;              // pending ones nobody waits for now
    bool m_notificationsEnabled = true;
    std::optional<ApprovalMethod> m_preferredMethod;
    QPointer<Authenticator> m_authenticator;
    KeyApproval m_keyApproval;
    KeyRegistration m_keyRegistration;
};

} // namespace countersign

Q_DECLARE_METATYPE(countersign::RequestEvent)
