#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace countersign::gateway {

// The client side of MCP 2026-07-28 ("modern": no initialize, no session;
// every request carries its protocol version, capabilities and client
// identity in params._meta), shared by the stdio and Streamable HTTP
// upstreams. An upstream is asked server/discover first; one that does not
// answer it the modern way is "legacy" and gets initialize, as the
// specification's version negotiation says (basic/versioning, "Backward
// Compatibility with Initialization-Based Versions").
namespace upstreamera {

inline constexpr auto modernVersion = "2026-07-28";
inline constexpr auto discoverMethod = "server/discover";

// The error codes that only a modern server sends (basic/index, "Error
// Codes"): one of them in an answer to server/discover means the server is
// modern, so the client must not fall back to initialize.
inline constexpr int headerMismatch = -32020;
inline constexpr int missingRequiredClientCapability = -32021;
inline constexpr int unsupportedProtocolVersion = -32022;

// Bounds on what a server/discover answer may list: more is not a version
// list but an attack on the gateway's memory or logs.
inline constexpr qsizetype maxSupportedVersions = 32;
inline constexpr qsizetype maxVersionLength = 64;

// `params` with the modern request _meta merged in (anything already in
// _meta, such as a progressToken, is kept; the three protocol keys are the
// gateway's own, whatever the caller put there). `logLevel`, when set, asks
// for notifications/message at that level and above: without it a modern
// server sends none.
QJsonObject withModernMeta(QJsonObject params, const QString &logLevel = {});

// A header value as the Streamable HTTP binding encodes it: plain when it is
// printable ASCII without leading or trailing space, otherwise (or when it
// looks like the sentinel itself) "=?base64?...?=" around the UTF-8 bytes.
QByteArray headerValue(const QString &value);

// The Mcp-Name header of a request: params.name (tools/call, prompts/get) or
// params.uri (resources/read), encoded; empty when the method has none.
QByteArray mcpNameHeader(const QString &method, const QJsonObject &params);

// True when `response` is a JSON-RPC error with a code only modern servers
// send.
bool isModernError(const QJsonObject &response);

// What a server's answer to server/discover says about it.
struct DiscoverOutcome {
    enum class Kind {
        Modern, // it speaks 2026-07-28
        Legacy, // not a modern server: use initialize
        Failed, // a modern server the gateway cannot use, or a broken answer
    };
    Kind kind = Kind::Failed;
    QString failure; // for Failed: why, for people
};
// `response` is the JSON-RPC response (result or error) to server/discover.
DiscoverOutcome classifyDiscoverAnswer(const QJsonObject &response);

// A modern server's response to a request, as the proxy may pass it on:
// results of resultType "complete" (or none) unchanged, errors unchanged.
// An input_required result (the upstream asking the agent for input) and an
// unknown resultType become a clear error at once: the gateway does not
// relay an upstream's input requests.
QJsonObject checkModernResponse(const QString &upstreamName, const QJsonObject &response);

} // namespace upstreamera
} // namespace countersign::gateway
