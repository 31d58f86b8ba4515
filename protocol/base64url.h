#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace countersign {

// base64url without padding (RFC 4648 section 5, RFC 7515 section 2).
QByteArray base64UrlEncode(QByteArrayView data);

// Strict decoding: only the base64url alphabet, no padding, no whitespace,
// and the unused low bits of the last character must be zero, so that every
// byte string has exactly one accepted encoding.
Result<QByteArray> base64UrlDecode(QByteArrayView text);

} // namespace countersign
