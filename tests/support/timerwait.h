#pragma once

#include <chrono>

#include <QSignalSpy>
#include <QTest>
#include <QTimer>

namespace countersign::testing {

// Returns once every timer of at most `interval` that was running when it
// was called has had its chance to fire: a precise probe timer of the same
// interval has fired twice (a coarse timer may be late by 5%). Use it
// instead of a fixed sleep to check that a timer no longer does anything.
inline bool waitForTimersToFire(std::chrono::milliseconds interval)
{
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(interval);
    QSignalSpy ticks(&probe, &QTimer::timeout);
    probe.start();
    return QTest::qWaitFor([&] { return ticks.size() >= 2; },
                           static_cast<int>(interval.count()) * 20 + 5000);
}

} // namespace countersign::testing
