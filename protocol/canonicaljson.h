#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>

namespace countersign {

// The JSON Canonicalization Scheme (RFC 8785): the one byte string that the
// gateway and an upstream MCP server, written in any language, both produce
// for the same JSON value, so that they hash the same bytes.
//
// Members are sorted by their names' UTF-16 code units, there is no
// whitespace, strings are escaped as ECMAScript's JSON.stringify escapes them
// (only '"', '\\' and U+0000..U+001F; everything else is raw UTF-8) and
// numbers are written as ECMAScript's Number.prototype.toString writes them.
//
// RFC 8785 only defines the scheme for I-JSON (RFC 7493) values, so this
// refuses, with ErrorCode::InvalidField and a JSON Pointer to the value:
// - NaN and infinities (QJsonValue holds them if built in code);
// - strings and member names with a lone UTF-16 surrogate (Qt's parser
//   accepts an escaped "\ud800" and keeps it as is);
// - an integer a double cannot hold exactly, such as 9007199254740993. Qt's
//   parser keeps integers that fit in 64 bits exactly, but every other JCS
//   implementation reads numbers as IEEE 754 doubles and would hash the
//   rounded 9007199254740992, the same hash as for that different number.
// Integers too large for 64 bits, or written with a fraction or exponent
// ("9007199254740993.0"), reach us already rounded to a double, exactly as
// they reach other implementations; nobody can tell them from the rounded
// value. Integers beyond 2^53 should travel as strings. A catch: the shortest
// text of a large integral double is often not its exact value (2^60 is
// written 1152921504606847000, as ECMAScript writes it), and QJsonDocument
// reads that text back as the exact qint64, which this then refuses. Refusing
// every integer a double cannot hold is what keeps two integers that Qt tells
// apart from ever sharing a hash.
// Containers nested deeper than QJsonDocument parses (1024) are refused with
// ErrorCode::InputTooLarge.
Result<QByteArray> canonicalJson(const QJsonValue &value);

// SHA-256 (32 raw bytes) of canonicalJson(arguments): the `arguments_hash` of
// docs/protocol.md section 6, which carries it base64url-encoded, binding an
// elevated token to the exact arguments of the tool call that was approved.
// Fails as canonicalJson does.
Result<QByteArray> argumentsHash(const QJsonObject &arguments);

// A finite double as ECMAScript's Number.prototype.toString writes it, which
// is how RFC 8785 writes numbers: the shortest digits that read back as the
// same double, "1e+21" from 1e21 up, "1e-7" below 1e-6, "0" for -0.
// Public for tests; the value must be finite.
QByteArray canonicalJsonNumber(double value);

} // namespace countersign
