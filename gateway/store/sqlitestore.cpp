#include "sqlitestore.h"

#include "migrations.h"
#include "protocol/canonicaljson.h"
#include "sqlerror.h"
#include "sqltransaction.h"
#include "storelogging.h"
#include "walsyncer.h"

#include <atomic>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace countersign::gateway {

namespace {

const QString DeviceColumns = QStringLiteral(
    "device_id, user_id, name, public_jwk, key_thumbprint, paired_at, revoked_at, passkey");
const QString ApprovalColumns = QStringLiteral(
    "request_id, user_id, request_jws, request_hash, methods, upstream, arguments_hash,"
    " created_at, expires_at, state, resolved_method, resolved_by_device, resolved_at, reason,"
    " failed_attempts, user_verification_required, user_verified, agent, origin, dedupe_key");
const QString PasskeyColumns =
    QStringLiteral("credential_id, user_id, name, public_key, sign_count, uv, be, created_at");

Error invalid(const QString &message)
{
    return makeError(ErrorCode::InvalidField, message);
}

// Qt binds a null QString or QByteArray as SQL NULL, which the NOT NULL
// columns refuse; an empty value is what the records mean by default.
QVariant text(const QString &value)
{
    return value.isNull() ? QVariant(QStringLiteral("")) : QVariant(value);
}

QVariant blob(const QByteArray &value)
{
    return value.isNull() ? QVariant(QByteArray("")) : QVariant(value);
}

QVariant optionalInteger(const std::optional<qint64> &value)
{
    return value ? QVariant(qlonglong{*value}) : QVariant(QMetaType::fromType<qlonglong>());
}

QVariant integer(qint64 value)
{
    return QVariant(qlonglong{value});
}

QString jsonText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QJsonObject jsonObject(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

QString methodsText(const QList<ApprovalMethod> &methods)
{
    QStringList names;
    for (ApprovalMethod method : methods)
        names.append(approvalMethodName(method));
    return names.join(QLatin1Char(','));
}

std::optional<QList<ApprovalMethod>> methodsFromText(const QString &joined)
{
    QList<ApprovalMethod> methods;
    if (joined.isEmpty())
        return methods;
    for (const QString &name : joined.split(QLatin1Char(','))) {
        const auto method = approvalMethodFromName(name);
        if (!method)
            return std::nullopt;
        methods.append(*method);
    }
    return methods;
}

// Prepares `sql`, binds `values` in order and runs it. Every value reaches
// SQLite as a bound parameter; no value is ever spliced into SQL text.
Status run(StatementCache::Lease &query, const QString &sql, const QVariantList &values,
           const QString &what)
{
    return query.run(sql, values, what);
}

DeviceRecord deviceFromRow(const QSqlQuery &query)
{
    DeviceRecord device;
    device.deviceId = query.value(0).toString();
    device.userId = query.value(1).toString();
    device.name = query.value(2).toString();
    device.publicJwk = jsonObject(query.value(3));
    device.keyThumbprint = query.value(4).toString();
    device.pairedAt = query.value(5).toLongLong();
    if (!query.value(6).isNull())
        device.revokedAt = query.value(6).toLongLong();
    device.passkey = jsonObject(query.value(7));
    return device;
}

// nullopt when a column holds a value this build cannot read (a corrupted or
// hand-edited row); the caller logs and skips it.
std::optional<ApprovalRecord> approvalFromRow(const QSqlQuery &query)
{
    ApprovalRecord approval;
    approval.requestId = query.value(0).toString();
    approval.userId = query.value(1).toString();
    approval.requestJws = query.value(2).toByteArray();
    approval.requestHash = query.value(3).toByteArray();
    const auto methods = methodsFromText(query.value(4).toString());
    const auto state = approvalStateFromName(query.value(9).toString());
    if (!methods || !state)
        return std::nullopt;
    approval.methods = *methods;
    approval.upstream = query.value(5).toString();
    approval.argumentsHash = query.value(6).toByteArray();
    approval.createdAt = query.value(7).toLongLong();
    approval.expiresAt = query.value(8).toLongLong();
    approval.state = *state;
    if (!query.value(10).isNull()) {
        approval.resolvedMethod = approvalMethodFromName(query.value(10).toString());
        if (!approval.resolvedMethod)
            return std::nullopt;
    }
    approval.resolvedByDevice = query.value(11).toString();
    approval.resolvedAt = query.value(12).toLongLong();
    approval.reason = query.value(13).toString();
    approval.failedAttempts = query.value(14).toInt();
    approval.userVerificationRequired = query.value(15).toInt() != 0;
    approval.userVerified = query.value(16).toInt() != 0;
    approval.agent = query.value(17).toString();
    const auto origin = approvalOriginFromName(query.value(18).toString());
    if (!origin)
        return std::nullopt;
    approval.origin = *origin;
    approval.dedupeKey = query.value(19).toByteArray();
    return approval;
}

QList<ApprovalRecord> approvalsFromRows(QSqlQuery &query)
{
    QList<ApprovalRecord> approvals;
    while (query.next()) {
        if (auto approval = approvalFromRow(query))
            approvals.append(std::move(*approval));
        else
            qCWarning(lcStore) << "skipping unreadable approval row" << query.value(0).toString();
    }
    return approvals;
}

Status insertDevice(StatementCache &statements, const DeviceRecord &device)
{
    if (device.deviceId.isEmpty())
        return invalid(QStringLiteral("device id is empty"));
    if (device.userId.isEmpty())
        return invalid(QStringLiteral("device user id is empty"));
    StatementCache::Lease query(statements);
    const Status inserted =
        run(query,
            QStringLiteral("INSERT INTO devices (") + DeviceColumns
                + QStringLiteral(") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                                 " ON CONFLICT (device_id) DO NOTHING"),
            {device.deviceId, device.userId, text(device.name), jsonText(device.publicJwk),
             text(device.keyThumbprint), integer(device.pairedAt),
             optionalInteger(device.revokedAt), jsonText(device.passkey)},
            QStringLiteral("add device"));
    if (!inserted)
        return inserted;
    if (query.numRowsAffected() != 1)
        return invalid(QStringLiteral("device %1 already exists").arg(device.deviceId));
    return Ok{};
}

// Moves a pending approval to a final state; the caller holds the write
// transaction.
Status resolvePending(StatementCache &statements, const QString &requestId, ApprovalState state,
                      std::optional<ApprovalMethod> method, const QString &deviceId, qint64 at,
                      const QString &reason, bool userVerified)
{
    if (state == ApprovalState::Pending)
        return invalid(QStringLiteral("an approval cannot be resolved to pending"));
    if (state == ApprovalState::Approved && !method)
        return invalid(QStringLiteral("an approval needs the method that proved it"));
    {
        StatementCache::Lease current(statements);
        const Status ran = run(current,
                               QStringLiteral("SELECT state, expires_at, methods FROM approvals"
                                              " WHERE request_id = ?"),
                               {requestId}, QStringLiteral("read approval"));
        if (!ran)
            return ran;
        if (!current.next())
            return invalid(QStringLiteral("unknown approval %1").arg(requestId));
        if (current.value(0).toString() != approvalStateName(ApprovalState::Pending)) {
            return invalid(QStringLiteral("approval %1 is already %2")
                               .arg(requestId, current.value(0).toString()));
        }
        // Checked here, under the write lock, as well as by the broker: the
        // store is the last place where "approved after expiry" or "approved
        // by a method that was not offered" can still be stopped atomically.
        if (state == ApprovalState::Approved) {
            if (at >= current.value(1).toLongLong())
                return invalid(QStringLiteral("approval %1 has expired").arg(requestId));
            const auto offered = methodsFromText(current.value(2).toString());
            if (!offered || !offered->contains(*method)) {
                return invalid(QStringLiteral("approval %1 does not allow method %2")
                                   .arg(requestId, approvalMethodName(*method)));
            }
        }
    }
    StatementCache::Lease update(statements);
    const Status ran = run(
        update,
        QStringLiteral("UPDATE approvals SET state = ?, resolved_method = ?,"
                       " resolved_by_device = ?, resolved_at = ?, reason = ?, user_verified = ?"
                       " WHERE request_id = ? AND state = 'pending'"),
        {approvalStateName(state),
         method ? QVariant(approvalMethodName(*method)) : QVariant(QMetaType::fromType<QString>()),
         text(deviceId), integer(at), text(reason), int(userVerified), requestId},
        QStringLiteral("resolve approval"));
    if (!ran)
        return ran;
    // The WHERE clause is the first-resolution-wins guarantee; the check
    // above only gives a clearer message.
    if (update.numRowsAffected() != 1)
        return invalid(QStringLiteral("approval %1 is no longer pending").arg(requestId));
    return Ok{};
}

PasskeyCredential passkeyFromRow(const QSqlQuery &query)
{
    PasskeyCredential credential;
    credential.credentialId = query.value(0).toByteArray();
    credential.userId = query.value(1).toString();
    credential.name = query.value(2).toString();
    credential.publicKey = query.value(3).toByteArray();
    credential.signCount = static_cast<quint32>(query.value(4).toLongLong());
    credential.userVerified = query.value(5).toInt() != 0;
    credential.backupEligible = query.value(6).toInt() != 0;
    credential.createdAt = query.value(7).toLongLong();
    return credential;
}

Status makePrivateDirectory(const QString &dataDir)
{
    const QFileInfo info(dataDir);
    if (info.isDir())
        return Ok{};
    if (info.exists()) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("data directory %1 is not a directory").arg(dataDir));
    }
    const QString absolute = info.absoluteFilePath();
    // Parents get the usual permissions; the data directory itself is created
    // 0700 in one step, so there is no moment when others could list it.
    const bool created = QDir().mkpath(QFileInfo(absolute).path())
        && QDir().mkdir(absolute, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    // Another process may have created it first, which is just as good.
    if (!created && !QFileInfo(absolute).isDir()) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot create data directory %1").arg(dataDir));
    }
    return Ok{};
}

std::atomic<quint64> connectionCounter{0};

} // namespace

// One write of the store. Outside a transaction, a method of several
// statements runs in BEGIN IMMEDIATE ... COMMIT and one of a single
// statement commits on its own (SQLite makes a statement atomic). Inside
// one (inTransaction, or a method calling another), every write method is a
// savepoint, so one that fails undoes only its own writes. A rollback takes
// the in-memory audit head back with the rows: the next record must follow
// the last committed one.
class SqliteStore::WriteScope {
public:
    static Result<WriteScope> begin(SqliteStore &store, Statements statements)
    {
        if (const Status allowed = store.writable(); !allowed)
            return allowed.error();
        if (store.m_depth == 0 && statements == Statements::One)
            return WriteScope(store, std::nullopt);
        if (store.m_depth > 0 && store.m_transactionLost) {
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("database: the transaction was rolled back after an "
                                            "earlier failure; try again"));
        }
        auto transaction = store.m_depth == 0
            ? SqlTransaction::begin(store.m_db, &store.m_statements)
            : SqlTransaction::savepoint(store.m_db, store.m_depth, &store.m_statements);
        if (!transaction)
            return transaction.error();
        if (store.m_depth == 0)
            store.m_transactionLost = false;
        return WriteScope(store, std::move(transaction).value());
    }

    WriteScope(WriteScope &&other) noexcept
        : m_store(other.m_store)
        , m_transaction(std::move(other.m_transaction))
        , m_savedHead(std::move(other.m_savedHead))
        , m_active(other.m_active)
    {
        other.m_active = false;
    }
    WriteScope &operator=(WriteScope &&) = delete;
    WriteScope(const WriteScope &) = delete;
    WriteScope &operator=(const WriteScope &) = delete;

    ~WriteScope()
    {
        if (m_active)
            rollback();
    }

    Status commit()
    {
        Q_ASSERT(m_active);
        m_active = false;
        if (!m_transaction) {
            m_store->noteCommit();
            return Ok{};
        }
        const bool outermost = !m_transaction->isSavepoint();
        --m_store->m_depth;
        if (outermost && m_store->m_transactionLost) {
            m_transaction->rollback();
            m_store->m_auditHead.reset();
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("database: the transaction was rolled back after an "
                                            "earlier failure; try again"));
        }
        const Status committed = m_transaction->commit();
        if (outermost) {
            // Counted even when COMMIT failed: an extra sync costs nothing,
            // a commit not counted would be acknowledged unsynced.
            m_store->noteCommit();
            if (!committed)
                m_store->m_auditHead.reset();
        } else if (!committed) {
            m_store->m_auditHead = m_savedHead;
            m_store->m_transactionLost = true;
        }
        return committed;
    }

private:
    WriteScope(SqliteStore &store, std::optional<SqlTransaction> transaction)
        : m_store(&store)
        , m_transaction(std::move(transaction))
        , m_savedHead(store.m_auditHead)
        , m_active(true)
    {
        if (m_transaction)
            ++m_store->m_depth;
    }

    void rollback()
    {
        m_active = false;
        if (!m_transaction)
            return; // a failed statement wrote nothing; the head moves only on success
        --m_store->m_depth;
        const bool undone = m_transaction->rollback();
        if (!m_transaction->isSavepoint()) {
            // Read again from the file on the next append: simplest proof
            // that the chain continues from what was committed.
            m_store->m_auditHead.reset();
            return;
        }
        m_store->m_auditHead = m_savedHead;
        if (!undone)
            m_store->m_transactionLost = true;
    }

    SqliteStore *m_store;
    std::optional<SqlTransaction> m_transaction; // none: one statement, autocommit
    std::optional<AuditHead> m_savedHead;
    bool m_active;
};

SqliteStore::SqliteStore(QString connectionName, QString databasePath, SecretBox secretBox)
    : m_connectionName(std::move(connectionName))
    , m_databasePath(std::move(databasePath))
    , m_db(QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName))
    , m_statements(m_db)
    , m_secretBox(std::move(secretBox))
{
}

SqliteStore::~SqliteStore()
{
    // The last sync first: whatever was committed is made durable.
    m_syncer.reset();
    m_statements.clear();
    m_db.close();
    // removeDatabase() warns (and leaks the connection) while any
    // QSqlDatabase copy is alive, so ours goes first.
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

QString SqliteStore::databaseFileName()
{
    return QStringLiteral("gateway.sqlite");
}

QString SqliteStore::keyFileName()
{
    return QStringLiteral("secrets.key");
}

QString SqliteStore::databasePath() const
{
    return m_databasePath;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const QString &dataDir)
{
    return open(dataDir, Options{});
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const QString &dataDir,
                                                       const Options &options)
{
    if (dataDir.isEmpty())
        return invalid(QStringLiteral("data directory is empty"));
    if (const Status dir = makePrivateDirectory(dataDir); !dir)
        return dir.error();

    const QDir dir(dataDir);
    auto secretBox = SecretBox::loadOrCreate(dir.filePath(keyFileName()));
    if (!secretBox)
        return secretBox.error();

    // Unique per instance and per process: Qt keys connections by name, and
    // the server and tests open several stores at once.
    const QString connectionName = QStringLiteral("countersign-store-%1-%2")
                                       .arg(connectionCounter.fetch_add(1))
                                       .arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
    std::unique_ptr<SqliteStore> store(new SqliteStore(
        connectionName, dir.filePath(databaseFileName()), std::move(secretBox).value()));
    if (!store->m_db.isValid()) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("database: the Qt SQLite driver (QSQLITE) is not "
                                        "available; install libqt6sql6-sqlite"));
    }
    if (const Status configured = store->configure(); !configured)
        return configured.error();
    if (options.groupCommit) {
        if (const Status enabled = store->enableGroupCommit(options.syncFile); !enabled)
            return enabled.error();
    }
    return store;
}

Status SqliteStore::enableGroupCommit(std::function<int(int fd)> syncFile)
{
    if (m_syncer)
        return Ok{};
    if (m_depth > 0) {
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("database: group commit cannot start inside a transaction"));
    }
    // See configure(): NORMAL is safe only because nothing that depends on
    // a commit leaves the gateway before the sync thread has synced it.
    QSqlQuery pragma(m_db);
    if (!pragma.exec(QStringLiteral("PRAGMA synchronous = NORMAL")))
        return databaseError(QStringLiteral("PRAGMA synchronous = NORMAL"), pragma.lastError());
    const QString walPath = m_databasePath + QStringLiteral("-wal");
    if (!QFileInfo::exists(walPath)) {
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("database: %1 is missing; group commit needs the WAL").arg(walPath));
    }
    m_syncer = std::make_unique<WalSyncer>(walPath, std::move(syncFile));
    return Ok{};
}

Durability &SqliteStore::durability()
{
    if (m_syncer)
        return *m_syncer;
    return Store::durability();
}

Status SqliteStore::writable() const
{
    if (m_syncer && m_syncer->failed())
        return m_syncer->failure();
    return Ok{};
}

void SqliteStore::noteCommit()
{
    if (m_syncer)
        m_syncer->committed();
}

Status SqliteStore::inTransaction(const std::function<Status()> &body)
{
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    if (const Status done = body(); !done)
        return done; // the scope rolls back everything the body wrote
    return transaction.value().commit();
}

Status SqliteStore::configure()
{
    const bool isNew = !QFileInfo::exists(m_databasePath);
    m_db.setDatabaseName(m_databasePath);
    if (!m_db.open())
        return databaseError(QStringLiteral("open %1").arg(m_databasePath), m_db.lastError());
    if (isNew)
        QFile::setPermissions(m_databasePath, QFile::ReadOwner | QFile::WriteOwner);

    // busy_timeout first: the statements after it may wait for the server's
    // or the CLI's write lock. synchronous=FULL rather than NORMAL: with WAL,
    // NORMAL can lose the last commits on power loss, and a lost markUsed or
    // resolveApproval would let a proof be replayed after a reboot. Writes are
    // few (one per approval step), so an fsync per commit costs nothing.
    const QStringList pragmas{
        QStringLiteral("PRAGMA busy_timeout = %1").arg(busyTimeout.count()),
        QStringLiteral("PRAGMA foreign_keys = ON"),
        QStringLiteral("PRAGMA synchronous = FULL"),
    };
    for (const QString &pragma : pragmas) {
        QSqlQuery query(m_db);
        if (!query.exec(pragma))
            return databaseError(pragma, query.lastError());
    }
    QSqlQuery wal(m_db);
    if (!wal.exec(QStringLiteral("PRAGMA journal_mode = WAL")) || !wal.next())
        return databaseError(QStringLiteral("enable WAL"), wal.lastError());
    // SQLite silently keeps the old mode where WAL is impossible (some network
    // file systems); the CLI and server would then block each other.
    if (wal.value(0).toString().compare(QStringLiteral("wal"), Qt::CaseInsensitive) != 0) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("database: %1 cannot use WAL journal mode (got %2)")
                             .arg(m_databasePath, wal.value(0).toString()));
    }
    wal.finish();

    return Migrations::apply(m_db, QDateTime::currentSecsSinceEpoch());
}

// Devices

Status SqliteStore::addDevice(const DeviceRecord &device)
{
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    if (const Status added = insertDevice(m_statements, device); !added)
        return added;
    return write.value().commit();
}

std::optional<DeviceRecord> SqliteStore::device(const QString &deviceId) const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT ") + DeviceColumns
                               + QStringLiteral(" FROM devices WHERE device_id = ?"),
                           {deviceId}, QStringLiteral("read device"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return std::nullopt;
    }
    if (!query.next())
        return std::nullopt;
    return deviceFromRow(query);
}

QList<DeviceRecord> SqliteStore::devices(const QString &userId) const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT ") + DeviceColumns
                               + QStringLiteral(" FROM devices WHERE (? = '' OR user_id = ?)"
                                                " ORDER BY paired_at, device_id"),
                           {text(userId), text(userId)}, QStringLiteral("list devices"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return {};
    }
    QList<DeviceRecord> result;
    while (query.next())
        result.append(deviceFromRow(query));
    return result;
}

Status SqliteStore::revokeDevice(const QString &deviceId, qint64 at)
{
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    {
        StatementCache::Lease exists(m_statements);
        const Status ran = run(exists, QStringLiteral("SELECT 1 FROM devices WHERE device_id = ?"),
                               {deviceId}, QStringLiteral("find device"));
        if (!ran)
            return ran;
        if (!exists.next())
            return invalid(QStringLiteral("unknown device %1").arg(deviceId));
    }
    // Revoking twice keeps the first time: that is when trust ended.
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL"),
            {integer(at), deviceId}, QStringLiteral("revoke device"));
    if (!ran)
        return ran;
    return transaction.value().commit();
}

// Pairing offers

Status SqliteStore::addPairingOffer(const PairingOffer &offer)
{
    if (offer.codeHash.isEmpty())
        return invalid(QStringLiteral("pairing offer code hash is empty"));
    if (offer.userId.isEmpty())
        return invalid(QStringLiteral("pairing offer user id is empty"));
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("INSERT INTO pairing_offers (code_hash, user_id, created_at, expires_at,"
                           " used_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (code_hash) DO NOTHING"),
            {offer.codeHash, offer.userId, integer(offer.createdAt), integer(offer.expiresAt),
             optionalInteger(offer.usedAt)},
            QStringLiteral("add pairing offer"));
    if (!ran)
        return ran;
    if (query.numRowsAffected() != 1)
        return invalid(QStringLiteral("a pairing offer with this code already exists"));
    return write.value().commit();
}

std::optional<PairingOffer> SqliteStore::pairingOffer(const QByteArray &codeHash) const
{
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("SELECT code_hash, user_id, created_at, expires_at, used_at"
                           " FROM pairing_offers WHERE code_hash = ?"),
            {blob(codeHash)}, QStringLiteral("read pairing offer"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return std::nullopt;
    }
    if (!query.next())
        return std::nullopt;
    PairingOffer offer;
    offer.codeHash = query.value(0).toByteArray();
    offer.userId = query.value(1).toString();
    offer.createdAt = query.value(2).toLongLong();
    offer.expiresAt = query.value(3).toLongLong();
    if (!query.value(4).isNull())
        offer.usedAt = query.value(4).toLongLong();
    return offer;
}

Result<DeviceRecord> SqliteStore::redeemPairingOffer(const QByteArray &codeHash, qint64 now,
                                                     DeviceRecord device)
{
    if (device.deviceId.isEmpty())
        return invalid(QStringLiteral("device id is empty"));
    // One message for wrong, used and expired codes so they cannot be told apart.
    const Error refused = invalid(QStringLiteral("pairing code is invalid, used or expired"));

    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    {
        StatementCache::Lease offer(m_statements);
        const Status ran =
            run(offer,
                QStringLiteral("SELECT user_id FROM pairing_offers"
                               " WHERE code_hash = ? AND used_at IS NULL"
                               " AND expires_at > ?"),
                {blob(codeHash), integer(now)}, QStringLiteral("find pairing offer"));
        if (!ran)
            return ran.error();
        if (!offer.next())
            return refused;
        device.userId = offer.value(0).toString();
    }
    if (device.pairedAt == 0)
        device.pairedAt = now;
    if (const Status added = insertDevice(m_statements, device); !added)
        return added.error();

    StatementCache::Lease mark(m_statements);
    const Status ran = run(mark,
                           QStringLiteral("UPDATE pairing_offers SET used_at = ?,"
                                          " redeemed_device_id = ?"
                                          " WHERE code_hash = ? AND used_at IS NULL"),
                           {integer(now), device.deviceId, blob(codeHash)},
                           QStringLiteral("mark pairing offer used"));
    if (!ran)
        return ran.error();
    // Cannot happen while we hold the write lock; checked so that a future
    // change to the locking cannot turn into a double redemption.
    if (mark.numRowsAffected() != 1)
        return refused;
    if (const Status committed = transaction.value().commit(); !committed)
        return committed.error();
    return device;
}

// Approvals

Status SqliteStore::addApproval(const ApprovalRecord &approval)
{
    if (approval.requestId.isEmpty())
        return invalid(QStringLiteral("approval request id is empty"));
    if (approval.userId.isEmpty())
        return invalid(QStringLiteral("approval user id is empty"));
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status ran = run(
        query,
        QStringLiteral("INSERT INTO approvals (") + ApprovalColumns
            + QStringLiteral(") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                             " ON CONFLICT (request_id) DO NOTHING"),
        {approval.requestId,
         approval.userId,
         blob(approval.requestJws),
         blob(approval.requestHash),
         methodsText(approval.methods),
         text(approval.upstream),
         blob(approval.argumentsHash),
         integer(approval.createdAt),
         integer(approval.expiresAt),
         approvalStateName(approval.state),
         approval.resolvedMethod ? QVariant(approvalMethodName(*approval.resolvedMethod))
                                 : QVariant(QMetaType::fromType<QString>()),
         text(approval.resolvedByDevice),
         integer(approval.resolvedAt),
         text(approval.reason),
         approval.failedAttempts,
         int(approval.userVerificationRequired),
         int(approval.userVerified),
         text(approval.agent),
         approvalOriginName(approval.origin),
         blob(approval.dedupeKey)},
        QStringLiteral("add approval"));
    if (!ran)
        return ran;
    if (query.numRowsAffected() != 1)
        return invalid(QStringLiteral("approval %1 already exists").arg(approval.requestId));
    return write.value().commit();
}

std::optional<ApprovalRecord> SqliteStore::approval(const QString &requestId) const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT ") + ApprovalColumns
                               + QStringLiteral(" FROM approvals WHERE request_id = ?"),
                           {requestId}, QStringLiteral("read approval"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return std::nullopt;
    }
    const QList<ApprovalRecord> found = approvalsFromRows(query);
    if (found.isEmpty())
        return std::nullopt;
    return found.constFirst();
}

QList<ApprovalRecord> SqliteStore::pendingApprovals(const QString &userId, qint64 now) const
{
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("SELECT ") + ApprovalColumns
                + QStringLiteral(" FROM approvals WHERE state = 'pending' AND expires_at > ?"
                                 " AND (? = '' OR user_id = ?) ORDER BY created_at, request_id"),
            {integer(now), text(userId), text(userId)}, QStringLiteral("list pending approvals"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return {};
    }
    return approvalsFromRows(query);
}

std::optional<qint64> SqliteStore::earliestPendingExpiry() const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT MIN(expires_at) FROM approvals"
                                          " WHERE state = 'pending'"),
                           {}, QStringLiteral("find the next expiry"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return std::nullopt;
    }
    if (!query.next() || query.value(0).isNull())
        return std::nullopt;
    return query.value(0).toLongLong();
}

Status SqliteStore::resolveApproval(const QString &requestId, ApprovalState state,
                                    std::optional<ApprovalMethod> method, const QString &deviceId,
                                    qint64 at, const QString &reason)
{
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    if (const Status resolved =
            resolvePending(m_statements, requestId, state, method, deviceId, at, reason, false);
        !resolved) {
        return resolved;
    }
    return transaction.value().commit();
}

Result<ApprovalCounts> SqliteStore::approvalCounts(const QString &userId, const QString &agent,
                                                   qint64 now, qint64 since) const
{
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral(
                "SELECT"
                " COALESCE(SUM(state = 'pending' AND expires_at > ?), 0),"
                " COALESCE(SUM(state = 'pending' AND expires_at > ? AND agent = ?), 0),"
                " COALESCE(SUM(created_at >= ?), 0),"
                " COALESCE(SUM(created_at >= ? AND agent = ?), 0)"
                " FROM approvals WHERE user_id = ? AND (state = 'pending' OR created_at >= ?)"),
            {integer(now), integer(now), text(agent), integer(since), integer(since), text(agent),
             text(userId), integer(since)},
            QStringLiteral("count approvals"));
    if (!ran)
        return ran.error();
    if (!query.next())
        return makeError(ErrorCode::StorageFailure, QStringLiteral("count approvals: no row"));
    return ApprovalCounts{query.value(0).toInt(), query.value(1).toInt(), query.value(2).toInt(),
                          query.value(3).toInt()};
}

Result<QList<qint64>> SqliteStore::denialTimes(const QString &userId, const QString &agent,
                                               qint64 since) const
{
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("SELECT resolved_at FROM approvals"
                           " WHERE user_id = ? AND agent = ? AND state = 'denied'"
                           " AND resolved_at >= ? ORDER BY resolved_at DESC"),
            {text(userId), text(agent), integer(since)}, QStringLiteral("list denials"));
    if (!ran)
        return ran.error();
    QList<qint64> times;
    while (query.next())
        times.append(query.value(0).toLongLong());
    return times;
}

Result<std::optional<ApprovalRecord>> SqliteStore::approvalForOperation(const QByteArray &dedupeKey,
                                                                        qint64 now,
                                                                        qint64 approvedSince) const
{
    if (dedupeKey.isEmpty())
        return std::optional<ApprovalRecord>{};
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT ") + ApprovalColumns
                               + QStringLiteral(" FROM approvals WHERE dedupe_key = ?"
                                                " AND ((state = 'pending' AND expires_at > ?)"
                                                "  OR (state = 'approved' AND resolved_at >= ?))"
                                                " ORDER BY created_at DESC, request_id LIMIT 1"),
                           {blob(dedupeKey), integer(now), integer(approvedSince)},
                           QStringLiteral("find the approval of an operation"));
    if (!ran)
        return ran.error();
    const QList<ApprovalRecord> found = approvalsFromRows(query);
    if (found.isEmpty())
        return std::optional<ApprovalRecord>{};
    return std::optional<ApprovalRecord>{found.constFirst()};
}

Result<int> SqliteStore::recordFailedAttempt(const QString &requestId)
{
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    {
        StatementCache::Lease update(m_statements);
        const Status ran = run(update,
                               QStringLiteral("UPDATE approvals SET failed_attempts ="
                                              " failed_attempts + 1 WHERE request_id = ?"),
                               {requestId}, QStringLiteral("count failed attempt"));
        if (!ran)
            return ran.error();
        if (update.numRowsAffected() != 1)
            return invalid(QStringLiteral("unknown approval %1").arg(requestId));
    }
    int attempts = 0;
    {
        StatementCache::Lease read(m_statements);
        const Status ran =
            run(read, QStringLiteral("SELECT failed_attempts FROM approvals WHERE request_id = ?"),
                {requestId}, QStringLiteral("read failed attempts"));
        if (!ran)
            return ran.error();
        if (!read.next())
            return invalid(QStringLiteral("unknown approval %1").arg(requestId));
        attempts = read.value(0).toInt();
    }
    if (const Status committed = transaction.value().commit(); !committed)
        return committed.error();
    return attempts;
}

// Single use

Result<bool> SqliteStore::markUsed(const QString &kind, const QByteArray &value, qint64 keepUntil)
{
    if (kind.isEmpty())
        return invalid(QStringLiteral("used value kind is empty"));
    if (value.isEmpty())
        return invalid(QStringLiteral("used value is empty"));
    // One statement, so one implicit transaction: the primary key decides,
    // atomically across connections and processes, who used the value first.
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("INSERT INTO used_values (kind, value, keep_until) VALUES (?, ?, ?)"
                           " ON CONFLICT (kind, value) DO NOTHING"),
            {kind, value, integer(keepUntil)}, QStringLiteral("mark used"));
    if (!ran)
        return ran.error();
    const bool first = query.numRowsAffected() == 1;
    if (const Status committed = write.value().commit(); !committed)
        return committed.error();
    return first;
}

Result<int> SqliteStore::purgeUsedValues(qint64 now)
{
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status ran = run(query, QStringLiteral("DELETE FROM used_values WHERE keep_until < ?"),
                           {integer(now)}, QStringLiteral("purge used values"));
    if (!ran)
        return ran.error();
    const int purged = query.numRowsAffected();
    if (const Status committed = write.value().commit(); !committed)
        return committed.error();
    return purged;
}

// TOTP

Status SqliteStore::setTotpEnrollment(const TotpEnrollment &enrollment)
{
    if (enrollment.userId.isEmpty())
        return invalid(QStringLiteral("TOTP enrollment user id is empty"));
    if (enrollment.secret.isEmpty())
        return invalid(QStringLiteral("TOTP secret is empty"));
    if (enrollment.digits <= 0 || enrollment.period <= 0)
        return invalid(QStringLiteral("TOTP digits and period must be positive"));
    // The user id is the associated data: a sealed seed copied into another
    // user's row fails to open instead of letting them use this user's codes.
    const auto sealed = m_secretBox.seal(enrollment.secret, enrollment.userId.toUtf8());
    if (!sealed)
        return sealed.error();
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status saved =
        run(query,
            QStringLiteral("INSERT INTO totp_enrollments (user_id, secret_sealed, algorithm,"
                           " digits, period, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (user_id) DO UPDATE SET"
                           " secret_sealed = excluded.secret_sealed,"
                           " algorithm = excluded.algorithm, digits = excluded.digits,"
                           " period = excluded.period, created_at = excluded.created_at"),
            {enrollment.userId, sealed.value(), text(enrollment.algorithm), enrollment.digits,
             enrollment.period, integer(enrollment.createdAt)},
            QStringLiteral("save TOTP enrollment"));
    if (!saved)
        return saved;
    return write.value().commit();
}

std::optional<TotpEnrollment> SqliteStore::totpEnrollment(const QString &userId) const
{
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("SELECT secret_sealed, algorithm, digits, period, created_at"
                           " FROM totp_enrollments WHERE user_id = ?"),
            {userId}, QStringLiteral("read TOTP enrollment"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return std::nullopt;
    }
    if (!query.next())
        return std::nullopt;
    auto secret = m_secretBox.open(query.value(0).toByteArray(), userId.toUtf8());
    if (!secret) {
        // Missing rather than fatal: the user re-enrolls, the gateway keeps
        // serving everyone else. The error text holds no secret material.
        qCWarning(lcStore).noquote()
            << "TOTP enrollment of user" << userId
            << "cannot be decrypted (tampered, or secrets.key was replaced); treating the user as"
               " not enrolled:"
            << secret.error().message;
        return std::nullopt;
    }
    TotpEnrollment enrollment;
    enrollment.userId = userId;
    enrollment.secret = std::move(secret).value();
    enrollment.algorithm = query.value(1).toString();
    enrollment.digits = query.value(2).toInt();
    enrollment.period = query.value(3).toInt();
    enrollment.createdAt = query.value(4).toLongLong();
    return enrollment;
}

// Passkeys

Result<QByteArray> SqliteStore::passkeyUserHandle(const QString &userId,
                                                  const QByteArray &candidate)
{
    if (userId.isEmpty())
        return invalid(QStringLiteral("passkey user id is empty"));
    // Every welcome asks: read first, so that only a user's first one writes.
    {
        StatementCache::Lease known(m_statements);
        const Status ran =
            run(known, QStringLiteral("SELECT user_handle FROM passkey_users WHERE user_id = ?"),
                {userId}, QStringLiteral("read passkey user handle"));
        if (!ran)
            return ran.error();
        if (known.next())
            return known.value(0).toByteArray();
    }
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    {
        StatementCache::Lease insert(m_statements);
        const Status ran =
            run(insert,
                QStringLiteral("INSERT INTO passkey_users (user_id, user_handle, created_at)"
                               " VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING"),
                {userId, blob(candidate), integer(QDateTime::currentSecsSinceEpoch())},
                QStringLiteral("add passkey user handle"));
        if (!ran)
            return ran.error();
    }
    StatementCache::Lease read(m_statements);
    const Status ran =
        run(read, QStringLiteral("SELECT user_handle FROM passkey_users WHERE user_id = ?"),
            {userId}, QStringLiteral("read passkey user handle"));
    if (!ran)
        return ran.error();
    if (!read.next())
        return invalid(QStringLiteral("no passkey user handle for %1").arg(userId));
    const QByteArray handle = read.value(0).toByteArray();
    read.finish();
    if (const Status committed = transaction.value().commit(); !committed)
        return committed.error();
    return handle;
}

Result<PasskeyAddOutcome> SqliteStore::addPasskey(const PasskeyCredential &credential,
                                                  int maxPerUser)
{
    if (credential.credentialId.isEmpty() || credential.userId.isEmpty()
        || credential.publicKey.isEmpty()) {
        return invalid(QStringLiteral("a passkey needs a credential id, user and public key"));
    }
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    {
        StatementCache::Lease known(m_statements);
        const Status ran =
            run(known, QStringLiteral("SELECT 1 FROM passkeys WHERE credential_id = ?"),
                {credential.credentialId}, QStringLiteral("find passkey"));
        if (!ran)
            return ran.error();
        if (known.next())
            return PasskeyAddOutcome::Exists;
    }
    {
        StatementCache::Lease count(m_statements);
        const Status ran =
            run(count, QStringLiteral("SELECT COUNT(*) FROM passkeys WHERE user_id = ?"),
                {credential.userId}, QStringLiteral("count passkeys"));
        if (!ran)
            return ran.error();
        if (count.next() && count.value(0).toInt() >= maxPerUser)
            return PasskeyAddOutcome::TooMany;
    }
    StatementCache::Lease insert(m_statements);
    const Status ran =
        run(insert,
            QStringLiteral("INSERT INTO passkeys (") + PasskeyColumns
                + QStringLiteral(") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            {credential.credentialId, credential.userId, text(credential.name),
             credential.publicKey, integer(credential.signCount), int(credential.userVerified),
             int(credential.backupEligible), integer(credential.createdAt)},
            QStringLiteral("add passkey"));
    if (!ran)
        return ran.error();
    if (const Status committed = transaction.value().commit(); !committed)
        return committed.error();
    return PasskeyAddOutcome::Added;
}

std::optional<PasskeyCredential> SqliteStore::passkey(const QByteArray &credentialId) const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT ") + PasskeyColumns
                               + QStringLiteral(" FROM passkeys WHERE credential_id = ?"),
                           {blob(credentialId)}, QStringLiteral("read passkey"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return std::nullopt;
    }
    if (!query.next())
        return std::nullopt;
    return passkeyFromRow(query);
}

QList<PasskeyCredential> SqliteStore::passkeys(const QString &userId) const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT ") + PasskeyColumns
                               + QStringLiteral(" FROM passkeys WHERE user_id = ?"
                                                " ORDER BY created_at, credential_id"),
                           {userId}, QStringLiteral("list passkeys"));
    if (!ran) {
        qCWarning(lcStore) << ran.error().message;
        return {};
    }
    QList<PasskeyCredential> result;
    while (query.next())
        result.append(passkeyFromRow(query));
    return result;
}

Result<bool> SqliteStore::removePasskey(const QString &userId, const QByteArray &credentialId)
{
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query, QStringLiteral("DELETE FROM passkeys WHERE credential_id = ? AND user_id = ?"),
            {blob(credentialId), userId}, QStringLiteral("remove passkey"));
    if (!ran)
        return ran.error();
    const bool removed = query.numRowsAffected() == 1;
    if (const Status committed = write.value().commit(); !committed)
        return committed.error();
    return removed;
}

Result<PasskeyApprovalOutcome> SqliteStore::approveWithPasskey(const QString &requestId,
                                                               const QString &deviceId, qint64 at,
                                                               const PasskeyUse &use)
{
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    {
        // Read under the write lock: two assertions racing with the same
        // counter cannot both pass (the second sees the first's count).
        StatementCache::Lease current(m_statements);
        const Status ran =
            run(current, QStringLiteral("SELECT sign_count FROM passkeys WHERE credential_id = ?"),
                {blob(use.credentialId)}, QStringLiteral("read passkey counter"));
        if (!ran)
            return ran.error();
        if (!current.next())
            return invalid(QStringLiteral("the passkey was removed"));
        const qint64 stored = current.value(0).toLongLong();
        // WebAuthn 7.2 step 21: a counter that does not increase is a
        // possible clone, unless the key keeps no counter (both are 0).
        const bool bothZero = stored == 0 && use.signCount == 0;
        if (!bothZero && qint64{use.signCount} <= stored)
            return PasskeyApprovalOutcome::CounterNotIncreased;
    }
    {
        StatementCache::Lease update(m_statements);
        const Status ran = run(
            update, QStringLiteral("UPDATE passkeys SET sign_count = ? WHERE credential_id = ?"),
            {integer(use.signCount), blob(use.credentialId)},
            QStringLiteral("store passkey counter"));
        if (!ran)
            return ran.error();
    }
    if (const Status resolved =
            resolvePending(m_statements, requestId, ApprovalState::Approved,
                           ApprovalMethod::Passkey, deviceId, at, {}, use.userVerified);
        !resolved) {
        return resolved.error();
    }
    if (const Status committed = transaction.value().commit(); !committed)
        return committed.error();
    return PasskeyApprovalOutcome::Approved;
}

// Audit

namespace {

// What a string field holds after a trip through UTF-8: a lone surrogate
// (an upstream's message cut in the middle of a pair) is replaced, so
// the record can always be canonicalized.
QString wellFormed(const QString &value)
{
    return QString::fromUtf8(value.toUtf8());
}

QJsonValue wellFormedValue(const QJsonValue &value);

QJsonObject wellFormed(const QJsonObject &details)
{
    QJsonObject clean;
    for (auto it = details.begin(); it != details.end(); ++it)
        clean.insert(wellFormed(it.key()), wellFormedValue(it.value()));
    return clean;
}

QJsonValue wellFormedValue(const QJsonValue &value)
{
    if (value.isString())
        return wellFormed(value.toString());
    if (value.isObject())
        return wellFormed(value.toObject());
    if (value.isArray()) {
        QJsonArray clean;
        for (const QJsonValue &item : value.toArray())
            clean.append(wellFormedValue(item));
        return clean;
    }
    return value;
}

AuditEvent auditEventFromRow(const QSqlQuery &query)
{
    AuditEvent event;
    event.id = query.value(0).toLongLong();
    event.at = query.value(1).toLongLong();
    event.kind = query.value(2).toString();
    event.userId = query.value(3).toString();
    event.requestId = query.value(4).toString();
    event.deviceId = query.value(5).toString();
    event.details = jsonObject(query.value(6));
    event.prevHash = query.value(7).toByteArray();
    event.hash = query.value(8).toByteArray();
    return event;
}

} // namespace

Status SqliteStore::appendAudit(const AuditEvent &event)
{
    if (event.kind.isEmpty())
        return invalid(QStringLiteral("audit event kind is empty"));
    AuditEvent record;
    record.at = event.at;
    record.kind = wellFormed(event.kind);
    record.userId = wellFormed(event.userId);
    record.requestId = wellFormed(event.requestId);
    record.deviceId = wellFormed(event.deviceId);
    record.details = wellFormed(event.details);
    const auto detailsText = canonicalJson(record.details);
    if (!detailsText)
        return detailsText.error();
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    // Two tries: the second after re-reading the head, when another process
    // (the CLI, a second gateway on the same file) appended in between.
    for (int attempt = 0;; ++attempt) {
        if (!m_auditHead) {
            auto head = auditHead();
            if (!head)
                return head.error();
            m_auditHead = std::move(head).value();
        }
        record.id = m_auditHead->id + 1;
        record.prevHash = m_auditHead->hash;
        const auto hash = auditRecordHash(record.prevHash, record);
        if (!hash)
            return hash.error();
        StatementCache::Lease query(m_statements);
        const Status inserted =
            run(query,
                QStringLiteral("INSERT INTO audit_log (id, at, kind, user_id, request_id,"
                               " device_id, details, prev_hash, hash)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {integer(record.id), integer(record.at), record.kind, text(record.userId),
                 text(record.requestId), text(record.deviceId),
                 QString::fromUtf8(detailsText.value()), record.prevHash, hash.value()},
                QStringLiteral("append audit event"));
        if (inserted) {
            // Before the commit: a savepoint that fails to release takes
            // the head back with it.
            m_auditHead = AuditHead{record.id, hash.value()};
            return write.value().commit();
        }
        const AuditHead tried = *m_auditHead;
        m_auditHead.reset();
        const auto current = auditHead();
        if (attempt > 0 || !current || current.value() == tried)
            return inserted;
    }
}

Result<QList<AuditEvent>> SqliteStore::readAuditEvents(qint64 afterId, int limit) const
{
    if (limit <= 0)
        return QList<AuditEvent>{};
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT id, at, kind, user_id, request_id, device_id,"
                                          " details, prev_hash, hash"
                                          " FROM audit_log WHERE id > ? ORDER BY id LIMIT ?"),
                           {integer(afterId), limit}, QStringLiteral("read audit events"));
    if (!ran)
        return ran.error();
    QList<AuditEvent> events;
    while (query.next())
        events.append(auditEventFromRow(query));
    if (query.lastError().isValid())
        return databaseError(QStringLiteral("read audit events"), query.lastError());
    return events;
}

QList<AuditEvent> SqliteStore::auditEvents(qint64 afterId, int limit) const
{
    auto events = readAuditEvents(afterId, limit);
    if (!events) {
        qCWarning(lcStore) << events.error().message;
        return {};
    }
    return std::move(events).value();
}

Result<AuditHead> SqliteStore::auditAnchor() const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT through_id, anchor_hash FROM audit_prunes"
                                          " ORDER BY through_id DESC, id DESC LIMIT 1"),
                           {}, QStringLiteral("read the audit anchor"));
    if (!ran)
        return ran.error();
    if (!query.next())
        return AuditHead{0, auditGenesisHash()};
    return AuditHead{query.value(0).toLongLong(), query.value(1).toByteArray()};
}

Result<AuditHead> SqliteStore::auditHead() const
{
    auto anchor = auditAnchor();
    if (!anchor)
        return anchor;
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query, QStringLiteral("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"), {},
            QStringLiteral("read the audit head"));
    if (!ran)
        return ran.error();
    if (query.next() && query.value(0).toLongLong() > anchor->id)
        return AuditHead{query.value(0).toLongLong(), query.value(1).toByteArray()};
    return anchor;
}

Result<qint64> SqliteStore::unchainedAuditRecords() const
{
    StatementCache::Lease query(m_statements);
    const Status ran = run(query,
                           QStringLiteral("SELECT COUNT(*) FROM audit_log WHERE id <= (SELECT"
                                          " COALESCE(MAX(through_id), 0) FROM audit_prunes)"),
                           {}, QStringLiteral("count unchained audit records"));
    if (!ran)
        return ran.error();
    return query.next() ? query.value(0).toLongLong() : 0;
}

Result<int> SqliteStore::pruneAudit(qint64 before, int batch, qint64 now)
{
    if (batch <= 0)
        return 0;
    auto transaction = WriteScope::begin(*this, Statements::Several);
    if (!transaction)
        return transaction.error();
    const auto anchor = auditAnchor();
    if (!anchor)
        return anchor.error();
    // The oldest rows, in id order, up to the first one that is still kept:
    // the prune point is a prefix, so what remains is one unbroken chain.
    StatementCache::Lease oldest(m_statements);
    const Status ran = run(oldest,
                           QStringLiteral("SELECT id, at, hash FROM audit_log"
                                          " ORDER BY id LIMIT ?"),
                           {batch}, QStringLiteral("read the oldest audit records"));
    if (!ran)
        return ran.error();
    qint64 through = 0;
    QByteArray throughHash;
    int count = 0;
    while (oldest.next() && oldest.value(1).toLongLong() < before) {
        through = oldest.value(0).toLongLong();
        throughHash = oldest.value(2).toByteArray();
        ++count;
    }
    oldest.finish();
    if (count == 0)
        return 0;
    // Records below the chain's anchor carry no hash (written before schema
    // 4): the chain still starts from that anchor.
    const QByteArray anchorHash =
        through > anchor->id || throughHash.size() == auditHashSize ? throughHash : anchor->hash;
    StatementCache::Lease point(m_statements);
    if (const Status recorded =
            run(point,
                QStringLiteral("INSERT INTO audit_prunes (through_id, anchor_hash, at, kind)"
                               " VALUES (?, ?, ?, 'prune')"),
                {integer(through), anchorHash, integer(now)},
                QStringLiteral("record the audit prune point"));
        !recorded) {
        return recorded.error();
    }
    StatementCache::Lease removal(m_statements);
    if (const Status removed = run(removal, QStringLiteral("DELETE FROM audit_log WHERE id <= ?"),
                                   {integer(through)}, QStringLiteral("prune audit records"));
        !removed) {
        return removed.error();
    }
    const int deleted = removal.numRowsAffected();
    if (const Status committed = transaction.value().commit(); !committed)
        return committed.error();
    AuditEvent pruned;
    pruned.at = now;
    pruned.kind = QStringLiteral("audit.pruned");
    pruned.details = QJsonObject{{QStringLiteral("through_id"), through},
                                 {QStringLiteral("deleted"), deleted},
                                 {QStringLiteral("before"), before}};
    if (const Status written = appendAudit(pruned); !written)
        qCWarning(lcStore) << "audit prune not recorded:" << written.error().message;
    return deleted;
}

Result<int> SqliteStore::pruneApprovals(qint64 before, int batch)
{
    if (batch <= 0)
        return 0;
    auto write = WriteScope::begin(*this, Statements::One);
    if (!write)
        return write.error();
    StatementCache::Lease query(m_statements);
    const Status ran =
        run(query,
            QStringLiteral("DELETE FROM approvals WHERE request_id IN (SELECT request_id FROM"
                           " approvals WHERE state <> 'pending'"
                           " AND MAX(resolved_at, expires_at) < ? LIMIT ?)"),
            {integer(before), batch}, QStringLiteral("prune finished approvals"));
    if (!ran)
        return ran.error();
    const int pruned = query.numRowsAffected();
    if (const Status committed = write.value().commit(); !committed)
        return committed.error();
    return pruned;
}

} // namespace countersign::gateway
