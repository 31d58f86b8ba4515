#include "toolcall.h"

#include "gateway/mcp/jsonrpc.h"

#include <atomic>

#include <QJsonArray>

namespace countersign::gateway {

QString ToolCall::resourceId() const
{
    return upstream ? QString(upstream->name() + u'/' + tool) : tool;
}

namespace {

// Unique in this process; never the client's, so an upstream's progress can
// only be mapped back to the call that carried it.
QString nextUpstreamProgressToken()
{
    static std::atomic<quint64> next{1};
    return QStringLiteral("countersign-progress-%1").arg(next.fetch_add(1));
}

} // namespace

void forwardToolCall(const ToolCall &call, const QByteArray &elevatedToken,
                     std::function<void(const QJsonObject &response)> done, ToolCallRelay relay)
{
    UpstreamRequestOptions options;
    options.elevatedToken = elevatedToken;
    QJsonObject params{{QStringLiteral("name"), call.tool},
                       {QStringLiteral("arguments"), call.arguments}};
    if (relay) {
        const QJsonValue clientToken = call.progressToken;
        const bool progressAsked = clientToken.isString() || clientToken.isDouble();
        QString upstreamToken;
        if (progressAsked) {
            upstreamToken = nextUpstreamProgressToken();
            params.insert(QStringLiteral("_meta"),
                          QJsonObject{{QStringLiteral("progressToken"), upstreamToken}});
        }
        options.onNotification = [relay, clientToken, upstreamToken,
                                  progressAsked](const QJsonObject &notification) {
            const QString method = notification.value(QStringLiteral("method")).toString();
            // Rebuilt from method and params: nothing else the upstream put
            // in the message reaches the client.
            if (method == u"notifications/message") {
                relay(JsonRpcMessage::notification(
                    method, notification.value(QStringLiteral("params")).toObject()));
                return;
            }
            if (method != u"notifications/progress" || !progressAsked)
                return;
            QJsonObject progressParams = notification.value(QStringLiteral("params")).toObject();
            if (progressParams.value(QStringLiteral("progressToken")).toString() != upstreamToken)
                return;
            progressParams.insert(QStringLiteral("progressToken"), clientToken);
            relay(JsonRpcMessage::notification(method, progressParams));
        };
    }
    const QJsonValue id = call.rpcId;
    call.upstream->request(
        QStringLiteral("tools/call"), params,
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
