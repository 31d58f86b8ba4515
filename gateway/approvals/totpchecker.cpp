#include "totpchecker.h"

#include "protocol/otp/totp.h"

namespace countersign::gateway {

TotpChecker::TotpChecker(Store &store, const Clock &clock)
    : m_store(store)
    , m_clock(clock)
{
}

TotpChecker::Outcome TotpChecker::check(const QString &userId, QStringView code)
{
    const auto enrollment = m_store.totpEnrollment(userId);
    if (!enrollment)
        return Outcome::NotEnrolled;
    const auto secret = OtpSecret::fromBytes(enrollment->secret);
    const auto algorithm = otpAlgorithmFromName(enrollment->algorithm);
    if (!secret || !algorithm)
        return Outcome::NotEnrolled;
    const auto totp =
        Totp::create(secret.value(), algorithm.value(), enrollment->digits, enrollment->period);
    if (!totp)
        return Outcome::NotEnrolled;
    const auto step = totp->verify(code, m_clock, Totp::kDefaultWindow);
    if (!step)
        return Outcome::Wrong;
    // The step is remembered until it is out of every window.
    const qint64 keepUntil =
        m_clock.secondsSinceEpoch() + (Totp::kDefaultWindow + 1) * enrollment->period * 2;
    const auto fresh =
        m_store.markUsed(QStringLiteral("totp-step"),
                         userId.toUtf8() + '\n' + QByteArray::number(step.value()), keepUntil);
    if (!fresh)
        return Outcome::StorageUnavailable;
    if (!fresh.value())
        return Outcome::Reused;
    return Outcome::Valid;
}

} // namespace countersign::gateway
