#include "tokenissuer.h"

#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/randombytes.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace countersign::gateway {

namespace {

constexpr qsizetype argumentsHashBytes = 32; // SHA-256

// RFC 8176 method references.
QJsonArray methodReferences(const ElevatedGrant &grant)
{
    switch (grant.method) {
    case ApprovalMethod::Totp:
        return {QStringLiteral("otp")};
    case ApprovalMethod::Passkey:
        // UV cannot tell a PIN from biometrics; "pin" is what security
        // keys without a sensor do (docs/protocol.md 8.3).
        if (grant.userVerified)
            return {QStringLiteral("hwk"), QStringLiteral("pin")};
        return {QStringLiteral("hwk")};
    }
    return {};
}

QString authenticationContext(const ElevatedGrant &grant)
{
    return grant.method == ApprovalMethod::Passkey ? QStringLiteral("countersign:passkey")
                                                   : QStringLiteral("countersign:totp");
}

} // namespace

TokenIssuer::TokenIssuer(EcPrivateKey key, QString issuer, qint64 ttlSeconds, const Clock &clock)
    : m_key(std::move(key))
    , m_issuer(std::move(issuer))
    , m_ttlSeconds(ttlSeconds)
    , m_clock(clock)
{
}

QJsonObject TokenIssuer::claims(const ElevatedGrant &grant, const QString &tokenId,
                                qint64 issuedAt) const
{
    const QJsonObject details{
        {QStringLiteral("type"), detailsType},
        {QStringLiteral("actions"), QJsonArray{grant.action}},
        {QStringLiteral("locations"), QJsonArray{grant.audience}},
        {QStringLiteral("resource"), grant.resource},
        {QStringLiteral("arguments_hash"),
         QString::fromLatin1(base64UrlEncode(grant.argumentsHash))},
        {QStringLiteral("request_hash"), QString::fromLatin1(base64UrlEncode(grant.requestHash))},
    };
    return QJsonObject{
        {QStringLiteral("iss"), m_issuer},
        {QStringLiteral("sub"), grant.userId},
        {QStringLiteral("act"), QJsonObject{{QStringLiteral("sub"), grant.agent}}},
        {QStringLiteral("aud"), grant.audience},
        {QStringLiteral("jti"), tokenId},
        {QStringLiteral("iat"), issuedAt},
        {QStringLiteral("exp"), issuedAt + m_ttlSeconds},
        {QStringLiteral("acr"), authenticationContext(grant)},
        {QStringLiteral("amr"), methodReferences(grant)},
        {QStringLiteral("authorization_details"), QJsonArray{details}},
    };
}

Result<ElevatedToken> TokenIssuer::issue(const ElevatedGrant &grant) const
{
    // A token bound to no arguments would let its holder run the approved
    // tool with any; an operation without arguments is bound to the hash
    // of {} (docs/protocol.md 6), never to nothing.
    if (grant.argumentsHash.size() != argumentsHashBytes
        || grant.requestHash.size() != argumentsHashBytes) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("refusing to issue a token not bound to the approved "
                                        "arguments and request"));
    }
    const QString tokenId = randomToken(16);
    const qint64 issuedAt = m_clock.secondsSinceEpoch();
    const QByteArray payload =
        QJsonDocument(claims(grant, tokenId, issuedAt)).toJson(QJsonDocument::Compact);
    auto token = Jws::sign(payload, m_key, tokenType, m_key.publicKey().thumbprint());
    if (!token)
        return token.error();
    return ElevatedToken{std::move(token).value(), tokenId, issuedAt + m_ttlSeconds};
}

} // namespace countersign::gateway
