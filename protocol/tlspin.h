#pragma once

#include <QSslCertificate>
#include <QString>

namespace countersign {

// SHA-256 of the certificate's DER SubjectPublicKeyInfo, base64url: the
// `spki` pin a pairing link carries for a gateway with a self-signed
// certificate. A companion that has the pin trusts exactly that key, not the
// system's certificate authorities. Empty when the certificate is unusable.
QString spkiPin(const QSslCertificate &certificate);

} // namespace countersign
