#pragma once

#include "protocol/messages/approvalmethod.h"
#include "protocol/result.h"

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
    QJsonObject passkey; // registered credential, when the passkey issue lands

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

    friend bool operator==(const ApprovalRecord &, const ApprovalRecord &) = default;
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

    // Single use: returns false when (kind, value) was already recorded.
    // Used for proof hashes, TOTP time steps (per user), token ids.
    // Entries may be forgotten after `keepUntil`.
    virtual Result<bool> markUsed(const QString &kind, const QByteArray &value,
                                  qint64 keepUntil) = 0;

    // TOTP seeds (one per user)
    virtual Status setTotpEnrollment(const TotpEnrollment &enrollment) = 0;
    virtual std::optional<TotpEnrollment> totpEnrollment(const QString &userId) const = 0;

    // Append-only audit log
    virtual Status appendAudit(const AuditEvent &event) = 0;
    virtual QList<AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const = 0;
};

} // namespace countersign::gateway
