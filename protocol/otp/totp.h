#pragma once

#include "hotp.h"
#include "protocol/clock.h"
#include "protocol/result.h"

#include <QString>
#include <QStringView>

namespace countersign {

// TOTP (RFC 6238): HOTP over the number of `period`-second steps since T0.
// Time always comes from a Clock so that tests and the demo control it.
class Totp {
public:
    static constexpr qint64 kDefaultPeriod = 30;
    // Beyond an hour a "one-time" code is a password that lasts all day.
    static constexpr qint64 kMaximumPeriod = 3600;
    // One step either side absorbs clock drift and typing time (RFC 6238
    // section 5.2 recommends at most one step of network delay).
    static constexpr int kDefaultWindow = 1;
    static constexpr int kMaximumWindow = 10;

    // The period must be 1 to kMaximumPeriod seconds and T0 not negative.
    static Result<Totp> create(OtpSecret secret, OtpAlgorithm algorithm = OtpAlgorithm::Sha1,
                               int digits = Hotp::kDefaultDigits, qint64 period = kDefaultPeriod,
                               qint64 t0 = 0);

    const Hotp &hotp() const;
    qint64 period() const;
    qint64 t0() const;

    // The time step counter T for a Unix time; NotYetValid before T0.
    Result<qint64> stepAt(qint64 unixSeconds) const;
    Result<QString> codeAt(qint64 unixSeconds) const;
    Result<QString> code(const Clock &clock) const;
    // Seconds until the current code changes (1 to period()), for a countdown.
    qint64 secondsRemaining(const Clock &clock) const;

    // Checks a code against the steps within `window` of the clock's current
    // step and returns the step it belongs to, so that the caller can refuse
    // a second use of it (RFC 6238 section 5.2). Preference goes to the
    // current step, then to the nearer past, should two steps share a code.
    // Refuses a malformed code (InvalidField), a code that matches no step
    // (BadSignature), a window outside 0 to kMaximumWindow (InvalidField) and
    // a clock before T0 (NotYetValid). A failure is never a match.
    Result<qint64> verify(QStringView code, const Clock &clock, int window = kDefaultWindow) const;

private:
    Totp(Hotp hotp, qint64 period, qint64 t0);

    Hotp m_hotp;
    qint64 m_period;
    qint64 m_t0;
};

} // namespace countersign
