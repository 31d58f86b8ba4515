#pragma once

#include "gateway/edge/edgeserver.h"
#include "gateway/edge/httprouter.h"
#include "gateway/http/ratelimiter.h"
#include "protocol/result.h"

#include <optional>

#include <QHostAddress>
#include <QJsonObject>
#include <QUrl>

namespace countersign::gateway {

class ApprovalBroker;
class ApprovalPage;
class Durability;
class CompanionHub;
class PairingService;
class PdpEndpoints;
class McpProxy;

struct ServerOptions {
    EdgeOptions edge;            // address, port, TLS, limits, I/O threads
    QByteArray adminTokenSha256; // empty: the /approvals endpoints are disabled
    int pairingAttemptsPerMinute = 10;
    qint64 defaultApprovalTimeout = 120;
};

// The gateway's one listening port: HTTP endpoints and the companion
// WebSocket (docs/gateway.md lists them). Routes only; the edge
// (EdgeServer) does the network and the services the work. Everything here
// runs on the Qt thread.
class GatewayServer : public QObject {
    Q_OBJECT

public:
    GatewayServer(ServerOptions options, const Clock &clock, QObject *parent = nullptr);
    ~GatewayServer() override;

    // Starts listening; returns the port (useful with port 0). Nothing is
    // routed until attach(): the public URL may depend on the port.
    Result<quint16> listen();
    // publicUrl gives the one browser Origin the companion WebSocket takes.
    void attach(ApprovalBroker &broker, PairingService &pairing, CompanionHub &hub,
                QJsonObject jwks, const QUrl &publicUrl);
    // The embedded PDP's AuthZEN API. Evaluations and searches need the
    // admin token (they tell what the policy allows); discovery is public.
    // Sets the endpoints' authenticator; they must outlive the server.
    void attachPdp(PdpEndpoints &endpoints);
    // The agent-facing MCP endpoint (/mcp).
    void attachMcp(McpProxy &proxy);
    // The approval page of URL-mode elicitation (/approve/...); `page`
    // must outlive the server.
    void attachApprovalPage(const ApprovalPage &page);
    // Every answer and companion message waits until the store writes it
    // depends on are durable (the durability gate, docs/architecture.md
    // "Durability"). `durability` must outlive this server.
    void setDurability(Durability &durability) { m_edge.setDurability(&durability); }
    // Stops the edge (docs/architecture.md "Threading", shutdown): no
    // request reaches the services after this.
    void stop();

    const EdgeServer &edge() const { return m_edge; }

private:
    void addRoutes();
    std::optional<HttpResponse> checkUpgrade(const HttpRequest &request) const;
    bool isAdmin(const HttpRequest &request) const;
    HttpResponse createApproval(const HttpRequest &request);
    HttpResponse approvalStatus(const QString &requestId, const HttpRequest &request);
    HttpResponse redeemApproval(const QString &requestId, const HttpRequest &request);
    HttpResponse pair(const HttpRequest &request);

    ApprovalBroker *m_broker = nullptr;
    PairingService *m_pairing = nullptr;
    CompanionHub *m_hub = nullptr;
    QJsonObject m_jwks;
    ServerOptions m_options;
    RateLimiter m_pairingLimiter;
    QByteArray m_ownOrigin; // scheme://host[:port] of the public URL
    HttpRouter m_router;
    EdgeServer m_edge;
};

} // namespace countersign::gateway
