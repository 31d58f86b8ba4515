#pragma once

#include "gateway/edge/httprouter.h"
#include "gateway/mcp/agentdirectory.h"
#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/listsubscriptions.h"
#include "gateway/mcp/mcpaudit.h"
#include "gateway/mcp/modernrequest.h"
#include "gateway/mcp/responsestream.h"
#include "gateway/mcp/stepupflow.h"
#include "gateway/mcp/upstream.h"
#include "gateway/mcp/upstreamconfig.h"
#include "protocol/clock.h"
#include "protocol/jsonrpc/mcpheaderparams.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <QTimer>

namespace countersign::gateway {

class ApprovalBroker;
class PolicyDecisionPoint;
class Store;

struct McpProxySettings {
    StepUpTimings stepUp;
    // A session nobody used for this long is forgotten; its id then gets
    // 404 and the client initializes again (MCP session management).
    std::chrono::seconds sessionIdleTimeout = std::chrono::hours(1);
    // How often an open GET stream carries a keep-alive comment.
    std::chrono::milliseconds streamKeepAlive = std::chrono::seconds(25);
    // MCP 2026-07-28 step-up (a multi round-trip request): the sealer of
    // requestState (null: a key of this process only), and the approval
    // page's link for URL-mode elicitation (empty: form mode only).
    std::shared_ptr<const RequestStateSealer> requestStates;
    std::function<QString(const QString &approvalId)> approvalLink;
    // While a 2026-07-28 client listens for list changes
    // (subscriptions/listen), the gateway gathers the lists it listens to
    // this often to notice a change (any client's list request notices one
    // too).
    std::chrono::milliseconds listPollInterval = std::chrono::seconds(30);
};

// The policy enforcement point agents talk to: MCP Streamable HTTP at
// POST/GET/DELETE /mcp, in both eras: 2026-07-28 per request (no session,
// ModernRequest) and 2025-11-25/06-18/03-26 after initialize (a session). Agents authenticate with
// a bearer key (AgentDirectory); every tools/call becomes an AuthZEN access request for the
// PolicyDecisionPoint: allowed calls go upstream, denied ones get -32001, and step-up calls wait
// for a person (StepUpFlow). docs/gateway.md describes the mapping.
class McpProxy : public QObject {
    Q_OBJECT

public:
    // Per agent, so that one agent (or a stolen key) opening sessions
    // without end evicts only its own oldest ones, never another agent's.
    // The agents are a fixed list from the configuration, so this also
    // bounds the whole.
    static constexpr qsizetype maxSessionsPerAgent = 256;
    static constexpr qsizetype maxStreamsPerSession = 4;
    static constexpr qsizetype maxKnownResources = 4096;
    // Between upstream and tool in tool names when there are several
    // upstreams ("directory__list_users").
    static constexpr auto toolSeparator = "__";

    // pdp, broker, store and clock must outlive the proxy.
    McpProxy(AgentDirectory agents, const QList<UpstreamConfig> &upstreams,
             const PolicyDecisionPoint &pdp, ApprovalBroker &broker, Store &store,
             const Clock &clock, McpProxySettings settings = {}, QObject *parent = nullptr);
    // With upstreams the caller made (tests: one that records what reaches it).
    // (Upstreams first, so that `{}` for the list above stays unambiguous.)
    McpProxy(std::vector<std::unique_ptr<Upstream>> upstreams, AgentDirectory agents,
             const PolicyDecisionPoint &pdp, ApprovalBroker &broker, Store &store,
             const Clock &clock, McpProxySettings settings = {}, QObject *parent = nullptr);
    ~McpProxy() override;

    // Adds POST, DELETE and GET /mcp to router.
    void addRoutes(HttpRouter &router);

    // The initialize era, newest first; the first is what the gateway
    // answers when an initialize asks for a version it does not know.
    static QStringList supportedProtocolVersions();
    // Every version, newest first: 2026-07-28 (per request) and the above
    // (server/discover, UnsupportedProtocolVersionError).
    static QStringList allProtocolVersions();
    // Caching hints of 2026-07-28 results (server/utilities/caching): the
    // lists are gathered from upstreams that may change them, and they are
    // never shared between agents' keys ("private").
    static constexpr qint64 listTtlMs = 60 * 1000;

    const StepUpFlow &stepUps() const { return *m_stepUps; }

private:
    struct Session {
        QString agentName;
        QString protocolVersion;
        QJsonObject clientInfo;
        QJsonObject clientCapabilities;
        bool elicitation = false; // the client declared elicitation (for the approval flow)
        // logging/setLevel: the least severe upstream log message relayed
        // (RFC 5424 order, 0 = debug); -1 until the client sets one (all).
        int logLevel = -1;
        quint64 lastUsed = 0;    // order, for evicting the least recently used
        qint64 lastActiveAt = 0; // seconds, for the idle timeout
        QList<std::shared_ptr<ResponseStream>> streams; // open GET streams
    };
    using Reply = std::function<void(const QJsonObject &)>;
    // Who calls a tool and what its client can do: from the session
    // (initialize era) or from the request itself (2026-07-28).
    struct Caller {
        QString sessionId; // initialize era only
        QString protocolVersion;
        QJsonObject clientInfo;
        bool elicitation = false; // initialize era: elicitation/create on the stream
        std::optional<ModernRequest> modern;
    };

    void post(const HttpRequest &request, Responder &&responder);
    // A 2026-07-28 request (ModernRequest::isModern).
    void postModern(const HttpRequest &request, const JsonRpcMessage &message,
                    const McpAgent &agent, Responder &&responder);
    QJsonObject discover(const JsonRpcMessage &message) const;
    void get(const HttpRequest &request, Responder &&responder);
    HttpResponse remove(const HttpRequest &request);
    // The session of a request after the common checks, or the refusal.
    std::variant<QString, HttpResponse> sessionOf(const HttpRequest &request,
                                                  const McpAgent &agent);
    QString openSession(const McpAgent &agent, const QJsonObject &params, QString protocolVersion);
    void expireIdleSessions();
    QJsonObject initialize(const JsonRpcMessage &message, QString *protocolVersion) const;
    // tools/list, prompts/list, resources/list, resources/templates/list:
    // every upstream's list in one, names prefixed when there are several.
    void gatherLists(const JsonRpcMessage &message, const QString &listKey, bool prefixNames,
                     Reply reply);
    // prompts/get, resources/read: to the upstream that owns the name or URI.
    void routeToOwner(const JsonRpcMessage &message, Reply reply);
    void callTool(const JsonRpcMessage &message, const McpAgent &agent, const Caller &caller,
                  std::shared_ptr<ResponseStream> stream);
    // logging/setLevel: kept per session, applied by the gateway to the log
    // messages it relays (the upstream sessions are shared by all agents,
    // so an agent must not change what another one hears).
    QJsonObject setLogLevel(const JsonRpcMessage &message, const QString &sessionId);
    // subscriptions/listen: the stream stays open for list changes.
    void listen(const JsonRpcMessage &message, const McpAgent &agent,
                std::shared_ptr<ResponseStream> stream);
    void pollLists();
    // What an allowed call's upstream says while it runs, to its client.
    // Log messages as severe as the caller's level (RFC 5424 index, -1 =
    // all) are relayed; none when it has no level (2026-07-28: a request
    // without _meta logLevel; a session that ended).
    ToolCallRelay relayTo(const Caller &caller, std::shared_ptr<ResponseStream> stream);
    // The upstream and unprefixed name for a (possibly prefixed) name.
    std::pair<Upstream *, QString> resolveName(const QString &name) const;
    void keepStreamsAlive();

    AgentDirectory m_agents;
    std::vector<std::unique_ptr<Upstream>> m_upstreams;
    const PolicyDecisionPoint &m_pdp;
    const Clock &m_clock;
    McpProxySettings m_settings;
    McpAudit m_audit;
    std::unique_ptr<StepUpFlow> m_stepUps;
    QHash<QString, Session> m_sessions;
    // Resource URI -> the upstream that listed it; shared with the list
    // callbacks (the upstreams, which they point at, live as long as the proxy).
    std::shared_ptr<QHash<QString, Upstream *>> m_resourceOwners;
    // Exposed tool name -> its x-mcp-header parameters, from the last
    // tools/list gathered (tools with none are not kept); what a 2026-07-28
    // tools/call's Mcp-Param-* headers are checked against. Shared with the
    // list callbacks like m_resourceOwners; bounded by maxKnownResources.
    std::shared_ptr<QHash<QString, QList<mcpmodern::HeaderParam>>> m_toolHeaderParams;
    quint64 m_sessionSequence = 0;
    QTimer m_keepAlive;
    ListSubscriptions m_listSubscriptions;
    QTimer m_listPoll;
};

} // namespace countersign::gateway
