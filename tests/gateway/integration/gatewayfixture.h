#pragma once

#include "gateway/runtime/gatewayruntime.h"
#include "protocol/otp/totp.h"
#include "tests/support/manualclock.h"
#include "tests/support/testcompanion.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

namespace countersign::testing {

// A real gateway on a free loopback port with a temporary data dir, a clock
// the test moves, and helpers to pair test companions and make requests.
class GatewayFixture {
public:
    static constexpr auto user = "alice@example.com";
    static constexpr auto otherUser = "bob@example.com";

    explicit GatewayFixture(gateway::ChannelTimings timings = {}, const QByteArray &yaml = {});

    // The configuration of an MCP proxy test: `policyFile`, one agent
    // (`agentName` with bearer key `agentKey`) acting for alice, and the
    // example directory server (`directoryBinary`) as a stdio upstream with
    // its users in the data dir, checking tokens against this gateway.
    static QByteArray proxyConfig(const QString &policyFile, const QString &agentName,
                                  const QByteArray &agentKey, const QString &directoryBinary);
    explicit GatewayFixture(gateway::GatewayConfig config);

    // (Re)starts the gateway on the same data dir.
    bool start();
    void stop();

    gateway::GatewayRuntime &gateway() { return *m_runtime; }
    ManualClock &clock() { return m_clock; }
    QString dataDir() const { return m_dir.path(); }
    const gateway::GatewayConfig &config() const { return m_config; }
    void setAdminTokenFile(const QString &path) { m_config.adminTokenFile = path; }
    void setEdgeLimits(const gateway::EdgeLimits &limits) { m_config.limits = limits; }

    // A companion paired for `userId` (not yet connected).
    std::unique_ptr<TestCompanion>
    pairedCompanion(const QString &userId = QString::fromLatin1(user));
    // Enrols TOTP for userId; returns a generator of its codes.
    Totp enrollTotp(const QString &userId = QString::fromLatin1(user));
    // A pending approval for userId.
    gateway::ApprovalRecord request(const QString &userId = QString::fromLatin1(user),
                                    qint64 timeoutSeconds = 120);

private:
    QTemporaryDir m_dir;
    ManualClock m_clock;
    gateway::ChannelTimings m_timings;
    gateway::GatewayConfig m_config;
    std::unique_ptr<gateway::GatewayRuntime> m_runtime;
};

} // namespace countersign::testing
