#pragma once

#include "protocol/result.h"

#include <QSqlDatabase>
#include <QString>

namespace countersign::gateway {

class StatementCache;

// One write transaction, rolled back unless commit() succeeds.
//
// The outermost one starts with BEGIN IMMEDIATE rather than
// QSqlDatabase::transaction()'s deferred BEGIN: a deferred transaction that
// reads and then writes fails at once with SQLITE_BUSY when another process
// (the CLI while the server runs) wrote in between, whereas IMMEDIATE takes
// the write lock up front and waits busy_timeout for it. It also makes
// "check, then write" sequences atomic across processes, not only across
// statements.
//
// A nested one (inside an open transaction) is a SAVEPOINT: commit() is
// RELEASE, a rollback is ROLLBACK TO + RELEASE, which undoes only what was
// written since the savepoint and leaves the outer transaction open.
class SqlTransaction {
public:
    // BEGIN IMMEDIATE. With a cache, the control statements are prepared once.
    static Result<SqlTransaction> begin(const QSqlDatabase &db, StatementCache *cache = nullptr);
    // SAVEPOINT s<depth>, inside an open transaction; depth >= 1 names it.
    static Result<SqlTransaction> savepoint(const QSqlDatabase &db, int depth,
                                            StatementCache *cache = nullptr);

    SqlTransaction(SqlTransaction &&other) noexcept;
    SqlTransaction &operator=(SqlTransaction &&) = delete;
    SqlTransaction(const SqlTransaction &) = delete;
    SqlTransaction &operator=(const SqlTransaction &) = delete;
    ~SqlTransaction();

    bool isSavepoint() const { return !m_savepoint.isEmpty(); }

    Status commit();
    // Rolls back now (the destructor does it otherwise). False when the
    // rollback itself failed: then SQLite has already rolled back the whole
    // transaction (after an I/O error, a full disk, ...), and a savepoint's
    // outer transaction is gone too.
    bool rollback();

private:
    SqlTransaction(const QSqlDatabase &db, StatementCache *cache, QString savepoint);
    Status exec(const QString &sql, const QString &what);

    QSqlDatabase m_db;
    StatementCache *m_cache = nullptr;
    QString m_savepoint; // empty for the outermost transaction
    bool m_active = false;
};

} // namespace countersign::gateway
