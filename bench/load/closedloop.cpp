#include "closedloop.h"

#include <memory>

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

namespace countersign::load {

namespace {

// Shared with the callbacks: after a timeout, answers still in flight may
// arrive later and must find it alive (and stopped).
struct LoopState {
    int calls = 0;
    int sent = 0;
    int answered = 0;
    bool stopped = false;
    QElapsedTimer clock;
    LoopOutcome outcome;
    QEventLoop loop;
};

void sendNext(const std::shared_ptr<LoopState> &state, CallClient *client)
{
    if (state->stopped || state->sent >= state->calls)
        return;
    const qint64 sequence = state->sent++;
    const qint64 sentNs = state->clock.nsecsElapsed();
    client->call(sequence, [state, client, sentNs](const QString &failure) {
        if (state->stopped)
            return;
        const qint64 now = state->clock.nsecsElapsed();
        if (failure.isEmpty()) {
            state->outcome.latenciesNs.append(now - sentNs);
        } else {
            if (state->outcome.failures++ == 0)
                state->outcome.firstFailure = failure;
        }
        if (++state->answered == state->calls) {
            state->outcome.wallNs = now;
            state->stopped = true;
            state->loop.quit();
            return;
        }
        sendNext(state, client);
    });
}

} // namespace

LoopOutcome runClosedLoop(const QList<CallClient *> &clients, int calls,
                          std::chrono::milliseconds timeout)
{
    auto state = std::make_shared<LoopState>();
    state->calls = calls;
    state->outcome.latenciesNs.reserve(calls);
    if (calls <= 0 || clients.isEmpty())
        return state->outcome;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &state->loop, [&state] {
        state->stopped = true;
        state->outcome.timedOut = true;
        state->outcome.wallNs = state->clock.nsecsElapsed();
        state->loop.quit();
    });
    deadline.start(timeout);
    state->clock.start();
    for (CallClient *client : clients)
        sendNext(state, client);
    if (!state->stopped)
        state->loop.exec();
    return state->outcome;
}

} // namespace countersign::load
