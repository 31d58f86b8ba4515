#include "elevatedtokenverifier.h"

#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"
#include "protocol/jose/jws.h"
#include "protocol/strictjson.h"

#include <cmath>

#include <QJsonArray>

namespace countersign::directory {

namespace {

TokenVerdict refuse(TokenRefusal refusal, const QString &message)
{
    TokenVerdict verdict;
    verdict.refusal = refusal;
    verdict.message = message;
    return verdict;
}

TokenRefusal refusalFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::BadSignature:
        return TokenRefusal::BadSignature;
    case ErrorCode::UnexpectedType:
        return TokenRefusal::WrongType;
    default:
        return TokenRefusal::Malformed;
    }
}

// A NumericDate (RFC 7519 section 2); NaN when absent or not a number.
double numericDate(const QJsonObject &claims, const QString &name)
{
    const QJsonValue value = claims.value(name);
    return value.isDouble() ? value.toDouble() : std::nan("");
}

bool audienceMatches(const QJsonValue &aud, const QString &audience)
{
    // RFC 7519 4.1.3: a string, or an array of strings.
    if (aud.isString())
        return aud.toString() == audience;
    if (aud.isArray())
        return aud.toArray().contains(QJsonValue(audience));
    return false;
}

} // namespace

ElevatedTokenVerifier::ElevatedTokenVerifier(QString issuer, QString audience, const Clock &clock,
                                             SpentTokens &spent)
    : m_issuer(std::move(issuer))
    , m_audience(std::move(audience))
    , m_clock(clock)
    , m_spent(spent)
{
}

TokenVerdict ElevatedTokenVerifier::verifyAndSpend(QByteArrayView token, const JwkSet &keys,
                                                   const QString &tool,
                                                   const QJsonObject &arguments)
{
    if (token.trimmed().isEmpty())
        return refuse(TokenRefusal::Missing, QStringLiteral("no elevated token was presented"));

    // Only to pick the key; nothing in it is trusted before verify().
    const auto unverified = Jws::decodeUnverified(token);
    if (!unverified) {
        return refuse(refusalFor(unverified.error().code),
                      QStringLiteral("the elevated token is not an ES256 JWS: ")
                          + unverified.error().message);
    }
    const QString keyId = unverified->header.keyId;
    const EcPublicKey *key = keys.find(keyId);
    if (!key) {
        return refuse(TokenRefusal::UnknownKey,
                      QStringLiteral("the elevated token was signed with key \"%1\", which is "
                                     "not one of the gateway's keys")
                          .arg(keyId));
    }
    const auto verified = Jws::verify(token, *key, tokenType);
    if (!verified) {
        const TokenRefusal refusal = refusalFor(verified.error().code);
        return refuse(refusal,
                      refusal == TokenRefusal::BadSignature
                          ? QStringLiteral("the elevated token's signature does not verify with "
                                           "the gateway's key")
                          : QStringLiteral("the elevated token is refused: ")
                              + verified.error().message);
    }
    const auto claims = parseStrictJsonObject(verified->payload, QStringLiteral("the claims"));
    if (!claims) {
        return refuse(TokenRefusal::Malformed,
                      QStringLiteral("the elevated token's claims are not a JSON object: ")
                          + claims.error().message);
    }

    const QString issuer = claims->value(QStringLiteral("iss")).toString();
    if (issuer != m_issuer) {
        return refuse(TokenRefusal::WrongIssuer,
                      QStringLiteral("the elevated token was issued by \"%1\", not by \"%2\"")
                          .arg(issuer, m_issuer));
    }
    if (!audienceMatches(claims->value(QStringLiteral("aud")), m_audience)) {
        return refuse(TokenRefusal::WrongAudience,
                      QStringLiteral("the elevated token is meant for another server, not \"%1\"")
                          .arg(m_audience));
    }
    const qint64 now = m_clock.secondsSinceEpoch();
    const double expiresAt = numericDate(claims.value(), QStringLiteral("exp"));
    const double issuedAt = numericDate(claims.value(), QStringLiteral("iat"));
    if (std::isnan(expiresAt) || std::isnan(issuedAt)) {
        return refuse(TokenRefusal::Malformed,
                      QStringLiteral("the elevated token has no numeric exp or iat"));
    }
    if (static_cast<double>(now) >= expiresAt + static_cast<double>(leewaySeconds)) {
        return refuse(TokenRefusal::Expired,
                      QStringLiteral("the elevated token expired; ask for a new approval"));
    }
    if (issuedAt > static_cast<double>(now + leewaySeconds)) {
        return refuse(TokenRefusal::IssuedInFuture,
                      QStringLiteral("the elevated token is issued in the future; check the "
                                     "gateway's and this server's clocks"));
    }
    const QString tokenId = claims->value(QStringLiteral("jti")).toString();
    if (tokenId.isEmpty() || tokenId.size() > SpentTokens::maxTokenIdLength) {
        return refuse(TokenRefusal::Malformed,
                      QStringLiteral("the elevated token has no usable jti"));
    }
    if (m_spent.contains(tokenId)) {
        return refuse(TokenRefusal::Replayed,
                      QStringLiteral("the elevated token was already used; each approval "
                                     "allows one call"));
    }

    TokenVerdict verdict = checkOperation(claims.value(), tool, arguments);
    if (!verdict.accepted())
        return verdict;

    // Remember it for as long as the expiry check could still let it through.
    const qint64 forgetAt = static_cast<qint64>(std::ceil(expiresAt)) + leewaySeconds;
    if (auto spent = m_spent.spend(tokenId, forgetAt, now); !spent) {
        return refuse(TokenRefusal::StorageFailure,
                      QStringLiteral("cannot record the elevated token as used, so it is "
                                     "refused: ")
                          + spent.error().message);
    }
    verdict.tokenId = tokenId;
    verdict.subject = claims->value(QStringLiteral("sub")).toString();
    verdict.agent =
        claims->value(QStringLiteral("act")).toObject().value(QStringLiteral("sub")).toString();
    return verdict;
}

TokenVerdict ElevatedTokenVerifier::checkOperation(const QJsonObject &claims, const QString &tool,
                                                   const QJsonObject &arguments) const
{
    const auto expectedHash = argumentsHash(arguments);
    if (!expectedHash) {
        return refuse(TokenRefusal::ArgumentsChanged,
                      QStringLiteral("the call's arguments cannot be hashed: ")
                          + expectedHash.error().message);
    }
    const QString expected = QString::fromLatin1(base64UrlEncode(expectedHash.value()));

    bool anyOperation = false;
    bool actionMatched = false;
    for (const QJsonValue &entry :
         claims.value(QStringLiteral("authorization_details")).toArray()) {
        const QJsonObject details = entry.toObject();
        if (details.value(QStringLiteral("type")).toString() != detailsType)
            continue;
        anyOperation = true;
        if (!details.value(QStringLiteral("actions")).toArray().contains(QJsonValue(tool)))
            continue;
        actionMatched = true;
        if (details.value(QStringLiteral("arguments_hash")).toString() == expected)
            return {};
    }
    if (!anyOperation) {
        return refuse(TokenRefusal::NoOperation,
                      QStringLiteral("the elevated token has no authorization_details entry of "
                                     "type countersign_operation"));
    }
    if (!actionMatched) {
        return refuse(TokenRefusal::WrongAction,
                      QStringLiteral("the elevated token does not approve %1").arg(tool));
    }
    return refuse(TokenRefusal::ArgumentsChanged,
                  QStringLiteral("the call's arguments differ from the ones that were approved"));
}

} // namespace countersign::directory
