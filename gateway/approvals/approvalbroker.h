#pragma once

#include "gateway/approvals/approvaltypes.h"
#include "gateway/approvals/totpchecker.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/passkeys/relyingparty.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalrequest.h"

#include <set>
#include <utility>

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

namespace countersign::gateway {

// Pending approvals: creates and signs requests, checks the proofs companions
// send back (docs/protocol.md 4.1), expires what nobody answered, and issues
// the elevated token of an approved request exactly once. Everything is kept
// in the Store, so a restart loses nothing that was pending.
//
// Each step is one store transaction, with its audit record in it (create;
// a proof with its single-use marks, resolution and record; a redemption):
// the record exists if and only if the change does, and a step costs one
// commit.
//
// The broker also keeps its approvals in memory, so that the hot path
// (approval(), pending(), proofs, announcements) reads no SQLite: every
// pending approval (loaded from the store at start, then written through on
// every change the broker makes, after its transaction committed) and the
// ones resolved here until their expiry, for redemption. Only this process
// changes approvals (the command line never does), and the store still
// decides every resolution under its write lock (first resolution wins, no
// approval after expiry), so the copy can never approve what the store would
// not. Devices are NOT cached: the command line may revoke one at any time
// from another process, so every proof re-reads its device. Only the parsed
// and validated public key is kept, keyed by device id and key thumbprint.
// Expiries are kept ordered, with one timer armed for the earliest.
class ApprovalBroker : public QObject {
    Q_OBJECT

public:
    static constexpr int maxFailedAttempts = 5;
    static constexpr qint64 minTimeoutSeconds = 10;
    static constexpr qint64 maxTimeoutSeconds = 3600;
    static constexpr qint64 heldNoticeInterval = 5; // seconds

    // relyingParty checks passkey approvals; empty: the gateway id's host
    // and the gateway id as origin.
    ApprovalBroker(Store &store, EcPrivateKey gatewayKey, QString gatewayId,
                   const TokenIssuer &issuer, const Clock &clock, RelyingParty relyingParty = {},
                   QObject *parent = nullptr);

    void setLimits(const ApprovalLimits &limits) { m_limits = limits; }
    const ApprovalLimits &limits() const { return m_limits; }

    // Creates, signs and stores a request, then announces it. A request over
    // the limits (per agent and user, SARC size, push-fatigue hold) is
    // refused with an error; `refused`, when given, then says why.
    Result<ApprovalRecord> create(const ApprovalSpec &spec, ApprovalRefusal *refused = nullptr);

    // Ends a pending request that nobody needs any more (agent gave up).
    Status cancel(const QString &requestId, const QString &reason);

    // A proof from `device`, which the channel has authenticated. Returns the
    // updated record when the proof was accepted (approved or denied), else
    // the refusal with the request id the proof named.
    std::variant<ApprovalRecord, ProofRejection> submitProof(const DeviceRecord &device,
                                                             QByteArrayView proofJws);

    // The elevated token of an approved request; only the first call succeeds,
    // so an approval is good for one upstream call.
    Result<ElevatedToken> redeem(const QString &requestId);

    // Whether the agent behind a pending request still waits for the answer
    // (its MCP client is connected). Announced on a change only; not stored:
    // it describes live connections, which a restart ends anyway. Unknown
    // or no longer pending ids are ignored.
    void setAgentWaiting(const QString &requestId, bool waiting);
    bool isAgentWaiting(const QString &requestId) const { return !m_agentGone.contains(requestId); }

    QList<ApprovalRecord> pending(const QString &userId) const;
    // The approval an operation (ApprovalSpec::dedupeKey) already has: pending
    // and unexpired, or approved at or after `approvedSince`. So that a call
    // again after a restart attaches to it instead of asking twice.
    Result<std::optional<ApprovalRecord>> forOperation(const QByteArray &dedupeKey,
                                                       qint64 approvedSince) const;
    std::optional<ApprovalRecord> approval(const QString &requestId) const;
    // The request this gateway signed for `approval` (its SARC, nonce and
    // times), read from the stored JWS; nullopt if that does not parse.
    static std::optional<ApprovalRequest> signedRequest(const ApprovalRecord &approval);

    // Expires every pending request whose time is up; runs on a timer too.
    void expireDue();

    // The one expiry timer: when it is due (nullopt when it is not armed),
    // and how often it was armed, which only happens when the earliest
    // deadline changes (for tests and diagnostics).
    std::optional<qint64> nextDeadline() const { return m_armedFor; }
    int expiryTimerArmings() const { return m_armings; }

Q_SIGNALS:
    void requested(const countersign::gateway::ApprovalRecord &approval);
    // Approved, denied, expired or cancelled.
    void resolved(const countersign::gateway::ApprovalRecord &approval);
    // The agent stopped waiting for a pending request, or waits again.
    void agentWaitingChanged(const countersign::gateway::ApprovalRecord &approval, bool waiting);
    // Requests of `agent` for `userId` are held (push fatigue) until `until`;
    // `heldCount` so far. Emitted when a hold starts and then at most every
    // heldNoticeInterval, so a held agent cannot flood the person either.
    void agentHeld(const QString &userId, const QString &agent, int heldCount, qint64 until);

private:
    // Why a step's transaction was rolled back without a storage failure:
    // the refusal to send (set by the body before it returns an error).
    using Refusal = std::optional<ProofRejection>;

    std::optional<ApprovalRefusal> admit(const ApprovalSpec &spec);
    std::optional<ApprovalRefusal> holdFor(const QString &userId, const QString &agent);
    // A resolution in its own transaction, announced once committed.
    Status finish(const ApprovalRecord &approval, ApprovalState state,
                  std::optional<ApprovalMethod> method, const QString &deviceId,
                  const QString &reason);
    // Inside a transaction: resolves `approval` in the store and appends its
    // audit record; returns what the store then holds. Passkey
    // approvals go through resolvePasskey().
    Result<ApprovalRecord> resolveInStore(const ApprovalRecord &approval, ApprovalState state,
                                          std::optional<ApprovalMethod> method,
                                          const QString &deviceId, const QString &reason);
    Status auditResolution(const ApprovalRecord &resolved);
    // After the transaction that resolved it committed: keeps, logs and
    // announces the resolution.
    void announce(const ApprovalRecord &resolved);
    // After a step's transaction failed: what the store holds now (its
    // writes were undone, or, with a store without transactions, kept).
    void reload(const QString &requestId);
    Status audit(const QString &kind, const ApprovalRecord &approval, const QString &deviceId,
                 const QJsonObject &details = {});
    // Marks the proof used; `replayed` when it was already.
    Status markProofUsed(QByteArrayView proofJws, const ApprovalRecord &approval, Refusal &refusal);

    // The in-memory copy.
    void keep(const ApprovalRecord &approval);
    void forget(const QString &requestId);
    const ApprovalRecord *live(const QString &requestId) const;
    void armExpiryTimer();
    Result<EcPublicKey> deviceKey(const DeviceRecord &device);

    std::variant<ApprovalRecord, ProofRejection> checkProof(const DeviceRecord &device,
                                                            QByteArrayView proofJws);
    std::variant<ApprovalRecord, ProofRejection> checkTotp(const ApprovalRecord &approval,
                                                           const DeviceRecord &device,
                                                           const QJsonObject &evidence,
                                                           QByteArrayView proofJws);
    std::variant<ApprovalRecord, ProofRejection> checkPasskey(const ApprovalRecord &approval,
                                                              const DeviceRecord &device,
                                                              const QJsonObject &evidence,
                                                              QByteArrayView proofJws);

    Store &m_store;
    EcPrivateKey m_gatewayKey;
    QString m_gatewayId;
    const TokenIssuer &m_issuer;
    const Clock &m_clock;
    RelyingParty m_relyingParty;
    TotpChecker m_totp;
    QTimer m_expiryTimer;
    std::optional<qint64> m_armedFor;
    qint64 m_expiryRetryAt = 0; // not before, after an expiry failed to store
    int m_armings = 0;
    // Pending approvals and those resolved here, until they expire.
    QHash<QString, ApprovalRecord> m_live;
    // (expiresAt, request id) of every entry in m_live: when a pending one
    // expires and a resolved one is forgotten.
    std::set<std::pair<qint64, QString>> m_deadlines;
    // user -> (createdAt, request id) of the user's pending approvals.
    QHash<QString, std::set<std::pair<qint64, QString>>> m_pendingByUser;
    // device id + '\n' + key thumbprint -> the key, parsed and validated.
    QHash<QString, EcPublicKey> m_deviceKeys;
    QSet<QString> m_agentGone; // pending requests whose agent stopped waiting
    ApprovalLimits m_limits;
    struct Hold {
        qint64 until = 0;
        int heldCount = 0;
        qint64 noticedAt = 0; // when agentHeld was last emitted
    };
    QHash<QString, Hold> m_holds; // user + '\n' + agent -> current hold
};

} // namespace countersign::gateway
