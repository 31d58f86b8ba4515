#pragma once

#include "jwkset.h"
#include "protocol/clock.h"
#include "spenttokens.h"

#include <QJsonObject>
#include <QString>

namespace countersign::directory {

// Why a token was refused; tests and logs match on it, people read the
// message.
enum class TokenRefusal {
    None,
    Missing,
    Malformed,  // not a compact JWS, not ES256, claims not JSON
    UnknownKey, // no key in the JWK Set has the token's "kid"
    BadSignature,
    WrongType, // "typ" is not at+jwt
    WrongIssuer,
    WrongAudience,
    Expired,
    IssuedInFuture,
    Replayed,         // its "jti" was used before
    NoOperation,      // no authorization_details entry of type countersign_operation
    WrongAction,      // approved for another tool
    ArgumentsChanged, // approved for other arguments
    StorageFailure,   // could not record the jti; refused so it cannot be replayed
};

struct TokenVerdict {
    TokenRefusal refusal = TokenRefusal::None;
    QString message; // why it was refused, for the tool result
    QString tokenId; // jti
    QString subject; // sub: the person who approved
    QString agent;   // act.sub: the agent the call came from

    bool accepted() const { return refusal == TokenRefusal::None; }
};

// Decides whether an elevated token (docs/protocol.md section 6) allows one
// tool call, and spends it if so. No I/O besides SpentTokens: the caller
// brings the keys and the clock, so tests need neither a network nor time.
class ElevatedTokenVerifier {
public:
    // Tolerated clock difference between the gateway and this server.
    static constexpr qint64 leewaySeconds = 30;
    static inline const QString tokenType = QStringLiteral("at+jwt");
    static inline const QString detailsType = QStringLiteral("countersign_operation");

    ElevatedTokenVerifier(QString issuer, QString audience, const Clock &clock, SpentTokens &spent);

    // Checks, in order: a compact ES256 JWS of typ at+jwt signed by the key
    // its "kid" names in `keys`; iss; aud; exp and iat (with leeway); a jti
    // not spent yet; an authorization_details entry of type
    // countersign_operation whose actions contain `tool` and whose
    // arguments_hash is base64url(argumentsHash(arguments)). Only when every
    // check passes is the jti recorded as spent.
    TokenVerdict verifyAndSpend(QByteArrayView token, const JwkSet &keys, const QString &tool,
                                const QJsonObject &arguments);

private:
    TokenVerdict checkOperation(const QJsonObject &claims, const QString &tool,
                                const QJsonObject &arguments) const;

    QString m_issuer;
    QString m_audience;
    const Clock &m_clock;
    SpentTokens &m_spent;
};

} // namespace countersign::directory
