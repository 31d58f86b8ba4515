#pragma once

#include "gateway/passkeys/relyingparty.h"
#include "gateway/store/store.h"

#include <QJsonObject>

namespace countersign::gateway {

// The passkey evidence of an approval proof (docs/protocol.md 4, 8.3),
// decoded from base64url. Its shape was checked with the proof.
struct PasskeyAssertion {
    QByteArray credentialId;
    QByteArray authenticatorData; // raw
    QByteArray clientDataJson;
    QByteArray signature; // DER ECDSA

    static Result<PasskeyAssertion> fromEvidence(const QJsonObject &evidence);
};

struct VerifiedAssertion {
    quint32 signCount = 0;
    bool userVerified = false;
};

// Every check of section 8.3 that needs no database write: client data
// (type, challenge = base64url(requestHash), origin, crossOrigin), BE/BS
// against the stored credential, UV when required, and libfido2's
// fido_assert_verify with the stored key (rp id hash, UP, signature over
// authenticatorData || SHA-256(clientDataJSON), no unsolicited extensions).
// The caller matches the credential to the request's user, and the store
// checks the counter in the transaction that approves.
Result<VerifiedAssertion> verifyAssertion(const PasskeyAssertion &assertion,
                                          const PasskeyCredential &credential,
                                          const RelyingParty &rp, const QByteArray &requestHash,
                                          bool userVerificationRequired);

} // namespace countersign::gateway
