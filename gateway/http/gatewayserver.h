#pragma once

#include "gateway/http/ratelimiter.h"
#include "protocol/result.h"

#include <optional>

#include <QHostAddress>
#include <QHttpServer>
#include <QJsonObject>
#include <QSslConfiguration>

namespace countersign::gateway {

class ApprovalBroker;
class CompanionHub;
class PairingService;
class PdpEndpoints;
class McpProxy;

struct ServerOptions {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8780; // 0: any free port
    std::optional<QSslConfiguration> tls;
    QByteArray adminTokenSha256; // empty: the /approvals endpoints are disabled
    int pairingAttemptsPerMinute = 10;
    qint64 defaultApprovalTimeout = 120;
};

// The gateway's one listening port: HTTP endpoints and the companion
// WebSocket (docs/gateway.md lists them). Routes only; the work is done by
// the services it is given.
class GatewayServer : public QObject {
    Q_OBJECT

public:
    static constexpr qsizetype maxBodyBytes = 64 * 1024;

    GatewayServer(ServerOptions options, const Clock &clock, QObject *parent = nullptr);

    // Starts listening; returns the port (useful with port 0). Nothing is
    // routed until attach(): the public URL may depend on the port.
    Result<quint16> listen();
    void attach(ApprovalBroker &broker, PairingService &pairing, CompanionHub &hub,
                QJsonObject jwks);
    // The embedded PDP's AuthZEN API. Evaluations need the admin token (a
    // decision tells what the policy allows); discovery is public.
    void attachPdp(const PdpEndpoints &endpoints);
    // The agent-facing MCP endpoint (/mcp).
    void attachMcp(McpProxy &proxy);

private:
    void addRoutes();
    bool isAdmin(const QHttpServerRequest &request) const;
    QHttpServerResponse createApproval(const QHttpServerRequest &request);
    QHttpServerResponse approvalStatus(const QString &requestId, const QHttpServerRequest &request);
    QHttpServerResponse redeemApproval(const QString &requestId, const QHttpServerRequest &request);
    QHttpServerResponse pair(const QHttpServerRequest &request);

    ApprovalBroker *m_broker = nullptr;
    PairingService *m_pairing = nullptr;
    CompanionHub *m_hub = nullptr;
    QJsonObject m_jwks;
    ServerOptions m_options;
    RateLimiter m_pairingLimiter;
    QHttpServer m_http;
};

} // namespace countersign::gateway
