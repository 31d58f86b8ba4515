#include "deviceproof.h"

#include "protocol/messages/jsonfields.h"
#include "protocol/strictjson.h"

#include <QJsonDocument>

namespace countersign {

namespace {

// The version first: a later version may well define other members, and
// "unsupported version" is the answer that tells the sender what to do.
Status checkVersionAndMembers(const JsonFields &fields, int version, const QStringList &members)
{
    if (auto supported = fields.checkVersion(version); !supported)
        return supported.error();
    return fields.checkOnly(members);
}

} // namespace

Result<DecodedJws> verifyDeviceJws(QByteArrayView compact, const EcPublicKey &deviceKey,
                                   const QString &expectedType)
{
    auto jws = Jws::verify(compact, deviceKey, expectedType);
    if (!jws)
        return jws.error();
    if (jws->header.keyId != deviceKey.thumbprint()) {
        return makeError(ErrorCode::UnknownKeyId,
                         QStringLiteral("the JWS kid is not the RFC 7638 thumbprint of the "
                                        "device key"));
    }
    return jws;
}

Result<channel::AuthClaims> parseAuthClaims(QByteArrayView payload)
{
    const auto json = parseStrictJsonObject(payload, QStringLiteral("auth proof"));
    if (!json)
        return json.error();
    const JsonFields fields(json.value(), QStringLiteral("auth proof"));
    if (auto shape = checkVersionAndMembers(fields, channel::protocolVersion,
                                            {QStringLiteral("v"), QStringLiteral("nonce"),
                                             QStringLiteral("gateway_id"), QStringLiteral("iat")});
        !shape) {
        return shape.error();
    }
    auto nonce = fields.requiredString(QStringLiteral("nonce"), channel::maxIdLength);
    if (!nonce)
        return nonce.error();
    auto gatewayId = fields.requiredString(QStringLiteral("gateway_id"), channel::maxIdLength);
    if (!gatewayId)
        return gatewayId.error();
    const auto issuedAt = fields.requiredInteger(QStringLiteral("iat"));
    if (!issuedAt)
        return issuedAt.error();
    return channel::AuthClaims{std::move(nonce).value(), std::move(gatewayId).value(),
                               issuedAt.value()};
}

QJsonObject PairingProofClaims::toJson() const
{
    return QJsonObject{{QStringLiteral("v"), protocolVersion},
                       {QStringLiteral("code"), code},
                       {QStringLiteral("iat"), issuedAt}};
}

Result<PairingProofClaims> PairingProofClaims::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, QStringLiteral("pair.proof"));
    if (auto shape = checkVersionAndMembers(
            fields, protocolVersion,
            {QStringLiteral("v"), QStringLiteral("code"), QStringLiteral("iat")});
        !shape) {
        return shape.error();
    }
    auto code = fields.requiredString(QStringLiteral("code"), maxCodeLength);
    if (!code)
        return code.error();
    const auto issuedAt = fields.requiredInteger(QStringLiteral("iat"));
    if (!issuedAt)
        return issuedAt.error();
    return PairingProofClaims{std::move(code).value(), issuedAt.value()};
}

Result<QByteArray> PairingProofClaims::sign(const EcPrivateKey &deviceKey) const
{
    return Jws::sign(QJsonDocument(toJson()).toJson(QJsonDocument::Compact), deviceKey, jwsType,
                     deviceKey.publicKey().thumbprint());
}

Result<PairingProofClaims> verifyPairingProof(QByteArrayView compact, const EcPublicKey &deviceKey)
{
    const auto jws = verifyDeviceJws(compact, deviceKey, PairingProofClaims::jwsType);
    if (!jws)
        return jws.error();
    const auto json = parseStrictJsonObject(jws->payload, QStringLiteral("pair.proof"));
    if (!json)
        return json.error();
    return PairingProofClaims::fromJson(json.value());
}

} // namespace countersign
