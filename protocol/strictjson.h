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

// Members written in the text of valid JSON, all levels: every ':' outside a
// string separates a member name from its value. A parser that keeps one of
// two equal names builds fewer members than this; the AuthZEN fast path
// (gateway/pdp/evaluationfastpath.cpp) counts the same way.
qsizetype writtenMemberCount(QByteArrayView json);

} // namespace countersign
