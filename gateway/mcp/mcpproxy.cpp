#include "mcpproxy.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/mcp/heldresponse.h"
#include "gateway/mcp/httpupstream.h"
#include "gateway/mcp/recordedforward.h"
#include "gateway/mcp/stdioupstream.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/randombytes.h"

#include <QDateTime>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QUrl>

Q_LOGGING_CATEGORY(lcMcp, "countersign.gateway.mcp")

namespace countersign::gateway {

namespace {

// A listed tool's x-mcp-header parameters, remembered under its exposed
// name for the check of 2026-07-28 calls. A definition whose annotations
// are invalid is left out of the list, as a Streamable HTTP client must do
// (the gateway's own HTTP clients would drop it anyway): false then.
bool keepToolHeaderParams(QHash<QString, QList<mcpmodern::HeaderParam>> &known,
                          const QJsonObject &tool)
{
    const QString name = tool.value(QStringLiteral("name")).toString();
    const mcpmodern::HeaderParams read =
        mcpmodern::readHeaderParams(tool.value(QStringLiteral("inputSchema")).toObject());
    if (!read.isValid()) {
        qCWarning(lcMcp).noquote()
            << "tool" << name.left(128)
            << "left out of tools/list: invalid x-mcp-header:" << read.problem;
        known.remove(name);
        return false;
    }
    if (read.params.isEmpty()) {
        known.remove(name);
        return true;
    }
    if (!known.contains(name) && known.size() >= McpProxy::maxKnownResources) {
        qCWarning(lcMcp).noquote()
            << "tool" << name.left(128) << "left out of tools/list: more than"
            << McpProxy::maxKnownResources << "tools with x-mcp-header parameters";
        return false;
    }
    known.insert(name, read.params);
    return true;
}

const QByteArray sessionHeader = QByteArrayLiteral("Mcp-Session-Id");
const QByteArray versionHeader = QByteArrayLiteral("MCP-Protocol-Version");

// HTTP header names are case-insensitive (HttpRequest::header compares so).
std::optional<QByteArray> header(const HttpRequest &request, const QByteArray &name)
{
    return request.header(name);
}

HttpResponse jsonResponse(const QJsonObject &body, int status = HttpStatus::ok)
{
    HttpResponse response = HttpResponse::json(body, status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

// Transport-level refusals carry a JSON-RPC error without an id, as the MCP
// reference implementations send them.
HttpResponse refusal(int status, const QString &message)
{
    return jsonResponse(JsonRpcMessage::error(QJsonValue::Null, -32000, message), status);
}

// Not JSON-RPC: the client is not yet anyone the gateway talks MCP with.
HttpResponse unauthorized()
{
    HttpResponse response = jsonResponse(
        QJsonObject{{QStringLiteral("error"), QStringLiteral("unauthorized")},
                    {QStringLiteral("message"),
                     QStringLiteral("an agent key is required: Authorization: Bearer <key>")}},
        HttpStatus::unauthorized);
    response.setHeader("WWW-Authenticate", "Bearer");
    return response;
}

// DNS rebinding: a web page must not reach the proxy through a browser on
// the same machine. Programs send no Origin.
bool originAllowed(const HttpRequest &request)
{
    const auto origin = header(request, "Origin");
    if (!origin)
        return true;
    const QString host = QUrl(QString::fromLatin1(*origin)).host();
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// The client can read an event stream (MCP asks clients to accept both
// application/json and text/event-stream on POST).
bool acceptsEventStream(const HttpRequest &request)
{
    return header(request, "Accept").value_or(QByteArray()).toLower().contains("text/event-stream");
}

// 2026-07-28 has no GET stream and no session to DELETE (streamable-http,
// "Earlier Streamable HTTP Revisions"): 405 for a request of that era.
std::optional<HttpResponse> noStreamsOrSessionsInModernEra(const HttpRequest &request)
{
    const auto version = request.header("MCP-Protocol-Version");
    if (!version || McpProxy::supportedProtocolVersions().contains(QString::fromLatin1(*version)))
        return std::nullopt;
    HttpResponse response = refusal(
        HttpStatus::methodNotAllowed,
        QStringLiteral("protocol %1 has no GET stream and no session: send each request as a "
                       "POST (subscriptions/listen for change notifications)")
            .arg(QLatin1String(ModernRequest::protocolVersion)));
    response.setHeader("Allow", "POST");
    return response;
}

QString errorMessage(const QJsonObject &response)
{
    return response.value(QStringLiteral("error"))
        .toObject()
        .value(QStringLiteral("message"))
        .toString();
}

const QStringList &logLevels()
{
    return mcpLogLevels();
}

// Tools, prompts and resources in one order whatever order the upstreams
// answered in or listed them (2026-07-28: deterministic, so that clients and
// model prompt caches see the same list).
QJsonObject sortedList(QJsonObject response, const QString &listKey)
{
    if (!response.value(QStringLiteral("result")).isObject())
        return response;
    QJsonObject result = response.value(QStringLiteral("result")).toObject();
    const QJsonArray items = result.value(listKey).toArray();
    QList<QJsonObject> entries;
    entries.reserve(items.size());
    for (const QJsonValue &item : items)
        entries.append(item.toObject());
    const auto sortKey = [](const QJsonObject &entry) {
        for (const auto *key : {"name", "uri", "uriTemplate"}) {
            if (entry.value(QLatin1String(key)).isString())
                return entry.value(QLatin1String(key)).toString();
        }
        return QString();
    };
    std::stable_sort(
        entries.begin(), entries.end(),
        [&sortKey](const QJsonObject &a, const QJsonObject &b) { return sortKey(a) < sortKey(b); });
    QJsonArray sorted;
    for (const QJsonObject &entry : std::as_const(entries))
        sorted.append(entry);
    result.insert(listKey, sorted);
    response.insert(QStringLiteral("result"), result);
    return response;
}

// The capabilities the gateway declares in both eras: exactly what it
// delivers (docs/gateway.md, "MCP proxy"): no listChanged (nothing is sent
// unprompted), no resource subscriptions; logging is the level the client
// picks (per session, or per request in 2026-07-28) for the log messages
// relayed on a call's stream. Completions are passed through but not
// advertised: whether they work depends on the upstream.
QJsonObject serverCapabilities()
{
    return QJsonObject{{QStringLiteral("tools"), QJsonObject{}},
                       {QStringLiteral("prompts"), QJsonObject{}},
                       {QStringLiteral("resources"), QJsonObject{}},
                       {QStringLiteral("logging"), QJsonObject{}}};
}

const QString instructions = QStringLiteral(
    "Some tools need a person's approval in Countersign. Such a call waits while the gateway "
    "tells you the binding code to show the user; if it times out, call again with the same "
    "arguments to keep waiting for the same approval.");

std::vector<std::unique_ptr<Upstream>> makeUpstreams(const QList<UpstreamConfig> &configs)
{
    std::vector<std::unique_ptr<Upstream>> upstreams;
    for (const UpstreamConfig &upstream : configs) {
        if (upstream.url.isEmpty())
            upstreams.push_back(std::make_unique<StdioUpstream>(upstream));
        else
            upstreams.push_back(std::make_unique<HttpUpstream>(upstream));
    }
    return upstreams;
}

} // namespace

McpProxy::McpProxy(AgentDirectory agents, const QList<UpstreamConfig> &upstreams,
                   const PolicyDecisionPoint &pdp, ApprovalBroker &broker, Store &store,
                   const Clock &clock, McpProxySettings settings, QObject *parent)
    : McpProxy(makeUpstreams(upstreams), std::move(agents), pdp, broker, store, clock, settings,
               parent)
{
}

McpProxy::McpProxy(std::vector<std::unique_ptr<Upstream>> upstreams, AgentDirectory agents,
                   const PolicyDecisionPoint &pdp, ApprovalBroker &broker, Store &store,
                   const Clock &clock, McpProxySettings settings, QObject *parent)
    : QObject(parent)
    , m_agents(std::move(agents))
    , m_upstreams(std::move(upstreams))
    , m_pdp(pdp)
    , m_clock(clock)
    , m_settings(settings)
    , m_audit(store, clock)
    , m_stepUps(std::make_unique<StepUpFlow>(
          broker, m_audit, clock, settings.stepUp,
          StepUpRoundTrips{settings.requestStates, settings.approvalLink}))
    , m_resourceOwners(std::make_shared<QHash<QString, Upstream *>>())
    , m_toolHeaderParams(std::make_shared<QHash<QString, QList<mcpmodern::HeaderParam>>>())
{
    m_keepAlive.setInterval(m_settings.streamKeepAlive);
    connect(&m_keepAlive, &QTimer::timeout, this, &McpProxy::keepStreamsAlive);
    m_listPoll.setInterval(m_settings.listPollInterval);
    connect(&m_listPoll, &QTimer::timeout, this, &McpProxy::pollLists);
}

McpProxy::~McpProxy()
{
    for (Session &session : m_sessions) {
        for (const auto &stream : std::as_const(session.streams))
            stream->close();
    }
}

QStringList McpProxy::supportedProtocolVersions()
{
    return {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"),
            QStringLiteral("2025-03-26")};
}

QStringList McpProxy::allProtocolVersions()
{
    return QStringList{QLatin1String(ModernRequest::protocolVersion)} + supportedProtocolVersions();
}

void McpProxy::addRoutes(HttpRouter &router)
{
    const QString path = QStringLiteral("/mcp");
    router.route(path, HttpMethod::Post,
                 HttpRouter::Handler(
                     [this](const HttpRequest &request, const QStringList &,
                            Responder &&responder) { post(request, std::move(responder)); }));
    router.route(path, HttpMethod::Delete,
                 HttpRouter::SimpleHandler([this](const HttpRequest &request, const QStringList &) {
                     return remove(request);
                 }));
    router.route(
        path, HttpMethod::Get,
        HttpRouter::Handler([this](const HttpRequest &request, const QStringList &,
                                   Responder &&responder) { get(request, std::move(responder)); }));
}

std::variant<QString, HttpResponse> McpProxy::sessionOf(const HttpRequest &request,
                                                        const McpAgent &agent)
{
    const QString sessionId =
        QString::fromLatin1(header(request, sessionHeader).value_or(QByteArray()));
    if (sessionId.isEmpty()) {
        return refusal(HttpStatus::badRequest,
                       QStringLiteral("Mcp-Session-Id header is required; send initialize first"));
    }
    expireIdleSessions();
    // Another agent's session is as unknown as an ended one: a session id
    // must not let one agent act as another.
    const auto session = m_sessions.find(sessionId);
    if (session == m_sessions.end() || session->agentName != agent.name)
        return refusal(HttpStatus::notFound,
                       QStringLiteral("unknown or ended session; initialize again"));
    if (const auto version = header(request, versionHeader);
        version && QString::fromLatin1(*version) != session->protocolVersion) {
        return refusal(HttpStatus::badRequest,
                       QStringLiteral("MCP-Protocol-Version \"%1\" differs from the session's "
                                      "\"%2\"")
                           .arg(QString::fromLatin1(*version), session->protocolVersion));
    }
    session->lastUsed = ++m_sessionSequence;
    session->lastActiveAt = m_clock.secondsSinceEpoch();
    return sessionId;
}

void McpProxy::post(const HttpRequest &request, Responder &&responder)
{
    const auto send = [&responder](HttpResponse response) { responder.send(std::move(response)); };
    if (!originAllowed(request)) {
        send(refusal(HttpStatus::forbidden,
                     QStringLiteral("requests from web pages are not allowed")));
        return;
    }
    const auto agent =
        m_agents.authenticate(header(request, "Authorization").value_or(QByteArray()));
    if (!agent) {
        send(unauthorized());
        return;
    }
    const JsonRpcMessage message = JsonRpcMessage::parse(request.body);
    if (message.kind == JsonRpcMessage::Kind::Invalid) {
        send(jsonResponse(message.errorReply, HttpStatus::badRequest));
        return;
    }
    // One endpoint, two eras, chosen per request (basic/versioning): an
    // MCP-Protocol-Version of the initialize era stays there (with its
    // session); any other version is a 2026-07-28 request, accepted or
    // refused with UnsupportedProtocolVersionError.
    if (ModernRequest::isModern(request, message, supportedProtocolVersions())) {
        postModern(request, message, *agent, std::move(responder));
        return;
    }
    const bool initializing =
        message.kind == JsonRpcMessage::Kind::Request && message.method() == u"initialize";
    if (initializing) {
        QString version;
        const QJsonObject reply = initialize(message, &version);
        HttpResponse response = jsonResponse(reply);
        response.setHeader(sessionHeader,
                           openSession(*agent, message.params(), version).toLatin1());
        send(std::move(response));
        return;
    }
    auto checked = sessionOf(request, *agent);
    if (auto *refused = std::get_if<HttpResponse>(&checked)) {
        send(std::move(*refused));
        return;
    }
    const QString sessionId = std::get<QString>(checked);

    if (message.kind == JsonRpcMessage::Kind::Response) {
        // Answers to what the gateway asked (elicitation); anything else is
        // acknowledged and dropped.
        if (!m_stepUps->handleClientResponse(sessionId, message.message))
            qCInfo(lcMcp) << "response to an unknown request" << message.id();
        responder.send(HttpStatus::accepted);
        return;
    }
    if (message.kind == JsonRpcMessage::Kind::Notification) {
        // initialized, cancelled, progress: nothing to do. A cancelled
        // tools/call leaves its approval pending: the person may still
        // approve, and the same call again will use it.
        responder.send(HttpStatus::accepted);
        return;
    }

    const QString method = message.method();
    if (method == u"ping") {
        send(jsonResponse(JsonRpcMessage::result(message.id(), {})));
        return;
    }
    if (method == u"logging/setLevel") {
        send(jsonResponse(setLogLevel(message, sessionId)));
        return;
    }
    if (method == u"tools/call") {
        const Session &session = m_sessions[sessionId];
        Caller caller;
        caller.sessionId = sessionId;
        caller.protocolVersion = session.protocolVersion;
        caller.clientInfo = session.clientInfo;
        caller.elicitation = session.elicitation;
        callTool(
            message, *agent, caller,
            std::make_shared<ResponseStream>(std::move(responder), acceptsEventStream(request)));
        return;
    }
    static const QHash<QString, QString> lists{
        {QStringLiteral("tools/list"), QStringLiteral("tools")},
        {QStringLiteral("prompts/list"), QStringLiteral("prompts")},
        {QStringLiteral("resources/list"), QStringLiteral("resources")},
        {QStringLiteral("resources/templates/list"), QStringLiteral("resourceTemplates")},
    };
    const bool listing = lists.contains(method);
    if (!listing && method != u"prompts/get" && method != u"resources/read"
        && method != u"completion/complete") {
        send(jsonResponse(JsonRpcMessage::error(
            message.id(), JsonRpcMessage::methodNotFound,
            QStringLiteral("method \"%1\" is not supported by the gateway").arg(method))));
        return;
    }

    // The upstream answers later; the client may hang up meanwhile.
    HeldResponse pending(std::move(responder));
    QPointer<McpProxy> self(this);
    Reply reply = [self, pending](const QJsonObject &body) mutable {
        if (!self || !pending.clientStillThere()) {
            qCInfo(lcMcp) << "client left before the answer was ready";
            return;
        }
        pending.send(jsonResponse(body));
    };
    if (listing) {
        // Tools and prompts are named; resources keep their URIs.
        gatherLists(message, lists.value(method), !method.startsWith(u"resources/"),
                    std::move(reply));
    } else {
        routeToOwner(message, std::move(reply));
    }
}

void McpProxy::postModern(const HttpRequest &request, const JsonRpcMessage &message,
                          const McpAgent &agent, Responder &&responder)
{
    const auto send = [&responder](HttpResponse response) { responder.send(std::move(response)); };
    if (message.kind == JsonRpcMessage::Kind::Response) {
        // 2026-07-28 has no server requests to answer (they ride in
        // input_required results instead).
        send(jsonResponse(
            JsonRpcMessage::error(QJsonValue::Null, JsonRpcMessage::invalidRequest,
                                  QStringLiteral("a client sends no JSON-RPC "
                                                 "responses in protocol %1")
                                      .arg(QLatin1String(ModernRequest::protocolVersion))),
            HttpStatus::badRequest));
        return;
    }
    if (message.kind == JsonRpcMessage::Kind::Notification) {
        // None is defined for HTTP in this era; accepted and ignored.
        responder.send(HttpStatus::accepted);
        return;
    }
    auto checked = ModernRequest::check(request, message, allProtocolVersions());
    if (auto *refused = std::get_if<HttpResponse>(&checked)) {
        send(std::move(*refused));
        return;
    }
    const ModernRequest envelope = std::get<ModernRequest>(std::move(checked));
    const QString method = message.method();
    const auto answer = [&send](const QJsonObject &body) {
        send(jsonResponse(ModernRequest::decorate(body)));
    };
    if (method == u"server/discover") {
        answer(discover(message));
        return;
    }
    if (method == u"tools/call") {
        // The agent's Mcp-Param-* headers must mirror the arguments of a
        // tool that declares them (streamable-http "Server Behavior for
        // Custom Headers"), before anything acts on the call.
        const QJsonObject callParams = message.params();
        const auto declared =
            m_toolHeaderParams->constFind(callParams.value(QStringLiteral("name")).toString());
        if (declared != m_toolHeaderParams->constEnd()) {
            const QString mismatch = mcpmodern::headerParamMismatch(
                *declared, callParams.value(QStringLiteral("arguments")).toObject(),
                [&request](const QByteArray &name) { return request.header(name); });
            if (!mismatch.isEmpty()) {
                HttpResponse refused = HttpResponse::json(
                    JsonRpcMessage::error(message.id(), ModernRequest::headerMismatch, mismatch),
                    HttpStatus::badRequest);
                refused.setHeader("Cache-Control", "no-store");
                send(std::move(refused));
                return;
            }
        }
        Caller caller;
        caller.protocolVersion = QLatin1String(ModernRequest::protocolVersion);
        caller.clientInfo = envelope.clientInfo;
        caller.modern = envelope;
        auto stream =
            std::make_shared<ResponseStream>(std::move(responder), acceptsEventStream(request));
        stream->setResponseFilter(&ModernRequest::decorate);
        callTool(message, agent, caller, std::move(stream));
        return;
    }
    if (method == u"subscriptions/listen") {
        listen(message, agent,
               std::make_shared<ResponseStream>(std::move(responder), acceptsEventStream(request)));
        return;
    }
    static const QHash<QString, QString> lists{
        {QStringLiteral("tools/list"), QStringLiteral("tools")},
        {QStringLiteral("prompts/list"), QStringLiteral("prompts")},
        {QStringLiteral("resources/list"), QStringLiteral("resources")},
        {QStringLiteral("resources/templates/list"), QStringLiteral("resourceTemplates")},
    };
    const bool listing = lists.contains(method);
    if (!listing && method != u"prompts/get" && method != u"resources/read"
        && method != u"completion/complete") {
        // ping, logging/setLevel, initialize and the resource subscriptions
        // are not methods of this era (changelog): 404, as the transport says.
        send(jsonResponse(
            JsonRpcMessage::error(
                message.id(), JsonRpcMessage::methodNotFound,
                QStringLiteral("method \"%1\" is not supported by the gateway in "
                               "protocol %2")
                    .arg(method.left(64), QLatin1String(ModernRequest::protocolVersion))),
            HttpStatus::notFound));
        return;
    }
    HeldResponse pending(std::move(responder));
    QPointer<McpProxy> self(this);
    const QString listKey = lists.value(method);
    const bool cacheable = listing || method == u"resources/read";
    // A resource's content may change at any time and may be the user's.
    const qint64 ttl = listing ? listTtlMs : 0;
    Reply reply = [self, pending, listKey, cacheable, ttl](const QJsonObject &body) mutable {
        if (!self || !pending.clientStillThere()) {
            qCInfo(lcMcp) << "client left before the answer was ready";
            return;
        }
        QJsonObject response = listKey.isEmpty() ? body : sortedList(body, listKey);
        if (cacheable)
            response = ModernRequest::withCacheHints(response, ttl, true);
        pending.send(jsonResponse(ModernRequest::decorate(response)));
    };
    if (listing) {
        gatherLists(message, listKey, !method.startsWith(u"resources/"), std::move(reply));
    } else {
        routeToOwner(message, std::move(reply));
    }
}

void McpProxy::listen(const JsonRpcMessage &message, const McpAgent &agent,
                      std::shared_ptr<ResponseStream> stream)
{
    const QJsonValue filter = message.params().value(QStringLiteral("notifications"));
    if (!filter.isObject()) {
        stream->finish(JsonRpcMessage::error(
            message.id(), JsonRpcMessage::invalidParams,
            QStringLiteral("subscriptions/listen needs params.notifications (an object: "
                           "toolsListChanged, promptsListChanged, resourcesListChanged)")));
        return;
    }
    if (!stream->canStream()) {
        stream->finish(JsonRpcMessage::error(
            message.id(), JsonRpcMessage::invalidRequest,
            QStringLiteral("subscriptions/listen answers with an event stream: send Accept: "
                           "application/json, text/event-stream")));
        return;
    }
    if (const auto refused =
            m_listSubscriptions.listen(agent.name, message.id(), filter.toObject(), stream)) {
        stream->finish(
            JsonRpcMessage::error(message.id(), JsonRpcMessage::invalidRequest, *refused));
        return;
    }
    if (!m_keepAlive.isActive())
        m_keepAlive.start();
    if (!m_listPoll.isActive())
        m_listPoll.start();
    // The baseline, so that the first change is noticed.
    pollLists();
}

void McpProxy::pollLists()
{
    if (m_listSubscriptions.isEmpty()) {
        m_listPoll.stop();
        return;
    }
    static const std::pair<ListSubscriptions::Kind, const char *> kinds[] = {
        {ListSubscriptions::Kind::Tools, "tools"},
        {ListSubscriptions::Kind::Prompts, "prompts"},
        {ListSubscriptions::Kind::Resources, "resources"},
    };
    for (const auto &[kind, key] : kinds) {
        if (!m_listSubscriptions.wants(kind))
            continue;
        const QString listKey = QLatin1String(key);
        const JsonRpcMessage poll = JsonRpcMessage::parse(
            QJsonDocument(JsonRpcMessage::request(0, listKey + QStringLiteral("/list"), {}))
                .toJson(QJsonDocument::Compact));
        // gatherLists tells the subscriptions; the answer itself goes nowhere.
        gatherLists(poll, listKey, kind != ListSubscriptions::Kind::Resources,
                    [](const QJsonObject &) {});
    }
}

QJsonObject McpProxy::discover(const JsonRpcMessage &message) const
{
    // 2026-07-28 clients can hear of list changes (subscriptions/listen).
    QJsonObject capabilities = serverCapabilities();
    for (const auto *list : {"tools", "prompts", "resources"}) {
        capabilities.insert(QLatin1String(list),
                            QJsonObject{{QStringLiteral("listChanged"), true}});
    }
    QJsonObject result{
        {QStringLiteral("supportedVersions"), QJsonArray::fromStringList(allProtocolVersions())},
        {QStringLiteral("capabilities"), capabilities},
        {QStringLiteral("instructions"), instructions},
    };
    return ModernRequest::withCacheHints(JsonRpcMessage::result(message.id(), result), listTtlMs,
                                         true);
}

void McpProxy::get(const HttpRequest &request, Responder &&responder)
{
    const auto send = [&responder](HttpResponse response) { responder.send(std::move(response)); };
    if (const auto refused = noStreamsOrSessionsInModernEra(request)) {
        send(*refused);
        return;
    }
    if (!originAllowed(request)) {
        send(refusal(HttpStatus::forbidden,
                     QStringLiteral("requests from web pages are not allowed")));
        return;
    }
    const auto agent =
        m_agents.authenticate(header(request, "Authorization").value_or(QByteArray()));
    if (!agent) {
        send(unauthorized());
        return;
    }
    if (!acceptsEventStream(request)) {
        HttpResponse response =
            refusal(HttpStatus::methodNotAllowed,
                    QStringLiteral("GET /mcp opens an event stream: send Accept: "
                                   "text/event-stream"));
        response.setHeader("Allow", "POST, GET, DELETE");
        send(std::move(response));
        return;
    }
    auto checked = sessionOf(request, *agent);
    if (auto *refused = std::get_if<HttpResponse>(&checked)) {
        send(std::move(*refused));
        return;
    }
    Session &session = m_sessions[std::get<QString>(checked)];
    // Drop streams whose clients left; keep the count bounded.
    session.streams.removeIf([](const std::shared_ptr<ResponseStream> &stream) {
        return !stream->clientStillThere() || stream->isFinished();
    });
    if (session.streams.size() >= maxStreamsPerSession) {
        send(refusal(
            HttpStatus::tooManyRequests,
            QStringLiteral("at most %1 open streams per session").arg(maxStreamsPerSession)));
        return;
    }
    // The gateway sends nothing unprompted yet (every message belongs to a
    // POST's stream); the stream is kept open with comments so clients that
    // open it see a healthy server.
    auto stream = std::make_shared<ResponseStream>(std::move(responder), true);
    stream->open();
    session.streams.append(stream);
    if (!m_keepAlive.isActive())
        m_keepAlive.start();
}

void McpProxy::keepStreamsAlive()
{
    m_listSubscriptions.keepAlive();
    bool any = !m_listSubscriptions.isEmpty();
    for (Session &session : m_sessions) {
        session.streams.removeIf([](const std::shared_ptr<ResponseStream> &stream) {
            return !stream->clientStillThere() || stream->isFinished();
        });
        for (const auto &stream : std::as_const(session.streams)) {
            stream->keepAlive();
            any = true;
        }
    }
    if (!any)
        m_keepAlive.stop();
}

HttpResponse McpProxy::remove(const HttpRequest &request)
{
    if (const auto refused = noStreamsOrSessionsInModernEra(request))
        return *refused;
    if (!originAllowed(request))
        return refusal(HttpStatus::forbidden,
                       QStringLiteral("requests from web pages are not allowed"));
    const auto agent =
        m_agents.authenticate(header(request, "Authorization").value_or(QByteArray()));
    if (!agent)
        return unauthorized();
    auto checked = sessionOf(request, *agent);
    if (auto *refused = std::get_if<HttpResponse>(&checked))
        return std::move(*refused);
    const Session ended = m_sessions.take(std::get<QString>(checked));
    for (const auto &stream : ended.streams)
        stream->close();
    return HttpResponse(HttpStatus::ok);
}

QJsonObject McpProxy::initialize(const JsonRpcMessage &message, QString *protocolVersion) const
{
    const QString requested = message.params().value(QStringLiteral("protocolVersion")).toString();
    // Echo a version we speak; otherwise offer our newest and let the client
    // decide whether it can use it (MCP lifecycle, version negotiation).
    *protocolVersion = supportedProtocolVersions().contains(requested)
        ? requested
        : supportedProtocolVersions().constFirst();
    return JsonRpcMessage::result(
        message.id(),
        QJsonObject{
            {QStringLiteral("protocolVersion"), *protocolVersion},
            {QStringLiteral("capabilities"), serverCapabilities()},
            {QStringLiteral("serverInfo"),
             QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-gateway")},
                         {QStringLiteral("version"), QStringLiteral(COUNTERSIGN_VERSION)}}},
            {QStringLiteral("instructions"), instructions},
        });
}

QString McpProxy::openSession(const McpAgent &agent, const QJsonObject &params,
                              QString protocolVersion)
{
    expireIdleSessions();
    auto oldest = m_sessions.end();
    qsizetype agentSessions = 0;
    for (auto it = m_sessions.begin(); it != m_sessions.end(); ++it) {
        if (it->agentName != agent.name)
            continue;
        ++agentSessions;
        if (oldest == m_sessions.end() || it->lastUsed < oldest->lastUsed)
            oldest = it;
    }
    if (agentSessions >= maxSessionsPerAgent) {
        qCInfo(lcMcp) << "agent" << agent.name << "has" << agentSessions
                      << "sessions: its least recently used one ends";
        for (const auto &stream : std::as_const(oldest->streams))
            stream->close();
        m_sessions.erase(oldest);
    }
    Session session;
    session.agentName = agent.name;
    session.protocolVersion = std::move(protocolVersion);
    session.clientInfo = params.value(QStringLiteral("clientInfo")).toObject();
    session.clientCapabilities = params.value(QStringLiteral("capabilities")).toObject();
    session.elicitation =
        session.clientCapabilities.value(QStringLiteral("elicitation")).isObject();
    session.lastUsed = ++m_sessionSequence;
    session.lastActiveAt = m_clock.secondsSinceEpoch();
    // 32 random bytes in base64url: visible ASCII and unguessable, as the
    // specification requires of session ids.
    const QString id = randomToken(32);
    m_sessions.insert(id, session);
    qCInfo(lcMcp) << "session opened for agent" << agent.name
                  << session.clientInfo.value(QStringLiteral("name")).toString();
    return id;
}

void McpProxy::expireIdleSessions()
{
    const qint64 cutoff = m_clock.secondsSinceEpoch() - m_settings.sessionIdleTimeout.count();
    for (auto it = m_sessions.begin(); it != m_sessions.end();) {
        if (it->lastActiveAt < cutoff) {
            qCInfo(lcMcp) << "session of agent" << it->agentName << "expired";
            for (const auto &stream : std::as_const(it->streams))
                stream->close();
            it = m_sessions.erase(it);
        } else {
            ++it;
        }
    }
}

std::pair<Upstream *, QString> McpProxy::resolveName(const QString &name) const
{
    if (m_upstreams.size() == 1)
        return {m_upstreams.front().get(), name};
    const qsizetype separator = name.indexOf(QLatin1String(toolSeparator));
    if (separator <= 0)
        return {nullptr, name};
    const QString prefix = name.left(separator);
    for (const auto &candidate : m_upstreams) {
        if (candidate->name() == prefix)
            return {candidate.get(), name.mid(separator + 2)};
    }
    return {nullptr, name};
}

void McpProxy::gatherLists(const JsonRpcMessage &message, const QString &listKey, bool prefixNames,
                           Reply reply)
{
    if (m_upstreams.empty()) {
        reply(JsonRpcMessage::result(message.id(), QJsonObject{{listKey, QJsonArray{}}}));
        return;
    }
    struct Gathering {
        std::vector<QJsonArray> items; // per upstream, to keep the configured order
        QStringList errors;
        std::size_t remaining = 0;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->items.resize(m_upstreams.size());
    gathering->remaining = m_upstreams.size();
    const bool prefixed = prefixNames && m_upstreams.size() > 1;
    const QJsonValue id = message.id();
    const QString method = message.method();
    const bool resources = listKey == u"resources";
    const auto owners = m_resourceOwners;
    const auto headerParams = listKey == u"tools" ? m_toolHeaderParams : nullptr;
    QPointer<McpProxy> self(this);
    for (std::size_t i = 0; i < m_upstreams.size(); ++i) {
        Upstream *upstream = m_upstreams[i].get();
        const QString upstreamName = upstream->name();
        upstream->request(
            method, {},
            [self, owners, headerParams, gathering, i, prefixed, resources, upstream, upstreamName,
             id, listKey, reply](const QJsonObject &response) {
                const QJsonObject result = response.value(QStringLiteral("result")).toObject();
                if (!response.contains(QStringLiteral("result"))) {
                    // An upstream without prompts or resources has none to add.
                    const int code = response.value(QStringLiteral("error"))
                                         .toObject()
                                         .value(QStringLiteral("code"))
                                         .toInt();
                    if (code != JsonRpcMessage::methodNotFound)
                        gathering->errors.append(errorMessage(response));
                } else {
                    // TODO(next): follow nextCursor when an upstream pages its lists.
                    for (const QJsonValue &item : result.value(listKey).toArray()) {
                        QJsonObject entry = item.toObject();
                        if (prefixed) {
                            entry.insert(QStringLiteral("name"),
                                         QString(upstreamName + QLatin1String(toolSeparator)
                                                 + entry.value(QStringLiteral("name")).toString()));
                        }
                        if (resources && owners->size() < maxKnownResources)
                            owners->insert(entry.value(QStringLiteral("uri")).toString(), upstream);
                        if (headerParams && !keepToolHeaderParams(*headerParams, entry))
                            continue;
                        gathering->items[i].append(entry);
                    }
                }
                if (--gathering->remaining > 0)
                    return;
                // One failing upstream should not hide the others' lists; only
                // when none answered is the list an error.
                if (gathering->errors.size() == static_cast<qsizetype>(gathering->items.size())) {
                    reply(JsonRpcMessage::error(id, JsonRpcMessage::upstreamFailure,
                                                gathering->errors.join(u"; ")));
                    return;
                }
                QJsonArray all;
                for (const QJsonArray &items : gathering->items) {
                    for (const QJsonValue &item : items)
                        all.append(item);
                }
                // A whole list (every upstream answered) is what list
                // changes are noticed on (subscriptions/listen).
                if (self && gathering->errors.isEmpty()) {
                    if (listKey == u"tools")
                        self->m_listSubscriptions.observed(ListSubscriptions::Kind::Tools, all);
                    else if (listKey == u"prompts")
                        self->m_listSubscriptions.observed(ListSubscriptions::Kind::Prompts, all);
                    else if (listKey == u"resources")
                        self->m_listSubscriptions.observed(ListSubscriptions::Kind::Resources, all);
                }
                reply(JsonRpcMessage::result(id, QJsonObject{{listKey, all}}));
            });
    }
}

void McpProxy::routeToOwner(const JsonRpcMessage &message, Reply reply)
{
    QJsonObject params = message.params();
    Upstream *upstream = nullptr;
    if (message.method() == u"completion/complete") {
        // The ref names a prompt (by name) or a resource template (by URI).
        QJsonObject ref = params.value(QStringLiteral("ref")).toObject();
        const QString type = ref.value(QStringLiteral("type")).toString();
        if (type == u"ref/prompt") {
            const auto [owner, name] = resolveName(ref.value(QStringLiteral("name")).toString());
            upstream = owner;
            ref.insert(QStringLiteral("name"), name);
            params.insert(QStringLiteral("ref"), ref);
        } else if (type == u"ref/resource" && m_upstreams.size() == 1) {
            // Templates are not tracked per upstream: with several, the
            // gateway cannot tell which one a template URI belongs to.
            upstream = m_upstreams.front().get();
        }
        if (!upstream) {
            reply(JsonRpcMessage::error(
                message.id(), JsonRpcMessage::invalidParams,
                QStringLiteral("completion/complete needs params.ref naming a prompt of an "
                               "upstream (ref/prompt), or a resource template when the gateway "
                               "has one upstream (ref/resource)")));
            return;
        }
    } else if (message.method() == u"resources/read") {
        const QString uri = params.value(QStringLiteral("uri")).toString();
        upstream = m_upstreams.size() == 1 ? m_upstreams.front().get()
                                           : m_resourceOwners->value(uri, nullptr);
        if (!upstream) {
            reply(JsonRpcMessage::error(message.id(), JsonRpcMessage::invalidParams,
                                        QStringLiteral("unknown resource \"%1\"; list resources "
                                                       "first")
                                            .arg(uri)));
            return;
        }
    } else {
        const auto [owner, name] = resolveName(params.value(QStringLiteral("name")).toString());
        if (!owner) {
            reply(JsonRpcMessage::error(message.id(), JsonRpcMessage::invalidParams,
                                        QStringLiteral("unknown prompt \"%1\"")
                                            .arg(params.value(QStringLiteral("name")).toString())));
            return;
        }
        upstream = owner;
        params.insert(QStringLiteral("name"), name);
    }
    const QJsonValue id = message.id();
    upstream->request(message.method(), params, [id, reply](const QJsonObject &response) {
        if (response.value(QStringLiteral("result")).isObject()) {
            reply(JsonRpcMessage::result(id, response.value(QStringLiteral("result")).toObject()));
            return;
        }
        const QJsonObject error = response.value(QStringLiteral("error")).toObject();
        reply(JsonRpcMessage::error(
            id, error.value(QStringLiteral("code")).toInt(JsonRpcMessage::internalError),
            error.value(QStringLiteral("message")).toString(QStringLiteral("upstream error")),
            error.value(QStringLiteral("data"))));
    });
}

QJsonObject McpProxy::setLogLevel(const JsonRpcMessage &message, const QString &sessionId)
{
    const QString level = message.params().value(QStringLiteral("level")).toString();
    const qsizetype index = logLevels().indexOf(level);
    if (index < 0) {
        return JsonRpcMessage::error(
            message.id(), JsonRpcMessage::invalidParams,
            QStringLiteral("params.level must be one of: %1").arg(logLevels().join(u", ")));
    }
    m_sessions[sessionId].logLevel = static_cast<int>(index);
    return JsonRpcMessage::result(message.id(), {});
}

ToolCallRelay McpProxy::relayTo(const Caller &caller, std::shared_ptr<ResponseStream> stream)
{
    QPointer<McpProxy> self(this);
    const QString sessionId = caller.sessionId;
    // 2026-07-28: the level is the request's own, and without one no log
    // message is sent (RequestMetaObject, logLevel).
    const bool modern = caller.modern.has_value();
    const std::optional<int> requestLevel = modern ? caller.modern->logLevel : std::nullopt;
    return [self, sessionId, modern, requestLevel, stream](const QJsonObject &notification) {
        McpProxy *proxy = self.data();
        if (!proxy || stream->isFinished())
            return;
        if (notification.value(QStringLiteral("method")).toString() == u"notifications/message") {
            std::optional<int> least = requestLevel;
            if (!modern) {
                const auto session = proxy->m_sessions.constFind(sessionId);
                if (session != proxy->m_sessions.cend())
                    least = session->logLevel;
            }
            if (!least)
                return;
            const qsizetype level = logLevels().indexOf(notification.value(QStringLiteral("params"))
                                                            .toObject()
                                                            .value(QStringLiteral("level"))
                                                            .toString());
            // A level the specification does not know is not relayed.
            if (level < 0 || level < *least)
                return;
        }
        // Switches the client's answer to an event stream when it accepts
        // one; a client that asked for JSON gets only the result.
        stream->send(notification);
    };
}

void McpProxy::callTool(const JsonRpcMessage &message, const McpAgent &agent, const Caller &caller,
                        std::shared_ptr<ResponseStream> stream)
{
    const QJsonValue id = message.id();
    const QJsonObject params = message.params();
    const QJsonValue nameValue = params.value(QStringLiteral("name"));
    const QJsonValue argumentsValue = params.value(QStringLiteral("arguments"));
    if (!nameValue.isString() || nameValue.toString().isEmpty()
        || (!argumentsValue.isUndefined() && !argumentsValue.isObject())) {
        stream->finish(JsonRpcMessage::error(id, JsonRpcMessage::invalidParams,
                                             QStringLiteral("tools/call needs params.name (a "
                                                            "string) and optionally "
                                                            "params.arguments (an object)")));
        return;
    }
    const QString name = nameValue.toString();
    const auto [upstream, tool] = resolveName(name);
    if (!upstream || tool.isEmpty()) {
        stream->finish(JsonRpcMessage::error(id, JsonRpcMessage::invalidParams,
                                             QStringLiteral("unknown tool \"%1\"").arg(name)));
        return;
    }

    const QJsonObject meta = params.value(QStringLiteral("_meta")).toObject();
    ToolCall call;
    call.rpcId = id;
    call.sessionId = caller.sessionId;
    call.userId = agent.userId;
    call.agentName = agent.name;
    call.upstream = upstream;
    call.tool = tool;
    call.arguments = argumentsValue.toObject();
    call.progressToken = meta.value(QStringLiteral("progressToken"));
    call.agentReason = meta.value(QString::fromLatin1(agentReasonMetaKey)).toString().left(500);
    call.clientInfo = caller.clientInfo;
    call.protocolVersion = caller.protocolVersion;
    call.elicitation = caller.elicitation;
    if (caller.modern) {
        call.modern = true;
        call.formElicitation = caller.modern->supportsFormElicitation();
        call.urlElicitation = caller.modern->supportsUrlElicitation();
        call.requestState = params.value(QStringLiteral("requestState"));
        call.inputResponses = params.value(QStringLiteral("inputResponses"));
    }

    AccessRequest access;
    access.subject = AuthzenEntity{QStringLiteral("user"), agent.userId,
                                   QJsonObject{{QStringLiteral("agent"), agent.name}}};
    access.action = AuthzenAction{tool, {}};
    access.resource = AuthzenEntity{QStringLiteral("tool"), call.resourceId(),
                                    QJsonObject{{QStringLiteral("arguments"), call.arguments}}};
    access.context = QJsonObject{
        {QStringLiteral("client"), caller.clientInfo},
        {QStringLiteral("time"),
         QDateTime::fromSecsSinceEpoch(m_clock.secondsSinceEpoch(), Qt::UTC).toString(Qt::ISODate)},
    };
    // 2026-07-28 has no session.
    if (!caller.sessionId.isEmpty())
        access.context.insert(QStringLiteral("session_id"), caller.sessionId);
    const AccessDecision decision = m_pdp.evaluate(access);
    // Allowed calls are the hot path and each has its audit records; a log
    // line per call (formatting and a write to stderr) is for debugging.
    // Denials and step-ups stay visible.
    if (decision.isAllow()) {
        qCDebug(lcMcp).noquote() << "agent" << agent.name << "for" << agent.userId << "calls"
                                 << access.resource.id << "-> allow" << decision.ruleName;
    } else {
        qCInfo(lcMcp).noquote() << "agent" << agent.name << "for" << agent.userId << "calls"
                                << access.resource.id << "->"
                                << (decision.isDeny() ? QStringLiteral("deny")
                                                      : QStringLiteral("step-up"))
                                << decision.ruleName;
    }
    if (decision.isStepUp()) {
        m_stepUps->begin(call, decision, std::move(stream));
        return;
    }
    if (decision.isDeny()) {
        const bool recorded = m_audit.finished(call, decision, QStringLiteral("denied_by_policy"),
                                               {}, decision.reason);
        const QString denialText = decision.reason.isEmpty()
            ? QStringLiteral("denied by policy")
            : QStringLiteral("denied by policy: %1").arg(decision.reason);
        // Still a denial; the agent (and whoever reads its transcript) is
        // told that the gateway could not record it.
        stream->finish(
            recorded ? JsonRpcMessage::error(id, JsonRpcMessage::accessDenied, denialText)
                     : JsonRpcMessage::error(
                         id, JsonRpcMessage::accessDenied,
                         denialText
                             + QStringLiteral(" (and the gateway could not write the denial to "
                                              "its audit log: storage unavailable)"),
                         QJsonObject{
                             {QStringLiteral("reason"), QStringLiteral("storage_unavailable")}}));
        return;
    }
    // Fail closed: nothing reaches the upstream unless its record is durable.
    const auto refused = [id, stream](const Error &) {
        stream->finish(JsonRpcMessage::error(
            id, JsonRpcMessage::storageUnavailable,
            QStringLiteral("the call was not run: the gateway could not write its audit record "
                           "(storage unavailable). Ask the gateway admin to check the gateway's "
                           "disk and database, then call again."),
            QJsonObject{{QStringLiteral("reason"), QStringLiteral("storage_unavailable")}}));
    };
    QPointer<McpProxy> self(this);
    ToolCallRelay relay = relayTo(caller, stream);
    forwardWhenRecorded(
        m_audit, this, call, decision, {}, {}, refused,
        [self, call, decision, stream](const QJsonObject &response) {
            // The agent gets its answer first; the outcome record follows
            // (docs/gateway.md, "The audit log": a crash in between leaves
            // "mcp.decided" without its "mcp.call", the outcome unknown).
            // It describes what already happened upstream, so nothing
            // outside waits for it, and an answer that waited would pay a
            // second sync.
            stream->finish(response);
            if (!self)
                return;
            const bool failed = response.contains(QStringLiteral("error"));
            self->m_audit.finished(
                call, decision,
                failed ? QStringLiteral("upstream_error") : QStringLiteral("completed"), {},
                response.value(QStringLiteral("error"))
                    .toObject()
                    .value(QStringLiteral("message"))
                    .toString());
        },
        std::move(relay));
}

} // namespace countersign::gateway
