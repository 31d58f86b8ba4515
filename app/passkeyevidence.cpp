#include "passkeyevidence.h"

#include "protocol/base64url.h"
#include "protocol/strictjson.h"

#include <QJsonArray>

namespace countersign {

namespace {

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(base64UrlEncode(bytes));
}

} // namespace

QJsonObject PasskeyRegistrationEvidence::toJson() const
{
    QJsonObject credential{{QStringLiteral("credential_id"), b64(credentialId)},
                           {QStringLiteral("client_data_json"), b64(clientDataJson)},
                           {QStringLiteral("authenticator_data"), b64(authenticatorData)},
                           {QStringLiteral("fmt"), QString::fromLatin1(fmt)}};
    if (!attestationSignature.isEmpty())
        credential.insert(QStringLiteral("attestation_signature"), b64(attestationSignature));
    if (!x5c.isEmpty()) {
        QJsonArray certificates;
        for (const QByteArray &certificate : x5c)
            certificates.append(b64(certificate));
        credential.insert(QStringLiteral("x5c"), certificates);
    }
    return credential;
}

QJsonObject PasskeyEvidence::toJson() const
{
    return QJsonObject{{QStringLiteral("credential_id"), b64(credentialId)},
                       {QStringLiteral("authenticator_data"), b64(authenticatorData)},
                       {QStringLiteral("client_data_json"), b64(clientDataJson)},
                       {QStringLiteral("signature"), b64(signature)}};
}

Status checkPasskeyClientData(const QByteArray &clientDataJson, const QString &type,
                              const QString &challenge, const QString &origin)
{
    const auto parsed = parseStrictJsonObject(clientDataJson, QStringLiteral("client data"));
    if (!parsed)
        return parsed.error();
    const QJsonObject &data = parsed.value();
    const QJsonValue crossOrigin = data.value(QStringLiteral("crossOrigin"));
    if (data.value(QStringLiteral("type")) != QJsonValue(type)
        || data.value(QStringLiteral("challenge")) != QJsonValue(challenge)
        || data.value(QStringLiteral("origin")) != QJsonValue(origin)
        || (!crossOrigin.isUndefined() && crossOrigin != QJsonValue(false))) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("the security key signed client data for another %1, "
                                        "challenge or origin")
                             .arg(type));
    }
    return Ok{};
}

} // namespace countersign
