#pragma once

#include "bench/load/callclient.h"

#include <chrono>

#include <QList>
#include <QString>

namespace countersign::load {

// What one closed loop measured.
struct LoopOutcome {
    QList<qint64> latenciesNs; // one per successful call, call to answer
    qint64 wallNs = 0;         // first call sent to last answer
    int failures = 0;
    QString firstFailure;
    bool timedOut = false;
};

// Runs `calls` calls over `clients` in a closed loop: every client has one
// call outstanding and sends its next as soon as the answer arrives, so the
// offered load is exactly clients.size() concurrent calls and latency is
// never inflated by a queue in the benchmark itself. Runs the event loop
// until the last answer or the timeout.
LoopOutcome runClosedLoop(const QList<CallClient *> &clients, int calls,
                          std::chrono::milliseconds timeout);

} // namespace countersign::load
