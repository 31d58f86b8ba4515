#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign {

// What the platform authenticator (libfido2 on the companion,
// platform/fidoauthenticator) hands over after fido_dev_make_cred: raw
// bytes, base64url only on the wire (docs/protocol.md 8.2).
struct PasskeyRegistrationEvidence {
    QByteArray credentialId;
    QByteArray clientDataJson;
    QByteArray authenticatorData;    // raw, not CBOR-wrapped
    QByteArray fmt;                  // "packed" or "none"
    QByteArray attestationSignature; // empty for "none"
    QList<QByteArray> x5c;           // DER, leaf first; empty for self attestation

    // The `credential` member of passkey.register.
    QJsonObject toJson() const;
};

// ... and after fido_dev_get_assert: the evidence of a passkey approval
// (docs/protocol.md 4, 8.3).
struct PasskeyEvidence {
    QByteArray credentialId;
    QByteArray authenticatorData; // raw
    QByteArray clientDataJson;
    QByteArray signature; // DER ECDSA

    // The proof's `evidence` object.
    QJsonObject toJson() const;
};

// Checks client data (webauthnclientdata.h builds it) as the gateway will,
// so that a mistake is reported here and not after a round trip: strict JSON, type, challenge,
// origin, crossOrigin absent or false.
Status checkPasskeyClientData(const QByteArray &clientDataJson, const QString &type,
                              const QString &challenge, const QString &origin);

} // namespace countersign
