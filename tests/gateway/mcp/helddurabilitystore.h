#pragma once

#include "gateway/store/store.h"

#include <functional>
#include <utility>
#include <vector>

#include <QMetaObject>
#include <QObject>
#include <QPointer>

namespace countersign::testing {

// Group commit on the test's command: every whenDurable() callback is held
// until the test releases them all, as made durable or as failed, the way
// the store's sync thread would after its fdatasync. hasUnsyncedCommits()
// is true from a commit (commitMade()) until the next release.
class HeldDurability final : public gateway::Durability {
public:
    bool hasUnsyncedCommits() const override { return m_unsynced; }
    void whenDurable(QObject *context, Done done) override
    {
        m_held.push_back({QPointer<QObject>(context), std::move(done)});
    }

    void commitMade() { m_unsynced = true; }
    qsizetype held() const { return static_cast<qsizetype>(m_held.size()); }
    // Calls back (queued, in order) every held callback with `status`.
    void release(const Status &status = Ok{})
    {
        m_unsynced = false;
        for (auto &[context, done] : std::exchange(m_held, {})) {
            if (!context)
                continue;
            QMetaObject::invokeMethod(
                context.data(), [done = std::move(done), status] { done(status); },
                Qt::QueuedConnection);
        }
    }

private:
    bool m_unsynced = false;
    std::vector<std::pair<QPointer<QObject>, Done>> m_held;
};

// A Store that forwards to a real one and whose durability the test
// controls (HeldDurability): what an upstream sees before and after the
// sync of a record it depends on.
class HeldDurabilityStore final : public gateway::Store {
public:
    explicit HeldDurabilityStore(gateway::Store &inner)
        : m_inner(inner)
    {
    }

    HeldDurability &held() { return m_durability; }
    gateway::Durability &durability() override { return m_durability; }
    Status inTransaction(const std::function<Status()> &body) override
    {
        return m_inner.inTransaction(body);
    }

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
        return m_inner.approveWithPasskey(requestId, deviceId, at, use);
    }
    Result<bool> markUsed(const QString &kind, const QByteArray &value, qint64 keepUntil) override
    {
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
        Status appended = m_inner.appendAudit(event);
        if (appended)
            m_durability.commitMade();
        return appended;
    }
    QList<gateway::AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const override
    {
        return m_inner.auditEvents(afterId, limit);
    }

private:
    gateway::Store &m_inner;
    HeldDurability m_durability;
};

} // namespace countersign::testing
