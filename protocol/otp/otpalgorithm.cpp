#include "otpalgorithm.h"

#include <algorithm>

namespace countersign {

QString otpAlgorithmName(OtpAlgorithm algorithm)
{
    switch (algorithm) {
    case OtpAlgorithm::Sha1:
        return QStringLiteral("SHA1");
    case OtpAlgorithm::Sha256:
        return QStringLiteral("SHA256");
    case OtpAlgorithm::Sha512:
        return QStringLiteral("SHA512");
    }
    Q_UNREACHABLE();
}

Result<OtpAlgorithm> otpAlgorithmFromName(QStringView name)
{
    // Unicode case folding would also accept look-alikes such as U+017F
    // (long s) for 's'; only ASCII spellings are meant.
    const bool ascii =
        std::all_of(name.begin(), name.end(), [](QChar c) { return c.unicode() < 0x80; });
    for (const auto algorithm : {OtpAlgorithm::Sha1, OtpAlgorithm::Sha256, OtpAlgorithm::Sha512}) {
        if (ascii && name.compare(otpAlgorithmName(algorithm), Qt::CaseInsensitive) == 0) {
            return algorithm;
        }
    }
    return makeError(ErrorCode::UnsupportedAlgorithm,
                     QStringLiteral("OTP algorithm \"%1\" is not supported (use SHA1, SHA256 or "
                                    "SHA512)")
                         .arg(name.left(16)));
}

} // namespace countersign
