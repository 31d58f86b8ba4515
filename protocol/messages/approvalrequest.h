#pragma once

#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalmethod.h"
#include "protocol/messages/sarc.h"

namespace countersign {

// What the gateway asks a person to approve, signed with the gateway key
// (JWS, typ "countersign-request+jwt"). docs/protocol.md section "Approval
// request" is the normative description.
struct ApprovalRequest {
    static constexpr int protocolVersion = 1;
    static inline const QString jwsType = QStringLiteral("countersign-request+jwt");
    // The longest a request may stay open: a request is for a person at their
    // desk now, not a standing grant.
    static constexpr qint64 maxLifetimeSeconds = 24 * 60 * 60;
    // Clocks of gateway and desktop may differ by this much.
    static constexpr qint64 clockSkewSeconds = 60;

    QString requestId; // base64url, chosen by the gateway, unique
    QString gatewayId; // the gateway's public URL, as pinned at pairing
    Sarc sarc;
    QByteArray nonce; // 16..64 random bytes
    qint64 issuedAt = 0;
    qint64 expiresAt = 0;
    QList<ApprovalMethod> methods; // allowed, in the gateway's order of preference

    QJsonObject toJson() const;
    static Result<ApprovalRequest> fromJson(const QJsonObject &json);

    // The compact JWS the gateway sends. kid is the key's RFC 7638 thumbprint.
    Result<QByteArray> sign(const EcPrivateKey &gatewayKey) const;

    friend bool operator==(const ApprovalRequest &, const ApprovalRequest &) = default;
};

// A request as the companion accepts it: signature checked with the pinned
// gateway key, payload validated, gateway and lifetime checked.
struct VerifiedApprovalRequest {
    ApprovalRequest request;
    QByteArray compact;     // the exact bytes received
    QByteArray requestHash; // SHA-256(compact): what the proof and passkey sign
    QString bindingCode;    // derived from requestHash
};

QByteArray approvalRequestHash(QByteArrayView compact);

Result<VerifiedApprovalRequest> verifyApprovalRequest(QByteArrayView compact,
                                                      const EcPublicKey &gatewayKey,
                                                      const QString &expectedGatewayId,
                                                      const Clock &clock);

} // namespace countersign
