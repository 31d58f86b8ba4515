#include "mcpproxy.h"

#include "gateway/http/heldresponse.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/randombytes.h"

#include <QDateTime>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpSocket>
#include <QUrl>

Q_LOGGING_CATEGORY(lcMcp, "countersign.gateway.mcp")

namespace countersign::gateway {

namespace {

using Status = QHttpServerResponder::StatusCode;

const QByteArray sessionHeader = QByteArrayLiteral("Mcp-Session-Id");
const QByteArray versionHeader = QByteArrayLiteral("MCP-Protocol-Version");

// HTTP header names are case-insensitive; this does not rely on how Qt 6.4
// stores them.
std::optional<QByteArray> header(const QHttpServerRequest &request, const QByteArray &name)
{
    for (const auto &[key, value] : request.headers()) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return std::nullopt;
}

QHttpServerResponse jsonResponse(const QJsonObject &body, Status status = Status::Ok)
{
    QHttpServerResponse response(QByteArrayLiteral("application/json"),
                                 QJsonDocument(body).toJson(QJsonDocument::Compact), status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

// Transport-level refusals carry a JSON-RPC error without an id, as the MCP
// reference implementations send them.
QHttpServerResponse refusal(Status status, const QString &message)
{
    return jsonResponse(JsonRpcMessage::error(QJsonValue::Null, -32000, message), status);
}

// Not JSON-RPC: the client is not yet anyone the gateway talks MCP with.
QHttpServerResponse unauthorized()
{
    QHttpServerResponse response = jsonResponse(
        QJsonObject{{QStringLiteral("error"), QStringLiteral("unauthorized")},
                    {QStringLiteral("message"),
                     QStringLiteral("an agent key is required: Authorization: Bearer <key>")}},
        Status::Unauthorized);
    response.setHeader("WWW-Authenticate", "Bearer");
    return response;
}

// DNS rebinding: a web page must not reach the proxy through a browser on
// the same machine. Programs send no Origin.
bool originAllowed(const QHttpServerRequest &request)
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

QString errorMessage(const QJsonObject &response)
{
    return response.value(QStringLiteral("error"))
        .toObject()
        .value(QStringLiteral("message"))
        .toString();
}

} // namespace

McpProxy::McpProxy(AgentDirectory agents, const QList<UpstreamConfig> &upstreams,
                   const PolicyDecisionPoint &pdp, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_agents(std::move(agents))
    , m_pdp(pdp)
    , m_clock(clock)
{
    for (const UpstreamConfig &upstream : upstreams)
        m_upstreams.push_back(std::make_unique<StdioUpstream>(upstream));
}

McpProxy::~McpProxy() = default;

QStringList McpProxy::supportedProtocolVersions()
{
    return {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"),
            QStringLiteral("2025-03-26")};
}

void McpProxy::addRoutes(QHttpServer &http)
{
    http.route(QStringLiteral("/mcp"), QHttpServerRequest::Method::Post,
               [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                   post(request, std::move(responder));
               });
    http.route(QStringLiteral("/mcp"), QHttpServerRequest::Method::Delete,
               [this](const QHttpServerRequest &request) { return remove(request); });
    http.route(QStringLiteral("/mcp"), QHttpServerRequest::Method::Get, [] {
        // Server-initiated messages (SSE) come with the approval flow.
        QHttpServerResponse response = refusal(
            Status::MethodNotAllowed, QStringLiteral("no event stream yet; POST JSON-RPC to /mcp"));
        response.setHeader("Allow", "POST, DELETE");
        return response;
    });
}

void McpProxy::post(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    const auto send = [&responder](QHttpServerResponse response) {
        response.write(std::move(responder));
    };
    if (!originAllowed(request)) {
        send(refusal(Status::Forbidden, QStringLiteral("requests from web pages are not allowed")));
        return;
    }
    if (request.body().size() > maxBodyBytes) {
        send(refusal(Status::PayloadTooLarge,
                     QStringLiteral("message larger than %1 bytes").arg(maxBodyBytes)));
        return;
    }
    const auto agent =
        m_agents.authenticate(header(request, "Authorization").value_or(QByteArray()));
    if (!agent) {
        send(unauthorized());
        return;
    }
    if (const auto version = header(request, versionHeader)) {
        if (!supportedProtocolVersions().contains(QString::fromLatin1(*version))) {
            send(refusal(
                Status::BadRequest,
                QStringLiteral("unsupported MCP-Protocol-Version \"%1\"; supported: %2")
                    .arg(QString::fromLatin1(*version), supportedProtocolVersions().join(u", "))));
            return;
        }
    }
    const JsonRpcMessage message = JsonRpcMessage::parse(request.body());
    if (message.kind == JsonRpcMessage::Kind::Invalid) {
        send(jsonResponse(message.errorReply, Status::BadRequest));
        return;
    }
    const bool initializing =
        message.kind == JsonRpcMessage::Kind::Request && message.method() == u"initialize";
    QString sessionId;
    if (!initializing) {
        sessionId = QString::fromLatin1(header(request, sessionHeader).value_or(QByteArray()));
        if (sessionId.isEmpty()) {
            send(refusal(Status::BadRequest,
                         QStringLiteral("Mcp-Session-Id header is required; send initialize "
                                        "first")));
            return;
        }
        // Another agent's session is as unknown as an ended one: a session
        // id must not let one agent act as another.
        const auto session = m_sessions.find(sessionId);
        if (session == m_sessions.end() || session->agentName != agent->name) {
            send(refusal(Status::NotFound,
                         QStringLiteral("unknown or ended session; initialize "
                                        "again")));
            return;
        }
        session->lastUsed = ++m_sessionSequence;
    }
    if (message.kind != JsonRpcMessage::Kind::Request) {
        // Notifications (initialized, cancelled) and answers to requests
        // the gateway never sends yet need nothing but an acknowledgement.
        responder.write(Status::Accepted);
        return;
    }

    if (initializing) {
        QString version;
        const QJsonObject reply = initialize(message, &version);
        QHttpServerResponse response = jsonResponse(reply);
        response.setHeader(sessionHeader,
                           openSession(*agent, message.params(), version).toLatin1());
        send(std::move(response));
        return;
    }
    const QString method = message.method();
    if (method == u"ping") {
        send(jsonResponse(JsonRpcMessage::result(message.id(), {})));
        return;
    }
    if (method != u"tools/list" && method != u"tools/call") {
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
    if (method == u"tools/list")
        listTools(message, std::move(reply));
    else
        callTool(message, *agent, sessionId, std::move(reply));
}

QHttpServerResponse McpProxy::remove(const QHttpServerRequest &request)
{
    if (!originAllowed(request))
        return refusal(Status::Forbidden,
                       QStringLiteral("requests from web pages are not allowed"));
    const auto agent =
        m_agents.authenticate(header(request, "Authorization").value_or(QByteArray()));
    if (!agent)
        return unauthorized();
    const QString sessionId =
        QString::fromLatin1(header(request, sessionHeader).value_or(QByteArray()));
    if (sessionId.isEmpty())
        return refusal(Status::BadRequest, QStringLiteral("Mcp-Session-Id header is required"));
    const auto session = m_sessions.find(sessionId);
    if (session == m_sessions.end() || session->agentName != agent->name)
        return refusal(Status::NotFound, QStringLiteral("unknown or ended session"));
    m_sessions.erase(session);
    return QHttpServerResponse(Status::Ok);
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
            {QStringLiteral("capabilities"), QJsonObject{{QStringLiteral("tools"), QJsonObject{}}}},
            {QStringLiteral("serverInfo"),
             QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-gateway")},
                         {QStringLiteral("version"), QStringLiteral("0.1")}}},
        });
}

QString McpProxy::openSession(const McpAgent &agent, const QJsonObject &params,
                              QString protocolVersion)
{
    if (m_sessions.size() >= maxSessions) {
        auto oldest = m_sessions.begin();
        for (auto it = m_sessions.begin(); it != m_sessions.end(); ++it) {
            if (it->lastUsed < oldest->lastUsed)
                oldest = it;
        }
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
    // 32 random bytes in base64url: visible ASCII and unguessable, as the
    // specification requires of session ids.
    const QString id = randomToken(32);
    m_sessions.insert(id, session);
    qCInfo(lcMcp) << "session opened for agent" << agent.name
                  << session.clientInfo.value(QStringLiteral("name")).toString();
    return id;
}

void McpProxy::listTools(const JsonRpcMessage &message, Reply reply)
{
    if (m_upstreams.empty()) {
        reply(JsonRpcMessage::result(message.id(),
                                     QJsonObject{{QStringLiteral("tools"), QJsonArray{}}}));
        return;
    }
    struct Gathering {
        std::vector<QJsonArray> tools; // per upstream, to keep the configured order
        QStringList errors;
        std::size_t remaining = 0;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->tools.resize(m_upstreams.size());
    gathering->remaining = m_upstreams.size();
    const bool prefixed = m_upstreams.size() > 1;
    const QJsonValue id = message.id();
    for (std::size_t i = 0; i < m_upstreams.size(); ++i) {
        const QString upstreamName = m_upstreams[i]->name();
        m_upstreams[i]->request(
            QStringLiteral("tools/list"), {},
            [gathering, i, prefixed, upstreamName, id, reply](const QJsonObject &response) {
                const QJsonObject result = response.value(QStringLiteral("result")).toObject();
                if (!response.contains(QStringLiteral("result"))) {
                    gathering->errors.append(errorMessage(response));
                } else {
                    // TODO(next): follow nextCursor when an upstream pages its tools.
                    for (const QJsonValue &tool : result.value(QStringLiteral("tools")).toArray()) {
                        QJsonObject entry = tool.toObject();
                        if (prefixed) {
                            entry.insert(QStringLiteral("name"),
                                         QString(upstreamName + QLatin1String(toolSeparator)
                                                 + entry.value(QStringLiteral("name")).toString()));
                        }
                        gathering->tools[i].append(entry);
                    }
                }
                if (--gathering->remaining > 0)
                    return;
                // One failing upstream should not hide the others' tools;
                // only when none answered is the list an error.
                if (gathering->errors.size() == static_cast<qsizetype>(gathering->tools.size())) {
                    reply(JsonRpcMessage::error(id, JsonRpcMessage::upstreamFailure,
                                                gathering->errors.join(u"; ")));
                    return;
                }
                QJsonArray all;
                for (const QJsonArray &tools : gathering->tools) {
                    for (const QJsonValue &tool : tools)
                        all.append(tool);
                }
                reply(JsonRpcMessage::result(id, QJsonObject{{QStringLiteral("tools"), all}}));
            });
    }
}

void McpProxy::callTool(const JsonRpcMessage &message, const McpAgent &agent,
                        const QString &sessionId, Reply reply)
{
    const QJsonValue id = message.id();
    const QJsonObject params = message.params();
    const QJsonValue nameValue = params.value(QStringLiteral("name"));
    const QJsonValue argumentsValue = params.value(QStringLiteral("arguments"));
    if (!nameValue.isString() || nameValue.toString().isEmpty()
        || (!argumentsValue.isUndefined() && !argumentsValue.isObject())) {
        reply(JsonRpcMessage::error(id, JsonRpcMessage::invalidParams,
                                    QStringLiteral("tools/call needs params.name (a string) and "
                                                   "optionally params.arguments (an object)")));
        return;
    }
    const QString name = nameValue.toString();
    const QJsonObject arguments = argumentsValue.toObject();

    Upstream *upstream = nullptr;
    QString tool = name;
    if (m_upstreams.size() == 1) {
        upstream = m_upstreams.front().get();
    } else {
        const qsizetype separator = name.indexOf(QLatin1String(toolSeparator));
        if (separator > 0) {
            const QString prefix = name.left(separator);
            for (const auto &candidate : m_upstreams) {
                if (candidate->name() == prefix)
                    upstream = candidate.get();
            }
            tool = name.mid(separator + 2);
        }
    }
    if (!upstream || tool.isEmpty()) {
        reply(JsonRpcMessage::error(id, JsonRpcMessage::invalidParams,
                                    QStringLiteral("unknown tool \"%1\"").arg(name)));
        return;
    }

    const auto session = m_sessions.constFind(sessionId);
    AccessRequest access;
    access.subject = AuthzenEntity{QStringLiteral("user"), agent.userId,
                                   QJsonObject{{QStringLiteral("agent"), agent.name}}};
    access.action = AuthzenAction{tool, {}};
    access.resource = AuthzenEntity{QStringLiteral("tool"), QString(upstream->name() + u'/' + tool),
                                    QJsonObject{{QStringLiteral("arguments"), arguments}}};
    access.context = QJsonObject{
        {QStringLiteral("session_id"), sessionId},
        {QStringLiteral("client"),
         session != m_sessions.cend() ? session->clientInfo : QJsonObject{}},
        {QStringLiteral("time"),
         QDateTime::fromSecsSinceEpoch(m_clock.secondsSinceEpoch(), Qt::UTC).toString(Qt::ISODate)},
    };
    const AccessDecision decision = m_pdp.evaluate(access);
    qCInfo(lcMcp).noquote() << "agent" << agent.name << "for" << agent.userId << "calls"
                            << access.resource.id << "->"
                            << (decision.isAllow()      ? QStringLiteral("allow")
                                    : decision.isDeny() ? QStringLiteral("deny")
                                                        : QStringLiteral("step-up"))
                            << decision.ruleName;
    if (decision.isDeny()) {
        reply(JsonRpcMessage::error(
            id, JsonRpcMessage::accessDenied,
            decision.reason.isEmpty()
                ? QStringLiteral("denied by policy")
                : QStringLiteral("denied by policy: %1").arg(decision.reason)));
        return;
    }
    if (decision.isStepUp()) {
        // APPROVAL FLOW PLUGS IN HERE (next step): create an approval with
        // the ApprovalBroker for this exact call, wait for the person (SSE
        // keeps the POST open; URL elicitation -32042 when the session
        // declared it), then forward with the elevated token in
        // params._meta. Until then the call is refused, so nothing that
        // needs a person ever runs without one.
        QJsonArray methods;
        for (const ApprovalMethod method : decision.methods)
            methods.append(approvalMethodName(method));
        QJsonObject data{{QStringLiteral("step_up"), true}, {QStringLiteral("methods"), methods}};
        if (!decision.reason.isEmpty())
            data.insert(QStringLiteral("reason"), decision.reason);
        reply(JsonRpcMessage::error(id, JsonRpcMessage::accessDenied,
                                    QStringLiteral("approval required"), data));
        return;
    }

    // Only name and arguments go upstream: they are what the policy saw.
    upstream->request(
        QStringLiteral("tools/call"),
        QJsonObject{{QStringLiteral("name"), tool}, {QStringLiteral("arguments"), arguments}},
        [id, reply](const QJsonObject &response) {
            if (response.value(QStringLiteral("result")).isObject()) {
                reply(JsonRpcMessage::result(id,
                                             response.value(QStringLiteral("result")).toObject()));
                return;
            }
            const QJsonObject error = response.value(QStringLiteral("error")).toObject();
            reply(JsonRpcMessage::error(
                id, error.value(QStringLiteral("code")).toInt(JsonRpcMessage::internalError),
                error.value(QStringLiteral("message")).toString(QStringLiteral("upstream error")),
                error.value(QStringLiteral("data"))));
        });
}

} // namespace countersign::gateway
