#include "modernrequest.h"

#include "protocol/jsonrpc/mcpheaderparams.h"

#include <QJsonArray>

namespace countersign::gateway {

namespace {

const QByteArray versionHeader = QByteArrayLiteral("MCP-Protocol-Version");
const QByteArray methodHeader = QByteArrayLiteral("Mcp-Method");
const QByteArray nameHeader = QByteArrayLiteral("Mcp-Name");

HttpResponse refuse(const JsonRpcMessage &message, int code, const QString &text,
                    const QJsonValue &data = QJsonValue::Undefined)
{
    HttpResponse response = HttpResponse::json(
        JsonRpcMessage::error(message.id(), code, text, data), HttpStatus::badRequest);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

} // namespace

const QStringList &mcpLogLevels()
{
    static const QStringList levels{
        QStringLiteral("debug"),   QStringLiteral("info"),      QStringLiteral("notice"),
        QStringLiteral("warning"), QStringLiteral("error"),     QStringLiteral("critical"),
        QStringLiteral("alert"),   QStringLiteral("emergency"),
    };
    return levels;
}

bool ModernRequest::isModern(const HttpRequest &request, const JsonRpcMessage &message,
                             const QStringList &initializeEraVersions)
{
    if (const auto version = request.header(versionHeader))
        return !initializeEraVersions.contains(QString::fromLatin1(*version));
    return message.params()
        .value(QStringLiteral("_meta"))
        .toObject()
        .contains(QLatin1String(versionMetaKey));
}

std::variant<ModernRequest, HttpResponse> ModernRequest::check(const HttpRequest &request,
                                                               const JsonRpcMessage &message,
                                                               const QStringList &supported)
{
    const QJsonObject params = message.params();
    const QJsonObject meta = params.value(QStringLiteral("_meta")).toObject();
    const auto headerVersion = request.header(versionHeader);
    if (!headerVersion) {
        return refuse(message, headerMismatch,
                      QStringLiteral("Header mismatch: the MCP-Protocol-Version header is "
                                     "required (it must equal params._meta[\"%1\"])")
                          .arg(QLatin1String(versionMetaKey)));
    }
    const QString version = QString::fromLatin1(*headerVersion);
    const QJsonValue metaVersion = meta.value(QLatin1String(versionMetaKey));
    if (!metaVersion.isString() || metaVersion.toString() != version) {
        return refuse(
            message, headerMismatch,
            QStringLiteral("Header mismatch: MCP-Protocol-Version header value '%1' does not "
                           "match params._meta[\"%2\"] (%3)")
                .arg(version.left(64), QLatin1String(versionMetaKey),
                     metaVersion.isString()
                         ? QString(u'\'' + metaVersion.toString().left(64) + u'\'')
                         : QStringLiteral("missing")));
    }
    if (version != QLatin1String(protocolVersion)) {
        return refuse(
            message, unsupportedProtocolVersion,
            QStringLiteral("Unsupported protocol version '%1': this gateway speaks %2 per "
                           "request, and %3 after initialize (with a session)")
                .arg(version.left(64), QLatin1String(protocolVersion),
                     QStringList(supported.mid(1)).join(u", ")),
            QJsonObject{{QStringLiteral("supported"), QJsonArray::fromStringList(supported)},
                        {QStringLiteral("requested"), version.left(64)}});
    }
    const QString method = message.method();
    const auto headerMethod = request.header(methodHeader);
    if (!headerMethod || QString::fromLatin1(*headerMethod) != method) {
        return refuse(message, headerMismatch,
                      headerMethod
                          ? QStringLiteral("Header mismatch: Mcp-Method header value "
                                           "'%1' does not match body value '%2'")
                                .arg(QString::fromLatin1(*headerMethod).left(64), method.left(64))
                          : QStringLiteral("Header mismatch: the Mcp-Method header is "
                                           "required (it must equal the method, '%1')")
                                .arg(method.left(64)));
    }
    static const QStringList named{QStringLiteral("tools/call"), QStringLiteral("prompts/get"),
                                   QStringLiteral("resources/read")};
    if (named.contains(method)) {
        const QString source =
            method == u"resources/read" ? QStringLiteral("uri") : QStringLiteral("name");
        const QString bodyName = params.value(source).toString();
        const auto headerName = request.header(nameHeader);
        if (!headerName) {
            return refuse(message, headerMismatch,
                          QStringLiteral("Header mismatch: the Mcp-Name header is required for "
                                         "%1 (it must equal params.%2)")
                              .arg(method, source));
        }
        const auto decoded = mcpmodern::decodeHeaderValue(*headerName);
        if (!decoded) {
            return refuse(message, headerMismatch,
                          QStringLiteral("Header mismatch: the Mcp-Name header is malformed "
                                         "(invalid characters, or a =?base64?...?= value that is "
                                         "not Base64 of UTF-8)"));
        }
        if (*decoded != bodyName) {
            return refuse(message, headerMismatch,
                          QStringLiteral("Header mismatch: Mcp-Name header value '%1' does not "
                                         "match body value '%2'")
                              .arg(decoded->left(128), bodyName.left(128)));
        }
    }
    const QJsonValue capabilities = meta.value(QLatin1String(capabilitiesMetaKey));
    if (!capabilities.isObject()) {
        return refuse(message, JsonRpcMessage::invalidParams,
                      QStringLiteral("params._meta[\"%1\"] (an object) is required in protocol "
                                     "%2: declare the client's capabilities, {} for none")
                          .arg(QLatin1String(capabilitiesMetaKey), QLatin1String(protocolVersion)));
    }
    ModernRequest checked;
    checked.clientCapabilities = capabilities.toObject();
    checked.clientInfo = meta.value(QLatin1String(clientInfoMetaKey)).toObject();
    if (const QJsonValue level = meta.value(QLatin1String(logLevelMetaKey)); !level.isUndefined()) {
        const qsizetype index = mcpLogLevels().indexOf(level.toString());
        if (!level.isString() || index < 0) {
            return refuse(message, JsonRpcMessage::invalidParams,
                          QStringLiteral("params._meta[\"%1\"] must be one of: %2")
                              .arg(QLatin1String(logLevelMetaKey), mcpLogLevels().join(u", ")));
        }
        checked.logLevel = static_cast<int>(index);
    }
    return checked;
}

bool ModernRequest::supportsFormElicitation() const
{
    const QJsonValue elicitation = clientCapabilities.value(QStringLiteral("elicitation"));
    if (!elicitation.isObject())
        return false;
    const QJsonObject modes = elicitation.toObject();
    // {} is form mode only (backwards compatibility, client/elicitation).
    return modes.isEmpty() || modes.value(QStringLiteral("form")).isObject();
}

bool ModernRequest::supportsUrlElicitation() const
{
    return clientCapabilities.value(QStringLiteral("elicitation"))
        .toObject()
        .value(QStringLiteral("url"))
        .isObject();
}

QJsonObject ModernRequest::decorate(QJsonObject response)
{
    if (!response.value(QStringLiteral("result")).isObject())
        return response;
    QJsonObject result = response.value(QStringLiteral("result")).toObject();
    if (!result.value(QStringLiteral("resultType")).isString())
        result.insert(QStringLiteral("resultType"), QStringLiteral("complete"));
    QJsonObject meta = result.value(QStringLiteral("_meta")).toObject();
    meta.insert(QLatin1String(serverInfoMetaKey),
                QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-gateway")},
                            {QStringLiteral("version"), QStringLiteral(COUNTERSIGN_VERSION)}});
    result.insert(QStringLiteral("_meta"), meta);
    response.insert(QStringLiteral("result"), result);
    return response;
}

QJsonObject ModernRequest::withCacheHints(QJsonObject response, qint64 ttlMs, bool privateScope)
{
    if (!response.value(QStringLiteral("result")).isObject())
        return response;
    QJsonObject result = response.value(QStringLiteral("result")).toObject();
    result.insert(QStringLiteral("ttlMs"), ttlMs);
    result.insert(QStringLiteral("cacheScope"),
                  privateScope ? QStringLiteral("private") : QStringLiteral("public"));
    response.insert(QStringLiteral("result"), result);
    return response;
}

} // namespace countersign::gateway
