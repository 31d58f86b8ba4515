#include "migrations.h"

#include "sqlerror.h"
#include "sqltransaction.h"
#include "storelogging.h"

#include <QSqlError>
#include <QSqlQuery>

namespace countersign::gateway {

namespace {

Migration initialSchema()
{
    return Migration{
        1,
        QStringLiteral("devices, pairing offers, approvals, used values, TOTP enrollments, audit"),
        {
            // A device is never deleted, only revoked, so that approvals and
            // audit rows that name it keep meaning something.
            QStringLiteral("CREATE TABLE devices ("
                           " device_id TEXT PRIMARY KEY NOT NULL CHECK (device_id <> ''),"
                           " user_id TEXT NOT NULL CHECK (user_id <> ''),"
                           " name TEXT NOT NULL,"
                           " public_jwk TEXT NOT NULL,"
                           " key_thumbprint TEXT NOT NULL,"
                           " paired_at INTEGER NOT NULL,"
                           " revoked_at INTEGER,"
                           " passkey TEXT NOT NULL DEFAULT '{}'"
                           ") STRICT"),
            QStringLiteral("CREATE INDEX devices_by_user ON devices (user_id)"),
            // Only the SHA-256 of the code is kept: a copy of the file
            // cannot be used to pair.
            QStringLiteral("CREATE TABLE pairing_offers ("
                           " code_hash BLOB PRIMARY KEY NOT NULL,"
                           " user_id TEXT NOT NULL CHECK (user_id <> ''),"
                           " created_at INTEGER NOT NULL,"
                           " expires_at INTEGER NOT NULL,"
                           " used_at INTEGER,"
                           " redeemed_device_id TEXT REFERENCES devices (device_id)"
                           ") STRICT"),
            QStringLiteral("CREATE TABLE approvals ("
                           " request_id TEXT PRIMARY KEY NOT NULL CHECK (request_id <> ''),"
                           " user_id TEXT NOT NULL CHECK (user_id <> ''),"
                           " request_jws BLOB NOT NULL,"
                           " request_hash BLOB NOT NULL,"
                           " methods TEXT NOT NULL,"
                           " upstream TEXT NOT NULL,"
                           " arguments_hash BLOB NOT NULL,"
                           " created_at INTEGER NOT NULL,"
                           " expires_at INTEGER NOT NULL,"
                           " state TEXT NOT NULL CHECK (state IN"
                           "  ('pending', 'approved', 'denied', 'expired', 'cancelled')),"
                           " resolved_method TEXT CHECK (resolved_method IN ('passkey', 'totp')),"
                           " resolved_by_device TEXT NOT NULL DEFAULT '',"
                           " resolved_at INTEGER NOT NULL DEFAULT 0,"
                           " reason TEXT NOT NULL DEFAULT '',"
                           " failed_attempts INTEGER NOT NULL DEFAULT 0"
                           ") STRICT"),
            QStringLiteral(
                "CREATE INDEX approvals_pending ON approvals (state, user_id, expires_at)"),
            // The primary key is the single-use guarantee: a second INSERT
            // of the same (kind, value) conflicts, in any process.
            QStringLiteral("CREATE TABLE used_values ("
                           " kind TEXT NOT NULL CHECK (kind <> ''),"
                           " value BLOB NOT NULL,"
                           " keep_until INTEGER NOT NULL,"
                           " PRIMARY KEY (kind, value)"
                           ") STRICT, WITHOUT ROWID"),
            QStringLiteral("CREATE INDEX used_values_by_keep_until ON used_values (keep_until)"),
            // secret_sealed is SecretBox output (AES-256-GCM, associated data
            // = user_id); the plaintext seed is never written.
            QStringLiteral("CREATE TABLE totp_enrollments ("
                           " user_id TEXT PRIMARY KEY NOT NULL CHECK (user_id <> ''),"
                           " secret_sealed BLOB NOT NULL,"
                           " algorithm TEXT NOT NULL,"
                           " digits INTEGER NOT NULL,"
                           " period INTEGER NOT NULL,"
                           " created_at INTEGER NOT NULL"
                           ") STRICT"),
            // AUTOINCREMENT, not plain rowid: ids are never reused, so a
            // reader polling with "after id N" cannot miss or repeat events.
            QStringLiteral("CREATE TABLE audit_log ("
                           " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                           " at INTEGER NOT NULL,"
                           " kind TEXT NOT NULL CHECK (kind <> ''),"
                           " user_id TEXT NOT NULL,"
                           " request_id TEXT NOT NULL,"
                           " device_id TEXT NOT NULL,"
                           " details TEXT NOT NULL"
                           ") STRICT"),
            // Append-only in the database itself, so no code path (ours, a
            // future one, or someone with the sqlite3 shell and a typo) can
            // quietly rewrite history.
            QStringLiteral("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
                           " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
            QStringLiteral("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
                           " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
        },
    };
}

Migration passkeys()
{
    return Migration{
        2,
        QStringLiteral(
            "passkey credentials per user, user handles, user verification of approvals"),
        {
            // One random WebAuthn user.id per user, made once: the user name
            // would be personal data kept on every security key.
            QStringLiteral("CREATE TABLE passkey_users ("
                           " user_id TEXT PRIMARY KEY NOT NULL CHECK (user_id <> ''),"
                           " user_handle BLOB NOT NULL UNIQUE"
                           "  CHECK (length(user_handle) BETWEEN 16 AND 64),"
                           " created_at INTEGER NOT NULL"
                           ") STRICT"),
            // The credential id is the primary key: one key registered twice,
            // even for two users, is refused by the database itself.
            // public_key is SubjectPublicKeyInfo DER.
            QStringLiteral(
                "CREATE TABLE passkeys ("
                " credential_id BLOB PRIMARY KEY NOT NULL"
                "  CHECK (length(credential_id) BETWEEN 1 AND 1023),"
                " user_id TEXT NOT NULL CHECK (user_id <> ''),"
                " name TEXT NOT NULL,"
                " public_key BLOB NOT NULL,"
                " sign_count INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),"
                " uv INTEGER NOT NULL CHECK (uv IN (0, 1)),"
                " be INTEGER NOT NULL CHECK (be IN (0, 1)),"
                " created_at INTEGER NOT NULL"
                ") STRICT"),
            QStringLiteral("CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at)"),
            // What the policy asked (checked gateway-side only: the signed
            // request format does not carry it) and what the assertion showed.
            QStringLiteral("ALTER TABLE approvals ADD COLUMN user_verification_required INTEGER"
                           " NOT NULL DEFAULT 0 CHECK (user_verification_required IN (0, 1))"),
            QStringLiteral("ALTER TABLE approvals ADD COLUMN user_verified INTEGER"
                           " NOT NULL DEFAULT 0 CHECK (user_verified IN (0, 1))"),
        },
    };
}

Migration approvalOrigins()
{
    return Migration{
        3,
        QStringLiteral("approval agent, origin and operation key (approval limits, restarts)"),
        {
            // Limits count a user's and an agent's approvals, the push-
            // fatigue hold counts an agent's denials.
            QStringLiteral("ALTER TABLE approvals ADD COLUMN agent TEXT NOT NULL DEFAULT ''"),
            // Only 'admin' approvals may be redeemed through the admin API;
            // rows from before this step are 'unknown' and may not.
            QStringLiteral("ALTER TABLE approvals ADD COLUMN origin TEXT NOT NULL"
                           " DEFAULT 'unknown' CHECK (origin IN ('unknown', 'admin', 'mcp'))"),
            // SHA-256 over user, agent, upstream, tool and arguments hash
            // (MCP proxy), so a call again after a restart attaches to its
            // approval; empty for the admin API.
            QStringLiteral("ALTER TABLE approvals ADD COLUMN dedupe_key BLOB NOT NULL DEFAULT x''"),
            QStringLiteral(
                "CREATE INDEX approvals_by_agent ON approvals (user_id, agent, created_at)"),
            QStringLiteral("CREATE INDEX approvals_by_operation ON approvals (dedupe_key)"
                           " WHERE dedupe_key <> x''"),
        },
    };
}

// Independent of version 3.
Migration auditChain()
{
    return Migration{
        4,
        QStringLiteral("audit hash chain, prune points for retention"),
        {
            // Rows written before this version keep NULL hashes: they are
            // not chained (docs/gateway.md, "The audit log"). The chain
            // starts after them, from the "legacy" anchor inserted below.
            QStringLiteral("ALTER TABLE audit_log ADD COLUMN prev_hash BLOB"),
            QStringLiteral("ALTER TABLE audit_log ADD COLUMN hash BLOB"),
            // Where the chain may start: 'legacy' after the last unchained
            // row, 'prune' after the last row retention deleted, with the
            // hash of that row, so the remaining chain still verifies.
            QStringLiteral("CREATE TABLE audit_prunes ("
                           " id INTEGER PRIMARY KEY,"
                           " through_id INTEGER NOT NULL CHECK (through_id >= 0),"
                           " anchor_hash BLOB NOT NULL CHECK (length(anchor_hash) = 32),"
                           " at INTEGER NOT NULL,"
                           " kind TEXT NOT NULL CHECK (kind IN ('legacy', 'prune'))"
                           ") STRICT"),
            QStringLiteral("INSERT INTO audit_prunes (through_id, anchor_hash, at, kind)"
                           " SELECT COALESCE(MAX(id), 0), zeroblob(32),"
                           " CAST(strftime('%s', 'now') AS INTEGER), 'legacy' FROM audit_log"),
            QStringLiteral("CREATE TRIGGER audit_prunes_no_update BEFORE UPDATE ON audit_prunes"
                           " BEGIN SELECT RAISE(ABORT, 'audit_prunes is append-only'); END"),
            QStringLiteral("CREATE TRIGGER audit_prunes_no_delete BEFORE DELETE ON audit_prunes"
                           " BEGIN SELECT RAISE(ABORT, 'audit_prunes is append-only'); END"),
            // Every new row is chained and comes after every row and every
            // prune point: nothing can be slipped in behind the head.
            QStringLiteral(
                "CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log"
                " WHEN NEW.hash IS NULL OR length(NEW.hash) <> 32"
                "  OR NEW.prev_hash IS NULL OR length(NEW.prev_hash) <> 32"
                "  OR NEW.id <= (SELECT COALESCE(MAX(id), 0) FROM audit_log)"
                "  OR NEW.id <= (SELECT COALESCE(MAX(through_id), 0) FROM audit_prunes)"
                " BEGIN SELECT RAISE(ABORT, 'audit_log rows are appended in order, chained');"
                " END"),
            // Deleting stays refused, except for rows at or below a recorded
            // prune point (retention inserts the point, then deletes).
            QStringLiteral("DROP TRIGGER audit_log_no_delete"),
            QStringLiteral("CREATE TRIGGER audit_log_delete_pruned_only BEFORE DELETE ON audit_log"
                           " WHEN OLD.id > (SELECT COALESCE(MAX(through_id), 0) FROM audit_prunes"
                           "  WHERE kind = 'prune')"
                           " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (rows are deleted"
                           " only at or below a prune point)'); END"),
        },
    };
}

Status ensureVersionTable(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version ("
                                   " version INTEGER PRIMARY KEY NOT NULL,"
                                   " description TEXT NOT NULL,"
                                   " applied_at INTEGER NOT NULL"
                                   ") STRICT"))) {
        return databaseError(QStringLiteral("create schema_version"), query.lastError());
    }
    return Ok{};
}

Status refuseNewer(int version)
{
    if (version > Migrations::latestVersion()) {
        return makeError(ErrorCode::UnsupportedVersion,
                         QStringLiteral("database schema version %1 is newer than this gateway "
                                        "supports (%2); upgrade countersign-gateway")
                             .arg(version)
                             .arg(Migrations::latestVersion()));
    }
    return Ok{};
}

Status applyStep(const QSqlDatabase &db, const Migration &step, qint64 now)
{
    auto transaction = SqlTransaction::begin(db);
    if (!transaction)
        return transaction.error();

    // Another process may have applied this step while we waited for the lock.
    const auto version = Migrations::currentVersion(db);
    if (!version)
        return version.error();
    if (const Status newer = refuseNewer(version.value()); !newer)
        return newer;
    if (version.value() >= step.version)
        return Ok{};

    for (const QString &statement : step.statements) {
        QSqlQuery query(db);
        if (!query.exec(statement)) {
            return databaseError(QStringLiteral("migration to version %1").arg(step.version),
                                 query.lastError());
        }
    }
    QSqlQuery record(db);
    record.prepare(QStringLiteral(
        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)"));
    record.addBindValue(step.version);
    record.addBindValue(step.description);
    record.addBindValue(now);
    if (const Status recorded = execQuery(record, QStringLiteral("record schema version"));
        !recorded) {
        return recorded;
    }
    record.finish();
    if (const Status committed = transaction.value().commit(); !committed)
        return committed;
    qCInfo(lcStore) << "database schema migrated to version" << step.version;
    return Ok{};
}

} // namespace

const QList<Migration> &Migrations::steps()
{
    static const QList<Migration> all{initialSchema(), passkeys(), approvalOrigins(), auditChain()};
    return all;
}

int Migrations::latestVersion()
{
    return steps().isEmpty() ? 0 : steps().constLast().version;
}

Result<int> Migrations::currentVersion(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.exec(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
        || !query.next()) {
        return databaseError(QStringLiteral("read schema version"), query.lastError());
    }
    return query.value(0).toInt();
}

Status Migrations::apply(const QSqlDatabase &db, qint64 now)
{
    if (const Status table = ensureVersionTable(db); !table)
        return table;
    const auto version = currentVersion(db);
    if (!version)
        return version.error();
    // Checked before taking any lock so that an old gateway refuses a newer
    // database without ever writing to it.
    if (const Status newer = refuseNewer(version.value()); !newer)
        return newer;
    for (const Migration &step : steps()) {
        if (step.version <= version.value())
            continue;
        if (const Status applied = applyStep(db, step, now); !applied)
            return applied;
    }
    return Ok{};
}

} // namespace countersign::gateway
