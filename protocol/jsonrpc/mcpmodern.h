#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

namespace countersign::mcpmodern {

// The client side of MCP 2026-07-28 ("modern": no initialize and no
// session; every request carries its protocol version, client capabilities
// and client identity in params._meta), shared by the gateway's upstream
// clients and countersign-agent.

inline constexpr auto version = "2026-07-28";
inline constexpr auto discoverMethod = "server/discover";

// The error codes only a modern server sends (basic/index, "Error Codes"):
// one of them in an answer means the server is modern, so a client must not
// fall back to initialize.
inline constexpr int headerMismatch = -32020;
inline constexpr int missingRequiredClientCapability = -32021;
inline constexpr int unsupportedProtocolVersion = -32022;
bool isModernErrorCode(int code);
// True when `response` is a JSON-RPC error with one of those codes.
bool isModernError(const QJsonObject &response);

// Bounds on a version list a server sends: more is not a version list but an
// attack on the client's memory or logs.
inline constexpr qsizetype maxVersions = 32;
inline constexpr qsizetype maxVersionLength = 64;

// The request _meta keys (basic/index, "_meta").
inline constexpr auto protocolVersionKey = "io.modelcontextprotocol/protocolVersion";
inline constexpr auto clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
inline constexpr auto clientInfoKey = "io.modelcontextprotocol/clientInfo";
inline constexpr auto logLevelKey = "io.modelcontextprotocol/logLevel";

// `params` with the modern request _meta merged in: anything already in
// _meta (a progressToken) is kept; the protocol keys are the client's own,
// whatever was there. `logLevel`, when set, asks for notifications/message
// at that level and above (without it a modern server sends none).
QJsonObject withRequestMeta(QJsonObject params, const QJsonObject &capabilities,
                            const QString &clientName, const QString &clientVersion,
                            const QString &logLevel = {});

// A header value as the Streamable HTTP binding encodes it: plain when it is
// printable ASCII without leading or trailing space, otherwise (or when it
// looks like the sentinel itself) "=?base64?...?=" around the UTF-8 bytes.
QByteArray headerValue(const QString &value);

// The Mcp-Name header of a request: params.name (tools/call, prompts/get) or
// params.uri (resources/read), encoded; empty when the method has none.
QByteArray nameHeader(const QString &method, const QJsonObject &params);

// The Mcp-Method header: the method when it is printable ASCII, else empty
// (a server then refuses the request rather than a header being forged).
QByteArray methodHeader(const QString &method);

// A version list from a server (supportedVersions, data.supported),
// validated: 1 to maxVersions strings of printable ASCII up to
// maxVersionLength. `problem` says why not, naming `field`.
struct VersionList {
    QStringList versions;
    QString problem;
};
VersionList readVersionList(const QJsonValue &value, const QString &field);

// "\"2026-07-28\", \"2025-11-25\"" for messages.
QString versionText(const QStringList &versions);

} // namespace countersign::mcpmodern
