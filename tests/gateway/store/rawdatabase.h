#pragma once

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>

namespace countersign::testing {

// A second, independent connection to a store's SQLite file, for what the
// tests must see or do behind the store's back: read raw bytes, tamper with
// rows, fake a newer schema.
class RawDatabase {
public:
    explicit RawDatabase(const QString &path);
    RawDatabase(const RawDatabase &) = delete;
    RawDatabase &operator=(const RawDatabase &) = delete;
    ~RawDatabase();

    bool isOpen() const;
    // Runs `sql` with `values` bound in order; the query is positioned before
    // the first row. Check lastError() when it returns false.
    bool exec(const QString &sql, const QVariantList &values = {});
    QSqlQuery &query();
    // The first column of the first row of `sql`.
    QVariant scalar(const QString &sql, const QVariantList &values = {});

private:
    QString m_name;
    QSqlDatabase m_db;
    QSqlQuery m_query;
};

} // namespace countersign::testing
