#pragma once

#include "protocol/jose/opensslhandles.h"
#include "protocol/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace countersign {

// A P-256 public key: what verifies ES256 signatures. Imported from and
// exported to JWK (RFC 7517/7518) and the uncompressed SEC1 point; its RFC
// 7638 thumbprint is how both ends name and pin it.
class EcPublicKey {
public:
    static constexpr qsizetype coordinateSize = 32;

    // {"kty":"EC","crv":"P-256","x":...,"y":...}; a "d" member is ignored
    // here (use EcPrivateKey), other members ("kid", "alg", "use") are allowed.
    static Result<EcPublicKey> fromJwk(const QJsonObject &jwk);
    // 0x04 || x || y, 65 bytes.
    static Result<EcPublicKey> fromUncompressedPoint(QByteArrayView point);

    QJsonObject toJwk() const;
    QByteArray uncompressedPoint() const;
    // RFC 7638 SHA-256 thumbprint, base64url: computed once, when the key
    // is made, since it names the key in every JWS header and check.
    QString thumbprint() const { return m_thumbprint; }

    // `signature` is the raw 64-byte r || s form of RFC 7518 section 3.4.
    bool verifyEs256(QByteArrayView data, QByteArrayView signature) const;

    friend bool operator==(const EcPublicKey &a, const EcPublicKey &b)
    {
        return a.uncompressedPoint() == b.uncompressedPoint();
    }

private:
    friend class EcPrivateKey;
    explicit EcPublicKey(openssl::SharedPkey key);

    openssl::SharedPkey m_key;
    QString m_thumbprint;
};

} // namespace countersign
