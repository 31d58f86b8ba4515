#include "base64url.h"

namespace countersign {

namespace {

bool isBase64UrlChar(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_';
}

} // namespace

QByteArray base64UrlEncode(QByteArrayView data)
{
    return data.toByteArray().toBase64(QByteArray::Base64UrlEncoding
                                       | QByteArray::OmitTrailingEquals);
}

Result<QByteArray> base64UrlDecode(QByteArrayView text)
{
    for (const char c : text) {
        if (!isBase64UrlChar(c)) {
            return makeError(ErrorCode::MalformedBase64,
                             QStringLiteral("base64url text contains a character outside its "
                                            "alphabet (padding and whitespace are not allowed)"));
        }
    }
    if (text.size() % 4 == 1) {
        return makeError(ErrorCode::MalformedBase64,
                         QStringLiteral("base64url text has an impossible length"));
    }
    auto decoded = QByteArray::fromBase64Encoding(text.toByteArray(),
                                                  QByteArray::Base64UrlEncoding
                                                      | QByteArray::AbortOnBase64DecodingErrors);
    if (decoded.decodingStatus != QByteArray::Base64DecodingStatus::Ok) {
        return makeError(ErrorCode::MalformedBase64, QStringLiteral("base64url text is malformed"));
    }
    // Re-encoding catches non-zero trailing bits: "QQ" and "QR" both decode to
    // "A" in lenient decoders, and only one of them is canonical.
    if (text.compare(base64UrlEncode(decoded.decoded)) != 0) {
        return makeError(ErrorCode::MalformedBase64,
                         QStringLiteral("base64url text is not in canonical form"));
    }
    return std::move(decoded.decoded);
}

} // namespace countersign
