#include "sqltransaction.h"

#include "sqlerror.h"
#include "storelogging.h"

#include <QSqlError>
#include <QSqlQuery>

namespace countersign::gateway {

SqlTransaction::SqlTransaction(const QSqlDatabase &db)
    : m_db(db)
    , m_active(true)
{
}

SqlTransaction::SqlTransaction(SqlTransaction &&other) noexcept
    : m_db(other.m_db)
    , m_active(other.m_active)
{
    other.m_active = false;
}

SqlTransaction::~SqlTransaction()
{
    if (m_active)
        rollback();
}

Result<SqlTransaction> SqlTransaction::begin(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("BEGIN IMMEDIATE")))
        return databaseError(QStringLiteral("begin transaction"), query.lastError());
    return SqlTransaction(db);
}

Status SqlTransaction::commit()
{
    Q_ASSERT(m_active);
    QSqlQuery query(m_db);
    if (!query.exec(QStringLiteral("COMMIT"))) {
        const Error error = databaseError(QStringLiteral("commit"), query.lastError());
        rollback();
        return error;
    }
    m_active = false;
    return Ok{};
}

void SqlTransaction::rollback()
{
    m_active = false;
    QSqlQuery query(m_db);
    // A failed ROLLBACK leaves SQLite to roll back when the connection closes;
    // all we can do is say so.
    if (!query.exec(QStringLiteral("ROLLBACK")))
        qCWarning(lcStore) << "rollback failed:" << query.lastError().text();
}

} // namespace countersign::gateway
