#pragma once

#include "protocol/jsonrpc/jsonrpcmessage.h"

#include <functional>

#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QStringList>

namespace countersign::directory {

class ElevatedTokenVerifier;
class JwksSource;
class UserDirectory;

// MCP over JSON-RPC 2.0, independent of the transport: parses messages,
// answers initialize, ping, tools/list and tools/call, and makes sure the
// mutating tools run only with a valid elevated token.
class McpDispatcher : public QObject {
    Q_OBJECT

public:
    // Where the elevated token travels. HTTP carries it as a bearer token;
    // stdio has no headers, so the gateway puts it in the call's _meta under
    // elevatedTokenMetaKey.
    enum class TokenSource { AuthorizationHeader, MetaField };
    static inline const QString elevatedTokenMetaKey =
        QStringLiteral("io.github.countersign/elevated_token");

    enum ErrorCode {
        ParseError = JsonRpcMessage::parseError,
        InvalidRequest = JsonRpcMessage::invalidRequest,
        MethodNotFound = JsonRpcMessage::methodNotFound,
        InvalidParams = JsonRpcMessage::invalidParams,
        InternalError = JsonRpcMessage::internalError,
    };

    // One JSON-RPC message, read by protocol/jsonrpc exactly as the gateway
    // reads it. Batches (JSON arrays) are Invalid: MCP removed them in
    // 2025-06-18 and this server only speaks one message at a time.
    using Kind = JsonRpcMessage::Kind;
    using Incoming = JsonRpcMessage;
    static Incoming parse(QByteArrayView bytes) { return JsonRpcMessage::parse(bytes); }
    // An undefined id is answered as null.
    static QJsonObject errorReply(const QJsonValue &id, int code, const QString &message);

    // Newest first; the first is offered when a client asks for another.
    static const QStringList &supportedProtocolVersions();

    struct CallContext {
        QByteArray authorization; // the HTTP Authorization header, if any
    };
    using Reply = std::function<void(const QJsonObject &response)>;

    McpDispatcher(UserDirectory &users, ElevatedTokenVerifier &verifier, JwksSource &keys,
                  TokenSource tokenSource, QObject *parent = nullptr);

    // Calls `reply` exactly once, now or later (a JWKS fetch).
    void handleRequest(const QJsonObject &request, const CallContext &context, Reply reply);

private:
    struct ToolCall {
        QJsonValue id;
        QString tool;
        QJsonObject arguments;
        QByteArray token;
        Reply reply;
    };

    QJsonObject initialize(const QJsonValue &id, const QJsonObject &params) const;
    void callTool(const QJsonValue &id, const QJsonObject &params, const CallContext &context,
                  Reply reply);
    void authorize(ToolCall call, bool keysRefreshed);
    QJsonObject runReadTool(const QString &tool, const QJsonObject &arguments) const;
    QJsonObject runMutatingTool(const ToolCall &call, const QString &approver);

    UserDirectory &m_users;
    ElevatedTokenVerifier &m_verifier;
    JwksSource &m_keys;
    TokenSource m_tokenSource;
};

} // namespace countersign::directory
