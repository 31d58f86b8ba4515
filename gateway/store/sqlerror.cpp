#include "sqlerror.h"

#include <QSqlError>

namespace countersign::gateway {

Error databaseError(const QString &what, const QSqlError &error)
{
    return makeError(ErrorCode::StorageFailure,
                     QStringLiteral("database: %1: %2").arg(what, error.text()));
}

Status execQuery(QSqlQuery &query, const QString &what)
{
    if (!query.exec())
        return databaseError(what, query.lastError());
    return Ok{};
}

} // namespace countersign::gateway
