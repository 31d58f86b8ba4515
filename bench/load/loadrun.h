#pragma once

#include "bench/load/companionpool.h"
#include "bench/load/loadreport.h"
#include "gateway/runtime/gatewayruntime.h"

#include <chrono>
#include <deque>
#include <memory>

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QThread>

namespace countersign::load {

struct LoadOptions {
    int companions = 1000;
    int requests = -1; // -1: one per companion
    int concurrency = 100;
    int connectParallel = 50;
    int httpPairing = -1; // -1: as many as the pairing rate limit allows in one minute
    int phaseTimeoutSeconds = 180;
    QString dataRoot; // where the temporary data dir goes; empty: QDir::tempPath()
};

// One load run: a real gateway (GatewayRuntime on a free loopback port, a
// temporary data dir with real SQLite, the system clock) on this thread, and
// a CompanionPool on a client thread. The phases run in order, each bounded
// in time; run() returns what was measured and why the run failed, if it did.
class LoadRun : public QObject {
    Q_OBJECT

public:
    // The gateway's own ceiling for pairing.max_attempts_per_minute.
    static constexpr int pairingLimitPerMinute = 1000;

    explicit LoadRun(LoadOptions options, QObject *parent = nullptr);
    ~LoadRun() override;

    LoadReport run();

private:
    struct Outstanding {
        int user = 0;
        qint64 createdNs = 0;
    };

    bool startGateway();
    bool prepareCompanions();
    bool pairCompanions();
    bool connectCompanions();
    void approveAll();
    void collectTally();
    void shutdown();

    void pump();
    void onResolved(const gateway::ApprovalRecord &approval);
    gateway::ApprovalSpec specFor(int user, int sequence) const;

    // Runs the event loop until `done` or the timeout; polls every 100 ms and
    // wakes early when a phase calls wake().
    bool waitUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout);
    void wake();
    void fail(const QString &why);

    LoadOptions m_options;
    SystemClock m_clock;
    QElapsedTimer m_elapsed;
    QTemporaryDir m_dataDir;
    std::unique_ptr<gateway::GatewayRuntime> m_runtime;
    QThread m_clientThread;
    CompanionPool *m_pool = nullptr; // lives on m_clientThread, deleted when it finishes
    QEventLoop *m_waiting = nullptr;
    LoadReport m_report;
    QStringList m_users;
    // What the client thread reported, as it arrived (queued to this thread).
    std::optional<PairingOutcome> m_pairingOutcome;
    std::optional<ConnectOutcome> m_connectOutcome;
    std::optional<CompanionTally> m_tally;

    // Approve phase
    std::deque<int> m_idleUsers; // users with no request in flight
    QHash<QString, Outstanding> m_outstanding;
    int m_created = 0;
    int m_finished = 0; // resolved, or create() failed
    bool m_pumpQueued = false;
    qint64 m_firstCreateNs = -1;
    qint64 m_lastResolvedNs = -1;
    QList<qint64> m_latencies;
    QList<qint64> m_createDurations;
};

} // namespace countersign::load
