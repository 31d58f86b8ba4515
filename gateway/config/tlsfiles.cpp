#include "tlsfiles.h"

#include <memory>

#include <QFile>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace countersign::gateway {

namespace {

// Certificates and keys are small; anything bigger is not one.
constexpr qint64 maxFileBytes = 1024 * 1024;

Result<QByteArray> readSmallFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    }
    const QByteArray data = file.read(maxFileBytes + 1);
    if (data.size() > maxFileBytes) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("%1 is larger than 1 MiB").arg(path));
    }
    return data;
}

struct BioFree {
    void operator()(BIO *bio) const { BIO_free(bio); }
};
struct PkeyFree {
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509 *certificate) const { X509_free(certificate); }
};

} // namespace

Result<QList<QSslCertificate>> loadCertificateChain(const QString &path)
{
    const auto data = readSmallFile(path);
    if (!data.ok()) {
        return data.error();
    }
    QList<QSslCertificate> chain = QSslCertificate::fromData(data.value(), QSsl::Pem);
    if (chain.isEmpty()) {
        chain = QSslCertificate::fromData(data.value(), QSsl::Der);
    }
    if (chain.isEmpty() || chain.first().isNull()) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("%1 holds no PEM or DER certificate").arg(path));
    }
    return chain;
}

Result<QSslKey> loadPrivateKey(const QString &path)
{
    const auto data = readSmallFile(path);
    if (!data.ok()) {
        return data.error();
    }
    // QSslKey needs the algorithm up front; the gateway accepts the two that
    // TLS certificates use in practice.
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Ec, QSsl::Rsa}) {
        for (const QSsl::EncodingFormat format : {QSsl::Pem, QSsl::Der}) {
            const QSslKey key(data.value(), algorithm, format, QSsl::PrivateKey);
            if (!key.isNull()) {
                return key;
            }
        }
    }
    return makeError(ErrorCode::ConfigError,
                     QStringLiteral("%1 holds no unencrypted EC or RSA private key (PEM or DER; "
                                    "a key protected by a passphrase cannot be used)")
                         .arg(path));
}

bool keyMatchesCertificate(const QSslKey &key, const QSslCertificate &certificate)
{
    // Qt has no way to compare a private key with a certificate's public key,
    // so ask OpenSSL, which the protocol library already links.
    const QByteArray certificateDer = certificate.toDer();
    const auto *certificateBytes =
        reinterpret_cast<const unsigned char *>(certificateDer.constData());
    const std::unique_ptr<X509, X509Free> x509(
        d2i_X509(nullptr, &certificateBytes, static_cast<long>(certificateDer.size())));
    const QByteArray keyPem = key.toPem();
    const std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(keyPem.constData(), static_cast<int>(keyPem.size())));
    if (!x509 || !bio) {
        return false;
    }
    const std::unique_ptr<EVP_PKEY, PkeyFree> privateKey(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    const EVP_PKEY *publicKey = X509_get0_pubkey(x509.get());
    return privateKey && publicKey && EVP_PKEY_eq(publicKey, privateKey.get()) == 1;
}

} // namespace countersign::gateway
