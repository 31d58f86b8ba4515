#pragma once

#include "bench/load/childapprovals.h"
#include "bench/load/childserver.h"
#include "bench/load/companionpool.h"
#include "bench/load/distribution.h"

#include <memory>
#include <optional>

#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

namespace countersign::load {

struct ChildGatewayOptions {
    int companions = 10'000;
    int connectParallel = 50;
    int ioThreads = 0; // 0: the gateway's default (one per core)
    int phaseTimeoutSeconds = 180;
    int holdSeconds = 2; // connected and idle before the last RSS sample
    int idleSeconds = 0; // then the gateway's CPU read over this long, all connected and idle
    // Then approvals through the admin API (0: connect only): `warmup` not
    // counted, then `requests` with `concurrency` outstanding.
    int requests = 0;
    int warmup = 0;
    int concurrency = 1;
    QString gatewayProgram;
    QString dataRoot; // empty: QDir::tempPath()
};

// What a --gateway-binary run measured: the gateway's own process.
struct ChildGatewayReport {
    int companions = 0;
    int ioThreads = 0;
    int welcomed = 0;
    qint64 fileLimit = 0;
    double setupWallMs = 0;
    double connectWallMs = 0;
    Distribution handshake;
    QStringList connectFailures;
    // The gateway process (VmRSS of its /proc/PID/status).
    qint64 gatewayRssIdleKib = 0;      // started, before any companion
    qint64 gatewayRssConnectedKib = 0; // all connected, after holdSeconds
    double gatewayCpuConnectMs = 0;    // utime + stime spent while connecting
    qint64 clientRssConnectedKib = 0;  // this process (all companions)
    double idleSeconds = 0;            // all connected, nothing asked
    double gatewayCpuIdleMs = 0;       // utime + stime over idleSeconds
    std::optional<ApprovalLoopReport> approvals;
    qint64 gatewayRssAfterApprovalsKib = 0;
    QStringList failures;

    bool passed() const { return failures.isEmpty(); }
    QString toText() const;
    QJsonObject toJson() const;
};

// N companions against a `countersign-gateway serve` child process, so that
// the gateway's RSS is its own: the devices are written into the child's
// data dir with Store::addDevice before it starts (no HTTP pairing), then
// every companion does hello/auth/welcome, at most connectParallel at once.
// No approvals (the broker is in the other process).
class ChildGatewayRun : public QObject {
    Q_OBJECT

public:
    explicit ChildGatewayRun(ChildGatewayOptions options, QObject *parent = nullptr);
    ~ChildGatewayRun() override;

    ChildGatewayReport run();

private:
    bool prepare(std::vector<CompanionSpec> &specs, std::optional<EcPublicKey> &gatewayKey);
    bool startGateway();
    bool connectAll(std::vector<CompanionSpec> specs, const EcPublicKey &gatewayKey);
    void measureIdle();
    void approve();
    void shutdown();
    void fail(const QString &why) { m_report.failures.append(why); }

    ChildGatewayOptions m_options;
    SystemClock m_clock;
    QTemporaryDir m_folder;
    std::unique_ptr<ChildServer> m_gateway;
    QByteArray m_adminToken;
    std::unique_ptr<ChildApprovals> m_approvals;
    QThread m_clientThread;
    CompanionPool *m_pool = nullptr; // lives on m_clientThread
    ChildGatewayReport m_report;
};

// VmRSS of a process in KiB, -1 if unknown.
qint64 residentKibOf(qint64 pid);
// utime + stime of a process in milliseconds, -1 if unknown.
double cpuMsOf(qint64 pid);

} // namespace countersign::load
