// libFuzzer target for the otpauth:// URI parser and the Base32 decoder,
// which read text from QR codes and clipboards. Neither may crash, and what
// they accept must survive a round trip.

#include "protocol/otp/base32.h"
#include "protocol/otp/otpauthuri.h"

#include <cstdint>
#include <cstdlib>

#include <QByteArray>
#include <QString>

using namespace countersign;

namespace {

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

void fuzzBase32(QByteArrayView data)
{
    const auto decoded = base32Decode(data);
    if (!decoded) {
        return;
    }
    // Accepted text is canonical: re-encoding gives it back up to case and
    // padding, and both spellings decode to the same bytes.
    const QByteArray unpadded = base32Encode(decoded.value());
    const QByteArray padded = base32Encode(decoded.value(), Base32Padding::Include);
    const QByteArray given = data.toByteArray().toUpper();
    require(given == unpadded || given == padded);
    require(base32Decode(padded).value() == decoded.value());
}

void fuzzOtpauthUri(const QString &text)
{
    const auto parsed = OtpauthUri::parse(text);
    if (!parsed) {
        require(!parsed.error().message.isEmpty());
        return;
    }
    const QString written = parsed->toString();
    const auto reparsed = OtpauthUri::parse(written);
    require(reparsed.ok());
    require(reparsed->type() == parsed->type());
    require(reparsed->issuer() == parsed->issuer());
    require(reparsed->accountName() == parsed->accountName());
    require(reparsed->hotp().secret().bytes() == parsed->hotp().secret().bytes());
    require(reparsed->hotp().algorithm() == parsed->hotp().algorithm());
    require(reparsed->hotp().digits() == parsed->hotp().digits());
    require(reparsed->period() == parsed->period());
    require(reparsed->counter() == parsed->counter());
    require(reparsed->toString() == written);
    // The key it describes must be usable.
    if (parsed->type() == OtpauthUri::Type::Totp) {
        const auto totp = parsed->totp();
        require(totp.ok());
        require(totp->codeAt(1'700'000'000).ok());
    } else {
        require(parsed->hotp().code(parsed->counter()).ok());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    fuzzBase32(bytes);
    fuzzOtpauthUri(QString::fromUtf8(bytes));
    return 0;
}
