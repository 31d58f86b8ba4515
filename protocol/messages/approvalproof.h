#pragma once

#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalmethod.h"

#include <optional>

#include <QJsonObject>

namespace countersign {

enum class Decision {
    Approve,
    Deny,
};

// What the person proved, by method:
//  totp:    {"code": "123456"}                       (checked by the gateway)
//  passkey: {"credential_id", "authenticator_data",  (a WebAuthn assertion whose
//            "client_data_json", "signature"}         challenge is the request hash)
// All passkey members are base64url.
struct ApprovalEvidence {
    static Status validate(ApprovalMethod method, const QJsonObject &evidence);
};

// The companion's answer, signed with its device key (JWS, typ
// "countersign-proof+jwt", kid = device key thumbprint). The signature and
// shape are checked here; whether the request, device and evidence are
// acceptable is the gateway's decision (docs/protocol.md, "Proof checks").
struct ApprovalProof {
    static constexpr int protocolVersion = 1;
    static inline const QString jwsType = QStringLiteral("countersign-proof+jwt");
    static constexpr qsizetype maxReasonLength = 500;
    // The denial reason a companion sends by itself when the person picked a
    // binding code other than the request's (docs/protocol.md 4): the
    // request on their screen may not be the agent's.
    static inline const QString bindingCodeMismatchReason = QStringLiteral("binding_code_mismatch");

    QString requestId;
    QByteArray requestHash; // 32 bytes: SHA-256 of the request JWS as received
    Decision decision = Decision::Deny;
    std::optional<ApprovalMethod> method; // set when approving
    QJsonObject evidence;                 // set when approving
    QString reason;                       // optional, when denying
    qint64 issuedAt = 0;

    QJsonObject toJson() const;
    static Result<ApprovalProof> fromJson(const QJsonObject &json);

    Result<QByteArray> sign(const EcPrivateKey &deviceKey) const;

    friend bool operator==(const ApprovalProof &, const ApprovalProof &) = default;
};

// Checks the proof's signature with the device's key and that its kid is
// that key's thumbprint (ErrorCode::UnknownKeyId otherwise), then its shape.
Result<ApprovalProof> verifyApprovalProof(QByteArrayView compact, const EcPublicKey &deviceKey);

} // namespace countersign
