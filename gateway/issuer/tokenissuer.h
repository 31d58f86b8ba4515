#pragma once

#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalmethod.h"

#include <QJsonObject>

namespace countersign::gateway {

// What an elevated token is for: one approved operation.
struct ElevatedGrant {
    QString userId;   // sub
    QString agent;    // act.sub (RFC 8693)
    QString audience; // aud: the upstream that will receive it
    QString action;   // authorization_details[0].actions[0]
    QString resource; // authorization_details[0].resource
    QByteArray argumentsHash;
    QByteArray requestHash;
    ApprovalMethod method = ApprovalMethod::Totp;
    bool userVerified = false; // passkey with PIN or biometrics
};

struct ElevatedToken {
    QByteArray token; // compact JWS, typ at+jwt
    QString tokenId;  // jti
    qint64 expiresAt = 0;
};

// Issues the short-lived, single-use JWT that lets the gateway make exactly
// the approved call upstream (docs/protocol.md section 6).
class TokenIssuer {
public:
    static inline const QString tokenType = QStringLiteral("at+jwt");
    static inline const QString detailsType = QStringLiteral("countersign_operation");

    TokenIssuer(EcPrivateKey key, QString issuer, qint64 ttlSeconds, const Clock &clock);

    Result<ElevatedToken> issue(const ElevatedGrant &grant) const;

    // The claims, without signing: issue() signs exactly these.
    QJsonObject claims(const ElevatedGrant &grant, const QString &tokenId, qint64 issuedAt) const;

private:
    EcPrivateKey m_key;
    QString m_issuer;
    qint64 m_ttlSeconds;
    const Clock &m_clock;
};

} // namespace countersign::gateway
