#include "reconnectbackoff.h"

#include <algorithm>
#include <cmath>

#include <QRandomGenerator>

namespace countersign {

ReconnectBackoff::ReconnectBackoff(BackoffTimings timings, std::function<double()> random)
    : m_timings(timings)
    , m_random(std::move(random))
{
    // Nonsense settings must not turn into a busy loop or a negative timer.
    m_timings.initialMs = std::max(1, m_timings.initialMs);
    m_timings.maxMs = std::max(m_timings.initialMs, m_timings.maxMs);
    m_timings.jitter = std::clamp(m_timings.jitter, 0.0, 1.0);
    if (!m_random)
        m_random = [] { return QRandomGenerator::global()->generateDouble(); };
}

int ReconnectBackoff::nextDelayMs()
{
    // Doubling in floating point: no overflow however many attempts fail.
    const double base = std::min(static_cast<double>(m_timings.maxMs),
                                 m_timings.initialMs * std::pow(2.0, std::min(m_attempts, 30)));
    ++m_attempts;
    const double unit = std::clamp(m_random(), 0.0, 1.0);
    const double factor = 1.0 + m_timings.jitter * (2.0 * unit - 1.0);
    const double delay = std::clamp(base * factor, 0.0, static_cast<double>(m_timings.maxMs));
    return static_cast<int>(std::lround(delay));
}

void ReconnectBackoff::reset()
{
    m_attempts = 0;
}

} // namespace countersign
