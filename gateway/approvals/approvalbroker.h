#pragma once

#include "gateway/approvals/approvaltypes.h"
#include "gateway/approvals/totpchecker.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/passkeys/relyingparty.h"
#include "protocol/jose/ecprivatekey.h"

#include <QObject>
#include <QSet>
#include <QTimer>

namespace countersign::gateway {

// Pending approvals: creates and signs requests, checks the proofs companions
// send back (docs/protocol.md 4.1), expires what nobody answered, and issues
// the elevated token of an approved request exactly once. Everything is kept
// in the Store, so a restart loses nothing that was pending.
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

    // Expires every pending request whose time is up; runs on a timer too.
    void expireDue();

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
    std::optional<ApprovalRefusal> admit(const ApprovalSpec &spec);
    std::optional<ApprovalRefusal> holdFor(const QString &userId, const QString &agent);
    Status finish(const QString &requestId, ApprovalState state,
                  std::optional<ApprovalMethod> method, const QString &deviceId,
                  const QString &reason);
    // Audits, logs and announces a resolution the store has just made.
    void announce(const QString &requestId, ApprovalState state, const QString &deviceId,
                  const QString &reason);
    void audit(const QString &kind, const ApprovalRecord &approval, const QString &deviceId,
               const QJsonObject &details = {});
    void scheduleExpiry();
    std::variant<ApprovalRecord, ProofRejection> checkProof(const DeviceRecord &device,
                                                            QByteArrayView proofJws);
    std::variant<ApprovalRecord, ProofRejection> checkTotp(const ApprovalRecord &approval,
                                                           const DeviceRecord &device,
                                                           const QJsonObject &evidence);
    std::variant<ApprovalRecord, ProofRejection> checkPasskey(const ApprovalRecord &approval,
                                                              const DeviceRecord &device,
                                                              const QJsonObject &evidence);

    Store &m_store;
    EcPrivateKey m_gatewayKey;
    QString m_gatewayId;
    const TokenIssuer &m_issuer;
    const Clock &m_clock;
    RelyingParty m_relyingParty;
    TotpChecker m_totp;
    QTimer m_expiryTimer;
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
