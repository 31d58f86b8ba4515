#pragma once

#include "hotp.h"
#include "protocol/result.h"
#include "totp.h"

#include <QString>
#include <QStringView>

namespace countersign {

// An otpauth:// key URI (Google Authenticator's Key-Uri-Format), the text in
// an enrolment QR code:
//   otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
// parse() is strict about everything the key depends on and ignores
// parameters it does not know (apps add `image`, `color` and others), so that
// whatever it accepts, toString() writes back with the same meaning.
class OtpauthUri {
public:
    enum class Type {
        Totp,
        Hotp,
    };

    static constexpr qsizetype kMaximumLength = 2048;

    // The issuer may be empty (then the label is just the account name).
    // Neither may contain ':' or control characters, start or end with
    // whitespace; the account name is required. T0 must be 0: the format
    // cannot express another.
    static Result<OtpauthUri> forTotp(const Totp &totp, const QString &issuer,
                                      const QString &accountName);
    static Result<OtpauthUri> forHotp(const Hotp &hotp, quint64 counter, const QString &issuer,
                                      const QString &accountName);
    static Result<OtpauthUri> parse(QStringView text);

    // Plain ASCII: the label and issuer are percent-encoded UTF-8, the secret
    // is upper-case Base32 without padding, and every parameter is written
    // out even when it has its default value, since some apps guess wrong
    // defaults.
    QString toString() const;

    Type type() const;
    // Empty when neither the label nor an issuer parameter names one.
    const QString &issuer() const;
    const QString &accountName() const;
    // The secret, algorithm and digits, for either type.
    const Hotp &hotp() const;
    // TOTP only (30 when the URI has no period).
    qint64 period() const;
    // HOTP only: the initial counter.
    quint64 counter() const;
    // The TOTP key of a totp URI; UnexpectedType for an hotp one.
    Result<Totp> totp() const;

private:
    OtpauthUri(Type type, QString issuer, QString accountName, Hotp hotp, qint64 period,
               quint64 counter);

    // InputTooLarge if toString() would exceed kMaximumLength.
    Status checkWrittenLength() const;

    Type m_type;
    QString m_issuer;
    QString m_accountName;
    Hotp m_hotp;
    qint64 m_period;
    quint64 m_counter;
};

} // namespace countersign
