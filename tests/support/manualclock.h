#pragma once

#include "protocol/clock.h"

namespace countersign::testing {

// A clock that only moves when the test says so.
class ManualClock final : public Clock {
public:
    explicit ManualClock(qint64 seconds = 1'700'000'000)
        : m_seconds(seconds)
    {
    }
    qint64 secondsSinceEpoch() const override { return m_seconds; }
    void set(qint64 seconds) { m_seconds = seconds; }
    void advance(qint64 seconds) { m_seconds += seconds; }

private:
    qint64 m_seconds;
};

} // namespace countersign::testing
