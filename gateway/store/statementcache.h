#pragma once

#include "protocol/result.h"

#include <memory>
#include <unordered_map>

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

namespace countersign::gateway {

// One prepared statement per SQL text for the life of a connection, so a
// store call binds and steps a statement instead of parsing and planning
// its SQL again (sqlite3_prepare was most of what a call cost).
//
// The SQL texts are the store's own constants, so the cache is bounded by
// the number of statements in the code. A statement is lent to one caller
// at a time (Lease): when a caller asks for a text whose statement is still
// lent out (a caller still iterating its rows calls the store again), it
// gets a one-off statement instead, so a statement in use is never reset or
// re-prepared under its user. Returning a lease finishes the statement
// (sqlite3_reset), which ends its read snapshot: a statement left stepping
// would keep its WAL read mark and hold back checkpoints.
//
// Used only from the thread that owns the connection, like the connection.
class StatementCache {
    struct Entry {
        QSqlQuery query;
        bool prepared = false;
        bool lent = false;
    };

public:
    class Lease {
    public:
        explicit Lease(StatementCache &cache)
            : m_cache(&cache)
        {
        }
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&) = delete;
        Lease(const Lease &) = delete;
        Lease &operator=(const Lease &) = delete;
        ~Lease();

        // Takes the statement for `sql` (preparing it the first time), binds
        // `values` by position and runs it; a failure is the database error
        // for `what`. Every value reaches SQLite as a bound parameter.
        Status run(const QString &sql, const QVariantList &values, const QString &what);

        // The statement, after run(); rows are read forward only.
        QSqlQuery &query() { return m_entry->query; }
        operator QSqlQuery &() { return m_entry->query; }
        bool next() { return m_entry->query.next(); }
        QVariant value(int index) const { return m_entry->query.value(index); }
        int numRowsAffected() const { return m_entry->query.numRowsAffected(); }
        QSqlError lastError() const { return m_entry->query.lastError(); }
        // Ends the statement early (its read snapshot with it).
        void finish();

    private:
        void giveBack();

        StatementCache *m_cache;
        Entry *m_entry = nullptr;
        std::unique_ptr<Entry> m_oneOff; // when the cached one was lent out
    };

    explicit StatementCache(QSqlDatabase db);
    StatementCache(const StatementCache &) = delete;
    StatementCache &operator=(const StatementCache &) = delete;

    // Finalizes every statement and lets go of the connection, for good:
    // done before the connection closes.
    void clear();
    // How many statements are cached (for tests).
    std::size_t size() const { return m_entries.size(); }
    // How many times a statement was prepared (for tests and benchmarks).
    quint64 preparations() const { return m_preparations; }

private:
    Entry *take(const QString &sql, std::unique_ptr<Entry> &oneOff);
    Status prepare(Entry &entry, const QString &sql, const QString &what);

    QSqlDatabase m_db;
    std::unordered_map<QString, std::unique_ptr<Entry>> m_entries;
    quint64 m_preparations = 0;
};

} // namespace countersign::gateway
