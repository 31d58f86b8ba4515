#include "tlspin.h"

#include "protocol/base64url.h"

#include <QCryptographicHash>

#include <openssl/x509.h>

namespace countersign {

QString spkiPin(const QSslCertificate &certificate)
{
    const QByteArray der = certificate.toDer();
    const auto *cursor = reinterpret_cast<const unsigned char *>(der.constData());
    X509 *x509 = d2i_X509(nullptr, &cursor, der.size());
    if (!x509)
        return {};
    unsigned char *spki = nullptr;
    const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), &spki);
    X509_free(x509);
    if (length <= 0)
        return {};
    const QByteArray digest = QCryptographicHash::hash(
        QByteArrayView(reinterpret_cast<const char *>(spki), length), QCryptographicHash::Sha256);
    OPENSSL_free(spki);
    return QString::fromLatin1(base64UrlEncode(digest));
}

} // namespace countersign
