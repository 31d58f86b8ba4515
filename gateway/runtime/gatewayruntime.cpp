#include "gatewayruntime.h"

#include "gateway/approvals/totpchecker.h"
#include "gateway/keys/privatefile.h"
#include "gateway/keys/signingkey.h"
#include "protocol/tlspin.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QSslConfiguration>

namespace countersign::gateway {

GatewayRuntime::~GatewayRuntime()
{
    // The edge first: its I/O threads are joined and requests still queued
    // for this thread dropped before any service they would call is gone.
    if (m_server)
        m_server->stop();
    if (m_auditHeadLogger)
        m_auditHeadLogger->stop(); // the head at shutdown
}

Result<std::unique_ptr<GatewayRuntime>> GatewayRuntime::start(const GatewayConfig &config,
                                                              const QString &dataDir,
                                                              const Clock &clock,
                                                              ChannelTimings timings)
{
    return start(config, dataDir, clock, timings, Options{});
}

Result<std::unique_ptr<GatewayRuntime>>
GatewayRuntime::start(const GatewayConfig &config, const QString &dataDir, const Clock &clock,
                      ChannelTimings timings, const Options &options)
{
    std::unique_ptr<GatewayRuntime> runtime(new GatewayRuntime);
    SqliteStore::Options storeOptions;
    storeOptions.groupCommit = options.groupCommit;
    storeOptions.syncFile = options.syncFile;
    auto store = SqliteStore::open(dataDir, storeOptions);
    if (!store)
        return store.error();
    runtime->m_store = std::move(store).value();
    auto key = SigningKey::loadOrCreate(dataDir);
    if (!key)
        return key.error();
    runtime->m_signingKey = key.value();
    // The key of the approval page's links (docs/gateway.md, "Approval page").
    auto approvalLinkKey = ApprovalPage::loadOrCreateKey(dataDir);
    if (!approvalLinkKey)
        return approvalLinkKey.error();

    if (config.reserved.contains(QStringLiteral("policy"))) {
        const auto &section = config.reserved[QStringLiteral("policy")];
        auto policy = Policy::fromConfigSection(section.yaml, section.line, config.sourcePath);
        if (!policy)
            return policy.error();
        runtime->m_pdp = std::make_unique<PolicyDecisionPoint>(std::move(policy).value());
        runtime->m_pdp->setDirectory(
            std::make_shared<const EntityDirectory>(entityDirectoryFromConfig(config)));
    }

    // Every mistake in the configuration is reported before the port is
    // bound: "port in use" must never hide a config error (docs/gateway.md).
    struct McpConfig {
        AgentDirectory agents;
        QList<UpstreamConfig> upstreams;
    };
    std::optional<McpConfig> mcpConfig;
    if (config.reserved.contains(QStringLiteral("pdp"))) {
        // Accepted silently, it would let an admin believe an external PDP
        // decides while the embedded policy (or nothing) does.
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("%1:%2: pdp: an external AuthZEN PDP is not supported by "
                                        "serve yet; remove the section and write the rules in "
                                        "policy: (docs/gateway.md, \"Policy\")")
                             .arg(config.sourcePath)
                             .arg(config.reserved[QStringLiteral("pdp")].line));
    }
    if (config.reserved.contains(QStringLiteral("upstreams"))) {
        if (!runtime->m_pdp) {
            return makeError(ErrorCode::ConfigError,
                             QStringLiteral("%1: upstreams: needs a policy: section (without one "
                                            "every tool call would be denied)")
                                 .arg(config.sourcePath));
        }
        const auto agentsSection = config.reserved.value(QStringLiteral("agents"));
        auto agents = AgentDirectory::fromConfigSection(agentsSection.yaml, agentsSection.line,
                                                        config.sourcePath);
        if (!agents)
            return agents.error();
        const auto &upstreamsSection = config.reserved[QStringLiteral("upstreams")];
        auto upstreams = UpstreamConfig::fromConfigSection(
            upstreamsSection.yaml, upstreamsSection.line, config.sourcePath);
        if (!upstreams)
            return upstreams.error();
        mcpConfig = McpConfig{std::move(agents).value(), std::move(upstreams).value()};
    }

    ServerOptions serverOptions;
    serverOptions.edge.address = config.listenAddress;
    serverOptions.edge.port = config.listenPort;
    serverOptions.pairingAttemptsPerMinute = config.maxPairingAttemptsPerMinute;
    serverOptions.defaultApprovalTimeout = config.approvalTimeout.count();
    serverOptions.edge.limits = config.limits;
    serverOptions.edge.ioThreads = config.ioThreads;
    QString pin;
    if (config.tls) {
        // The same certificate and key as loaded and checked by the config,
        // handed to the edge as PEM: what the gateway presents (and the SPKI
        // hash companions pin) does not depend on the TLS stack.
        EdgeTls tls;
        for (const QSslCertificate &certificate : config.tls->certificateChain)
            tls.certificateChainPem += certificate.toPem();
        tls.privateKeyPem = config.tls->privateKey.toPem();
        serverOptions.edge.tls = std::move(tls);
        const QSslCertificate &leaf = config.tls->certificateChain.constFirst();
        if (leaf.isSelfSigned())
            pin = spkiPin(leaf);
    }
    if (config.adminTokenFile) {
        const auto token = readPrivateFile(*config.adminTokenFile);
        if (!token)
            return token.error();
        serverOptions.adminTokenSha256 =
            QCryptographicHash::hash(token->trimmed(), QCryptographicHash::Sha256);
    }
    runtime->m_server = std::make_unique<GatewayServer>(serverOptions, clock);
    // Without group commit every commit is durable when it returns: no
    // gate, no cost.
    if (options.groupCommit)
        runtime->m_server->setDurability(runtime->m_store->durability());
    const auto port = runtime->m_server->listen();
    if (!port)
        return port.error();
    runtime->m_port = port.value();
    runtime->m_publicUrl = config.publicUrl;
    if (config.publicUrlDerived)
        runtime->m_publicUrl.setPort(runtime->m_port);

    const QString gatewayId = runtime->m_publicUrl.toString(QUrl::FullyEncoded);
    runtime->m_issuer = std::make_unique<TokenIssuer>(*runtime->m_signingKey, gatewayId,
                                                      config.tokenTtl.count(), clock);
    const RelyingParty relyingParty =
        RelyingParty::forGateway(runtime->m_publicUrl, config.passkeyRpId);
    runtime->m_broker =
        std::make_unique<ApprovalBroker>(*runtime->m_store, *runtime->m_signingKey, gatewayId,
                                         *runtime->m_issuer, clock, relyingParty);
    {
        const GatewayConfig::ApprovalLimitSettings &configured = config.approvalLimits;
        ApprovalLimits limits;
        limits.pendingPerAgent = configured.pendingPerAgent;
        limits.perMinutePerAgent = configured.perMinutePerAgent;
        limits.pendingPerUser = configured.pendingPerUser;
        limits.perMinutePerUser = configured.perMinutePerUser;
        limits.maxSarcBytes = configured.maxRequestBytes;
        limits.holdAfterDenials = configured.holdAfterDenials;
        limits.holdWindow = configured.holdWindow;
        runtime->m_broker->setLimits(limits);
    }
    // Passkey changes are proven with a TOTP code, checked (and its step
    // marked used) exactly as an approval's code is.
    PasskeyRegistry::TotpCheck totpCheck = [checker = TotpChecker(*runtime->m_store, clock)](
                                               const QString &userId, QStringView code) mutable {
        switch (checker.check(userId, code)) {
        case TotpChecker::Outcome::Valid:
            return PasskeyRegistry::CodeCheck::Valid;
        case TotpChecker::Outcome::NotEnrolled:
            return PasskeyRegistry::CodeCheck::NotEnrolled;
        case TotpChecker::Outcome::StorageUnavailable:
            return PasskeyRegistry::CodeCheck::StorageUnavailable;
        case TotpChecker::Outcome::Wrong:
        case TotpChecker::Outcome::Reused:
            break;
        }
        return PasskeyRegistry::CodeCheck::Wrong;
    };
    runtime->m_passkeys = std::make_unique<PasskeyRegistry>(*runtime->m_store, clock, relyingParty,
                                                            std::move(totpCheck));
    runtime->m_pairing = std::make_unique<PairingService>(
        *runtime->m_store, clock,
        GatewayIdentity{gatewayId, runtime->m_publicUrl, config.name,
                        runtime->m_signingKey->publicKey(), pin},
        config.pairingOfferTtl.count());
    runtime->m_hub = std::make_unique<CompanionHub>(
        *runtime->m_store, *runtime->m_broker, *runtime->m_passkeys, clock, gatewayId, timings);
    runtime->m_server->attach(*runtime->m_broker, *runtime->m_pairing, *runtime->m_hub,
                              SigningKey::jwks(runtime->m_signingKey->publicKey()),
                              runtime->m_publicUrl);
    runtime->m_approvalPage = std::make_unique<ApprovalPage>(
        *runtime->m_broker, std::move(approvalLinkKey).value(), runtime->m_publicUrl, clock);
    runtime->m_server->attachApprovalPage(*runtime->m_approvalPage);

    if (runtime->m_pdp) {
        runtime->m_pdpEndpoints =
            std::make_unique<PdpEndpoints>(*runtime->m_pdp, runtime->m_publicUrl);
        runtime->m_server->attachPdp(*runtime->m_pdpEndpoints);
    }

    if (mcpConfig) {
        // ${DATA_DIR} and ${GATEWAY_URL} in a command are only known now;
        // a bare program name is first looked for next to the gateway.
        QList<UpstreamConfig> resolved = mcpConfig->upstreams;
        for (UpstreamConfig &upstream : resolved) {
            for (QString &argument : upstream.arguments) {
                argument.replace(QStringLiteral("${DATA_DIR}"), dataDir)
                    .replace(QStringLiteral("${GATEWAY_URL}"), gatewayId);
            }
            if (!upstream.program.isEmpty() && !upstream.program.contains(u'/')) {
                const QString sibling =
                    QDir(QCoreApplication::applicationDirPath()).filePath(upstream.program);
                if (QFileInfo(sibling).isExecutable())
                    upstream.program = sibling;
            }
        }
        McpProxySettings settings;
        settings.stepUp.approvalTimeout = config.approvalTimeout;
        // MCP 2026-07-28 requestState: sealed under keys kept next to the
        // signing key, so a retry still opens after a restart.
        auto requestStates = RequestStateSealer::loadOrCreate(
            QDir(dataDir).filePath(QStringLiteral("request-state-keys.json")),
            clock.secondsSinceEpoch());
        if (!requestStates)
            return requestStates.error();
        settings.requestStates =
            std::make_shared<const RequestStateSealer>(std::move(requestStates).value());
        // URL-mode elicitation points a client that declared it at this
        // approval's page (docs/gateway.md "Approval page"); the page
        // outlives the proxy (member order).
        settings.approvalLink = [page = runtime->m_approvalPage.get()](const QString &approvalId) {
            return page->linkFor(approvalId);
        };
        runtime->m_mcp =
            std::make_unique<McpProxy>(std::move(mcpConfig->agents), resolved, *runtime->m_pdp,
                                       *runtime->m_broker, *runtime->m_store, clock, settings);
        runtime->m_server->attachMcp(*runtime->m_mcp);
    }

    runtime->m_control = std::make_unique<ControlSocket>();
    CompanionHub *hub = runtime->m_hub.get();
    connect(runtime->m_control.get(), &ControlSocket::deviceRevoked, hub,
            [hub](const QString &deviceId) {
                hub->disconnectDevice(deviceId, CloseCode::revoked,
                                      QStringLiteral("device revoked"));
            });
    if (auto listening = runtime->m_control->listen(dataDir); !listening)
        return listening.error();

    runtime->m_auditHeadLogger = std::make_unique<AuditHeadLogger>(*runtime->m_store);
    runtime->m_auditHeadLogger->start();
    RetentionPruner::Settings retention;
    retention.auditRetention = std::chrono::days(config.retention.auditDays);
    retention.approvalRetention = std::chrono::days(config.retention.approvalDays);
    runtime->m_retention = std::make_unique<RetentionPruner>(*runtime->m_store, clock, retention);
    runtime->m_retention->start();
    return runtime;
}

} // namespace countersign::gateway
