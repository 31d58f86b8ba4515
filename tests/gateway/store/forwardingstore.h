#pragma once

#include "gateway/store/store.h"

#include <optional>

namespace countersign::testing {

// A Store that forwards every call to a real one, for test doubles that
// change a little of it: FaultyStore (writes refused as by a full disk),
// CountingStore (commits and approval reads counted), HeldDurabilityStore
// (durability held by the test). They override the hooks below, and
// durability() or inTransaction() where they need to; the body of
// inTransaction comes back through this store, so the hooks see its calls.
class ForwardingStore : public gateway::Store {
public:
    // Every kind of write the Store interface has.
    enum class Write {
        AddDevice,
        RevokeDevice,
        AddPairingOffer,
        RedeemPairingOffer,
        AddApproval,
        ResolveApproval,
        FailedAttempt,
        PasskeyUserHandle,
        AddPasskey,
        RemovePasskey,
        ApproveWithPasskey,
        MarkUsed,
        TotpEnrollment,
        Audit,
    };

    explicit ForwardingStore(gateway::Store &inner)
        : m_inner(inner)
    {
    }

    Status addDevice(const gateway::DeviceRecord &device) override
    {
        return write(Write::AddDevice, [&] { return m_inner.addDevice(device); });
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
        return write(Write::RevokeDevice, [&] { return m_inner.revokeDevice(deviceId, at); });
    }
    Status addPairingOffer(const gateway::PairingOffer &offer) override
    {
        return write(Write::AddPairingOffer, [&] { return m_inner.addPairingOffer(offer); });
    }
    Result<gateway::DeviceRecord> redeemPairingOffer(const QByteArray &codeHash, qint64 now,
                                                     gateway::DeviceRecord device) override
    {
        return write(Write::RedeemPairingOffer,
                     [&] { return m_inner.redeemPairingOffer(codeHash, now, std::move(device)); });
    }
    Status addApproval(const gateway::ApprovalRecord &approval) override
    {
        return write(Write::AddApproval, [&] { return m_inner.addApproval(approval); });
    }
    std::optional<gateway::ApprovalRecord> approval(const QString &requestId) const override
    {
        approvalRead();
        return m_inner.approval(requestId);
    }
    QList<gateway::ApprovalRecord> pendingApprovals(const QString &userId,
                                                    qint64 now) const override
    {
        approvalRead();
        return m_inner.pendingApprovals(userId, now);
    }
    std::optional<qint64> earliestPendingExpiry() const override
    {
        approvalRead();
        return m_inner.earliestPendingExpiry();
    }
    Status resolveApproval(const QString &requestId, gateway::ApprovalState state,
                           std::optional<ApprovalMethod> method, const QString &deviceId, qint64 at,
                           const QString &reason) override
    {
        return write(Write::ResolveApproval, [&] {
            return m_inner.resolveApproval(requestId, state, method, deviceId, at, reason);
        });
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
        approvalRead();
        return m_inner.approvalForOperation(dedupeKey, now, approvedSince);
    }
    Result<int> recordFailedAttempt(const QString &requestId) override
    {
        return write(Write::FailedAttempt, [&] { return m_inner.recordFailedAttempt(requestId); });
    }
    Result<QByteArray> passkeyUserHandle(const QString &userId,
                                         const QByteArray &candidate) override
    {
        return write(Write::PasskeyUserHandle,
                     [&] { return m_inner.passkeyUserHandle(userId, candidate); });
    }
    Result<gateway::PasskeyAddOutcome> addPasskey(const gateway::PasskeyCredential &credential,
                                                  int maxPerUser) override
    {
        return write(Write::AddPasskey, [&] { return m_inner.addPasskey(credential, maxPerUser); });
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
        return write(Write::RemovePasskey,
                     [&] { return m_inner.removePasskey(userId, credentialId); });
    }
    Result<gateway::PasskeyApprovalOutcome>
    approveWithPasskey(const QString &requestId, const QString &deviceId, qint64 at,
                       const gateway::PasskeyUse &use) override
    {
        return write(Write::ApproveWithPasskey,
                     [&] { return m_inner.approveWithPasskey(requestId, deviceId, at, use); });
    }
    Result<bool> markUsed(const QString &kind, const QByteArray &value, qint64 keepUntil) override
    {
        return write(Write::MarkUsed, [&] { return m_inner.markUsed(kind, value, keepUntil); });
    }
    Status setTotpEnrollment(const gateway::TotpEnrollment &enrollment) override
    {
        return write(Write::TotpEnrollment, [&] { return m_inner.setTotpEnrollment(enrollment); });
    }
    std::optional<gateway::TotpEnrollment> totpEnrollment(const QString &userId) const override
    {
        return m_inner.totpEnrollment(userId);
    }
    Status appendAudit(const gateway::AuditEvent &event) override
    {
        return write(Write::Audit, [&] { return m_inner.appendAudit(event); });
    }
    QList<gateway::AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const override
    {
        return m_inner.auditEvents(afterId, limit);
    }
    // The body's calls come back through this store (so the hooks see
    // them) and join the wrapped store's transaction.
    Status inTransaction(const std::function<Status()> &body) override
    {
        return m_inner.inTransaction(body);
    }
    gateway::Durability &durability() override { return m_inner.durability(); }

protected:
    // Before a write reaches the wrapped store: an error refuses it (the
    // wrapped store is not called).
    virtual std::optional<Error> beforeWrite(Write) { return std::nullopt; }
    // After the wrapped store answered a write.
    virtual void afterWrite(Write, bool /*succeeded*/) {}
    // An approval row is read (approval, pendingApprovals,
    // earliestPendingExpiry, approvalForOperation).
    virtual void approvalRead() const {}

private:
    template <typename Call>
    auto write(Write kind, Call call) -> decltype(call())
    {
        if (auto refused = beforeWrite(kind))
            return *refused;
        auto result = call();
        afterWrite(kind, result.ok());
        return result;
    }

    gateway::Store &m_inner;
};

} // namespace countersign::testing
