#pragma once

#include "otpalgorithm.h"
#include "otpsecret.h"
#include "protocol/result.h"

#include <QString>
#include <QStringView>

namespace countersign {

// HOTP (RFC 4226): the code for a counter value. Totp builds on it; the
// gateway never uses bare HOTP, but otpauth URIs can carry it.
class Hotp {
public:
    static constexpr int kDefaultDigits = 6;

    // Digits must be 6 or 8: the RFC allows 6 to 10, but apps show 6 or 8 and
    // 7, 9 and 10 only invite interoperability bugs.
    static Result<Hotp> create(OtpSecret secret, OtpAlgorithm algorithm = OtpAlgorithm::Sha1,
                               int digits = kDefaultDigits);
    static bool isSupportedDigits(int digits);

    const OtpSecret &secret() const;
    OtpAlgorithm algorithm() const;
    int digits() const;

    // The code for a counter, zero-padded to digits(). Fails only if OpenSSL
    // cannot compute the HMAC.
    Result<QString> code(quint64 counter) const;

    // Succeeds when candidate is the code for counter; the digits are compared
    // in constant time. Refuses, without throwing, a candidate of the wrong
    // length or with anything but ASCII digits (InvalidField) and a wrong
    // code (BadSignature). A failure is never a match, so
    // `if (hotp.verify(...))` reads the right way round.
    Status verify(QStringView candidate, quint64 counter) const;

    // The shape check verify() starts with, for callers that try several
    // counters and want to refuse a malformed code once.
    Status checkCodeFormat(QStringView candidate) const;

private:
    Hotp(OtpSecret secret, OtpAlgorithm algorithm, int digits);

    OtpSecret m_secret;
    OtpAlgorithm m_algorithm;
    int m_digits;
};

} // namespace countersign
