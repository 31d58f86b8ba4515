#pragma once

#include "protocol/result.h"

#include <QSqlQuery>
#include <QString>

namespace countersign::gateway {

// A database failure as an Error: the message says what the store was doing
// and carries SQLite's own text, which is what someone debugging needs.
Error databaseError(const QString &what, const QSqlError &error);

// Runs a prepared query; on failure returns the database error for `what`.
Status execQuery(QSqlQuery &query, const QString &what);

} // namespace countersign::gateway
