#pragma once

#include "protocol/jose/ecpublickey.h"

namespace countersign {

// A P-256 key pair that signs ES256. The companion keeps its device keys and
// the gateway its signing key in this form; the private half leaves the
// process only as PKCS#8 DER, to be stored in the OS keychain or a 0600 file.
class EcPrivateKey {
public:
    static Result<EcPrivateKey> generate();
    static Result<EcPrivateKey> fromPkcs8Der(QByteArrayView der);
    // A private JWK ("d" with "x"/"y"), as in RFC 7515 appendix A.3.
    static Result<EcPrivateKey> fromJwk(const QJsonObject &jwk);

    QByteArray toPkcs8Der() const;
    // The public half, made (and its thumbprint, the key id every signature
    // names) once when the key is loaded, not on every signature.
    EcPublicKey publicKey() const { return m_public; }

    // ES256 over `data`: SHA-256, ECDSA P-256, returned as raw r || s.
    Result<QByteArray> signEs256(QByteArrayView data) const;

private:
    explicit EcPrivateKey(openssl::SharedPkey key);

    openssl::SharedPkey m_key;
    EcPublicKey m_public;
};

} // namespace countersign
