#include "statementcache.h"

#include "sqlerror.h"

#include <QSqlError>

namespace countersign::gateway {

StatementCache::StatementCache(QSqlDatabase db)
    : m_db(std::move(db))
{
}

void StatementCache::clear()
{
    m_entries.clear();
    // The connection cannot be removed while a copy of its handle lives.
    m_db = QSqlDatabase();
}

StatementCache::Entry *StatementCache::take(const QString &sql, std::unique_ptr<Entry> &oneOff)
{
    auto found = m_entries.find(sql);
    if (found == m_entries.end()) {
        auto entry = std::make_unique<Entry>(Entry{QSqlQuery(m_db)});
        found = m_entries.emplace(sql, std::move(entry)).first;
    }
    Entry *entry = found->second.get();
    if (!entry->lent) {
        entry->lent = true;
        return entry;
    }
    // Re-entrant use of the same text: a statement of its own.
    oneOff = std::make_unique<Entry>(Entry{QSqlQuery(m_db)});
    return oneOff.get();
}

Status StatementCache::prepare(Entry &entry, const QString &sql, const QString &what)
{
    if (entry.prepared)
        return Ok{};
    entry.query.setForwardOnly(true);
    ++m_preparations;
    if (!entry.query.prepare(sql))
        return databaseError(what, entry.query.lastError());
    entry.prepared = true;
    return Ok{};
}

StatementCache::Lease::Lease(Lease &&other) noexcept
    : m_cache(other.m_cache)
    , m_entry(other.m_entry)
    , m_oneOff(std::move(other.m_oneOff))
{
    other.m_entry = nullptr;
}

StatementCache::Lease::~Lease()
{
    giveBack();
}

void StatementCache::Lease::giveBack()
{
    if (!m_entry)
        return;
    m_entry->query.finish();
    m_entry->lent = false;
    m_entry = nullptr;
    m_oneOff.reset();
}

void StatementCache::Lease::finish()
{
    if (m_entry)
        m_entry->query.finish();
}

Status StatementCache::Lease::run(const QString &sql, const QVariantList &values,
                                  const QString &what)
{
    giveBack();
    m_entry = m_cache->take(sql, m_oneOff);
    if (const Status prepared = m_cache->prepare(*m_entry, sql, what); !prepared)
        return prepared;
    QSqlQuery &query = m_entry->query;
    for (qsizetype i = 0; i < values.size(); ++i)
        query.bindValue(int(i), values.at(i));
    return execQuery(query, what);
}

} // namespace countersign::gateway
