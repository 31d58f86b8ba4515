#pragma once

#include <atomic>
#include <chrono>

#include <QString>

namespace countersign::gateway {

// A warning about a tripped limit, logged at most once per interval per
// kind with the number of times it tripped meanwhile: an attacker must not
// be able to fill the log or spend the gateway's time writing it. Safe to
// call from any I/O thread.
class LimitLog {
public:
    enum Kind {
        HeaderTooLarge,
        BodyTooLarge,
        BodyBudget,
        BadFraming,
        Timeout,
        ConnectionCap,
        Evicted,
        AddressCap,
        AcceptFailed,
        SendQueueFull,
        PingFlood,
        MessageTooLarge,
        OriginRefused,
        KindCount
    };

    explicit LimitLog(std::chrono::milliseconds interval = std::chrono::seconds(10));

    void trip(Kind kind, const QString &detail);
    // How often kind tripped since start (tests, diagnostics).
    quint64 count(Kind kind) const { return m_total[kind].load(std::memory_order_relaxed); }

private:
    const std::chrono::milliseconds m_interval;
    std::atomic<qint64> m_nextLogAt[KindCount]{};
    std::atomic<quint64> m_suppressed[KindCount]{};
    std::atomic<quint64> m_total[KindCount]{};
};

} // namespace countersign::gateway
