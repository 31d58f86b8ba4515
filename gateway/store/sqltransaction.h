#pragma once

#include "protocol/result.h"

#include <QSqlDatabase>

namespace countersign::gateway {

// One write transaction, rolled back unless commit() succeeds.
//
// It starts with BEGIN IMMEDIATE rather than QSqlDatabase::transaction()'s
// deferred BEGIN: a deferred transaction that reads and then writes fails at
// once with SQLITE_BUSY when another process (the CLI while the server runs)
// wrote in between, whereas IMMEDIATE takes the write lock up front and waits
// busy_timeout for it. It also makes "check, then write" sequences atomic
// across processes, not only across statements.
class SqlTransaction {
public:
    static Result<SqlTransaction> begin(const QSqlDatabase &db);

    SqlTransaction(SqlTransaction &&other) noexcept;
    SqlTransaction &operator=(SqlTransaction &&) = delete;
    SqlTransaction(const SqlTransaction &) = delete;
    SqlTransaction &operator=(const SqlTransaction &) = delete;
    ~SqlTransaction();

    Status commit();

private:
    explicit SqlTransaction(const QSqlDatabase &db);
    void rollback();

    QSqlDatabase m_db;
    bool m_active = false;
};

} // namespace countersign::gateway
