#pragma once

#include "protocol/result.h"

#include <QString>
#include <QStringView>

namespace countersign {

// The HMAC hash of an HOTP/TOTP key (RFC 6238 section 1.2). SHA1 is the
// default and the only one every authenticator app honours.
enum class OtpAlgorithm {
    Sha1,
    Sha256,
    Sha512,
};

// "SHA1", "SHA256" or "SHA512", as written in otpauth URIs.
QString otpAlgorithmName(OtpAlgorithm algorithm);

// The inverse of otpAlgorithmName(), ignoring case ("sha256" is common).
Result<OtpAlgorithm> otpAlgorithmFromName(QStringView name);

} // namespace countersign
