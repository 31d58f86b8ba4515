#include "hotp.h"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace countersign {

namespace {

// OpenSSL's digest names; EVP_Q_mac fetches HMAC with this digest.
const char *digestName(OtpAlgorithm algorithm)
{
    switch (algorithm) {
    case OtpAlgorithm::Sha1:
        return "SHA1";
    case OtpAlgorithm::Sha256:
        return "SHA256";
    case OtpAlgorithm::Sha512:
        return "SHA512";
    }
    Q_UNREACHABLE();
}

constexpr qsizetype kMaxDigits = 8;
using CodeBuffer = std::array<char, kMaxDigits>;

// Fills the first `digits` bytes of out with the ASCII code (RFC 4226 5.3).
Status computeCode(const QByteArray &key, OtpAlgorithm algorithm, int digits, quint64 counter,
                   CodeBuffer &out)
{
    std::array<unsigned char, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<size_t>(i)] = static_cast<unsigned char>(counter & 0xff);
        counter >>= 8;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    size_t macLength = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, digestName(algorithm), nullptr, key.constData(),
                  static_cast<size_t>(key.size()), message.data(), message.size(), mac.data(),
                  mac.size(), &macLength)
            == nullptr
        || macLength < 20) {
        return makeError(ErrorCode::CryptoFailure,
                         QStringLiteral("OpenSSL could not compute the HMAC-%1 of an OTP counter")
                             .arg(otpAlgorithmName(algorithm)));
    }

    // Dynamic truncation: the low nibble of the last byte picks four bytes,
    // whose top bit is dropped so the value is the same signed or unsigned.
    const size_t offset = mac[macLength - 1] & 0x0f;
    quint32 value = (static_cast<quint32>(mac[offset] & 0x7f) << 24)
        | (static_cast<quint32>(mac[offset + 1]) << 16)
        | (static_cast<quint32>(mac[offset + 2]) << 8) | static_cast<quint32>(mac[offset + 3]);
    OPENSSL_cleanse(mac.data(), mac.size());

    for (int i = digits - 1; i >= 0; --i) {
        out[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return Ok{};
}

} // namespace

Hotp::Hotp(OtpSecret secret, OtpAlgorithm algorithm, int digits)
    : m_secret(std::move(secret))
    , m_algorithm(algorithm)
    , m_digits(digits)
{
}

Result<Hotp> Hotp::create(OtpSecret secret, OtpAlgorithm algorithm, int digits)
{
    if (!isSupportedDigits(digits)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("OTP codes must have 6 or 8 digits, not %1").arg(digits));
    }
    return Hotp(std::move(secret), algorithm, digits);
}

bool Hotp::isSupportedDigits(int digits)
{
    return digits == 6 || digits == 8;
}

const OtpSecret &Hotp::secret() const
{
    return m_secret;
}

OtpAlgorithm Hotp::algorithm() const
{
    return m_algorithm;
}

int Hotp::digits() const
{
    return m_digits;
}

Result<QString> Hotp::code(quint64 counter) const
{
    CodeBuffer buffer{};
    if (const auto computed = computeCode(m_secret.bytes(), m_algorithm, m_digits, counter, buffer);
        !computed) {
        return computed.error();
    }
    return QString::fromLatin1(buffer.data(), m_digits);
}

Status Hotp::checkCodeFormat(QStringView candidate) const
{
    const bool digitsOnly = std::all_of(candidate.begin(), candidate.end(), [](QChar c) {
        return c.unicode() >= u'0' && c.unicode() <= u'9';
    });
    if (candidate.size() != m_digits || !digitsOnly) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("an OTP code must be exactly %1 ASCII digits").arg(m_digits));
    }
    return Ok{};
}

Status Hotp::verify(QStringView candidate, quint64 counter) const
{
    // The expected length is public, so checking the shape first leaks
    // nothing; only the comparison of the digits has to be constant time.
    if (const auto format = checkCodeFormat(candidate); !format) {
        return format;
    }
    CodeBuffer given{};
    for (qsizetype i = 0; i < candidate.size(); ++i) {
        given[static_cast<size_t>(i)] = static_cast<char>(candidate[i].unicode());
    }
    CodeBuffer expected{};
    if (const auto computed =
            computeCode(m_secret.bytes(), m_algorithm, m_digits, counter, expected);
        !computed) {
        return computed;
    }
    const bool equal =
        CRYPTO_memcmp(given.data(), expected.data(), static_cast<size_t>(m_digits)) == 0;
    OPENSSL_cleanse(expected.data(), expected.size());
    if (!equal) {
        return makeError(ErrorCode::BadSignature, QStringLiteral("the OTP code is wrong"));
    }
    return Ok{};
}

} // namespace countersign
