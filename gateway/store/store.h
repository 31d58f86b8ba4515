#pragma once

#include "gateway/store/durability.h"
#include "protocol/messages/approvalmethod.h"
#include "protocol/result.h"

#include <functional>
#include <optional>

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign::gateway {

// A companion paired to a user.
struct DeviceRecord {
    QString deviceId; // random, base64url
    QString userId;   // the user it approves for
    QString name;     // what the person called it ("alice-laptop")
    QJsonObject publicJwk;
    QString keyThumbprint; // RFC 7638 thumbprint of publicJwk
    qint64 pairedAt = 0;
    std::optional<qint64> revokedAt;
    // Unused since migration 2: passkeys belong to the user, not to one
    // device (PasskeyCredential). Kept because released schemas have it.
    QJsonObject passkey;

    bool isRevoked() const { return revokedAt.has_value(); }
    friend bool operator==(const DeviceRecord &, const DeviceRecord &) = default;
};

// A single-use pairing offer. Only the SHA-256 of the one-time code is
// stored, so a copy of the database cannot be used to pair.
struct PairingOffer {
    QByteArray codeHash; // SHA-256 of the code's base64url text
    QString userId;
    qint64 createdAt = 0;
    qint64 expiresAt = 0;
    std::optional<qint64> usedAt;

    friend bool operator==(const PairingOffer &, const PairingOffer &) = default;
};

enum class ApprovalState {
    Pending,
    Approved,
    Denied,
    Expired,
    Cancelled,
};
QString approvalStateName(ApprovalState state); // "pending", "approved", ...
std::optional<ApprovalState> approvalStateFromName(QStringView name);

// Who raised an approval (migration 3). Only an admin API approval's token
// may be redeemed through the admin API: the MCP proxy's are for the one
// call the proxy makes itself. Rows older than migration 3 are Unknown.
enum class ApprovalOrigin {
    Unknown,
    AdminApi,
    McpProxy,
};
QString approvalOriginName(ApprovalOrigin origin); // "unknown", "admin", "mcp"
std::optional<ApprovalOrigin> approvalOriginFromName(QStringView name);

// How many approvals one user and one agent of that user have (approval
// limits): pending and unexpired now, and created since a moment.
struct ApprovalCounts {
    int pendingForUser = 0;
    int pendingForAgent = 0;
    int createdForUser = 0;
    int createdForAgent = 0;
};

struct ApprovalRecord {
    QString requestId;
    QString userId;
    QByteArray requestJws;  // exactly the bytes sent to companions
    QByteArray requestHash; // SHA-256(requestJws)
    QList<ApprovalMethod> methods;
    QString upstream; // audience of the elevated token
    QByteArray argumentsHash;
    qint64 createdAt = 0;
    qint64 expiresAt = 0;
    ApprovalState state = ApprovalState::Pending;
    std::optional<ApprovalMethod> resolvedMethod;
    QString resolvedByDevice;
    qint64 resolvedAt = 0;
    QString reason; // why it was denied, cancelled or expired
    int failedAttempts = 0;
    // The policy demands user verification (PIN or biometrics) of a passkey
    // approval. Checked by the gateway only: the signed request does not say.
    bool userVerificationRequired = false;
    // Approved with a passkey assertion that had the UV flag set.
    bool userVerified = false;
    // Migration 3: the agent named in the request's subject, who raised it,
    // and what identifies the operation (the MCP proxy's SHA-256 over user,
    // agent, upstream, tool and arguments hash; empty otherwise), so that a
    // call again after a restart finds its approval.
    QString agent;
    ApprovalOrigin origin = ApprovalOrigin::Unknown;
    QByteArray dedupeKey;

    friend bool operator==(const ApprovalRecord &, const ApprovalRecord &) = default;
};

// A WebAuthn credential (security key) registered for a user
// (docs/protocol.md 8.2). Any of the user's devices may use it.
struct PasskeyCredential {
    QByteArray credentialId; // as the authenticator made it, 1..1023 bytes
    QString userId;
    QString name;                // what the person called it ("YubiKey 5")
    QByteArray publicKey;        // ES256 key as X.509 SubjectPublicKeyInfo DER
    quint32 signCount = 0;       // the highest counter seen
    bool userVerified = false;   // UV flag at registration
    bool backupEligible = false; // BE flag: fixed for the credential's life
    qint64 createdAt = 0;

    friend bool operator==(const PasskeyCredential &, const PasskeyCredential &) = default;
};

enum class PasskeyAddOutcome {
    Added,
    Exists,  // this credential id is registered already (for anyone)
    TooMany, // the user has the maximum number of passkeys
};

// A verified assertion, applied together with the approval it proves.
struct PasskeyUse {
    QByteArray credentialId;
    quint32 signCount = 0;
    bool userVerified = false;
};

enum class PasskeyApprovalOutcome {
    Approved,
    // The counter did not increase over the stored one: the key may have
    // been cloned (or the stored count raced ahead). Nothing was changed.
    CounterNotIncreased,
};

struct TotpEnrollment {
    QString userId;
    QByteArray secret; // plaintext in memory only; encrypted at rest
    QString algorithm = QStringLiteral("SHA1");
    int digits = 6;
    int period = 30;
    qint64 createdAt = 0;

    friend bool operator==(const TotpEnrollment &, const TotpEnrollment &) = default;
};

struct AuditEvent {
    qint64 id = 0; // assigned by the store, increasing
    qint64 at = 0;
    QString kind; // "pairing.completed", "approval.requested", "approval.approved", ...
    QString userId;
    QString requestId;
    QString deviceId;
    QJsonObject details;
    // The hash chain (gateway/store/auditchain.h), set by the store: empty
    // for records written before schema 4, which are not chained.
    QByteArray prevHash; // 32 bytes
    QByteArray hash;     // SHA-256(prevHash || JCS(record))

    friend bool operator==(const AuditEvent &, const AuditEvent &) = default;
};

// Everything the gateway keeps. SqliteStore is the default; the interface is
// what a PostgreSQL backend would implement. Every method that changes more
// than one row does it in one transaction.
class Store {
public:
    virtual ~Store() = default;

    // Devices
    virtual Status addDevice(const DeviceRecord &device) = 0;
    virtual std::optional<DeviceRecord> device(const QString &deviceId) const = 0;
    virtual QList<DeviceRecord> devices(const QString &userId = {}) const = 0; // all when empty
    virtual Status revokeDevice(const QString &deviceId, qint64 at) = 0;

    // Pairing offers
    virtual Status addPairingOffer(const PairingOffer &offer) = 0;
    // In one transaction: the offer with this code hash must exist, be unused
    // and not expired at `now`; it is marked used and `device` (whose userId
    // is set from the offer) is added. Wrong, used and expired codes all give
    // the same error so codes cannot be probed.
    virtual Result<DeviceRecord> redeemPairingOffer(const QByteArray &codeHash, qint64 now,
                                                    DeviceRecord device) = 0;

    // Approvals
    virtual Status addApproval(const ApprovalRecord &approval) = 0;
    virtual std::optional<ApprovalRecord> approval(const QString &requestId) const = 0;
    // Pending approvals (state pending, not expired at `now`); all users when empty.
    virtual QList<ApprovalRecord> pendingApprovals(const QString &userId, qint64 now) const = 0;
    // The earliest expiry among pending approvals (expired ones included),
    // so the broker can arm one timer without reading every request.
    virtual std::optional<qint64> earliestPendingExpiry() const = 0;
    // Moves a pending approval to a final state; fails when it is not pending
    // any more (the first resolution wins).
    virtual Status resolveApproval(const QString &requestId, ApprovalState state,
                                   std::optional<ApprovalMethod> method, const QString &deviceId,
                                   qint64 at, const QString &reason) = 0;
    // Counts a wrong TOTP code; returns the new count.
    virtual Result<int> recordFailedAttempt(const QString &requestId) = 0;
    // Pending (unexpired at `now`) and created-since-`since` approvals of a
    // user and of one of its agents.
    virtual Result<ApprovalCounts> approvalCounts(const QString &userId, const QString &agent,
                                                  qint64 now, qint64 since) const = 0;
    // When the user's approvals raised by `agent` were denied, newest first,
    // those resolved at or after `since` only.
    virtual Result<QList<qint64>> denialTimes(const QString &userId, const QString &agent,
                                              qint64 since) const = 0;
    // The newest approval with this dedupe key that is pending and unexpired
    // at `now`, or approved at or after `approvedSince`; nullopt when none.
    virtual Result<std::optional<ApprovalRecord>>
    approvalForOperation(const QByteArray &dedupeKey, qint64 now, qint64 approvedSince) const = 0;

    // Passkeys. The user handle is the random WebAuthn user.id of a user:
    // the first call stores `candidate`, later calls return what was stored.
    virtual Result<QByteArray> passkeyUserHandle(const QString &userId,
                                                 const QByteArray &candidate) = 0;
    // In one transaction: Exists when the credential id is known, TooMany
    // when the user already has maxPerUser credentials, else Added.
    virtual Result<PasskeyAddOutcome> addPasskey(const PasskeyCredential &credential,
                                                 int maxPerUser) = 0;
    virtual std::optional<PasskeyCredential> passkey(const QByteArray &credentialId) const = 0;
    virtual QList<PasskeyCredential> passkeys(const QString &userId) const = 0; // oldest first
    // Returns false when the user has no such credential.
    virtual Result<bool> removePasskey(const QString &userId, const QByteArray &credentialId) = 0;
    // In one transaction: the credential's counter must increase (or both
    // the stored and the new one be 0), then it is stored and the pending
    // approval is approved with method passkey (same rules as
    // resolveApproval). Fails when the approval is not pending any more.
    virtual Result<PasskeyApprovalOutcome> approveWithPasskey(const QString &requestId,
                                                              const QString &deviceId, qint64 at,
                                                              const PasskeyUse &use) = 0;

    // Single use: returns false when (kind, value) was already recorded.
    // Used for proof hashes, TOTP time steps (per user), token ids.
    // Entries may be forgotten after `keepUntil`.
    virtual Result<bool> markUsed(const QString &kind, const QByteArray &value,
                                  qint64 keepUntil) = 0;

    // TOTP seeds (one per user)
    virtual Status setTotpEnrollment(const TotpEnrollment &enrollment) = 0;
    virtual std::optional<TotpEnrollment> totpEnrollment(const QString &userId) const = 0;

    // Append-only audit log, a hash chain. appendAudit assigns id, prevHash
    // and hash (whatever `event` has in them is ignored) and fails, writing
    // nothing, when the record cannot be made durable.
    virtual Status appendAudit(const AuditEvent &event) = 0;
    virtual QList<AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const = 0;

    // Runs `body` as one transaction: the store methods it calls join it
    // (each as a savepoint, so one that fails undoes only its own writes),
    // and everything is committed at the end when `body` succeeds, or rolled
    // back when it returns an error (which is then returned). So a step of
    // the approval path (the proof's single-use marks, the resolution and
    // its audit record) costs one commit, and its audit record exists if
    // and only if the change it describes does. Nested calls join the
    // outer transaction. The default runs `body` without atomicity, for
    // test doubles only.
    virtual Status inTransaction(const std::function<Status()> &body) { return body(); }

    // When what was committed is durable (group commit, durability.h).
    virtual Durability &durability() { return m_immediate; }

private:
    ImmediateDurability m_immediate;
};

} // namespace countersign::gateway
