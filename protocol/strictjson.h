#pragma once

#include "protocol/result.h"

#include <QByteArrayView>
#include <QJsonObject>

namespace countersign {

// Parses a JSON object from bytes that will be signed or verified. Beyond
// what QJsonDocument checks, it refuses duplicate member names: Qt keeps the
// last of them silently, another implementation may keep the first, and a
// signed message must mean one thing to everyone who reads it.
// `what` names the document in error messages ("request payload").
Result<QJsonObject> parseStrictJsonObject(QByteArrayView json, const QString &what);

} // namespace countersign
