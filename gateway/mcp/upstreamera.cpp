#include "upstreamera.h"

#include "gateway/mcp/jsonrpc.h"

#include <algorithm>

#include <QJsonArray>
#include <QStringList>

namespace countersign::gateway::upstreamera {

namespace {

const QString protocolVersionKey = QStringLiteral("io.modelcontextprotocol/protocolVersion");
const QString clientCapabilitiesKey = QStringLiteral("io.modelcontextprotocol/clientCapabilities");
const QString clientInfoKey = QStringLiteral("io.modelcontextprotocol/clientInfo");
const QString logLevelKey = QStringLiteral("io.modelcontextprotocol/logLevel");

// A server's own words in a message for people: one line, bounded.
QString quoted(const QString &text)
{
    constexpr qsizetype maxText = 200;
    const QString line = text.simplified();
    return line.size() > maxText ? line.left(maxText) + QStringLiteral("...") : line;
}

bool isPrintableAscii(const QString &text)
{
    return std::all_of(text.cbegin(), text.cend(),
                       [](QChar c) { return c.unicode() >= 0x20 && c.unicode() <= 0x7E; });
}

// A version list from the server, validated; an error text when it is not
// one.
struct VersionList {
    QStringList versions;
    QString problem;
};

VersionList readVersions(const QJsonValue &value, const QString &field)
{
    if (!value.isArray())
        return {{}, QStringLiteral("%1 is not a list").arg(field)};
    const QJsonArray array = value.toArray();
    if (array.isEmpty() || array.size() > maxSupportedVersions) {
        return {{},
                QStringLiteral("%1 lists %2 versions (1 to %3 expected)")
                    .arg(field)
                    .arg(array.size())
                    .arg(maxSupportedVersions)};
    }
    QStringList versions;
    for (const QJsonValue &entry : array) {
        const QString version = entry.toString();
        if (!entry.isString() || version.isEmpty() || version.size() > maxVersionLength
            || !isPrintableAscii(version)) {
            return {{}, QStringLiteral("%1 holds something that is not a version").arg(field)};
        }
        versions.append(version);
    }
    return {versions, {}};
}

QString versionText(const QStringList &versions)
{
    return QStringLiteral("\"%1\"").arg(versions.join(QStringLiteral("\", \"")));
}

} // namespace

QJsonObject withModernMeta(QJsonObject params, const QString &logLevel)
{
    QJsonObject meta = params.value(QStringLiteral("_meta")).toObject();
    meta.insert(protocolVersionKey, QString::fromLatin1(modernVersion));
    // The gateway asks nothing of the upstream's client side: it relays no
    // sampling, elicitation or roots requests (docs/gateway.md).
    meta.insert(clientCapabilitiesKey, QJsonObject{});
    meta.insert(clientInfoKey,
                QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-gateway")},
                            {QStringLiteral("version"), QStringLiteral("0.1")}});
    if (logLevel.isEmpty())
        meta.remove(logLevelKey);
    else
        meta.insert(logLevelKey, logLevel);
    params.insert(QStringLiteral("_meta"), meta);
    return params;
}

QByteArray headerValue(const QString &value)
{
    const bool sentinel =
        value.startsWith(QStringLiteral("=?base64?")) && value.endsWith(QStringLiteral("?="));
    const bool plain =
        isPrintableAscii(value) && !value.startsWith(u' ') && !value.endsWith(u' ') && !sentinel;
    if (plain)
        return value.toLatin1();
    return QByteArrayLiteral("=?base64?") + value.toUtf8().toBase64() + QByteArrayLiteral("?=");
}

QByteArray mcpNameHeader(const QString &method, const QJsonObject &params)
{
    QJsonValue source;
    if (method == u"tools/call" || method == u"prompts/get")
        source = params.value(QStringLiteral("name"));
    else if (method == u"resources/read")
        source = params.value(QStringLiteral("uri"));
    return source.isString() ? headerValue(source.toString()) : QByteArray();
}

bool isModernError(const QJsonObject &response)
{
    const QJsonValue error = response.value(QStringLiteral("error"));
    if (!error.isObject())
        return false;
    const int code = error.toObject().value(QStringLiteral("code")).toInt();
    return code == headerMismatch || code == missingRequiredClientCapability
        || code == unsupportedProtocolVersion;
}

DiscoverOutcome classifyDiscoverAnswer(const QJsonObject &response)
{
    using Kind = DiscoverOutcome::Kind;
    const QString ours = QString::fromLatin1(modernVersion);
    const QJsonValue resultValue = response.value(QStringLiteral("result"));
    if (resultValue.isObject()) {
        const QJsonObject result = resultValue.toObject();
        const VersionList listed = readVersions(result.value(QStringLiteral("supportedVersions")),
                                                QStringLiteral("supportedVersions"));
        if (!listed.problem.isEmpty()) {
            return {Kind::Failed,
                    QStringLiteral("its answer to server/discover is malformed: %1")
                        .arg(listed.problem)};
        }
        if (!listed.versions.contains(ours)) {
            return {Kind::Failed,
                    QStringLiteral("it speaks MCP %1, and the gateway speaks %2 (or 2025-11-25 "
                                   "and earlier to a server that answers initialize)")
                        .arg(versionText(listed.versions), ours)};
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
    if (code == unsupportedProtocolVersion) {
        // A modern server that does not speak 2026-07-28: initialize would
        // not help (the specification forbids falling back here).
        const VersionList supported = readVersions(
            error.value(QStringLiteral("data")).toObject().value(QStringLiteral("supported")),
            QStringLiteral("the supported list"));
        if (!supported.problem.isEmpty()) {
            return {Kind::Failed,
                    QStringLiteral("it does not support MCP %1, and its error is malformed: %2")
                        .arg(ours, supported.problem)};
        }
        return {Kind::Failed,
                QStringLiteral("it does not support MCP %1; it supports %2")
                    .arg(ours, versionText(supported.versions))};
    }
    if (code == headerMismatch || code == missingRequiredClientCapability) {
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
            if (!method.isEmpty() && method.size() <= 64 && isPrintableAscii(method)
                && !asked.contains(method))
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
