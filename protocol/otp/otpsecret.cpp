#include "otpsecret.h"

#include "base32.h"

#include <openssl/rand.h>

namespace countersign {

namespace {

Status checkSize(qsizetype size)
{
    if (size < OtpSecret::kMinimumSize || size > OtpSecret::kMaximumSize) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("OTP secret is %1 bytes; it must be %2 to %3 bytes")
                             .arg(size)
                             .arg(OtpSecret::kMinimumSize)
                             .arg(OtpSecret::kMaximumSize));
    }
    return Ok{};
}

} // namespace

OtpSecret::OtpSecret(QByteArray bytes)
    : m_bytes(std::move(bytes))
{
}

Result<OtpSecret> OtpSecret::fromBytes(QByteArrayView bytes)
{
    if (const auto size = checkSize(bytes.size()); !size) {
        return size.error();
    }
    return OtpSecret(bytes.toByteArray());
}

Result<OtpSecret> OtpSecret::fromBase32(QByteArrayView text)
{
    auto decoded = base32Decode(text);
    if (!decoded) {
        return decoded.error();
    }
    return fromBytes(decoded.value());
}

Result<OtpSecret> OtpSecret::generate(qsizetype size)
{
    if (const auto checked = checkSize(size); !checked) {
        return checked.error();
    }
    QByteArray bytes(size, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), static_cast<int>(size)) != 1) {
        return makeError(
            ErrorCode::CryptoFailure,
            QStringLiteral("the random number generator failed to make an OTP secret"));
    }
    return OtpSecret(std::move(bytes));
}

const QByteArray &OtpSecret::bytes() const
{
    return m_bytes;
}

QByteArray OtpSecret::toBase32() const
{
    return base32Encode(m_bytes);
}

} // namespace countersign
