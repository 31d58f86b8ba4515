#include "toolcall.h"

#include "gateway/mcp/jsonrpc.h"

#include <QJsonArray>

namespace countersign::gateway {

QString ToolCall::resourceId() const
{
    return upstream ? QString(upstream->name() + u'/' + tool) : tool;
}

void forwardToolCall(const ToolCall &call, const QByteArray &elevatedToken,
                     std::function<void(const QJsonObject &response)> done)
{
    UpstreamRequestOptions options;
    options.elevatedToken = elevatedToken;
    const QJsonValue id = call.rpcId;
    call.upstream->request(
        QStringLiteral("tools/call"),
        QJsonObject{{QStringLiteral("name"), call.tool},
                    {QStringLiteral("arguments"), call.arguments}},
        [id, done = std::move(done)](const QJsonObject &response) {
            if (response.value(QStringLiteral("result")).isObject()) {
                done(JsonRpcMessage::result(id,
                                            response.value(QStringLiteral("result")).toObject()));
                return;
            }
            const QJsonObject error = response.value(QStringLiteral("error")).toObject();
            done(JsonRpcMessage::error(
                id, error.value(QStringLiteral("code")).toInt(JsonRpcMessage::internalError),
                error.value(QStringLiteral("message")).toString(QStringLiteral("upstream error")),
                error.value(QStringLiteral("data"))));
        },
        options);
}

QJsonObject toolErrorResult(const QJsonValue &rpcId, const QString &text, const QString &outcome,
                            const QString &approvalId, const QJsonObject &details)
{
    QJsonObject approval = details;
    approval.insert(QStringLiteral("outcome"), outcome);
    if (!approvalId.isEmpty())
        approval.insert(QStringLiteral("id"), approvalId);
    return JsonRpcMessage::result(
        rpcId,
        QJsonObject{
            {QStringLiteral("content"),
             QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                    {QStringLiteral("text"), text}}}},
            {QStringLiteral("isError"), true},
            {QStringLiteral("_meta"),
             QJsonObject{{QString::fromLatin1(approvalMetaKey), approval}}},
        });
}

} // namespace countersign::gateway
