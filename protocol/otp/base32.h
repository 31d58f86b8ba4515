#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace countersign {

enum class Base32Padding {
    // The otpauth URI format asks for secrets without padding.
    Omit,
    Include,
};

// The largest text base32Decode() accepts. OTP secrets are at most 128 bytes
// (208 characters); the limit only has to stop someone making us allocate.
inline constexpr qsizetype kBase32MaxTextLength = 4096;

// Base32 (RFC 4648 section 6), upper case.
QByteArray base32Encode(QByteArrayView data, Base32Padding padding = Base32Padding::Omit);

// Strict decoding: the alphabet in either case, padding optional but exact
// when present, no whitespace or separators, and the unused low bits of the
// last character must be zero, so that each byte string has one accepted
// spelling per case and padding choice.
Result<QByteArray> base32Decode(QByteArrayView text);

} // namespace countersign
