#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace countersign {

// The shared key of an HOTP/TOTP credential. Only sizes the RFCs allow can be
// constructed, so code that holds an OtpSecret never re-checks it.
class OtpSecret {
public:
    // RFC 4226 R6: at least 128 bits.
    static constexpr qsizetype kMinimumSize = 16;
    // HMAC hashes longer keys first; nothing legitimate needs more than a
    // SHA-512 block.
    static constexpr qsizetype kMaximumSize = 128;
    // 160 bits: RFC 4226's recommendation and what phone apps expect for SHA1.
    static constexpr qsizetype kDefaultSize = 20;

    static Result<OtpSecret> fromBytes(QByteArrayView bytes);
    // Accepts what base32Decode() accepts (either case, optional padding).
    static Result<OtpSecret> fromBase32(QByteArrayView text);
    // A fresh key from OpenSSL's CSPRNG.
    static Result<OtpSecret> generate(qsizetype size = kDefaultSize);

    const QByteArray &bytes() const;
    // Upper case, without padding, as the otpauth URI format asks.
    QByteArray toBase32() const;

private:
    explicit OtpSecret(QByteArray bytes);

    QByteArray m_bytes;
};

} // namespace countersign
