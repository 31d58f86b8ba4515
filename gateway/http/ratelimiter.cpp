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

bool RateLimiter::allow(const QString &key)
{
    const qint64 now = m_clock.secondsSinceEpoch();
    for (auto it = m_attempts.begin(); it != m_attempts.end();) {
        it->removeIf([now](qint64 at) { return at <= now - windowSeconds; });
        it = it->isEmpty() ? m_attempts.erase(it) : std::next(it);
    }
    QList<qint64> &attempts = m_attempts[key];
    if (attempts.size() >= m_limit)
        return false;
    attempts.append(now);
    return true;
}

} // namespace countersign::gateway
