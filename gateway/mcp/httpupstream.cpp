#include "httpupstream.h"

#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/upstreamera.h"

#include <algorithm>

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimerEvent>

// The same category as StdioUpstream: one switch for every upstream.
Q_LOGGING_CATEGORY(lcHttpUpstream, "countersign.gateway.upstream")

namespace countersign::gateway {

namespace {

const QByteArray sessionHeader = QByteArrayLiteral("Mcp-Session-Id");
const QByteArray versionHeader = QByteArrayLiteral("MCP-Protocol-Version");
const QByteArray methodHeader = QByteArrayLiteral("Mcp-Method");
const QByteArray nameHeader = QByteArrayLiteral("Mcp-Name");

// Versions whose Streamable HTTP transport this client speaks; a server may
// answer initialize with any of them.
bool isSupportedVersion(const QString &version)
{
    return version == u"2025-11-25" || version == u"2025-06-18" || version == u"2025-03-26";
}

QByteArray mimeType(const QNetworkReply *reply)
{
    return reply->rawHeader("Content-Type").split(';').constFirst().trimmed().toLower();
}

QString sizeText(qint64 bytes)
{
    return QStringLiteral("%1 MiB").arg(bytes / (1024 * 1024));
}

// For people: what went wrong below HTTP.
QString networkFailure(const QNetworkReply *reply)
{
    switch (reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return QStringLiteral("connection refused");
    case QNetworkReply::RemoteHostClosedError:
        return QStringLiteral("the server closed the connection");
    case QNetworkReply::HostNotFoundError:
        return QStringLiteral("host %1 not found").arg(reply->url().host());
    case QNetworkReply::TimeoutError:
        return QStringLiteral("the connection timed out");
    case QNetworkReply::SslHandshakeFailedError:
        return QStringLiteral("TLS handshake failed: %1").arg(reply->errorString());
    default:
        return reply->errorString();
    }
}

// "HTTP 400 Bad Request: unsupported MCP-Protocol-Version ...": the
// server's own words when it sent a JSON-RPC error or short text.
QString httpFailure(const QNetworkReply *reply, int status, const QByteArray &body)
{
    QString text = QStringLiteral("HTTP %1").arg(status);
    const QString reason =
        reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString().trimmed();
    if (!reason.isEmpty())
        text += QStringLiteral(" ") + reason;
    QString detail;
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    if (json.value(QStringLiteral("error")).isObject()) {
        detail = json.value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("message"))
                     .toString();
    } else if (mimeType(reply) == "text/plain") {
        detail = QString::fromUtf8(body).simplified();
    }
    // Error pages can be long; a line is enough to say what happened.
    constexpr qsizetype maxDetail = 200;
    if (detail.size() > maxDetail)
        detail = detail.left(maxDetail) + QStringLiteral("...");
    if (!detail.isEmpty())
        text += QStringLiteral(": ") + detail;
    return text;
}

} // namespace

QString serverRequestRefusal(const QString &method)
{
    return QStringLiteral("countersign-gateway does not relay \"%1\" from upstream servers to "
                          "agents: it declared no client capabilities, and a server's requests "
                          "to the agent's model, user or filesystem are refused")
        .arg(method);
}

namespace {

bool isResponseTo(const JsonRpcMessage &message, qint64 rpcId)
{
    const QJsonValue id = message.id();
    return message.kind == JsonRpcMessage::Kind::Response && id.isDouble()
        && id.toInteger() == rpcId;
}

} // namespace

// One POST and its answer as it arrives.
struct HttpUpstream::Exchange {
    qint64 rpcId = -1; // the response awaited; -1 for none
    AnswerHandler handler;
    std::function<void(const QJsonObject &)> notify; // notifications on its event stream
    bool done = false;
    bool sawHeaders = false;
    bool eventStream = false;
    qint64 received = 0;
    QByteArray body;       // a JSON body, or event-stream bytes not yet parsed
    qsizetype scanned = 0; // of body, already searched for a line end
    bool firstLine = true;
    // The event being read.
    QByteArray eventType;
    QByteArray eventData;
    bool eventHasData = false;
};

HttpUpstream::HttpUpstream(UpstreamConfig config, QObject *parent)
    : Upstream(parent)
    , m_config(std::move(config))
    , m_inFlight(std::make_shared<std::vector<int>>(networkManagers, 0))
{
    for (int i = 0; i < networkManagers; ++i)
        m_networks.push_back(new QNetworkAccessManager(this));
}

HttpUpstream::~HttpUpstream()
{
    // Aborting emits finished(); it must not reach a half-destroyed object.
    for (auto &[reply, exchange] : m_exchanges)
        exchange->done = true;
    for (QNetworkAccessManager *network : m_networks) {
        const QList<QNetworkReply *> replies = network->findChildren<QNetworkReply *>();
        for (QNetworkReply *reply : replies) {
            reply->disconnect(this);
            reply->abort();
        }
    }
}

QNetworkAccessManager *HttpUpstream::network()
{
    const auto least = std::min_element(m_inFlight->begin(), m_inFlight->end());
    return m_networks[static_cast<std::size_t>(least - m_inFlight->begin())];
}

void HttpUpstream::request(const QString &method, const QJsonObject &params, Callback callback,
                           RequestOptions options)
{
    const quint64 key = m_nextCall++;
    Call call;
    call.method = method;
    // The token goes in the Authorization header only: the upstream must
    // not find it in params, where it could be logged or echoed.
    call.params = params;
    call.callback = std::move(callback);
    call.elevatedToken = options.elevatedToken;
    call.onNotification = std::move(options.onNotification);
    // The timeout covers the whole call, a first initialize included.
    call.timerId = startTimer(options.timeout);
    m_calls.emplace(key, std::move(call));
    switch (m_state) {
    case State::Stopped:
        m_waiting.append(key);
        start();
        return;
    case State::Initializing:
        m_waiting.append(key);
        return;
    case State::Ready:
        send(key);
        return;
    }
}

void HttpUpstream::start()
{
    if (m_era == Era::Legacy)
        initialize();
    else
        discover();
}

void HttpUpstream::discover()
{
    m_state = State::Initializing;
    m_sessionId.clear();
    m_negotiatedVersion.clear();
    qCInfo(lcHttpUpstream) << "asking upstream" << m_config.name << m_config.url
                           << "for server/discover";
    m_initTimerId = startTimer(initializeTimeout);
    const qint64 rpcId = m_nextRpcId++;
    m_initReply =
        post(JsonRpcMessage::request(rpcId, QString::fromLatin1(upstreamera::discoverMethod),
                                     upstreamera::withModernMeta({})),
             rpcId, {}, Envelope::Modern, [this](const Answer &answer) {
                 m_initReply = nullptr;
                 discoverAnswered(answer);
             });
}

void HttpUpstream::discoverAnswered(const Answer &answer)
{
    using Kind = upstreamera::DiscoverOutcome::Kind;
    upstreamera::DiscoverOutcome outcome;
    const bool clientError = answer.status >= 400 && answer.status < 500;
    if (answer.failure.isEmpty() || (clientError && mcpmodern::isModernError(answer.response))) {
        outcome = upstreamera::classifyDiscoverAnswer(answer.response);
    } else if (clientError) {
        // Streamable HTTP, "Backward Compatibility": a 4xx without a modern
        // JSON-RPC error is a server from before 2026-07-28.
        outcome = {Kind::Legacy, {}};
    } else {
        // Unreachable, broken or too large: nothing is known about the
        // server yet, so the next request asks again.
        outcome = {Kind::Failed, answer.failure};
    }
    switch (outcome.kind) {
    case Kind::Modern:
        m_era = Era::Modern;
        m_negotiatedVersion = QByteArray(upstreamera::modernVersion);
        qCInfo(lcHttpUpstream) << "upstream" << m_config.name
                               << "speaks MCP 2026-07-28: no session, per-request metadata";
        becomeReady();
        return;
    case Kind::Legacy:
        m_era = Era::Legacy;
        qCInfo(lcHttpUpstream).noquote()
            << QStringLiteral("upstream %1 does not speak MCP 2026-07-28 (%2); using initialize")
                   .arg(m_config.name,
                        answer.failure.isEmpty() ? QStringLiteral("it answered with an error")
                                                 : answer.failure.simplified());
        killTimer(std::exchange(m_initTimerId, 0));
        initialize();
        return;
    case Kind::Failed:
        failInitialize(outcome.failure);
        return;
    }
}

void HttpUpstream::initialize()
{
    // The GET stream belonged to the session being replaced.
    if (m_listenReply)
        abandon(std::exchange(m_listenReply, nullptr));
    m_state = State::Initializing;
    m_sessionId.clear();
    m_negotiatedVersion.clear();
    const QJsonObject params{
        {QStringLiteral("protocolVersion"), QString::fromLatin1(protocolVersion)},
        {QStringLiteral("capabilities"), QJsonObject{}},
        {QStringLiteral("clientInfo"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-gateway")},
                     {QStringLiteral("version"), QStringLiteral("0.1")}}},
    };
    qCInfo(lcHttpUpstream) << "initializing upstream" << m_config.name << m_config.url;
    m_initTimerId = startTimer(initializeTimeout);
    const qint64 rpcId = m_nextRpcId++;
    m_initReply = post(JsonRpcMessage::request(rpcId, QStringLiteral("initialize"), params), rpcId,
                       {}, Envelope::None, [this](const Answer &answer) {
                           m_initReply = nullptr;
                           initializeAnswered(answer);
                       });
}

void HttpUpstream::initializeAnswered(const Answer &answer)
{
    if (!answer.failure.isEmpty()) {
        failInitialize(answer.failure);
        return;
    }
    const QJsonValue result = answer.response.value(QStringLiteral("result"));
    if (!result.isObject()) {
        failInitialize(QStringLiteral("initialize failed: %1")
                           .arg(answer.response.value(QStringLiteral("error"))
                                    .toObject()
                                    .value(QStringLiteral("message"))
                                    .toString()));
        return;
    }
    const QString version = result.toObject().value(QStringLiteral("protocolVersion")).toString();
    if (!isSupportedVersion(version)) {
        failInitialize(QStringLiteral("it speaks MCP version \"%1\", which the gateway does not")
                           .arg(version));
        return;
    }
    // It goes back in a header: anything but visible ASCII could split it.
    const bool visible = std::all_of(answer.sessionId.cbegin(), answer.sessionId.cend(),
                                     [](char c) { return c >= 0x21 && c <= 0x7E; });
    if (!visible) {
        failInitialize(QStringLiteral("its Mcp-Session-Id is not visible ASCII"));
        return;
    }
    m_sessionId = answer.sessionId;
    m_negotiatedVersion = version.toLatin1();
    // Requests wait for the server to accept this: over several connections
    // a request could otherwise overtake it.
    m_initReply =
        post(JsonRpcMessage::notification(QStringLiteral("notifications/initialized")), -1, {},
             Envelope::Session, [this](const Answer &notified) {
                 m_initReply = nullptr;
                 if (notified.failure.isEmpty())
                     becomeReady();
                 else
                     failInitialize(
                         QStringLiteral("notifications/initialized: %1").arg(notified.failure));
             });
}

void HttpUpstream::becomeReady()
{
    killTimer(m_initTimerId);
    m_initTimerId = 0;
    m_state = State::Ready;
    ++m_sessionGeneration;
    qCInfo(lcHttpUpstream) << "upstream" << m_config.name << "ready, MCP" << m_negotiatedVersion;
    const QList<quint64> waiting = std::exchange(m_waiting, {});
    for (const quint64 key : waiting) {
        if (m_calls.count(key) != 0)
            send(key);
    }
    openListenStream();
}

void HttpUpstream::openListenStream()
{
    // 2026-07-28 has no GET stream: a modern server sends nothing outside
    // a request's own answer.
    if (m_state != State::Ready || m_era == Era::Modern || m_listenReply
        || m_listenRefusedIn == m_sessionGeneration)
        return;
    QNetworkRequest request(m_config.url);
    request.setRawHeader("Accept", "text/event-stream");
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    if (!m_sessionId.isEmpty())
        request.setRawHeader(sessionHeader, m_sessionId);
    request.setRawHeader(versionHeader, m_negotiatedVersion);
    QNetworkAccessManager *manager = network();
    QNetworkReply *reply = manager->get(request);
    const auto slot = static_cast<std::size_t>(
        std::find(m_networks.begin(), m_networks.end(), manager) - m_networks.begin());
    ++(*m_inFlight)[slot];
    connect(reply, &QObject::destroyed, manager,
            [inFlight = m_inFlight, slot] { --(*inFlight)[slot]; });
    auto exchange = std::make_shared<Exchange>();
    const quint64 generation = m_sessionGeneration;
    const std::weak_ptr<Exchange> weakExchange = exchange;
    exchange->handler = [this, reply, generation, weakExchange](const Answer &answer) {
        if (m_listenReply == reply)
            m_listenReply = nullptr;
        // 405 (or any answer that is not an event stream): the server offers
        // no such stream, so it cannot send anything the gateway would miss;
        // not asked again in this session. A stream that ended is opened
        // again by the next call.
        const auto ended = weakExchange.lock();
        const bool wasStream = ended && ended->eventStream;
        if (!wasStream && answer.status != 0 && answer.status != 404)
            m_listenRefusedIn = generation;
        qCDebug(lcHttpUpstream) << "upstream" << m_config.name << "GET stream ended"
                                << answer.status << answer.failure;
    };
    m_exchanges.emplace(reply, exchange);
    m_listenReply = reply;
    connect(reply, &QNetworkReply::readyRead, this,
            [this, reply, exchange] { readBody(reply, *exchange); });
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, exchange] { finishExchange(reply, *exchange); });
}

void HttpUpstream::failInitialize(const QString &message)
{
    if (m_initTimerId != 0)
        killTimer(m_initTimerId);
    m_initTimerId = 0;
    if (m_initReply)
        abandon(std::exchange(m_initReply, nullptr));
    m_state = State::Stopped;
    m_sessionId.clear();
    const QJsonObject error = transportError(message);
    qCWarning(lcHttpUpstream).noquote() << error.value(QStringLiteral("error"))
                                               .toObject()
                                               .value(QStringLiteral("message"))
                                               .toString();
    // The next request starts over with a new initialize.
    const QList<quint64> waiting = std::exchange(m_waiting, {});
    for (const quint64 key : waiting)
        finishCall(key, error);
}

void HttpUpstream::send(quint64 key)
{
    // A GET stream the server ended (or that broke) is opened again by the
    // next call, so the server always has somewhere to send its requests.
    openListenStream();
    Call &call = m_calls.at(key);
    call.session = m_sessionGeneration;
    call.sentWithSession = !m_sessionId.isEmpty();
    const qint64 rpcId = m_nextRpcId++;
    const bool modern = m_era == Era::Modern;
    // A modern server sends no log messages unless asked; the proxy filters
    // them by each client's own level, so the upstream sends them all.
    const QJsonObject params = modern
        ? upstreamera::withModernMeta(call.params,
                                      call.onNotification ? QStringLiteral("debug") : QString())
        : call.params;
    // Tool parameters the server asked to see as headers (x-mcp-header),
    // from the arguments the gateway forwards.
    mcpmodern::HeaderValues paramHeaders;
    if (modern && call.method == u"tools/call") {
        const auto known =
            m_headerParams.find(call.params.value(QStringLiteral("name")).toString());
        if (known != m_headerParams.end()) {
            paramHeaders = mcpmodern::headerValues(
                known->second, call.params.value(QStringLiteral("arguments")).toObject());
        }
        if (!paramHeaders.problem.isEmpty()) {
            finishCall(key,
                       JsonRpcMessage::error(QJsonValue::Null, JsonRpcMessage::invalidParams,
                                             QStringLiteral("upstream %1 cannot be sent this "
                                                            "call: %2")
                                                 .arg(m_config.name, paramHeaders.problem)));
            return;
        }
    }
    call.reply = post(
        JsonRpcMessage::request(rpcId, call.method, params), rpcId, call.elevatedToken,
        modern ? Envelope::Modern : Envelope::Session,
        [this, key](const Answer &answer) { callAnswered(key, answer); }, call.onNotification,
        paramHeaders.headers);
}

void HttpUpstream::callAnswered(quint64 key, const Answer &answer)
{
    const auto found = m_calls.find(key);
    if (found == m_calls.end())
        return;
    Call &call = found->second;
    call.reply = nullptr;
    // 404 to a request with a session: the server ended or forgot it, and
    // the specification asks the client to initialize again.
    if (answer.status == 404 && call.sentWithSession) {
        if (call.renewed) {
            finishCall(key,
                       transportError(QStringLiteral(
                           "it does not know the session it has just opened (HTTP 404)")));
            return;
        }
        call.renewed = true;
        // Calls of the same lost session come back one by one; only the
        // first starts over, and none may end a newer session.
        if (call.session == m_sessionGeneration && m_state == State::Ready) {
            qCInfo(lcHttpUpstream)
                << "upstream" << m_config.name << "no longer knows the session; initializing again";
            m_state = State::Stopped;
            m_sessionId.clear();
        }
        if (m_state == State::Ready) {
            send(key);
            return;
        }
        m_waiting.append(key);
        if (m_state == State::Stopped)
            initialize();
        return;
    }
    if (m_era == Era::Modern && call.method == u"tools/call" && !call.relisted
        && answer.status == 400
        && answer.response.value(QStringLiteral("error"))
                .toObject()
                .value(QStringLiteral("code"))
                .toInt()
            == mcpmodern::headerMismatch) {
        call.relisted = true;
        relistThenResend(key);
        return;
    }
    if (!answer.failure.isEmpty()) {
        finishCall(key, transportError(answer.failure));
        return;
    }
    if (m_era != Era::Modern) {
        finishCall(key, answer.response);
        return;
    }
    QJsonObject response = upstreamera::checkModernResponse(m_config.name, answer.response);
    if (call.method == u"tools/list")
        response = filterToolList(call.params, std::move(response));
    finishCall(key, response);
}

void HttpUpstream::relistThenResend(quint64 key)
{
    qCInfo(lcHttpUpstream) << "upstream" << m_config.name
                           << "refused a call's headers (HeaderMismatch); listing its tools "
                              "again before sending it once more";
    const qint64 rpcId = m_nextRpcId++;
    m_calls.at(key).reply =
        post(JsonRpcMessage::request(rpcId, QStringLiteral("tools/list"),
                                     upstreamera::withModernMeta({})),
             rpcId, {}, Envelope::Modern, [this, key](const Answer &answer) {
                 const auto found = m_calls.find(key);
                 if (found == m_calls.end())
                     return;
                 found->second.reply = nullptr;
                 if (answer.failure.isEmpty()) {
                     filterToolList(
                         {}, upstreamera::checkModernResponse(m_config.name, answer.response));
                 }
                 send(key);
             });
}

QJsonObject HttpUpstream::filterToolList(const QJsonObject &params, QJsonObject response)
{
    QJsonObject result = response.value(QStringLiteral("result")).toObject();
    const QJsonValue tools = result.value(QStringLiteral("tools"));
    if (!tools.isArray())
        return response;
    // A first page starts the list afresh; later pages add to it.
    if (!params.contains(QStringLiteral("cursor")))
        m_headerParams.clear();
    QJsonArray kept;
    for (const QJsonValue &tool : tools.toArray()) {
        const QJsonObject definition = tool.toObject();
        const QString name = definition.value(QStringLiteral("name")).toString();
        const mcpmodern::HeaderParams read =
            mcpmodern::readHeaderParams(definition.value(QStringLiteral("inputSchema")).toObject());
        if (!read.isValid()) {
            qCWarning(lcHttpUpstream).noquote()
                << "upstream" << m_config.name << "tool" << name.left(128)
                << "left out of tools/list: invalid x-mcp-header:" << read.problem;
            continue;
        }
        if (!read.params.isEmpty()) {
            if (m_headerParams.size() < maxToolsWithHeaderParams) {
                m_headerParams.insert_or_assign(name, read.params);
            } else {
                qCWarning(lcHttpUpstream).noquote()
                    << "upstream" << m_config.name << "tool" << name.left(128)
                    << "left out of tools/list: more than" << maxToolsWithHeaderParams
                    << "tools with x-mcp-header parameters";
                continue;
            }
        }
        kept.append(tool);
    }
    result.insert(QStringLiteral("tools"), kept);
    response.insert(QStringLiteral("result"), result);
    return response;
}

void HttpUpstream::finishCall(quint64 key, const QJsonObject &response)
{
    const auto found = m_calls.find(key);
    if (found == m_calls.end())
        return;
    Call call = std::move(found->second);
    m_calls.erase(found);
    killTimer(call.timerId);
    if (call.reply)
        abandon(call.reply);
    m_waiting.removeOne(key);
    deliver(std::move(call.callback), response);
}

QNetworkReply *HttpUpstream::post(const QJsonObject &message, qint64 rpcId,
                                  const QByteArray &bearer, Envelope envelope,
                                  AnswerHandler handler,
                                  std::function<void(const QJsonObject &)> notify,
                                  const QList<std::pair<QByteArray, QByteArray>> &extraHeaders)
{
    QNetworkRequest request(m_config.url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    // A redirect would carry the Authorization header to a place nobody
    // configured; the configured URL must be the endpoint itself.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    switch (envelope) {
    case Envelope::None:
        break;
    case Envelope::Session:
        if (!m_sessionId.isEmpty())
            request.setRawHeader(sessionHeader, m_sessionId);
        request.setRawHeader(versionHeader, m_negotiatedVersion);
        break;
    case Envelope::Modern: {
        // The body's _meta carries the same version (withModernMeta).
        request.setRawHeader(versionHeader, QByteArray(upstreamera::modernVersion));
        const QString method = message.value(QStringLiteral("method")).toString();
        // Methods are the proxy's own fixed names; one with a byte a header
        // cannot carry is sent without the header, and the server refuses it.
        const QByteArray methodValue = mcpmodern::methodHeader(method);
        if (!methodValue.isEmpty())
            request.setRawHeader(methodHeader, methodValue);
        const QByteArray name =
            mcpmodern::nameHeader(method, message.value(QStringLiteral("params")).toObject());
        if (!name.isEmpty())
            request.setRawHeader(nameHeader, name);
        for (const auto &[headerName, value] : extraHeaders)
            request.setRawHeader(headerName, value);
        break;
    }
    }
    if (!bearer.isEmpty())
        request.setRawHeader("Authorization", QByteArrayLiteral("Bearer ") + bearer);

    QNetworkAccessManager *manager = network();
    QNetworkReply *reply =
        manager->post(request, QJsonDocument(message).toJson(QJsonDocument::Compact));
    // Every reply ends in abandon() (deleteLater), which frees its slot.
    // Not `this` as the context: the destructor disconnects `this`.
    const auto slot = static_cast<std::size_t>(
        std::find(m_networks.begin(), m_networks.end(), manager) - m_networks.begin());
    ++(*m_inFlight)[slot];
    connect(reply, &QObject::destroyed, manager,
            [inFlight = m_inFlight, slot] { --(*inFlight)[slot]; });
    auto exchange = std::make_shared<Exchange>();
    exchange->rpcId = rpcId;
    exchange->handler = std::move(handler);
    exchange->notify = std::move(notify);
    m_exchanges.emplace(reply, exchange);
    connect(reply, &QNetworkReply::readyRead, this,
            [this, reply, exchange] { readBody(reply, *exchange); });
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, exchange] { finishExchange(reply, *exchange); });
    return reply;
}

void HttpUpstream::readBody(QNetworkReply *reply, Exchange &exchange)
{
    if (exchange.done)
        return;
    const QString tooLarge =
        QStringLiteral("its answer is larger than %1").arg(sizeText(maxResponseBytes));
    if (!exchange.sawHeaders) {
        exchange.sawHeaders = true;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        exchange.eventStream =
            status >= 200 && status < 300 && mimeType(reply) == "text/event-stream";
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > maxResponseBytes) {
            complete(reply, exchange, Answer{status, {}, {}, tooLarge});
            return;
        }
    }
    const QByteArray chunk = reply->readAll();
    exchange.received += chunk.size();
    if (exchange.received > maxResponseBytes) {
        complete(reply, exchange,
                 Answer{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                        {},
                        {},
                        tooLarge});
        return;
    }
    exchange.body += chunk;
    if (exchange.eventStream)
        readEvents(reply, exchange, false);
}

// text/event-stream as the HTML standard defines it: lines end in CRLF, LF
// or CR; "data:" lines of one event are joined with LF; a blank line ends
// the event; lines starting with ":" are comments. Ids and retry are not
// used: a stream cut before its response fails the call.
void HttpUpstream::readEvents(QNetworkReply *reply, Exchange &exchange, bool atEnd)
{
    qsizetype start = 0;
    while (!exchange.done) {
        const char *begin = exchange.body.constData();
        const char *end = begin + exchange.body.size();
        const char *from = begin + std::max(start, exchange.scanned);
        const char *lineEnd =
            std::find_if(from, end, [](char c) { return c == '\n' || c == '\r'; });
        if (lineEnd == end) {
            exchange.scanned = exchange.body.size();
            break;
        }
        qsizetype next = lineEnd - begin + 1;
        if (*lineEnd == '\r') {
            // A CR as the last byte may be the first half of a CRLF.
            if (lineEnd + 1 == end && !atEnd) {
                exchange.scanned = lineEnd - begin;
                break;
            }
            if (lineEnd + 1 != end && lineEnd[1] == '\n')
                ++next;
        }
        QByteArray line = exchange.body.mid(start, lineEnd - begin - start);
        start = next;
        exchange.scanned = next;
        if (exchange.firstLine) {
            exchange.firstLine = false;
            if (line.startsWith("\xEF\xBB\xBF"))
                line.remove(0, 3);
        }
        if (line.isEmpty()) {
            const bool isMessage = exchange.eventType.isEmpty() || exchange.eventType == "message";
            const QByteArray data = std::exchange(exchange.eventData, {});
            const bool hasData = std::exchange(exchange.eventHasData, false);
            exchange.eventType.clear();
            // Empty data is how a server primes a stream for resumption.
            if (isMessage && hasData && !data.isEmpty())
                handleEvent(reply, exchange, data);
            continue;
        }
        if (line.startsWith(':'))
            continue;
        const qsizetype colon = line.indexOf(':');
        const QByteArray field = colon < 0 ? line : line.left(colon);
        QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
        if (value.startsWith(' '))
            value.remove(0, 1);
        if (field == "data") {
            if (exchange.eventHasData)
                exchange.eventData += '\n';
            exchange.eventData += value;
            exchange.eventHasData = true;
        } else if (field == "event") {
            exchange.eventType = value;
        }
    }
    if (!exchange.done) {
        exchange.body.remove(0, start);
        exchange.scanned -= start;
    }
}

void HttpUpstream::handleEvent(QNetworkReply *reply, Exchange &exchange, const QByteArray &data)
{
    const JsonRpcMessage message = JsonRpcMessage::parse(data);
    switch (message.kind) {
    case JsonRpcMessage::Kind::Response:
        if (exchange.rpcId >= 0 && isResponseTo(message, exchange.rpcId)) {
            // The stream has done its job; the server is expected to close
            // it now, and nothing later on it matters to this call.
            complete(reply, exchange,
                     Answer{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                            reply->rawHeader(sessionHeader),
                            message.message,
                            {}});
            return;
        }
        qCWarning(lcHttpUpstream) << "upstream" << m_config.name << "answered an unknown request id"
                                  << message.id();
        return;
    case JsonRpcMessage::Kind::Request:
        answerServerRequest(message.id(), message.method());
        return;
    case JsonRpcMessage::Kind::Notification:
        // On a request's stream they are about that request (progress, log
        // messages): its caller decides what reaches the client.
        qCDebug(lcHttpUpstream) << "upstream" << m_config.name << "notification"
                                << message.method();
        if (exchange.notify)
            exchange.notify(message.message);
        return;
    case JsonRpcMessage::Kind::Invalid:
        qCWarning(lcHttpUpstream) << "upstream" << m_config.name << "sent a malformed event:"
                                  << message.errorReply.value(QStringLiteral("error"))
                                         .toObject()
                                         .value(QStringLiteral("message"))
                                         .toString();
        return;
    }
}

void HttpUpstream::finishExchange(QNetworkReply *reply, Exchange &exchange)
{
    readBody(reply, exchange);
    if (exchange.done)
        return;
    Answer answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.sessionId = reply->rawHeader(sessionHeader);
    const bool success = answer.status >= 200 && answer.status < 300;
    if (answer.status == 0 || (success && reply->error() != QNetworkReply::NoError)) {
        answer.failure = networkFailure(reply);
    } else if (answer.status >= 300 && answer.status < 400) {
        answer.failure =
            QStringLiteral("HTTP %1 redirects to %2; configure the URL it redirects to")
                .arg(answer.status)
                .arg(QString::fromUtf8(reply->rawHeader("Location")));
    } else if (!success) {
        answer.failure = httpFailure(reply, answer.status, exchange.body);
        // Kept for whoever must tell a modern error from a legacy refusal
        // (the answer to server/discover).
        // (Its id may be null: an error about the request as a whole.)
        const QJsonObject body = QJsonDocument::fromJson(exchange.body).object();
        if (body.value(QStringLiteral("error")).isObject())
            answer.response = body;
    } else if (exchange.rpcId < 0) {
        // A notification or a response: accepted, nothing to read. (The
        // GET stream: its last events are read.)
        if (exchange.eventStream) {
            readEvents(reply, exchange, true);
            if (exchange.done)
                return;
        }
    } else if (exchange.eventStream) {
        readEvents(reply, exchange, true);
        if (exchange.done)
            return;
        answer.failure = QStringLiteral("its event stream ended without the response");
    } else if (mimeType(reply) == "application/json") {
        const JsonRpcMessage message = JsonRpcMessage::parse(exchange.body);
        if (isResponseTo(message, exchange.rpcId))
            answer.response = message.message;
        else if (message.kind == JsonRpcMessage::Kind::Invalid)
            answer.failure = QStringLiteral("it answered with malformed JSON-RPC: %1")
                                 .arg(message.errorReply.value(QStringLiteral("error"))
                                          .toObject()
                                          .value(QStringLiteral("message"))
                                          .toString());
        else
            answer.failure = QStringLiteral("it answered with something other than the response");
    } else if (exchange.body.isEmpty()) {
        answer.failure =
            QStringLiteral("it answered HTTP %1 without a response").arg(answer.status);
    } else {
        answer.failure = QStringLiteral("it answered with Content-Type \"%1\", not "
                                        "application/json or text/event-stream")
                             .arg(QString::fromLatin1(mimeType(reply)));
    }
    complete(reply, exchange, answer);
}

void HttpUpstream::complete(QNetworkReply *reply, Exchange &exchange, Answer answer)
{
    if (exchange.done)
        return;
    exchange.done = true;
    // Taken out first: abandoning the reply may free the exchange.
    const AnswerHandler handler = std::move(exchange.handler);
    abandon(reply);
    handler(answer);
}

void HttpUpstream::answerServerRequest(const QJsonValue &id, const QString &method)
{
    // Server-to-client requests (sampling, elicitation, roots) are refused
    // at once, so the server never waits for an answer that cannot come:
    // the gateway declared no client capabilities at initialize, and
    // relaying an upstream's request to the agent's model or person is a
    // trust decision it does not make (docs/gateway.md, "MCP proxy"). Ping
    // is the one every client answers.
    const QJsonObject reply = method == u"ping"
        ? JsonRpcMessage::result(id, {})
        : JsonRpcMessage::error(id, JsonRpcMessage::methodNotFound, serverRequestRefusal(method));
    post(reply, -1, {}, Envelope::Session, [this](const Answer &answer) {
        if (!answer.failure.isEmpty()) {
            qCWarning(lcHttpUpstream).noquote() << QStringLiteral("upstream %1 refused an answer "
                                                                  "to its request: %2")
                                                       .arg(m_config.name, answer.failure);
        }
    });
}

void HttpUpstream::abandon(QNetworkReply *reply)
{
    // Done first: abort() emits finished(), which must change nothing.
    const auto found = m_exchanges.find(reply);
    if (found != m_exchanges.end()) {
        found->second->done = true;
        m_exchanges.erase(found);
    }
    if (reply->isRunning())
        reply->abort();
    reply->deleteLater();
}

QJsonObject HttpUpstream::transportError(const QString &message) const
{
    return JsonRpcMessage::error(
        QJsonValue::Null, JsonRpcMessage::upstreamFailure,
        QStringLiteral("upstream %1 is unavailable: %2").arg(m_config.name, message));
}

void HttpUpstream::deliver(Callback callback, const QJsonObject &response)
{
    // Queued, so a caller never sees its callback run inside its own call
    // and a callback may safely make the next request.
    QMetaObject::invokeMethod(
        this, [callback = std::move(callback), response] { callback(response); },
        Qt::QueuedConnection);
}

void HttpUpstream::timerEvent(QTimerEvent *event)
{
    if (m_initTimerId != 0 && event->timerId() == m_initTimerId) {
        failInitialize(
            QStringLiteral("no answer to %1 within %2 s")
                .arg(m_era == Era::Unknown ? QStringLiteral("server/discover")
                                           : QStringLiteral("initialize"))
                .arg(std::chrono::duration_cast<std::chrono::seconds>(initializeTimeout).count()));
        return;
    }
    for (auto &[key, call] : m_calls) {
        if (call.timerId != event->timerId())
            continue;
        finishCall(key,
                   JsonRpcMessage::error(
                       QJsonValue::Null, JsonRpcMessage::upstreamFailure,
                       QStringLiteral("upstream %1 did not answer in time").arg(m_config.name)));
        return;
    }
    QObject::timerEvent(event);
}

} // namespace countersign::gateway
