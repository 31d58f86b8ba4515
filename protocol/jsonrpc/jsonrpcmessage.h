#pragma once

#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace countersign {

// JSON-RPC 2.0 as MCP uses it: one message per HTTP body or stdio line, no
// batches, params always an object. Shared by the gateway's MCP proxy and
// by upstream servers such as examples/directory, which must read messages
// exactly as the gateway does.
struct JsonRpcMessage {
    enum class Kind { Request, Notification, Response, Invalid };

    // Error codes of JSON-RPC and the ones the gateway adds (-32000 and below).
    static constexpr int parseError = -32700;
    static constexpr int invalidRequest = -32600;
    static constexpr int methodNotFound = -32601;
    static constexpr int invalidParams = -32602;
    static constexpr int internalError = -32603;
    static constexpr int accessDenied = -32001;       // denied by policy, or approval required
    static constexpr int upstreamFailure = -32002;    // the upstream is missing, died or timed out
    static constexpr int storageUnavailable = -32003; // no durable audit record: not run

    Kind kind = Kind::Invalid;
    QJsonObject message;    // the whole message unless Invalid
    QJsonObject errorReply; // Invalid: the JSON-RPC error to send back

    QJsonValue id() const { return message.value(QStringLiteral("id")); }
    QString method() const { return message.value(QStringLiteral("method")).toString(); }
    QJsonObject params() const { return message.value(QStringLiteral("params")).toObject(); }

    // Duplicate member names are refused (-32600): the arguments a policy
    // sees must be the ones the upstream acts on.
    static JsonRpcMessage parse(QByteArrayView bytes);

    static QJsonObject request(const QJsonValue &id, const QString &method,
                               const QJsonObject &params);
    static QJsonObject notification(const QString &method, const QJsonObject &params = {});
    static QJsonObject result(const QJsonValue &id, const QJsonObject &result);
    static QJsonObject error(const QJsonValue &id, int code, const QString &message,
                             const QJsonValue &data = QJsonValue::Undefined);
};

} // namespace countersign
