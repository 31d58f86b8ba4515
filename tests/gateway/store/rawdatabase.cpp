#include "rawdatabase.h"

#include <QSqlError>
#include <QUuid>

namespace countersign::testing {

RawDatabase::RawDatabase(const QString &path)
    : m_name(QStringLiteral("raw-%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces)))
    , m_db(QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name))
{
    m_db.setDatabaseName(path);
    m_db.open();
    m_query = QSqlQuery(m_db);
    m_query.exec(QStringLiteral("PRAGMA busy_timeout = 5000"));
}

RawDatabase::~RawDatabase()
{
    m_query = QSqlQuery();
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_name);
}

bool RawDatabase::isOpen() const
{
    return m_db.isOpen();
}

bool RawDatabase::exec(const QString &sql, const QVariantList &values)
{
    m_query = QSqlQuery(m_db);
    if (!m_query.prepare(sql))
        return false;
    for (const QVariant &value : values)
        m_query.addBindValue(value);
    return m_query.exec();
}

QSqlQuery &RawDatabase::query()
{
    return m_query;
}

QVariant RawDatabase::scalar(const QString &sql, const QVariantList &values)
{
    if (!exec(sql, values) || !m_query.next())
        return {};
    const QVariant value = m_query.value(0);
    m_query.finish();
    return value;
}

} // namespace countersign::testing
