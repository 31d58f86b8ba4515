#pragma once

#include <optional>

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace countersign::mcpmodern {

// Tool parameters mirrored into HTTP headers (MCP 2026-07-28,
// basic/transports/streamable-http "Custom Headers from Tool Parameters"):
// a property of a tool's inputSchema annotated with "x-mcp-header": "Region"
// is sent as the header Mcp-Param-Region with the call's value of that
// property. Clients must reject (leave out of tools/list) a tool whose
// annotations break the rules, and servers must refuse a call whose headers
// do not match its arguments, because an intermediary may route or enforce
// policy on the header while the server acts on the body.

// Bounds: a schema deeper or bigger than this is refused rather than walked
// (it comes from an upstream, i.e. from outside).
inline constexpr int maxSchemaDepth = 32;
inline constexpr int maxSchemaNodes = 10000;
inline constexpr qsizetype maxHeaderParams = 32;
// An encoded value longer than this is not sent (servers refuse big headers).
inline constexpr qsizetype maxHeaderValueBytes = 8192;
// ±(2^53-1): the integers JavaScript represents exactly.
inline constexpr double maxSafeInteger = 9007199254740991.0;

struct HeaderParam {
    QString name;                  // the {name} of Mcp-Param-{name}, as declared
    QStringList path;              // the chain of `properties` keys leading to the property
    QByteArray headerName() const; // "Mcp-Param-" + name
};

struct HeaderParams {
    QList<HeaderParam> params; // in schema order
    QString problem;           // why the definition is invalid; empty when valid
    bool isValid() const { return problem.isEmpty(); }
};

// Every x-mcp-header annotation of `inputSchema`, checked against every
// constraint of the specification: a non-empty RFC 9110 token (so no CR, LF
// or other controls), case-insensitively unique, on a property whose type is
// integer, string or boolean (not number), reachable from the root through
// `properties` keys only (never through items, oneOf, anyOf, allOf, not,
// if/then/else, $ref or anything else). Any violation makes the whole
// definition invalid, with the reason in `problem`.
HeaderParams readHeaderParams(const QJsonObject &inputSchema);

struct HeaderValues {
    QList<std::pair<QByteArray, QByteArray>> headers; // name, encoded value
    QString problem;                                  // why a value cannot be sent; empty when fine
};

// The Mcp-Param-* headers of a call with `arguments`: the value at each
// parameter's exact path, encoded with headerValue(); an absent or null
// value sends no header. A value that is not a string, boolean or safe
// integer (or whose encoding is too long) is a problem, not a header.
HeaderValues headerValues(const QList<HeaderParam> &params, const QJsonObject &arguments);

// The value of a header that may use the Base64 sentinel form
// ("=?base64?...?="), decoded; a plain value as is. Empty when the value is
// neither valid Base64 of UTF-8 nor plain (visible ASCII, space, tab).
std::optional<QString> decodeHeaderValue(const QByteArray &value);

// The server's check of a call's Mcp-Param-* headers against its arguments
// ("Server Behavior for Custom Headers"): `header` looks a header up by
// name (case-insensitively). Empty when they agree; otherwise the
// HeaderMismatch message (a missing, malformed or mismatched header, or a
// header sent for a value the arguments do not have).
template <typename HeaderLookup>
QString headerParamMismatch(const QList<HeaderParam> &params, const QJsonObject &arguments,
                            HeaderLookup &&header);

// One parameter's check, for the template above.
QString paramHeaderMismatch(const HeaderParam &param, const QJsonObject &arguments,
                            const std::optional<QByteArray> &header);

template <typename HeaderLookup>
QString headerParamMismatch(const QList<HeaderParam> &params, const QJsonObject &arguments,
                            HeaderLookup &&header)
{
    for (const HeaderParam &param : params) {
        const QString problem = paramHeaderMismatch(param, arguments, header(param.headerName()));
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

} // namespace countersign::mcpmodern
