#pragma once

#include "auditchain.h"
#include "secretbox.h"
#include "statementcache.h"
#include "store.h"

#include <chrono>
#include <functional>
#include <memory>

#include <QSqlDatabase>
#include <QString>

namespace countersign::gateway {

class WalSyncer;

// The default Store: one SQLite file, <dataDir>/gateway.sqlite, in WAL mode so
// that the server and the CLI (writing pairing offers) can use it at once.
// TOTP seeds are sealed with a SecretBox whose key is <dataDir>/secrets.key.
//
// An instance owns its own Qt SQL connection and, like every QSqlDatabase,
// must be used only from the thread that opened it. Several instances, in one
// process or many, may open the same directory; single-use guarantees
// (markUsed, redeemPairingOffer, resolveApproval) hold across all of them
// because they rest on SQLite constraints and write transactions, not on
// in-memory state.
class SqliteStore final : public Store {
public:
    static constexpr std::chrono::milliseconds busyTimeout{5000};

    struct Options {
        // Group commit (durability.h, README.md "Durability"): commits do
        // not wait for the disk (synchronous=NORMAL); a sync thread
        // fdatasyncs the WAL and durability() says when a commit is
        // durable. For the server only; off, every commit is durable when
        // the method that made it returns (synchronous=FULL).
        bool groupCommit = false;
        // Test seam: how the sync thread syncs the WAL's descriptor
        // (default fdatasync). 0 on success, -1 with errno set on failure.
        std::function<int(int fd)> syncFile;
    };

    // Creates dataDir (mode 0700) when missing, opens or creates the database
    // and the secrets key, and migrates the schema. Fails when the database
    // was written by a newer gateway or the key file is unsafe.
    static Result<std::unique_ptr<SqliteStore>> open(const QString &dataDir);
    static Result<std::unique_ptr<SqliteStore>> open(const QString &dataDir,
                                                     const Options &options);

    SqliteStore(const SqliteStore &) = delete;
    SqliteStore &operator=(const SqliteStore &) = delete;
    ~SqliteStore() override;

    static QString databaseFileName(); // "gateway.sqlite"
    static QString keyFileName();      // "secrets.key"
    QString databasePath() const;

    // Devices
    Status addDevice(const DeviceRecord &device) override;
    std::optional<DeviceRecord> device(const QString &deviceId) const override;
    QList<DeviceRecord> devices(const QString &userId = {}) const override;
    Status revokeDevice(const QString &deviceId, qint64 at) override;

    // Pairing offers
    Status addPairingOffer(const PairingOffer &offer) override;
    Result<DeviceRecord> redeemPairingOffer(const QByteArray &codeHash, qint64 now,
                                            DeviceRecord device) override;
    // For tests and `pairing list`-style tools; redeeming never needs it.
    std::optional<PairingOffer> pairingOffer(const QByteArray &codeHash) const;

    // Approvals
    Status addApproval(const ApprovalRecord &approval) override;
    std::optional<ApprovalRecord> approval(const QString &requestId) const override;
    QList<ApprovalRecord> pendingApprovals(const QString &userId, qint64 now) const override;
    std::optional<qint64> earliestPendingExpiry() const override;
    Status resolveApproval(const QString &requestId, ApprovalState state,
                           std::optional<ApprovalMethod> method, const QString &deviceId, qint64 at,
                           const QString &reason) override;
    Result<int> recordFailedAttempt(const QString &requestId) override;
    Result<ApprovalCounts> approvalCounts(const QString &userId, const QString &agent, qint64 now,
                                          qint64 since) const override;
    Result<QList<qint64>> denialTimes(const QString &userId, const QString &agent,
                                      qint64 since) const override;
    Result<std::optional<ApprovalRecord>> approvalForOperation(const QByteArray &dedupeKey,
                                                               qint64 now,
                                                               qint64 approvedSince) const override;

    // Single use
    Result<bool> markUsed(const QString &kind, const QByteArray &value, qint64 keepUntil) override;
    // Forgets used values whose keepUntil is before `now`; returns how many.
    // Separate from markUsed because markUsed has no clock: purging there by
    // wall-clock time would defeat tests (and callers) that use a fake clock.
    Result<int> purgeUsedValues(qint64 now);

    // TOTP
    Status setTotpEnrollment(const TotpEnrollment &enrollment) override;
    std::optional<TotpEnrollment> totpEnrollment(const QString &userId) const override;

    // Passkeys
    Result<QByteArray> passkeyUserHandle(const QString &userId,
                                         const QByteArray &candidate) override;
    Result<PasskeyAddOutcome> addPasskey(const PasskeyCredential &credential,
                                         int maxPerUser) override;
    std::optional<PasskeyCredential> passkey(const QByteArray &credentialId) const override;
    QList<PasskeyCredential> passkeys(const QString &userId) const override;
    Result<bool> removePasskey(const QString &userId, const QByteArray &credentialId) override;
    Result<PasskeyApprovalOutcome> approveWithPasskey(const QString &requestId,
                                                      const QString &deviceId, qint64 at,
                                                      const PasskeyUse &use) override;

    // Audit
    Status appendAudit(const AuditEvent &event) override;
    QList<AuditEvent> auditEvents(qint64 afterId = 0, int limit = 1000) const override;
    // As auditEvents, but a failed read is an error, not an empty page
    // (`audit verify` must not call an unreadable log intact).
    Result<QList<AuditEvent>> readAuditEvents(qint64 afterId, int limit) const;
    // Where the chain starts: the newest prune point or the anchor after the
    // records written before schema 4 (id 0 and 32 zero bytes for a log
    // that started chained).
    Result<AuditHead> auditAnchor() const;
    // The newest record's id and hash; the anchor when there is none. Read
    // from the file, so it sees what other processes appended.
    Result<AuditHead> auditHead() const;
    // How many records at or below the anchor are not chained (legacy).
    Result<qint64> unchainedAuditRecords() const;
    // Retention: deletes up to `batch` of the oldest audit records, in id
    // order, as long as their `at` is before `before`. Records the prune
    // point (the last deleted record's id and hash) in the same
    // transaction, so the rest of the chain still verifies, then appends an
    // "audit.pruned" record. Returns how many were deleted.
    Result<int> pruneAudit(qint64 before, int batch, qint64 now);
    // Retention: deletes up to `batch` approvals that are no longer pending
    // and were resolved (or expired) before `before`. Returns how many.
    Result<int> pruneApprovals(qint64 before, int batch);

    // One transaction (store.h): BEGIN IMMEDIATE at the outermost level, a
    // savepoint when nested; every write method called inside joins it.
    Status inTransaction(const std::function<Status()> &body) override;

    // Group commit, as Options::groupCommit, on a store that is open (the
    // server calls it once, before serving). Idempotent.
    Status enableGroupCommit(std::function<int(int fd)> syncFile = {});
    bool groupCommitEnabled() const { return m_syncer != nullptr; }
    // The group-commit clock when enabled, else the immediate one.
    Durability &durability() override;

    // How many statements were prepared so far (tests, benchmarks).
    quint64 statementPreparations() const { return m_statements.preparations(); }

private:
    class WriteScope;
    enum class Statements { One, Several };

    SqliteStore(QString connectionName, QString databasePath, SecretBox secretBox);
    Status configure();
    // Refused when a sync failed (group commit): nothing may be written.
    Status writable() const;
    // A commit was made at the outermost level.
    void noteCommit();

    QString m_connectionName;
    QString m_databasePath;
    QSqlDatabase m_db;
    mutable StatementCache m_statements;
    SecretBox m_secretBox;
    // The chain's head as this instance last wrote it, so an append needs no
    // read. Another process appending makes the insert fail (its id is
    // taken); then the head is read again and the append retried. A rolled
    // back transaction or savepoint takes it back (WriteScope), so the next
    // record follows the last committed one.
    std::optional<AuditHead> m_auditHead;
    // Open write scopes: 0 outside a transaction, 1 inside the outermost.
    int m_depth = 0;
    // SQLite rolled back the whole transaction under an inner failure (I/O
    // error, full disk): nothing more may be written in it, and it cannot
    // commit.
    bool m_transactionLost = false;
    std::unique_ptr<WalSyncer> m_syncer;
};

} // namespace countersign::gateway
