#include "jwkset.h"

#include "protocol/strictjson.h"

#include <QJsonArray>

namespace countersign::directory {

Result<JwkSet> JwkSet::fromBytes(QByteArrayView json)
{
    if (json.size() > maxBytes)
        return makeError(ErrorCode::InputTooLarge,
                         QStringLiteral("the JWK Set is larger than %1 bytes").arg(maxBytes));
    const auto object = parseStrictJsonObject(json, QStringLiteral("the JWK Set"));
    if (!object)
        return object.error();
    return fromJson(object.value());
}

Result<JwkSet> JwkSet::fromJson(const QJsonObject &jwks)
{
    const QJsonValue keys = jwks.value(QStringLiteral("keys"));
    if (!keys.isArray())
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("the JWK Set has no \"keys\" array"));
    JwkSet set;
    for (const QJsonValue &value : keys.toArray()) {
        const QJsonObject jwk = value.toObject();
        const QJsonValue use = jwk.value(QStringLiteral("use"));
        const QJsonValue alg = jwk.value(QStringLiteral("alg"));
        if ((!use.isUndefined() && use.toString() != u"sig")
            || (!alg.isUndefined() && alg.toString() != u"ES256")) {
            continue;
        }
        auto key = EcPublicKey::fromJwk(jwk);
        if (!key)
            continue; // not a P-256 key: not one of ours to use
        const QString keyId = jwk.contains(QStringLiteral("kid"))
            ? jwk.value(QStringLiteral("kid")).toString()
            : key->thumbprint();
        if (!keyId.isEmpty())
            set.m_keys.insert(keyId, std::move(key).value());
    }
    if (set.m_keys.isEmpty())
        return makeError(ErrorCode::UnsupportedKey,
                         QStringLiteral("the JWK Set has no P-256 key for ES256 signatures"));
    return set;
}

const EcPublicKey *JwkSet::find(const QString &keyId) const
{
    const auto it = m_keys.constFind(keyId);
    return it == m_keys.constEnd() ? nullptr : &it.value();
}

qsizetype JwkSet::size() const
{
    return m_keys.size();
}

} // namespace countersign::directory
