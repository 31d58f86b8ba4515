#pragma once

#include <QtGlobal>

namespace countersign {

// Wall-clock time, injectable so that tests control expiry and TOTP steps.
class Clock {
public:
    virtual ~Clock() = default;
    virtual qint64 secondsSinceEpoch() const = 0;
};

// The real clock (UTC seconds since 1970-01-01).
class SystemClock final : public Clock {
public:
    qint64 secondsSinceEpoch() const override;
};

} // namespace countersign
