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
    m_timings.initial = std::max(std::chrono::milliseconds(1), m_timings.initial);
    m_timings.maximum = std::max(m_timings.initial, m_timings.maximum);
    m_timings.jitter = std::clamp(m_timings.jitter, 0.0, 1.0);
    if (!m_random)
        m_random = [] { return QRandomGenerator::global()->generateDouble(); };
}

std::chrono::milliseconds ReconnectBackoff::nextDelay()
{
    // Doubling in floating point: no overflow however many attempts fail.
    const auto maximum = static_cast<double>(m_timings.maximum.count());
    const double base = std::min(maximum,
                                 static_cast<double>(m_timings.initial.count())
                                     * std::pow(2.0, std::min(m_attempts, 30)));
    ++m_attempts;
    const double unit = std::clamp(m_random(), 0.0, 1.0);
    const double factor = 1.0 + m_timings.jitter * (2.0 * unit - 1.0);
    const double delay = std::clamp(base * factor, 0.0, maximum);
    return std::chrono::milliseconds(std::llround(delay));
}

void ReconnectBackoff::reset()
{
    m_attempts = 0;
}

} // namespace countersign
