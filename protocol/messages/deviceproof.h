#pragma once

#include "protocol/jose/ecprivatekey.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/channelmessage.h"

#include <QJsonObject>

// The JWSs a device key signs besides approval proofs: the channel's auth
// proof (docs/protocol.md 5.2) and the pairing proof of possession (2.2).
// Both payloads are signed, so both are strict (1.1, 9): "v" must be 1 and
// a member the version does not define is refused.
namespace countersign {

// Verifies a JWS signed by a device key: the signature with `deviceKey`, the
// "typ", and that "kid" is the key's RFC 7638 thumbprint (1.2). A kid naming
// another key is refused with ErrorCode::UnknownKeyId, whether or not the
// signature is good: a proof names the key that made it, or it is refused.
Result<DecodedJws> verifyDeviceJws(QByteArrayView compact, const EcPublicKey &deviceKey,
                                   const QString &expectedType);

// The payload of the channel's auth proof, strictly: {"v":1,"nonce",
// "gateway_id","iat"} and nothing else.
Result<channel::AuthClaims> parseAuthClaims(QByteArrayView payload);

// The pairing proof of possession (JWS typ countersign-pair+jwt, kid = the
// thumbprint of the device key being paired): {"v":1,"code","iat"}.
struct PairingProofClaims {
    static constexpr int protocolVersion = 1;
    static inline const QString jwsType = QStringLiteral("countersign-pair+jwt");
    static constexpr qsizetype maxCodeLength = 128;
    QString code; // the pairing code, as the link carries it
    qint64 issuedAt = 0;

    QJsonObject toJson() const;
    static Result<PairingProofClaims> fromJson(const QJsonObject &json);
    Result<QByteArray> sign(const EcPrivateKey &deviceKey) const;
    friend bool operator==(const PairingProofClaims &, const PairingProofClaims &) = default;
};

// verifyDeviceJws() with the device key the pairing request carries, then
// the strict payload.
Result<PairingProofClaims> verifyPairingProof(QByteArrayView compact, const EcPublicKey &deviceKey);

} // namespace countersign
