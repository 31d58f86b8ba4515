#pragma once

#include "gateway/mcp/agentdirectory.h"
#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/stdioupstream.h"
#include "gateway/mcp/upstreamconfig.h"
#include "protocol/clock.h"

#include <functional>
#include <memory>
#include <vector>

#include <QHash>
#include <QHttpServer>
#include <QJsonObject>
#include <QObject>
#include <QStringList>

namespace countersign::gateway {

class PolicyDecisionPoint;

// The policy enforcement point agents talk to: MCP Streamable HTTP at
// POST/DELETE /mcp (JSON responses only, no SSE yet). Agents authenticate
// with a bearer key (AgentDirectory); every tools/call becomes an AuthZEN
// access request for the PolicyDecisionPoint, and only allowed calls reach
// the upstream. docs/gateway.md describes the mapping.
class McpProxy : public QObject {
    Q_OBJECT

public:
    static constexpr qsizetype maxBodyBytes = 256 * 1024;
    static constexpr qsizetype maxSessions = 1024;
    // Between upstream and tool in tool names when there are several
    // upstreams ("directory__list_users").
    static constexpr auto toolSeparator = "__";

    // pdp and clock must outlive the proxy.
    McpProxy(AgentDirectory agents, const QList<UpstreamConfig> &upstreams,
             const PolicyDecisionPoint &pdp, const Clock &clock, QObject *parent = nullptr);
    ~McpProxy() override;

    // Adds POST, DELETE and GET /mcp to http.
    void addRoutes(QHttpServer &http);

    // Newest first; the first is what the gateway answers when the client
    // asks for a version it does not know.
    static QStringList supportedProtocolVersions();

private:
    struct Session {
        QString agentName;
        QString protocolVersion;
        QJsonObject clientInfo;
        QJsonObject clientCapabilities;
        bool elicitation = false; // the client declared elicitation (for the approval flow)
        quint64 lastUsed = 0;
    };
    using Reply = std::function<void(const QJsonObject &)>;

    void post(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    QHttpServerResponse remove(const QHttpServerRequest &request);
    QString openSession(const McpAgent &agent, const QJsonObject &params, QString protocolVersion);
    QJsonObject initialize(const JsonRpcMessage &message, QString *protocolVersion) const;
    void listTools(const JsonRpcMessage &message, Reply reply);
    void callTool(const JsonRpcMessage &message, const McpAgent &agent, const QString &sessionId,
                  Reply reply);

    AgentDirectory m_agents;
    std::vector<std::unique_ptr<Upstream>> m_upstreams;
    const PolicyDecisionPoint &m_pdp;
    const Clock &m_clock;
    QHash<QString, Session> m_sessions;
    quint64 m_sessionSequence = 0;
};

} // namespace countersign::gateway
