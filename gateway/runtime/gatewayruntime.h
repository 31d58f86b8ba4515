#pragma once

#include "gateway/approvals/approvalbroker.h"
#include "gateway/channel/companionhub.h"
#include "gateway/config/gatewayconfig.h"
#include "gateway/http/approvalpage.h"
#include "gateway/http/gatewayserver.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/mcp/mcpproxy.h"
#include "gateway/pairing/pairingservice.h"
#include "gateway/passkeys/passkeyregistry.h"
#include "gateway/pdp/pdpendpoints.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "gateway/runtime/controlsocket.h"
#include "gateway/store/auditheadlogger.h"
#include "gateway/store/retentionpruner.h"
#include "gateway/store/sqlitestore.h"

#include <memory>

namespace countersign::gateway {

// A running gateway: the store, keys and services of one data dir, serving
// on one port. `countersign-gateway serve` runs one; the integration tests
// run them in-process on free ports.
class GatewayRuntime : public QObject {
    Q_OBJECT

public:
    struct Options {
        // Group commit (docs/architecture.md "Durability"): the store
        // commits without waiting for the disk, a sync thread fdatasyncs
        // the WAL, and the edge holds every answer and companion message
        // until what it depends on is durable. `serve` turns it on; off,
        // every commit is durable when it returns.
        bool groupCommit = false;
        // Test seam: how the store's sync thread syncs the WAL (default
        // fdatasync; SqliteStore::Options::syncFile).
        std::function<int(int fd)> syncFile;
    };

    static Result<std::unique_ptr<GatewayRuntime>> start(const GatewayConfig &config,
                                                         const QString &dataDir, const Clock &clock,
                                                         ChannelTimings timings = {});
    static Result<std::unique_ptr<GatewayRuntime>> start(const GatewayConfig &config,
                                                         const QString &dataDir, const Clock &clock,
                                                         ChannelTimings timings,
                                                         const Options &options);
    ~GatewayRuntime() override;

    quint16 port() const { return m_port; }
    QUrl publicUrl() const { return m_publicUrl; }
    Store &store() { return *m_store; }
    ApprovalBroker &broker() { return *m_broker; }
    CompanionHub &hub() { return *m_hub; }
    PairingService &pairing() { return *m_pairing; }
    PasskeyRegistry &passkeys() { return *m_passkeys; }
    EcPublicKey signingKey() const { return m_signingKey->publicKey(); }
    // The embedded policy decision point, when the config has a policy.
    const PolicyDecisionPoint *pdp() const { return m_pdp.get(); }
    // The HTTP and WebSocket server (its edge: held writes, limits).
    const GatewayServer &server() const { return *m_server; }
    // The approval page of URL-mode elicitation: linkFor() gives an
    // approval's link.
    const ApprovalPage &approvalPage() const { return *m_approvalPage; }
    // The MCP proxy, when the configuration has agents and upstreams.
    const McpProxy *mcp() const { return m_mcp.get(); }

private:
    GatewayRuntime() = default;

    std::unique_ptr<SqliteStore> m_store;
    std::optional<EcPrivateKey> m_signingKey;
    std::unique_ptr<GatewayServer> m_server;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<ApprovalBroker> m_broker;
    std::unique_ptr<ApprovalPage> m_approvalPage; // reads m_broker
    std::unique_ptr<PairingService> m_pairing;
    std::unique_ptr<PasskeyRegistry> m_passkeys;
    std::unique_ptr<CompanionHub> m_hub;
    std::unique_ptr<ControlSocket> m_control;
    std::unique_ptr<PolicyDecisionPoint> m_pdp;
    std::unique_ptr<PdpEndpoints> m_pdpEndpoints;
    std::unique_ptr<McpProxy> m_mcp; // after m_pdp: destroyed before the PDP it uses
    // Audit chain head in the log; retention (docs/gateway.md "The audit log")
    std::unique_ptr<AuditHeadLogger> m_auditHeadLogger;
    std::unique_ptr<RetentionPruner> m_retention;
    quint16 m_port = 0;
    QUrl m_publicUrl;
};

} // namespace countersign::gateway
