#pragma once

#include "gateway/store/store.h"

namespace countersign::testing {

// A Store that forwards to a real one and counts what reaches the database:
// commits (a top-level inTransaction, or a write made outside any
// transaction, which commits by itself) and reads of approvals. It can also
// refuse audit records, as a full disk would. Nested inTransaction calls
// join the outer one, as the real store's do.
class CountingStore final : public gateway::Store {
public:
    explicit CountingStore(gateway::Store &inner)
        : m_inner(inner)
    {
    }

    int commits() const { return m_commits; }
    int approvalReads() const { return m_approvalReads; }
    void reset() { m_commits = m_approvalReads = 0; }
    void failAudit(bool fail) { m_failAudit = fail; }

    Status inTransaction(const std::function<Status()> &body) override
    {
        if (m_depth == 0)
            ++m_commits;
        ++m_depth;
        const Status done = m_inner.inTransaction(body);
        --m_depth;
        return done;
    }
    gateway::Durability &durability() override { return m_inner.durability(); }

    Status addDevice(const gateway::DeviceRecord &device) override
    {
        wrote();
        return m_inner.addDevice(device);
    }
    std::optional<gateway::DeviceRecord> device(const QString &deviceId) const override
    {
        return m_inner.device(deviceId);
    }
    QList<gateway::DeviceRecord> devices(const QString &userId = {}) const override
    {
        return m_inner.devices(userId);
    }
    Status revokeDevice(const QString &deviceId, qint64 at) override
    {
        wrote();
        return m_inner.revokeDevice(deviceId, at);
    }
    Status addPairingOffer(const gateway::PairingOffer &offer) override
    {
        wrote();
        return m_inner.addPairingOffer(offer);
    }
    Result<gateway::DeviceRecord> redeemPairingOffer(const QByteArray &codeHash, qint64 now,
                                                     gateway::DeviceRecord device) override
    {
        wrote();
        return m_inner.redeemPairingOffer(codeHash, now, std::move(device));
    }
    Status addApproval(const gateway::ApprovalRecord &approval) override
    {
        wrote();
        return m_inner.addApproval(approval);
    }
    std::optional<gateway::ApprovalRecord> approval(const QString &requestId) const override
    {
        ++m_approvalReads;
        return m_inner.approval(requestId);
    }
    QList<gateway::ApprovalRecord> pendingApprovals(const QString &userId,
                                                    qint64 now) const override
    {
        ++m_approvalReads;
        return m_inner.pendingApprovals(userId, now);
    }
    std::optional<qint64> earliestPendingExpiry() const override
    {
        ++m_approvalReads;
        return m_inner.earliestPendingExpiry();
    }
    Status resolveApproval(const QString &requestId, gateway::ApprovalState state,
                           std::optional<ApprovalMethod> method, const QString &deviceId, qint64 at,
                           const QString &reason) override
    {
        wrote();
        return m_inner.resolveApproval(requestId, state, method, deviceId, at, reason);
    }
    Result<gateway::ApprovalCounts> approvalCounts(const QString &userId, const QString &agent,
                                                   qint64 now, qint64 since) const override
    {
        return m_inner.approvalCounts(userId, agent, now, since);
    }
    Result<QList<qint64>> denialTimes(const QString &userId, const QString &agent,
                                      qint64 since) const override
    {
        return m_inner.denialTimes(userId, agent, since);
    }
    Result<std::optional<gateway::ApprovalRecord>>
    approvalForOperation(const QByteArray &dedupeKey, qint64 now,
                         qint64 approvedSince) const override
    {
        ++m_approvalReads;
        return m_inner.approvalForOperation(dedupeKey, now, approvedSince);
    }
    Result<int> recordFailedAttempt(const QString &requestId) override
    {
        wrote();
        return m_inner.recordFailedAttempt(requestId);
    }
    Result<QByteArray> passkeyUserHandle(const QString &userId,
                                         const QByteArray &candidate) override
    {
        wrote();
        return m_inner.passkeyUserHandle(userId, candidate);
    }
    Result<gateway::PasskeyAddOutcome> addPasskey(const gateway::PasskeyCredential &credential,
                                                  int maxPerUser) override
    {
        wrote();
        return m_inner.addPasskey(credential, maxPerUser);
    }
    std::optional<gateway::PasskeyCredential> passkey(const QByteArray &credentialId) const override
    {
        return m_inner.passkey(credentialId);
    }
    QList<gateway::PasskeyCredential> passkeys(const QString &userId) const override
    {
        return m_inner.passkeys(userId);
    }
    Result<bool> removePasskey(const QString &userId, const QByteArray &credentialId) override
    {
        wrote();
        return m_inner.removePasskey(userId, credentialId);
    }
    Result<gateway::PasskeyApprovalOutcome>
    approveWithPasskey(const QString &requestId, const QString &deviceId, qint64 at,
                       const gateway::PasskeyUse &use) override
    {
        wrote();
        return m_inner.approveWithPasskey(requestId, deviceId, at, use);
    }
    Result<bool> markUsed(const QString &kind, const QByteArray &value, qint64 keepUntil) override
    {
        wrote();
        return m_inner.markUsed(kind, value, keepUntil);
    }
    Status setTotpEnrollment(const gateway::TotpEnrollment &enrollment) override
    {
        wrote();
        return m_inner.setTotpEnrollment(enrollment);
    }
    std::optional<gateway::TotpEnrollment> totpEnrollment(const QString &userId) const override
    {
        return m_inner.totpEnrollment(userId);
    }
    Status appendAudit(const gateway::AuditEvent &event) override
    {
        if (m_failAudit)
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("injected: database or disk is full"));
        wrote();
        return m_inner.appendAudit(event);
    }
    QList<gateway::AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const override
    {
        return m_inner.auditEvents(afterId, limit);
    }

private:
    // A write outside a transaction is a transaction (and a commit) of its own.
    void wrote()
    {
        if (m_depth == 0)
            ++m_commits;
    }

    gateway::Store &m_inner;
    int m_depth = 0;
    int m_commits = 0;
    mutable int m_approvalReads = 0;
    bool m_failAudit = false;
};

} // namespace countersign::testing
