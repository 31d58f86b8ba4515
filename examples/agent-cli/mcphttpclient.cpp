#include "mcphttpclient.h"

#include "protocol/jsonrpc/mcpmodern.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>

namespace countersign::agent {

namespace {

QJsonObject envelope(const QJsonValue &id, const QString &method, const QJsonObject &params)
{
    QJsonObject message{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                        {QStringLiteral("method"), method}};
    if (!id.isUndefined())
        message.insert(QStringLiteral("id"), id);
    if (!params.isEmpty())
        message.insert(QStringLiteral("params"), params);
    return message;
}

// The versions this client speaks through initialize.
bool isInitializeVersion(const QString &version)
{
    return version == u"2025-11-25" || version == u"2025-06-18" || version == u"2025-03-26";
}

QString errorText(const McpHttpClient::Response &response)
{
    return response.transportError.isEmpty()
        ? response.error.value(QStringLiteral("message")).toString().left(300)
        : response.transportError;
}

} // namespace

McpHttpClient::McpHttpClient(QUrl endpoint, QByteArray bearerKey, Options options, QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
    , m_bearerKey(std::move(bearerKey))
    , m_options(std::move(options))
{
    // Waiting for a person can take minutes: no transfer timeout here;
    // callers decide how long to wait.
    m_network.setTransferTimeout(0);
}

McpHttpClient::McpHttpClient(QUrl endpoint, QByteArray bearerKey, QObject *parent)
    : McpHttpClient(std::move(endpoint), std::move(bearerKey), Options{}, parent)
{
}

McpHttpClient::~McpHttpClient()
{
    // Emptied first: abort() emits finished(), whose slots find no pending
    // request and return. Replies are never disconnect()ed from inside
    // their own signals: that leaves the slot objects to be freed by
    // whichever thread next tidies the reply's connections, which can be
    // Qt's HTTP thread (a race ThreadSanitizer reports, ordered by a Qt
    // mutex it cannot see).
    const QHash<qint64, Pending> pending = std::exchange(m_pending, {});
    for (const Pending &each : pending) {
        if (each.reply) {
            each.reply->abort();
            each.reply->deleteLater();
        }
    }
}

QNetworkRequest McpHttpClient::makeRequest(const QJsonObject &message,
                                           const Headers &extraHeaders) const
{
    QNetworkRequest request(m_endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    // A redirect would carry the agent key somewhere nobody configured.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    if (!m_bearerKey.isEmpty())
        request.setRawHeader("Authorization", QByteArray("Bearer " + m_bearerKey));
    const QString method = message.value(QStringLiteral("method")).toString();
    const bool discovering = method == QLatin1String(mcpmodern::discoverMethod);
    if (m_modern || discovering) {
        // 2026-07-28: the body's _meta and these headers say the same.
        request.setRawHeader("MCP-Protocol-Version", QByteArray(mcpmodern::version));
        const QByteArray methodValue = mcpmodern::methodHeader(method);
        if (!methodValue.isEmpty())
            request.setRawHeader("Mcp-Method", methodValue);
        const QByteArray name =
            mcpmodern::nameHeader(method, message.value(QStringLiteral("params")).toObject());
        if (!name.isEmpty())
            request.setRawHeader("Mcp-Name", name);
        for (const auto &[headerName, value] : extraHeaders)
            request.setRawHeader(headerName, value);
        return request;
    }
    if (!m_sessionId.isEmpty())
        request.setRawHeader("Mcp-Session-Id", m_sessionId);
    if (!m_negotiatedVersion.isEmpty())
        request.setRawHeader("MCP-Protocol-Version", m_negotiatedVersion.toLatin1());
    return request;
}

void McpHttpClient::open(Done done)
{
    if (m_options.protocolVersion != QLatin1String(mcpmodern::version)) {
        initialize(std::move(done));
        return;
    }
    QJsonObject capabilities;
    if (m_options.declareElicitation) {
        capabilities.insert(QStringLiteral("elicitation"),
                            QJsonObject{{QStringLiteral("form"), QJsonObject{}},
                                        {QStringLiteral("url"), QJsonObject{}}});
    }
    const qint64 id = m_nextId++;
    post(id,
         envelope(id, QString::fromLatin1(mcpmodern::discoverMethod),
                  mcpmodern::withRequestMeta({}, capabilities, m_options.clientName,
                                             m_options.clientVersion)),
         [this, done = std::move(done)](const Response &response) {
             discoverAnswered(response, done);
         });
}

void McpHttpClient::discoverAnswered(const Response &response, Done done)
{
    const auto fail = [&done](const QString &text) {
        Response failed;
        failed.transportError = text;
        done(failed);
    };
    // Versioning, "Backward Compatibility": a server that answers with a
    // modern error is modern (no fallback); any other refusal (HTTP 400,
    // 404 or 405, or a JSON-RPC error such as "method not found") is a
    // server from before 2026-07-28.
    const bool modernError =
        mcpmodern::isModernErrorCode(response.error.value(QStringLiteral("code")).toInt())
        && !response.error.isEmpty();
    const bool refusedTheOldWay = !modernError
        && ((!response.transportError.isEmpty()
             && (response.httpStatus == 400 || response.httpStatus == 404
                 || response.httpStatus == 405))
            || (response.transportError.isEmpty() && !response.error.isEmpty()));
    if (refusedTheOldWay) {
        if (!isInitializeVersion(m_options.fallbackVersion)) {
            fail(QStringLiteral("the server does not speak MCP 2026-07-28 (%1)")
                     .arg(errorText(response)));
            return;
        }
        m_options.protocolVersion = m_options.fallbackVersion;
        initialize(std::move(done));
        return;
    }
    if (modernError) {
        const QJsonObject error = response.error;
        const int code = error.value(QStringLiteral("code")).toInt();
        if (code == mcpmodern::unsupportedProtocolVersion) {
            const mcpmodern::VersionList supported = mcpmodern::readVersionList(
                error.value(QStringLiteral("data")).toObject().value(QStringLiteral("supported")),
                QStringLiteral("its supported list"));
            if (!supported.problem.isEmpty()) {
                fail(QStringLiteral("the server does not support MCP 2026-07-28, and %1")
                         .arg(supported.problem));
                return;
            }
            fail(QStringLiteral("the server does not support MCP 2026-07-28; it supports %1")
                     .arg(mcpmodern::versionText(supported.versions)));
            return;
        }
        fail(QStringLiteral("the server refused server/discover (%1): %2")
                 .arg(code)
                 .arg(error.value(QStringLiteral("message")).toString().left(300)));
        return;
    }
    if (!response.ok()) {
        done(response);
        return;
    }
    const mcpmodern::VersionList listed =
        mcpmodern::readVersionList(response.result.value(QStringLiteral("supportedVersions")),
                                   QStringLiteral("supportedVersions"));
    if (!listed.problem.isEmpty()) {
        fail(QStringLiteral("the server's answer to server/discover is malformed: %1")
                 .arg(listed.problem));
        return;
    }
    if (!listed.versions.contains(QLatin1String(mcpmodern::version))) {
        // A server listing an initialize-era version answers initialize.
        if (listed.versions.contains(m_options.fallbackVersion)) {
            m_options.protocolVersion = m_options.fallbackVersion;
            initialize(std::move(done));
            return;
        }
        fail(QStringLiteral("the server speaks MCP %1, and countersign-agent speaks 2026-07-28 "
                            "and 2025-11-25")
                 .arg(mcpmodern::versionText(listed.versions)));
        return;
    }
    m_modern = true;
    m_negotiatedVersion = QString::fromLatin1(mcpmodern::version);
    m_serverInfo = response.result.value(QStringLiteral("_meta"))
                       .toObject()
                       .value(QStringLiteral("io.modelcontextprotocol/serverInfo"))
                       .toObject();
    done(response);
}

void McpHttpClient::initialize(Done done)
{
    QJsonObject capabilities;
    if (m_options.declareElicitation)
        capabilities.insert(QStringLiteral("elicitation"), QJsonObject{});
    const QJsonObject params{
        {QStringLiteral("protocolVersion"), m_options.protocolVersion},
        {QStringLiteral("capabilities"), capabilities},
        {QStringLiteral("clientInfo"),
         QJsonObject{{QStringLiteral("name"), m_options.clientName},
                     {QStringLiteral("version"), m_options.clientVersion}}},
    };
    const qint64 id = m_nextId++;
    // Callbacks run from this object's own members (finish()), so `this`
    // is alive whenever they do.
    post(id, envelope(id, QStringLiteral("initialize"), params),
         [this, done = std::move(done)](const Response &response) {
             if (response.ok())
                 onInitialized(response.result);
             done(response);
         });
}

void McpHttpClient::onInitialized(const QJsonObject &result)
{
    m_negotiatedVersion = result.value(QStringLiteral("protocolVersion")).toString();
    m_serverInfo = result.value(QStringLiteral("serverInfo")).toObject();
    // Fire and forget: the server answers 202.
    QNetworkReply *reply =
        m_network.post(makeRequest(),
                       QJsonDocument(envelope(QJsonValue::Undefined,
                                              QStringLiteral("notifications/initialized"), {}))
                           .toJson(QJsonDocument::Compact));
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
}

qint64 McpHttpClient::request(const QString &method, const QJsonObject &params, Done done)
{
    const qint64 id = m_nextId++;
    if (!m_modern) {
        post(id, envelope(id, method, params), std::move(done));
        return id;
    }
    // Capabilities are declared on every request: a server must not infer
    // them from earlier ones.
    QJsonObject capabilities;
    if (m_options.declareElicitation) {
        capabilities.insert(QStringLiteral("elicitation"),
                            QJsonObject{{QStringLiteral("form"), QJsonObject{}},
                                        {QStringLiteral("url"), QJsonObject{}}});
    }
    // Tool parameters the server asked to see as headers (x-mcp-header).
    mcpmodern::HeaderValues paramHeaders;
    if (method == u"tools/call") {
        const auto known =
            m_toolHeaderParams.constFind(params.value(QStringLiteral("name")).toString());
        if (known != m_toolHeaderParams.constEnd()) {
            paramHeaders = mcpmodern::headerValues(
                *known, params.value(QStringLiteral("arguments")).toObject());
        }
    }
    if (!paramHeaders.problem.isEmpty()) {
        Response refused;
        refused.transportError = QStringLiteral("not sent: %1").arg(paramHeaders.problem);
        QMetaObject::invokeMethod(
            this, [done = std::move(done), refused] { done(refused); }, Qt::QueuedConnection);
        return id;
    }
    post(id,
         envelope(id, method,
                  mcpmodern::withRequestMeta(params, capabilities, m_options.clientName,
                                             m_options.clientVersion)),
         std::move(done), paramHeaders.headers);
    return id;
}

QJsonArray McpHttpClient::acceptTools(const QJsonArray &tools, QStringList &rejected)
{
    if (!m_modern)
        return tools;
    m_toolsKnown = true;
    m_toolHeaderParams.clear();
    QJsonArray kept;
    for (const QJsonValue &tool : tools) {
        const QJsonObject definition = tool.toObject();
        const QString name = definition.value(QStringLiteral("name")).toString();
        const mcpmodern::HeaderParams read =
            mcpmodern::readHeaderParams(definition.value(QStringLiteral("inputSchema")).toObject());
        if (!read.isValid()) {
            rejected.append(
                QStringLiteral("%1: invalid x-mcp-header: %2").arg(name.left(128), read.problem));
            continue;
        }
        if (!read.params.isEmpty()) {
            if (m_toolHeaderParams.size() >= maxToolsWithHeaderParams) {
                rejected.append(QStringLiteral("%1: more than %2 tools with x-mcp-header "
                                               "parameters")
                                    .arg(name.left(128))
                                    .arg(maxToolsWithHeaderParams));
                continue;
            }
            m_toolHeaderParams.insert(name, read.params);
        }
        kept.append(tool);
    }
    return kept;
}

void McpHttpClient::respond(const QJsonValue &id, const QJsonObject &result)
{
    const QJsonObject message{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                              {QStringLiteral("id"), id},
                              {QStringLiteral("result"), result}};
    QNetworkReply *reply =
        m_network.post(makeRequest(), QJsonDocument(message).toJson(QJsonDocument::Compact));
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
}

void McpHttpClient::abort(qint64 requestId)
{
    const auto found = m_pending.find(requestId);
    if (found == m_pending.end())
        return;
    Pending pending = std::move(*found);
    m_pending.erase(found);
    if (pending.reply) {
        // No disconnect (see the destructor): the slots look the request up
        // and find it gone.
        pending.reply->abort();
        pending.reply->deleteLater();
    }
}

void McpHttpClient::close(std::function<void()> done)
{
    if (m_sessionId.isEmpty()) {
        if (done)
            done();
        return;
    }
    QNetworkReply *reply = m_network.sendCustomRequest(makeRequest(), "DELETE");
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        reply->deleteLater();
        if (done)
            done();
    });
    m_sessionId.clear();
}

void McpHttpClient::post(qint64 id, const QJsonObject &message, Done done,
                         const Headers &extraHeaders)
{
    QNetworkReply *reply = m_network.post(makeRequest(message, extraHeaders),
                                          QJsonDocument(message).toJson(QJsonDocument::Compact));
    m_pending.insert(id, Pending{reply, std::move(done), {}, false, false});
    connect(reply, &QNetworkReply::readyRead, this, [this, id] { onReadyRead(id); });
    connect(reply, &QNetworkReply::finished, this, [this, id] { onFinished(id); });
}

void McpHttpClient::onReadyRead(qint64 id)
{
    const auto found = m_pending.find(id);
    if (found == m_pending.end() || !found->reply)
        return;
    QNetworkReply *reply = found->reply;
    // 2026-07-28 has no sessions: a header there means nothing.
    const QByteArray sessionId = reply->rawHeader("Mcp-Session-Id");
    if (!sessionId.isEmpty() && !m_modern)
        m_sessionId = sessionId;
    found->eventStream = reply->header(QNetworkRequest::ContentTypeHeader)
                             .toString()
                             .startsWith(QStringLiteral("text/event-stream"));
    found->buffer += reply->readAll();
    if (found->buffer.size() > maxResponseBytes) {
        Response response;
        response.transportError =
            QStringLiteral("the answer is larger than %1 bytes").arg(maxResponseBytes);
        finish(id, response);
        return;
    }
    if (!found->eventStream)
        return; // a JSON body is read whole when finished
    // Events end with a blank line; each may have several data: lines.
    for (;;) {
        const auto current = m_pending.find(id);
        if (current == m_pending.end())
            return;
        QByteArray &buffer = current->buffer;
        buffer.replace("\r\n", "\n");
        const qsizetype end = buffer.indexOf("\n\n");
        if (end < 0)
            return;
        const QByteArray block = buffer.left(end);
        buffer.remove(0, end + 2);
        QByteArray data;
        for (const QByteArray &line : block.split('\n')) {
            if (line.startsWith("data:")) {
                if (!data.isEmpty())
                    data += '\n';
                data += line.mid(line.startsWith("data: ") ? 6 : 5);
            }
        }
        if (!data.isEmpty())
            handleEvent(id, data);
    }
}

McpHttpClient::Response McpHttpClient::responseFrom(const QJsonObject &message, int httpStatus)
{
    Response response;
    response.httpStatus = httpStatus;
    const QJsonValue result = message.value(QStringLiteral("result"));
    const QJsonValue error = message.value(QStringLiteral("error"));
    if (result.isObject() && error.isUndefined()) {
        response.result = result.toObject();
    } else if (error.isObject() && result.isUndefined()
               && error.toObject().value(QStringLiteral("code")).isDouble()
               && error.toObject().value(QStringLiteral("message")).isString()) {
        response.error = error.toObject();
    } else {
        response.transportError =
            QStringLiteral("the server sent a malformed JSON-RPC response (one result object or "
                           "one error object with a code and a message expected)");
    }
    return response;
}

void McpHttpClient::handleEvent(qint64 id, const QByteArray &data)
{
    const QJsonDocument document = QJsonDocument::fromJson(data);
    if (!document.isObject()) {
        Response response;
        response.transportError =
            QStringLiteral("the server sent an event that is not a JSON object");
        finish(id, response);
        return;
    }
    const QJsonObject message = document.object();
    const bool hasId = message.contains(QStringLiteral("id"));
    const bool hasMethod = message.contains(QStringLiteral("method"));
    if (hasMethod && hasId) {
        Q_EMIT serverRequest(message);
        return;
    }
    if (hasMethod) {
        Q_EMIT notification(message);
        return;
    }
    if (message.value(QStringLiteral("id")).toInteger(-1) != id)
        return;
    finish(id, responseFrom(message, 200));
}

void McpHttpClient::onFinished(qint64 id)
{
    const auto found = m_pending.find(id);
    if (found == m_pending.end() || !found->reply)
        return;
    QNetworkReply *reply = found->reply;
    onReadyRead(id);
    const auto still = m_pending.find(id);
    if (still == m_pending.end())
        return;
    Response response;
    response.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonDocument document = QJsonDocument::fromJson(still->buffer);
    const QJsonObject body = document.object();
    if (!still->eventStream && response.httpStatus >= 200 && response.httpStatus < 300
        && !still->buffer.isEmpty() && !document.isObject()) {
        response.transportError = QStringLiteral("the server answered with something that is "
                                                 "not a JSON object");
    } else if (response.httpStatus >= 300 && response.httpStatus < 400) {
        response.transportError = QStringLiteral("HTTP %1: the server redirects; use the URL "
                                                 "it redirects to")
                                      .arg(response.httpStatus);
    } else if (!still->eventStream && body.contains(QStringLiteral("result"))) {
        response = responseFrom(body, response.httpStatus);
    } else if (!still->eventStream && body.value(QStringLiteral("error")).isString()) {
        // Not JSON-RPC: the gateway refused before MCP (401 without a key).
        response.transportError =
            QStringLiteral("HTTP %1: %2")
                .arg(response.httpStatus)
                .arg(body.value(QStringLiteral("message"))
                         .toString(body.value(QStringLiteral("error")).toString()));
    } else if (!still->eventStream && body.contains(QStringLiteral("error"))) {
        response.error = body.value(QStringLiteral("error")).toObject();
        if (response.httpStatus >= 400) {
            response.transportError =
                QStringLiteral("HTTP %1: %2")
                    .arg(response.httpStatus)
                    .arg(response.error.value(QStringLiteral("message")).toString());
        }
    } else if (reply->error() != QNetworkReply::NoError) {
        response.transportError = reply->errorString();
    } else if (response.httpStatus >= 400) {
        response.transportError = QStringLiteral("HTTP %1").arg(response.httpStatus);
    } else {
        response.transportError = QStringLiteral("the server ended the answer without a response");
    }
    finish(id, response);
}

void McpHttpClient::finish(qint64 id, const Response &response)
{
    const auto found = m_pending.find(id);
    if (found == m_pending.end())
        return;
    Pending pending = std::move(*found);
    m_pending.erase(found);
    if (pending.reply)
        pending.reply->deleteLater(); // no disconnect: see the destructor
    if (pending.done)
        pending.done(response);
}

} // namespace countersign::agent
