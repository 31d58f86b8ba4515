#include "mcphttpclient.h"

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

QNetworkRequest McpHttpClient::makeRequest() const
{
    QNetworkRequest request(m_endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    if (!m_bearerKey.isEmpty())
        request.setRawHeader("Authorization", QByteArray("Bearer " + m_bearerKey));
    if (!m_sessionId.isEmpty())
        request.setRawHeader("Mcp-Session-Id", m_sessionId);
    if (!m_negotiatedVersion.isEmpty())
        request.setRawHeader("MCP-Protocol-Version", m_negotiatedVersion.toLatin1());
    return request;
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
    post(id, envelope(id, method, params), std::move(done));
    return id;
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

void McpHttpClient::post(qint64 id, const QJsonObject &message, Done done)
{
    QNetworkReply *reply =
        m_network.post(makeRequest(), QJsonDocument(message).toJson(QJsonDocument::Compact));
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
    const QByteArray sessionId = reply->rawHeader("Mcp-Session-Id");
    if (!sessionId.isEmpty())
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

void McpHttpClient::handleEvent(qint64 id, const QByteArray &data)
{
    const QJsonObject message = QJsonDocument::fromJson(data).object();
    if (message.isEmpty())
        return;
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
    Response response;
    response.httpStatus = 200;
    response.result = message.value(QStringLiteral("result")).toObject();
    response.error = message.value(QStringLiteral("error")).toObject();
    finish(id, response);
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
    const QJsonObject body = QJsonDocument::fromJson(still->buffer).object();
    if (!still->eventStream && body.contains(QStringLiteral("result"))) {
        response.result = body.value(QStringLiteral("result")).toObject();
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
