#pragma once

#include "gateway/edge/httpmessage.h"
#include "gateway/mcp/jsonrpc.h"

#include <optional>
#include <variant>

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace countersign::gateway {

// One request of MCP 2026-07-28 ("modern": no initialize, no session) as
// the HTTP transport carries it: the protocol version, the client's
// capabilities and identity come with every request in params._meta, and
// the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers mirror the body
// (basic/transports/streamable-http, "Request Metadata"). check() does every
// check of that envelope, so that the proxy acts only on a request whose
// headers and body agree (an intermediary may have routed on the headers).
class ModernRequest {
public:
    static constexpr auto protocolVersion = "2026-07-28";

    // Error codes of MCP 2026-07-28 (schema.ts, the -32020.. range).
    static constexpr int headerMismatch = -32020;
    static constexpr int missingRequiredClientCapability = -32021;
    static constexpr int unsupportedProtocolVersion = -32022;

    // _meta keys of the request and the result.
    static constexpr auto versionMetaKey = "io.modelcontextprotocol/protocolVersion";
    static constexpr auto capabilitiesMetaKey = "io.modelcontextprotocol/clientCapabilities";
    static constexpr auto clientInfoMetaKey = "io.modelcontextprotocol/clientInfo";
    static constexpr auto logLevelMetaKey = "io.modelcontextprotocol/logLevel";
    static constexpr auto serverInfoMetaKey = "io.modelcontextprotocol/serverInfo";

    // Which era a POST belongs to (basic/versioning, "dual-era server"): an
    // MCP-Protocol-Version header naming a version of the initialize era
    // keeps the request there; any other header, or per-request _meta
    // without a header, makes it a 2026-07-28 request (which check() then
    // accepts or refuses with a modern error the client recognizes). No
    // header and no _meta version: a 2025-03-26 client (no header then).
    static bool isModern(const HttpRequest &request, const JsonRpcMessage &message,
                         const QStringList &initializeEraVersions);

    // The checked envelope of a JSON-RPC request, or the 400 response that
    // refuses it (a JSON-RPC error with the request's id). `supported` is
    // what an UnsupportedProtocolVersionError lists.
    static std::variant<ModernRequest, HttpResponse>
    check(const HttpRequest &request, const JsonRpcMessage &message, const QStringList &supported);

    // Every 2026-07-28 result says what it is (resultType, "complete" unless
    // the result says otherwise) and who answered
    // (_meta["io.modelcontextprotocol/serverInfo"]). Errors pass unchanged.
    static QJsonObject decorate(QJsonObject response);
    // A list (or read) result's caching hints (server/utilities/caching).
    static QJsonObject withCacheHints(QJsonObject response, qint64 ttlMs, bool privateScope);

    QJsonObject clientCapabilities;
    QJsonObject clientInfo; // self-reported, unverified
    // The RFC 5424 index (0 = debug) of _meta logLevel; empty when the
    // request did not ask for log messages (then none are sent).
    std::optional<int> logLevel;

    // elicitation: {} means form mode only (client/elicitation).
    bool supportsFormElicitation() const;
    bool supportsUrlElicitation() const;

private:
    ModernRequest() = default;
};

// MCP logging levels, least severe first (RFC 5424 severities).
const QStringList &mcpLogLevels();

} // namespace countersign::gateway
