#include "upstreamera.h"

#include "gateway/mcp/jsonrpc.h"

#include <algorithm>

#include <QJsonArray>
#include <QStringList>

namespace countersign::gateway::upstreamera {

namespace {

// A server's own words in a message for people: one line, bounded.
QString quoted(const QString &text)
{
    constexpr qsizetype maxText = 200;
    const QString line = text.simplified();
    return line.size() > maxText ? line.left(maxText) + QStringLiteral("...") : line;
}

} // namespace

QJsonObject withModernMeta(QJsonObject params, const QString &logLevel)
{
    return mcpmodern::withRequestMeta(std::move(params), QJsonObject{},
                                      QStringLiteral("countersign-gateway"), QStringLiteral("0.1"),
                                      logLevel);
}

DiscoverOutcome classifyDiscoverAnswer(const QJsonObject &response)
{
    using Kind = DiscoverOutcome::Kind;
    const QString ours = QString::fromLatin1(modernVersion);
    const QJsonValue resultValue = response.value(QStringLiteral("result"));
    if (resultValue.isObject()) {
        const QJsonObject result = resultValue.toObject();
        // A result with no version list at all is not a DiscoverResult: an
        // older server that answers any method (some test servers do).
        if (!result.contains(QStringLiteral("supportedVersions")))
            return {Kind::Legacy, {}};
        const mcpmodern::VersionList listed = mcpmodern::readVersionList(
            result.value(QStringLiteral("supportedVersions")), QStringLiteral("supportedVersions"));
        if (!listed.problem.isEmpty()) {
            return {Kind::Failed,
                    QStringLiteral("its answer to server/discover is malformed: %1")
                        .arg(listed.problem)};
        }
        if (!listed.versions.contains(ours)) {
            return {Kind::Failed,
                    QStringLiteral("it speaks MCP %1, and the gateway speaks %2 (or 2025-11-25 "
                                   "and earlier to a server that answers initialize)")
                        .arg(mcpmodern::versionText(listed.versions), ours)};
        }
        return {Kind::Modern, {}};
    }
    const QJsonValue errorValue = response.value(QStringLiteral("error"));
    if (!errorValue.isObject()) {
        return {Kind::Failed,
                QStringLiteral("its answer to server/discover is neither a result nor an error")};
    }
    const QJsonObject error = errorValue.toObject();
    const int code = error.value(QStringLiteral("code")).toInt();
    const QString message = quoted(error.value(QStringLiteral("message")).toString());
    if (code == mcpmodern::unsupportedProtocolVersion) {
        // A modern server that does not speak 2026-07-28: initialize would
        // not help (the specification forbids falling back here).
        const mcpmodern::VersionList supported = mcpmodern::readVersionList(
            error.value(QStringLiteral("data")).toObject().value(QStringLiteral("supported")),
            QStringLiteral("the supported list"));
        if (!supported.problem.isEmpty()) {
            return {Kind::Failed,
                    QStringLiteral("it does not support MCP %1, and its error is malformed: %2")
                        .arg(ours, supported.problem)};
        }
        return {Kind::Failed,
                QStringLiteral("it does not support MCP %1; it supports %2")
                    .arg(ours, mcpmodern::versionText(supported.versions))};
    }
    if (mcpmodern::isModernErrorCode(code)) {
        return {Kind::Failed,
                QStringLiteral("it refused server/discover (%1): %2").arg(code).arg(message)};
    }
    // Any other error: a server from before 2026-07-28, which knows no
    // server/discover (the fallback must not hang on one error code).
    return {Kind::Legacy, {}};
}

QJsonObject checkModernResponse(const QString &upstreamName, const QJsonObject &response)
{
    const QJsonValue resultValue = response.value(QStringLiteral("result"));
    if (!resultValue.isObject())
        return response;
    const QJsonObject result = resultValue.toObject();
    const QJsonValue type = result.value(QStringLiteral("resultType"));
    // Absent means complete (basic/index, "ResultType").
    if (type.isUndefined() || type.toString() == u"complete")
        return response;
    if (type.toString() == u"input_required") {
        QStringList asked;
        const QJsonObject requests = result.value(QStringLiteral("inputRequests")).toObject();
        for (auto it = requests.constBegin(); it != requests.constEnd() && asked.size() < 4; ++it) {
            const QString method = it.value().toObject().value(QStringLiteral("method")).toString();
            if (!method.isEmpty() && method.size() <= 64
                && mcpmodern::methodHeader(method) == method.toLatin1() && !asked.contains(method))
                asked.append(method);
        }
        const QString what = asked.isEmpty()
            ? QStringLiteral("more input")
            : QStringLiteral("input (%1)").arg(asked.join(QStringLiteral(", ")));
        return JsonRpcMessage::error(
            QJsonValue::Null, JsonRpcMessage::upstreamFailure,
            QStringLiteral("upstream %1 asked the agent for %2, and countersign-gateway does not "
                           "relay an upstream's input requests; call a tool that needs none, or "
                           "ask the operator to change the upstream")
                .arg(upstreamName, what));
    }
    return JsonRpcMessage::error(
        QJsonValue::Null, JsonRpcMessage::upstreamFailure,
        QStringLiteral("upstream %1 answered with resultType \"%2\", which the gateway does not "
                       "know")
            .arg(upstreamName,
                 type.isString() ? quoted(type.toString()).left(64) : QStringLiteral("?")));
}

} // namespace countersign::gateway::upstreamera
