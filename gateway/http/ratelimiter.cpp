#include "ratelimiter.h"

namespace countersign::gateway {

namespace {
constexpr qint64 windowSeconds = 60;
}

RateLimiter::RateLimiter(int limitPerMinute, const Clock &clock)
    : m_limit(limitPerMinute)
    , m_clock(clock)
{
}

void RateLimiter::forgetOld()
{
    const qint64 now = m_clock.secondsSinceEpoch();
    for (auto it = m_failures.begin(); it != m_failures.end();) {
        it->removeIf([now](qint64 at) { return at <= now - windowSeconds; });
        it = it->isEmpty() ? m_failures.erase(it) : std::next(it);
    }
}

bool RateLimiter::isLimited(const QString &key)
{
    forgetOld();
    const auto found = m_failures.constFind(key);
    return found != m_failures.constEnd() && found->size() >= m_limit;
}

void RateLimiter::recordFailure(const QString &key)
{
    forgetOld();
    QList<qint64> &failures = m_failures[key];
    // Bounded: a key at its limit is refused before it is tried.
    if (failures.size() < m_limit)
        failures.append(m_clock.secondsSinceEpoch());
}

} // namespace countersign::gateway
