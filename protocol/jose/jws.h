#pragma once

#include "protocol/jose/ecprivatekey.h"
#include "protocol/jose/ecpublickey.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace countersign {

// JWS compact serialization (RFC 7515) restricted to what Countersign needs:
// ES256 only (RFC 7518 3.4), no unencoded payloads, no critical extensions,
// no keys carried or referenced by the token itself (keys are pinned).
struct JwsHeader {
    QString algorithm; // always "ES256" once decoded
    QString keyId;     // "kid", empty when absent
    QString type;      // "typ", empty when absent
    QJsonObject json;  // the protected header as received
};

struct DecodedJws {
    JwsHeader header;
    QByteArray payload;
    QByteArray signingInput; // BASE64URL(header) "." BASE64URL(payload)
    QByteArray signature;    // raw r || s
};

class Jws {
public:
    // Tokens larger than this are refused before any parsing.
    static constexpr qsizetype maxCompactSize = 64 * 1024;

    // Signs `payload` with an ES256 protected header {"alg","kid","typ"}.
    static Result<QByteArray> sign(QByteArrayView payload, const EcPrivateKey &key,
                                   const QString &type, const QString &keyId);

    // Splits and checks the structure and header without checking the
    // signature: for reading "kid" to choose the key. Never trust the payload
    // of an unverified token.
    static Result<DecodedJws> decodeUnverified(QByteArrayView compact);

    // decodeUnverified(), then the signature with `key`, then (when
    // `expectedType` is not empty) the "typ" header, compared
    // case-insensitively as RFC 7515 4.1.9 asks.
    static Result<DecodedJws> verify(QByteArrayView compact, const EcPublicKey &key,
                                     const QString &expectedType = {});
};

} // namespace countersign
