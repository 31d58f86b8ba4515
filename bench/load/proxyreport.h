#pragma once

#include "bench/load/distribution.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace countersign::load {

// One target in one mode (one client, or N clients at once).
struct ModeResult {
    int clients = 0;
    Distribution latency; // successful calls only
    double callsPerSecond = 0;
    int failures = 0;
    QString firstFailure;

    QJsonObject toJson() const;
};

// One way of reaching the directory's get_user tool.
struct TargetResult {
    QString name;       // direct, gateway-http, gateway-http-tmpfs, gateway-stdio
    QString path;       // what a call goes through, for people
    QString dataDir;    // the gateway's data dir; empty for direct
    QString filesystem; // of dataDir: "ext4 on /dev/vda"
    ModeResult sequential;
    ModeResult concurrent;
};

// Decisions over POST /access/v1/evaluation(s).
struct AuthzenResult {
    QString endpoint;
    int batch = 1; // decisions per request
    int clients = 0;
    Distribution latency; // per request
    double requestsPerSecond = 0;
    double decisionsPerSecond = 0;
    int failures = 0;
    QString firstFailure;

    QJsonObject toJson() const;
};

// Everything one bench_mcp_proxy run measured, printed as a table and as
// JSON.
struct ProxyReport {
    int calls = 0; // per target and mode
    int warmup = 0;
    int concurrency = 0;
    int rounds = 0;
    int authzenRequests = 0;
    QString loadBefore; // /proc/loadavg: the machine is shared
    QString loadAfter;
    QString syncProbeDir;
    QString syncProbeFilesystem;
    // 4 KiB write + fdatasync, what one SQLite commit waits for at least:
    // appending (a growing WAL) and overwriting (a reused WAL).
    Distribution syncAppend;
    Distribution syncOverwrite;
    QList<TargetResult> targets;
    QList<AuthzenResult> authzen;
    QStringList failures;

    bool passed() const { return failures.isEmpty(); }
    QString toText() const;
    QJsonObject toJson() const;
};

} // namespace countersign::load
