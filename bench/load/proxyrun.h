#pragma once

#include "bench/load/benchfiles.h"
#include "bench/load/childserver.h"
#include "bench/load/mcptoolclient.h"
#include "bench/load/proxyreport.h"

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <QTemporaryDir>

namespace countersign::load {

struct ProxyOptions {
    int calls = 2000; // measured per target and mode
    int warmup = 200; // per target, before anything is measured
    int concurrency = 8;
    int rounds = 4;
    int authzenRequests = 2000; // per endpoint and mode; 0 skips the AuthZEN phase
    int authzenBatch = 10;
    bool stdio = true; // also measure a gateway with the directory as stdio child
    QString dataRoot;  // folder for the run's files and disk data dirs; empty: temp
    QString tmpfsRoot; // tmpfs for the gateway-http-tmpfs data dir; empty: none
    QString gatewayProgram;
    QString directoryProgram;
    QString policyFile;
    std::chrono::seconds phaseTimeout{300};
    bool keepFiles = false; // keep configs, logs and databases for a look afterwards
};

// One bench_mcp_proxy run. Starts countersign-directory (Streamable HTTP)
// and up to three countersign-gateway processes in front of it (HTTP
// upstream with the data dir on disk, the same with it on tmpfs, and the
// directory as a stdio child), then times tools/call get_user on each, one
// client at a time and N at once, all in this one run so the figures are
// comparable; then the AuthZEN endpoints of the first gateway. The
// benchmark's clients share this process's one thread; each server is its
// own process.
class ProxyRun {
public:
    explicit ProxyRun(ProxyOptions options);
    ~ProxyRun();

    ProxyReport run();
    QString folder() const { return m_folder.path(); }

private:
    struct Target {
        TargetResult result;
        std::unique_ptr<ChildServer> server; // the gateway; none for direct
        QUrl endpoint;
        QByteArray bearer;
        std::vector<std::unique_ptr<McpToolClient>> clients;
        QList<qint64> sequentialNs;
        QList<qint64> concurrentNs;
        qint64 sequentialWallNs = 0;
        qint64 concurrentWallNs = 0;
    };

    bool prepare();
    bool startDirectory();
    bool addGateway(const QString &name, const QString &path, const QString &dataRoot,
                    const QString &upstreamEntries);
    bool connectClients();
    bool warmUp();
    void measure(bool concurrent);
    void finishTargets();
    void measureAuthzen();
    bool spinUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout);
    void fail(const QString &why);

    ProxyOptions m_options;
    QTemporaryDir m_folder;
    std::unique_ptr<QTemporaryDir> m_tmpfsFolder;
    std::unique_ptr<BenchFiles> m_files;
    std::unique_ptr<ChildServer> m_directory;
    std::vector<Target> m_targets;
    ProxyReport m_report;
};

} // namespace countersign::load
