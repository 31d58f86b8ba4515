#pragma once

#include <chrono>
#include <functional>

namespace countersign {

// How long to wait before the next reconnection attempt: exponential
// (initial, doubling, capped) with random jitter, so that a gateway restart
// is not met by every companion at the same instant. The cap is 5 s: a
// gateway that comes back is reached within 5 s of being reachable (a person
// waiting for an approval should not wait a minute), and a refused TCP
// connection every 5 s costs a down gateway's host next to nothing.
struct BackoffTimings {
    std::chrono::milliseconds initial{1'000};
    std::chrono::milliseconds maximum{5'000};
    // Each delay is scaled by a random factor in [1 - jitter, 1 + jitter],
    // and then capped at maximum.
    double jitter = 0.2;
};

class ReconnectBackoff {
public:
    // `random` returns a number in [0, 1); the default is the system CSPRNG-
    // seeded generator. Tests inject a fixed value to get exact delays.
    explicit ReconnectBackoff(BackoffTimings timings = {}, std::function<double()> random = {});

    // The delay before the next attempt; each call doubles the next one.
    std::chrono::milliseconds nextDelay();
    // After a connection that proved stable: start again from initial.
    void reset();
    // Attempts since the last reset (how many delays were handed out).
    int attempts() const { return m_attempts; }

private:
    BackoffTimings m_timings;
    std::function<double()> m_random;
    int m_attempts = 0;
};

} // namespace countersign
