#pragma once

#include "protocol/jose/ecpublickey.h"

#include <QHash>

namespace countersign::directory {

// The gateway's token-signing keys, read from its JWK Set (RFC 7517 section
// 5, published at /.well-known/jwks.json) and looked up by "kid".
class JwkSet {
public:
    // Larger documents are refused before parsing.
    static constexpr qsizetype maxBytes = 64 * 1024;

    // Keeps the P-256 keys usable for ES256 signatures and skips the others
    // (another "kty"/"crv", "use" other than "sig", "alg" other than ES256),
    // so that the gateway may publish keys we do not use. A key without
    // "kid" is named by its RFC 7638 thumbprint, which is the gateway's kid.
    // A set that leaves no key is an error: it could never verify anything.
    static Result<JwkSet> fromJson(const QJsonObject &jwks);
    static Result<JwkSet> fromBytes(QByteArrayView json);

    // nullptr when no key has this id.
    const EcPublicKey *find(const QString &keyId) const;
    qsizetype size() const;

private:
    QHash<QString, EcPublicKey> m_keys;
};

} // namespace countersign::directory
