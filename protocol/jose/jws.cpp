#include "jws.h"

#include "protocol/base64url.h"
#include "protocol/strictjson.h"

#include <QJsonDocument>

namespace countersign {

namespace {

constexpr QLatin1StringView es256{"ES256"};

Error jwsError(ErrorCode code, QString message)
{
    return makeError(code, std::move(message));
}

Result<QByteArray> decodePart(QByteArrayView part, const char *name)
{
    auto decoded = base64UrlDecode(part);
    if (!decoded) {
        return jwsError(
            ErrorCode::MalformedJws,
            QStringLiteral("JWS %1: %2").arg(QString::fromLatin1(name), decoded.error().message));
    }
    return decoded;
}

Result<JwsHeader> parseHeader(const QByteArray &headerJson)
{
    const auto parsed = parseStrictJsonObject(headerJson, QStringLiteral("JWS header"));
    if (!parsed)
        return jwsError(ErrorCode::MalformedJws, parsed.error().message);
    const QJsonObject json = parsed.value();
    const QJsonValue alg = json.value(QStringLiteral("alg"));
    if (!alg.isString()) {
        return jwsError(ErrorCode::MalformedJws, QStringLiteral("JWS header has no \"alg\""));
    }
    if (alg.toString().compare(u"none", Qt::CaseInsensitive) == 0) {
        return jwsError(ErrorCode::AlgorithmNone,
                        QStringLiteral("unsigned JWS (\"alg\": \"none\") is never accepted"));
    }
    if (alg.toString() != es256) {
        return jwsError(ErrorCode::UnsupportedAlgorithm,
                        QStringLiteral("JWS algorithm \"%1\" is not supported; only ES256 is")
                            .arg(alg.toString()));
    }
    // A token must not tell us which key to trust or how to read itself.
    for (const char *member : {"crit", "b64", "jku", "jwk", "x5u", "x5c", "zip"}) {
        if (json.contains(QLatin1StringView(member))) {
            return jwsError(ErrorCode::UnsupportedHeader,
                            QStringLiteral("JWS header member \"%1\" is not accepted")
                                .arg(QLatin1StringView(member)));
        }
    }
    JwsHeader header;
    header.algorithm = alg.toString();
    for (const auto &[member, field] : {std::pair{QStringLiteral("kid"), &header.keyId},
                                        std::pair{QStringLiteral("typ"), &header.type}}) {
        const QJsonValue value = json.value(member);
        if (value.isUndefined())
            continue;
        if (!value.isString()) {
            return jwsError(ErrorCode::MalformedJws,
                            QStringLiteral("JWS header \"%1\" must be a string").arg(member));
        }
        *field = value.toString();
    }
    header.json = json;
    return header;
}

} // namespace

Result<QByteArray> Jws::sign(QByteArrayView payload, const EcPrivateKey &key, const QString &type,
                             const QString &keyId)
{
    QJsonObject header{{QStringLiteral("alg"), es256}};
    if (!keyId.isEmpty())
        header.insert(QStringLiteral("kid"), keyId);
    if (!type.isEmpty())
        header.insert(QStringLiteral("typ"), type);
    const QByteArray signingInput =
        base64UrlEncode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + base64UrlEncode(payload);
    if (signingInput.size() + 87 > maxCompactSize) {
        return jwsError(ErrorCode::InputTooLarge,
                        QStringLiteral("JWS would exceed %1 bytes").arg(maxCompactSize));
    }
    const auto signature = key.signEs256(signingInput);
    if (!signature)
        return signature.error();
    return QByteArray(signingInput + '.' + base64UrlEncode(signature.value()));
}

Result<DecodedJws> Jws::decodeUnverified(QByteArrayView compact)
{
    if (compact.size() > maxCompactSize) {
        return jwsError(ErrorCode::InputTooLarge,
                        QStringLiteral("JWS is larger than %1 bytes").arg(maxCompactSize));
    }
    const qsizetype firstDot = compact.indexOf('.');
    const qsizetype secondDot = firstDot < 0 ? -1 : compact.indexOf('.', firstDot + 1);
    if (firstDot < 0 || secondDot < 0 || compact.indexOf('.', secondDot + 1) >= 0) {
        return jwsError(ErrorCode::MalformedJws,
                        QStringLiteral("JWS compact form must have exactly three parts"));
    }
    const QByteArrayView headerPart = compact.first(firstDot);
    const QByteArrayView payloadPart = compact.sliced(firstDot + 1, secondDot - firstDot - 1);
    const QByteArrayView signaturePart = compact.sliced(secondDot + 1);
    if (headerPart.isEmpty() || signaturePart.isEmpty()) {
        return jwsError(ErrorCode::MalformedJws, QStringLiteral("JWS part is empty"));
    }

    const auto headerJson = decodePart(headerPart, "header");
    if (!headerJson)
        return headerJson.error();
    auto header = parseHeader(headerJson.value());
    if (!header)
        return header.error();
    auto payload = decodePart(payloadPart, "payload");
    if (!payload)
        return payload.error();
    auto signature = decodePart(signaturePart, "signature");
    if (!signature)
        return signature.error();
    if (signature->size() != 2 * EcPublicKey::coordinateSize) {
        return jwsError(
            ErrorCode::MalformedJws,
            QStringLiteral("ES256 signature must be 64 bytes, not %1").arg(signature->size()));
    }
    return DecodedJws{std::move(header).value(), std::move(payload).value(),
                      compact.first(secondDot).toByteArray(), std::move(signature).value()};
}

Result<DecodedJws> Jws::verify(QByteArrayView compact, const EcPublicKey &key,
                               const QString &expectedType)
{
    auto decoded = decodeUnverified(compact);
    if (!decoded)
        return decoded;
    if (!key.verifyEs256(decoded->signingInput, decoded->signature)) {
        return jwsError(ErrorCode::BadSignature,
                        QStringLiteral("JWS signature does not verify with the expected key"));
    }
    if (!expectedType.isEmpty()
        && decoded->header.type.compare(expectedType, Qt::CaseInsensitive) != 0) {
        return jwsError(ErrorCode::UnexpectedType,
                        QStringLiteral("JWS type is \"%1\", expected \"%2\"")
                            .arg(decoded->header.type, expectedType));
    }
    return decoded;
}

} // namespace countersign
