#pragma once

#include "protocol/result.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

namespace countersign::gateway {

// One step of the schema's history. Steps are only ever appended: a released
// step is never edited, because databases in the field already ran it.
struct Migration {
    int version = 0;        // the schema version after this step
    QString description;    // recorded in schema_version for people reading the file
    QStringList statements; // one SQL statement each (Qt runs one per exec)
};

// Brings a database up to the newest schema this build knows, one step per
// transaction, and records each step in the schema_version table.
class Migrations {
public:
    static const QList<Migration> &steps();
    static int latestVersion();

    // The version recorded in `db` (0 for a new database).
    static Result<int> currentVersion(const QSqlDatabase &db);

    // Safe to run from several processes at once: each step takes the write
    // lock and re-reads the version before applying itself. Refuses a database
    // written by a newer gateway rather than guessing at its schema.
    static Status apply(const QSqlDatabase &db, qint64 now);
};

} // namespace countersign::gateway
