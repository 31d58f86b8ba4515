#pragma once

#include "gateway/passkeys/relyingparty.h"
#include "protocol/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign::gateway {

// The `credential` of a passkey.register message (docs/protocol.md 8.2),
// decoded from base64url.
struct PasskeyRegistration {
    QByteArray credentialId;
    QByteArray clientDataJson;
    QByteArray authenticatorData;    // raw, not CBOR-wrapped
    QString fmt;                     // "packed" or "none"
    QByteArray attestationSignature; // empty for "none"
    QList<QByteArray> x5c;           // DER, leaf first; empty for self attestation

    // Strict: unknown members, bad base64url and sizes out of range fail.
    static Result<PasskeyRegistration> fromJson(const QJsonObject &credential);
};

// What the gateway keeps of a registration it accepted.
struct VerifiedRegistration {
    QByteArray credentialId;
    QByteArray publicKey; // SubjectPublicKeyInfo DER (ES256)
    quint32 signCount = 0;
    bool userVerified = false;
    bool backupEligible = false;
};

// Checks a registration against the relying party and the challenge this
// connection issued (its hello nonce): client data, then libfido2 with the
// attestation (fido_cred_verify for x5c, fido_cred_verify_self for self
// attestation); "none" has no signature to check, so libfido2 only parses
// the authenticator data and the checks libfido2 would do (rp id hash, UP)
// are done here for every format. Also: ES256 only, the credential id in
// the message is the one in the authenticator data, BS not without BE, no
// extensions (none were asked for).
Result<VerifiedRegistration> verifyRegistration(const PasskeyRegistration &registration,
                                                const RelyingParty &rp, const QString &challenge);

} // namespace countersign::gateway
