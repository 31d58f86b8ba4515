#pragma once

#include "gateway/store/store.h"

namespace countersign::testing {

// A Store that forwards to a real one and fails the writes a test names,
// as a full disk would: with ErrorCode::StorageFailure and nothing written.
// For the precise cases; the integration tests break the real SQLite file.
class FaultyStore final : public gateway::Store {
public:
    enum class Write { Audit, MarkUsed, ResolveApproval, AddApproval, FailedAttempt };

    explicit FaultyStore(gateway::Store &inner)
        : m_inner(inner)
    {
    }

    void fail(Write write) { m_failing |= bit(write); }
    void heal() { m_failing = 0; }
    int refused() const { return m_refused; }

    Status addDevice(const gateway::DeviceRecord &device) override
    {
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
        return m_inner.revokeDevice(deviceId, at);
    }
    Status addPairingOffer(const gateway::PairingOffer &offer) override
    {
        return m_inner.addPairingOffer(offer);
    }
    Result<gateway::DeviceRecord> redeemPairingOffer(const QByteArray &codeHash, qint64 now,
                                                     gateway::DeviceRecord device) override
    {
        return m_inner.redeemPairingOffer(codeHash, now, std::move(device));
    }
    Status addApproval(const gateway::ApprovalRecord &approval) override
    {
        if (failing(Write::AddApproval))
            return full();
        return m_inner.addApproval(approval);
    }
    std::optional<gateway::ApprovalRecord> approval(const QString &requestId) const override
    {
        return m_inner.approval(requestId);
    }
    QList<gateway::ApprovalRecord> pendingApprovals(const QString &userId,
                                                    qint64 now) const override
    {
        return m_inner.pendingApprovals(userId, now);
    }
    std::optional<qint64> earliestPendingExpiry() const override
    {
        return m_inner.earliestPendingExpiry();
    }
    Status resolveApproval(const QString &requestId, gateway::ApprovalState state,
                           std::optional<ApprovalMethod> method, const QString &deviceId, qint64 at,
                           const QString &reason) override
    {
        if (failing(Write::ResolveApproval))
            return full();
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
        return m_inner.approvalForOperation(dedupeKey, now, approvedSince);
    }
    Result<int> recordFailedAttempt(const QString &requestId) override
    {
        if (failing(Write::FailedAttempt))
            return full();
        return m_inner.recordFailedAttempt(requestId);
    }
    Result<QByteArray> passkeyUserHandle(const QString &userId,
                                         const QByteArray &candidate) override
    {
        return m_inner.passkeyUserHandle(userId, candidate);
    }
    Result<gateway::PasskeyAddOutcome> addPasskey(const gateway::PasskeyCredential &credential,
                                                  int maxPerUser) override
    {
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
        return m_inner.removePasskey(userId, credentialId);
    }
    Result<gateway::PasskeyApprovalOutcome>
    approveWithPasskey(const QString &requestId, const QString &deviceId, qint64 at,
                       const gateway::PasskeyUse &use) override
    {
        if (failing(Write::ResolveApproval))
            return full();
        return m_inner.approveWithPasskey(requestId, deviceId, at, use);
    }
    Result<bool> markUsed(const QString &kind, const QByteArray &value, qint64 keepUntil) override
    {
        if (failing(Write::MarkUsed))
            return full();
        return m_inner.markUsed(kind, value, keepUntil);
    }
    Status setTotpEnrollment(const gateway::TotpEnrollment &enrollment) override
    {
        return m_inner.setTotpEnrollment(enrollment);
    }
    std::optional<gateway::TotpEnrollment> totpEnrollment(const QString &userId) const override
    {
        return m_inner.totpEnrollment(userId);
    }
    Status appendAudit(const gateway::AuditEvent &event) override
    {
        if (failing(Write::Audit))
            return full();
        return m_inner.appendAudit(event);
    }
    QList<gateway::AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const override
    {
        return m_inner.auditEvents(afterId, limit);
    }
    // The body's calls come back through this store (so its faults still
    // apply) and join the wrapped store's transaction.
    Status inTransaction(const std::function<Status()> &body) override
    {
        return m_inner.inTransaction(body);
    }
    gateway::Durability &durability() override { return m_inner.durability(); }

private:
    bool failing(Write write)
    {
        if ((m_failing & bit(write)) == 0)
            return false;
        ++m_refused;
        return true;
    }
    static unsigned bit(Write write) { return 1u << static_cast<unsigned>(write); }
    static Error full()
    {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("injected: database or disk is full"));
    }

    gateway::Store &m_inner;
    unsigned m_failing = 0;
    int m_refused = 0;
};

} // namespace countersign::testing
