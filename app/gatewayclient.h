#pragma once

#include "app/approvaloutcome.h"
#include "app/gatewayprofile.h"
#include "app/passkeycontext.h"
#include "app/passkeyevidence.h"
#include "app/reconnectbackoff.h"
#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/messages/channelmessage.h"

#include <chrono>
#include <optional>

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QSslError>
#include <QTimer>
#include <QWebSocket>

namespace countersign {

struct GatewayClientTimings {
    BackoffTimings backoff;
    // A connection that stays up this long resets the backoff. Not reset at
    // "welcome" itself: a gateway that accepts and drops at once would
    // otherwise be retried in a tight loop.
    std::chrono::milliseconds stableAfter{30'000};
    // From opening the socket to "welcome" (TCP, TLS, upgrade, hello, auth).
    std::chrono::milliseconds handshakeTimeout{15'000};
    // The client pings too, so that a half-open connection (laptop resumed,
    // network changed) is noticed and replaced; the gateway pings every 30 s.
    std::chrono::milliseconds pingInterval{30'000};
    // Nothing heard (pong or message) for this long: the connection is dead.
    std::chrono::milliseconds silenceTimeout{75'000};
};

// The gateway's refusal of a proof this client sent (docs/protocol.md 4.1),
// e.g. invalid_code with the attempts left before the request locks, or
// connection_lost when the connection dropped before the answer came.
struct ProofRefusal {
    QString requestId; // empty when the gateway named no request
    ChannelErrorCode code = ChannelErrorCode::MalformedMessage;
    QString message; // for people, display-safe and at most 500 characters
    std::optional<int> attemptsLeft;

    static ProofRefusal make(QString requestId, ChannelErrorCode code, QString message)
    {
        return ProofRefusal{std::move(requestId), code, std::move(message), std::nullopt};
    }
};

// The gateway's refusal of a passkey registration or removal
// (docs/protocol.md 8.2): invalid_registration, passkey_exists,
// too_many_passkeys, unknown_passkey, factor_required, invalid_factor.
struct PasskeyRefusal {
    ChannelErrorCode code = ChannelErrorCode::InvalidRegistration;
    QString message; // for people, display-safe and at most 500 characters

    static PasskeyRefusal make(ChannelErrorCode code, QString message)
    {
        return PasskeyRefusal{code, std::move(message)};
    }
};

// The companion's connection to one paired gateway (docs/protocol.md 5):
// authenticates with the device key, verifies every request with the gateway
// key pinned at pairing before anyone sees it, sends the person's proofs,
// and keeps the connection up (keep-alive, reconnection with backoff, pending
// list re-synced on each welcome). One instance per paired gateway.
class GatewayClient : public QObject {
    Q_OBJECT

public:
    enum class State {
        Offline,    // not connected; reconnecting later unless stop() was called
        Connecting, // socket, TLS, hello and auth under way
        Online,     // welcomed: requests arrive, proofs can be sent
        Refused,    // the gateway refused this device (4401, 4409) or the profile is unusable
        Revoked,    // the gateway revoked this device (4403): pair again
    };
    Q_ENUM(State)

    // Sizes the client accepts from the network: every message, "welcome"
    // included, is at most 64 KiB (docs/protocol.md 5.1). Since v1.2 the
    // gateway puts in "welcome" the pending requests that fit and sends the
    // others as approval.requested (welcome.pending_total says how many).
    static constexpr qint64 maxMessageBytes = 64 * 1024;
    static constexpr qint64 maxWelcomeBytes = maxMessageBytes;
    static constexpr qsizetype maxPendingRequests = 256;
    static constexpr qsizetype maxGatewayMessageLength = 500;

    GatewayClient(GatewayProfile profile, EcPrivateKey deviceKey, const Clock &clock,
                  GatewayClientTimings timings = {}, QObject *parent = nullptr);
    ~GatewayClient() override;

    const GatewayProfile &profile() const { return m_profile; }
    State state() const { return m_state; }
    // Why the client is not Online (for the tray and settings), else empty.
    QString lastError() const { return m_lastError; }
    // Verified requests this client holds as pending, in arrival order.
    QList<VerifiedApprovalRequest> pendingRequests() const;

    // Connects now (also from Refused or Revoked: the person asked to retry).
    void start();
    // Disconnects and stays offline; pending requests are reported as
    // resolved with an unknown outcome, since they can no longer be answered.
    void stop();

    // Signs and sends a proof for a pending request. Fails without sending
    // when offline, when the request is unknown or does not allow the method,
    // or when the code or reason is malformed. The gateway answers with
    // proofAccepted or proofRefused.
    Status approveWithTotp(const QString &requestId, const QString &code);
    Status deny(const QString &requestId, const QString &reason = {});

    // Passkeys (docs/protocol.md 8). The context is what the last welcome or
    // passkeys message said: nullopt while offline or when the gateway
    // offers no passkeys (or sent a context that failed validation).
    std::optional<PasskeyContext> passkeyContext() const { return m_passkeys; }
    // The challenge for a registration on this connection (its hello
    // nonce); empty unless online. The origin is profile().gatewayId.
    QString passkeyRegistrationChallenge() const;
    // Sends passkey.register. Fails without sending when offline, when the
    // name is not 1..64 printable characters, or when the client data is not
    // for this connection's challenge and origin. The gateway answers with
    // passkeysChanged or passkeyRefused.
    // `totpCode` is the factor that proves the change (8.2, since v1.3): a
    // fresh code of the person's authenticator app, 6 or 8 digits.
    Status registerPasskey(const QString &name, const PasskeyRegistrationEvidence &evidence,
                           const QString &totpCode);
    // Sends passkey.remove for one of the context's credentials.
    Status removePasskey(const QByteArray &credentialId, const QString &totpCode);
    // Signs and sends a passkey proof for a pending request. Fails without
    // sending unless the request allows passkey, the credential is in the
    // context and the client data is webauthn.get over this request's hash
    // for this gateway. Answered like approveWithTotp.
    Status approveWithPasskey(const QString &requestId, const PasskeyEvidence &evidence);

Q_SIGNALS:
    void stateChanged(countersign::GatewayClient::State state);
    // The delay before the next attempt, for "retrying in 8 s".
    void reconnectScheduled(std::chrono::milliseconds delay);
    // A request that passed verifyApprovalRequest with the pinned key, for
    // this profile's gateway id and user, not expired. Never anything else.
    void requestReceived(const countersign::VerifiedApprovalRequest &request);
    // A request emitted before is no longer pending.
    void requestResolved(const QString &requestId, countersign::ApprovalOutcome outcome);
    // The agent behind a pending request stopped waiting for it (approving
    // runs nothing until it calls again), or waits again.
    void agentWaitingChanged(const QString &requestId, bool waiting);
    // The gateway holds the requests of `agent` (push fatigue: the person
    // denied it repeatedly) until `until`; `heldCount` so far. The same
    // agent again updates the count: one notice, not one per request.
    void agentHeld(const QString &agent, qint64 heldCount, qint64 until);
    // The gateway's answer to a proof this client sent.
    void proofAccepted(const QString &requestId, countersign::ApprovalOutcome outcome);
    void proofRefused(const countersign::ProofRefusal &refusal);
    // The gateway's passkey context, at welcome and after every
    // registration or removal by any device of the user.
    void passkeysChanged(const countersign::PasskeyContext &context);
    void passkeyRefused(const countersign::PasskeyRefusal &refusal);
    // A device of the user (this one or another) added or removed a key
    // (8.2, since v1.3); display-safe members.
    void passkeyChangeAnnounced(const countersign::channel::PasskeyChange &change);

private:
    void connectNow();
    void setState(State state);
    void onConnected();
    void onDisconnected();
    void onSslErrors(const QList<QSslError> &errors);
    void onText(const QString &text);
    // A parsed message, to the handler its phase allows; others are ignored.
    void dispatch(const channel::ChannelMessage &message);
    void onHello(const channel::Hello &hello);
    void onWelcome(const channel::Welcome &welcome);
    void onRequested(const channel::ApprovalRequested &message);
    void onResolved(const channel::ApprovalResolved &message);
    void onAgentWaiting(const channel::ApprovalWaiting &message);
    void onAgentHeld(const channel::AgentHeld &message);
    // After a partial welcome (v1.2): `requestId` arrived or was resolved;
    // once pending_total requests were heard of, what was held from before
    // and not heard of again was resolved while away.
    void noteCaughtUp(const QString &requestId);
    void onAccepted(const channel::ApprovalAccepted &message);
    void onError(const channel::ErrorReply &error);
    void onPasskeys(const channel::Passkeys &message);
    // Validates a passkey context; false (logged) when it is malformed.
    bool takePasskeyContext(const QJsonValue &value);
    Status sendPasskeyMessage(const QJsonObject &message);
    void onKeepAliveTick();
    // Closes with a code, and logs why; reconnection follows from onDisconnected.
    void fail(QWebSocketProtocol::CloseCode code, const QString &reason);
    // Drops the connection without a closing handshake: the peer is dead or
    // not the gateway we pinned, so there is nobody to say goodbye to.
    void drop(const QString &reason);
    void abortNow();
    // A close handshake, bounded: a peer that never completes it is aborted.
    void closeSocket(QWebSocketProtocol::CloseCode code, const QString &reason);
    void scheduleReconnect();
    std::optional<VerifiedApprovalRequest> verify(const QString &requestJws) const;
    qsizetype indexOfPending(const QString &requestId) const;
    bool addPending(const VerifiedApprovalRequest &request);
    void removePending(const QString &requestId, ApprovalOutcome outcome);
    void forgetAllPending();
    bool pinMatches() const;
    Status sendProof(const QString &requestId, const ApprovalProof &proof);

    enum class Phase {
        Closed,          // no socket open
        AwaitingHello,   // socket open, nothing sent yet
        AwaitingWelcome, // auth sent
        Authenticated,   // welcomed
    };

    GatewayProfile m_profile;
    EcPrivateKey m_deviceKey;
    std::optional<EcPublicKey> m_gatewayKey;
    const Clock &m_clock;
    GatewayClientTimings m_timings;
    ReconnectBackoff m_backoff;
    QWebSocket m_socket;
    State m_state = State::Offline;
    Phase m_phase = Phase::Closed;
    bool m_wanted = false; // start() called and not stopped since
    QString m_lastError;
    QString m_tlsError;         // why this attempt's certificate was not accepted
    bool m_reachedPeer = false; // this attempt got as far as a WebSocket
    // The close the client itself decided on (the socket reports what it
    // sent only for closes it received).
    std::optional<int> m_ownCloseCode;
    QTimer m_retryTimer;
    QTimer m_handshakeTimer;
    QTimer m_stableTimer;
    QTimer m_keepAliveTimer;
    QTimer m_closeGraceTimer; // a close() the peer never completes becomes abort()
    QElapsedTimer m_sinceHeard;
    QList<VerifiedApprovalRequest> m_pending; // arrival order; at most maxPendingRequests
    struct CatchUp {
        qint64 total = 0;
        QSet<QString> heard;       // ids listed, requested or resolved since welcome
        QSet<QString> unconfirmed; // held before welcome, not listed in it
    };
    std::optional<CatchUp> m_catchUp;
    QSet<QString> m_awaitingAnswer; // requests with a proof in flight
    QString m_helloNonce;           // this connection's, base64url
    std::optional<PasskeyContext> m_passkeys;
};

} // namespace countersign
