#pragma once

#include <QByteArray>
#include <QString>

namespace countersign {

// Bytes from OpenSSL's CSPRNG. If the CSPRNG ever fails the process stops:
// nothing here may continue with predictable ids, nonces or codes.
QByteArray randomBytes(qsizetype count);

// `count` random bytes as base64url text: ids, nonces, one-time codes.
QString randomToken(qsizetype count);

} // namespace countersign
