#pragma once

#include "protocol/jsonrpc/mcpmodern.h"

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

inline constexpr auto modernVersion = mcpmodern::version;
inline constexpr auto discoverMethod = mcpmodern::discoverMethod;
inline constexpr qsizetype maxVersionLength = mcpmodern::maxVersionLength;

// `params` with the gateway's modern request _meta (no client capabilities:
// it relays no sampling, elicitation or roots requests); see
// mcpmodern::withRequestMeta.
QJsonObject withModernMeta(QJsonObject params, const QString &logLevel = {});

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
