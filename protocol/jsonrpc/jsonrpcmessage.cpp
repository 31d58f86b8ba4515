#include "jsonrpcmessage.h"

#include "protocol/strictjson.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace countersign {

namespace {

const QString jsonRpcVersion = QStringLiteral("2.0");

} // namespace

JsonRpcMessage JsonRpcMessage::parse(QByteArrayView bytes)
{
    JsonRpcMessage incoming;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(bytes.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        incoming.errorReply = error(QJsonValue::Null, JsonRpcMessage::parseError,
                                    QStringLiteral("parse error: %1 at offset %2")
                                        .arg(parseError.errorString())
                                        .arg(parseError.offset));
        return incoming;
    }
    if (!document.isObject()) {
        incoming.errorReply =
            error(QJsonValue::Null, invalidRequest,
                  QStringLiteral("invalid request: one JSON-RPC object expected (no batches)"));
        return incoming;
    }
    const QJsonObject message = document.object();
    const QJsonValue id = message.value(QStringLiteral("id"));
    const bool usableId = id.isString() || id.isDouble();
    const QJsonValue replyId = usableId ? id : QJsonValue(QJsonValue::Null);
    if (const auto strict = parseStrictJsonObject(bytes, QStringLiteral("the message")); !strict) {
        incoming.errorReply = error(replyId, invalidRequest,
                                    QStringLiteral("invalid request: ") + strict.error().message);
        return incoming;
    }
    if (message.value(QStringLiteral("jsonrpc")).toString() != jsonRpcVersion) {
        incoming.errorReply = error(replyId, invalidRequest,
                                    QStringLiteral("invalid request: \"jsonrpc\" must be \"2.0\""));
        return incoming;
    }
    const bool hasId = message.contains(QStringLiteral("id"));
    if (hasId && !usableId) {
        incoming.errorReply =
            error(QJsonValue::Null, invalidRequest,
                  QStringLiteral("invalid request: \"id\" must be a string or a number"));
        return incoming;
    }
    const QJsonValue method = message.value(QStringLiteral("method"));
    if (method.isUndefined()) {
        if (hasId
            && (message.contains(QStringLiteral("result"))
                || message.contains(QStringLiteral("error")))) {
            incoming.kind = Kind::Response;
            incoming.message = message;
            return incoming;
        }
        incoming.errorReply =
            error(replyId, invalidRequest, QStringLiteral("invalid request: no \"method\""));
        return incoming;
    }
    if (!method.isString() || method.toString().isEmpty()) {
        incoming.errorReply = error(replyId, invalidRequest,
                                    QStringLiteral("invalid request: \"method\" is not a string"));
        return incoming;
    }
    const QJsonValue params = message.value(QStringLiteral("params"));
    if (!params.isUndefined() && !params.isObject()) {
        incoming.errorReply =
            error(replyId, invalidRequest,
                  QStringLiteral("invalid request: \"params\" must be an object in MCP"));
        return incoming;
    }
    incoming.kind = hasId ? Kind::Request : Kind::Notification;
    incoming.message = message;
    return incoming;
}

QJsonObject JsonRpcMessage::request(const QJsonValue &id, const QString &method,
                                    const QJsonObject &params)
{
    return QJsonObject{{QStringLiteral("jsonrpc"), jsonRpcVersion},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("method"), method},
                       {QStringLiteral("params"), params}};
}

QJsonObject JsonRpcMessage::notification(const QString &method, const QJsonObject &params)
{
    QJsonObject message{{QStringLiteral("jsonrpc"), jsonRpcVersion},
                        {QStringLiteral("method"), method}};
    if (!params.isEmpty())
        message.insert(QStringLiteral("params"), params);
    return message;
}

QJsonObject JsonRpcMessage::result(const QJsonValue &id, const QJsonObject &result)
{
    return QJsonObject{{QStringLiteral("jsonrpc"), jsonRpcVersion},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("result"), result}};
}

QJsonObject JsonRpcMessage::error(const QJsonValue &id, int code, const QString &message,
                                  const QJsonValue &data)
{
    QJsonObject body{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}};
    if (!data.isUndefined())
        body.insert(QStringLiteral("data"), data);
    return QJsonObject{{QStringLiteral("jsonrpc"), jsonRpcVersion},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("error"), body}};
}

} // namespace countersign
