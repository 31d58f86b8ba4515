#include "sqltransaction.h"

#include "sqlerror.h"
#include "statementcache.h"
#include "storelogging.h"

#include <QSqlError>
#include <QSqlQuery>

namespace countersign::gateway {

SqlTransaction::SqlTransaction(const QSqlDatabase &db, StatementCache *cache, QString savepoint)
    : m_db(db)
    , m_cache(cache)
    , m_savepoint(std::move(savepoint))
    , m_active(true)
{
}

SqlTransaction::SqlTransaction(SqlTransaction &&other) noexcept
    : m_db(other.m_db)
    , m_cache(other.m_cache)
    , m_savepoint(std::move(other.m_savepoint))
    , m_active(other.m_active)
{
    other.m_active = false;
}

SqlTransaction::~SqlTransaction()
{
    if (m_active)
        rollback();
}

Status SqlTransaction::exec(const QString &sql, const QString &what)
{
    if (m_cache) {
        StatementCache::Lease statement(*m_cache);
        return statement.run(sql, {}, what);
    }
    QSqlQuery query(m_db);
    if (!query.exec(sql))
        return databaseError(what, query.lastError());
    return Ok{};
}

Result<SqlTransaction> SqlTransaction::begin(const QSqlDatabase &db, StatementCache *cache)
{
    SqlTransaction transaction(db, cache, {});
    transaction.m_active = false; // nothing to roll back unless BEGIN succeeds
    if (const Status begun = transaction.exec(QStringLiteral("BEGIN IMMEDIATE"),
                                              QStringLiteral("begin transaction"));
        !begun) {
        return begun.error();
    }
    transaction.m_active = true;
    return transaction;
}

Result<SqlTransaction> SqlTransaction::savepoint(const QSqlDatabase &db, int depth,
                                                 StatementCache *cache)
{
    Q_ASSERT(depth >= 1);
    SqlTransaction transaction(db, cache, QStringLiteral("s%1").arg(depth));
    transaction.m_active = false;
    if (const Status begun =
            transaction.exec(QStringLiteral("SAVEPOINT ") + transaction.m_savepoint,
                             QStringLiteral("begin savepoint"));
        !begun) {
        return begun.error();
    }
    transaction.m_active = true;
    return transaction;
}

Status SqlTransaction::commit()
{
    Q_ASSERT(m_active);
    const Status committed = isSavepoint()
        ? exec(QStringLiteral("RELEASE ") + m_savepoint, QStringLiteral("release savepoint"))
        : exec(QStringLiteral("COMMIT"), QStringLiteral("commit"));
    if (!committed) {
        rollback();
        return committed;
    }
    m_active = false;
    return Ok{};
}

bool SqlTransaction::rollback()
{
    if (!m_active)
        return true;
    m_active = false;
    // A failed ROLLBACK leaves SQLite to roll back when the connection closes;
    // all we can do is say so.
    if (isSavepoint()) {
        const Status undone = exec(QStringLiteral("ROLLBACK TO ") + m_savepoint,
                                   QStringLiteral("roll back to savepoint"));
        if (!undone) {
            qCWarning(lcStore) << "rollback failed:" << undone.error().message;
            return false;
        }
        const Status released =
            exec(QStringLiteral("RELEASE ") + m_savepoint, QStringLiteral("release savepoint"));
        if (!released) {
            qCWarning(lcStore) << "rollback failed:" << released.error().message;
            return false;
        }
        return true;
    }
    if (const Status undone = exec(QStringLiteral("ROLLBACK"), QStringLiteral("roll back"));
        !undone) {
        qCWarning(lcStore) << "rollback failed:" << undone.error().message;
        return false;
    }
    return true;
}

} // namespace countersign::gateway
