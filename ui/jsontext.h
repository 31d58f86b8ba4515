#pragma once

#include <QJsonValue>
#include <QString>
#include <QStringList>

namespace countersign {

// How free JSON from a request (properties, context) reads in the dialog, as
// lines. A string shows as itself (no quotes), other scalars as JSON; an
// object as one "key: value" line per member, each member inline; an array,
// or anything nested deeper, as compact JSON. One line per member keeps tool
// arguments readable without flattening, which would make {"a.b":1} and
// {"a":{"b":1}} look alike. The lines are not yet display-safe: pass each
// through displaySafeText (a newline inside a value then shows as "\n", so
// one line is always one member).
QStringList jsonValueLines(const QJsonValue &value);

// A value on one line: strings as themselves, everything else compact JSON.
QString jsonInlineText(const QJsonValue &value);

} // namespace countersign
