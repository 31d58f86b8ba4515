#include "totp.h"

#include <limits>
#include <optional>

namespace countersign {

Totp::Totp(Hotp hotp, qint64 period, qint64 t0)
    : m_hotp(std::move(hotp))
    , m_period(period)
    , m_t0(t0)
{
}

Result<Totp> Totp::create(OtpSecret secret, OtpAlgorithm algorithm, int digits, qint64 period,
                          qint64 t0)
{
    if (period < 1 || period > kMaximumPeriod) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("TOTP period is %1 seconds; it must be 1 to %2")
                             .arg(period)
                             .arg(kMaximumPeriod));
    }
    if (t0 < 0) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("TOTP start time T0 must not be before 1970"));
    }
    auto hotp = Hotp::create(std::move(secret), algorithm, digits);
    if (!hotp) {
        return hotp.error();
    }
    return Totp(std::move(hotp).value(), period, t0);
}

const Hotp &Totp::hotp() const
{
    return m_hotp;
}

qint64 Totp::period() const
{
    return m_period;
}

qint64 Totp::t0() const
{
    return m_t0;
}

Result<qint64> Totp::stepAt(qint64 unixSeconds) const
{
    // Both are non-negative here, so the subtraction cannot overflow.
    if (unixSeconds < m_t0) {
        return makeError(ErrorCode::NotYetValid,
                         QStringLiteral("the time is before the TOTP start time T0"));
    }
    return (unixSeconds - m_t0) / m_period;
}

Result<QString> Totp::codeAt(qint64 unixSeconds) const
{
    const auto step = stepAt(unixSeconds);
    if (!step) {
        return step.error();
    }
    return m_hotp.code(static_cast<quint64>(step.value()));
}

Result<QString> Totp::code(const Clock &clock) const
{
    return codeAt(clock.secondsSinceEpoch());
}

qint64 Totp::secondsRemaining(const Clock &clock) const
{
    const qint64 now = clock.secondsSinceEpoch();
    if (now < m_t0) {
        // The first code starts at T0; count down to the step boundary the
        // same way, as if steps extended backwards.
        const qint64 before = (m_t0 - now) % m_period;
        return before == 0 ? m_period : before;
    }
    return m_period - (now - m_t0) % m_period;
}

Result<qint64> Totp::verify(QStringView code, const Clock &clock, int window) const
{
    if (window < 0 || window > kMaximumWindow) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("TOTP verification window must be 0 to %1 steps").arg(kMaximumWindow));
    }
    if (const auto format = m_hotp.checkCodeFormat(code); !format) {
        return format.error();
    }
    const auto current = stepAt(clock.secondsSinceEpoch());
    if (!current) {
        return current.error();
    }

    // Every step in the window is computed and compared, whether or not an
    // earlier one matched, so the time taken says nothing about which did.
    std::optional<qint64> matched;
    for (int distance = 0; distance <= window; ++distance) {
        for (const int sign : {-1, 1}) {
            if (distance == 0 && sign == 1) {
                continue;
            }
            const qint64 offset = sign * distance;
            const bool outOfRange = offset < 0
                ? current.value() < -offset
                : current.value() > std::numeric_limits<qint64>::max() - offset;
            if (outOfRange) {
                continue; // before T0 or past the end of time
            }
            const qint64 step = current.value() + offset;
            const auto checked = m_hotp.verify(code, static_cast<quint64>(step));
            if (checked) {
                if (!matched) {
                    matched = step;
                }
            } else if (checked.error().code != ErrorCode::BadSignature) {
                return checked.error();
            }
        }
    }
    if (!matched) {
        return makeError(
            ErrorCode::BadSignature,
            QStringLiteral("the TOTP code matches no time step within %1 of now").arg(window));
    }
    return *matched;
}

} // namespace countersign
