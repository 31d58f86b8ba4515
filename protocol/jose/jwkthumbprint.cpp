#include "jwkthumbprint.h"

#include "protocol/base64url.h"

#include <QCryptographicHash>
#include <QJsonDocument>

namespace countersign {

namespace {

QStringList requiredMembers(const QString &keyType)
{
    // RFC 7638 section 3.2 and RFC 8037 section 2.
    if (keyType == u"EC")
        return {QStringLiteral("crv"), QStringLiteral("kty"), QStringLiteral("x"),
                QStringLiteral("y")};
    if (keyType == u"RSA")
        return {QStringLiteral("e"), QStringLiteral("kty"), QStringLiteral("n")};
    if (keyType == u"OKP")
        return {QStringLiteral("crv"), QStringLiteral("kty"), QStringLiteral("x")};
    return {};
}

} // namespace

Result<QString> jwkThumbprint(const QJsonObject &jwk)
{
    const QJsonValue keyType = jwk.value(QStringLiteral("kty"));
    if (!keyType.isString()) {
        return makeError(ErrorCode::MalformedKey, QStringLiteral("JWK has no \"kty\" string"));
    }
    const QStringList members = requiredMembers(keyType.toString());
    if (members.isEmpty()) {
        return makeError(
            ErrorCode::UnsupportedKey,
            QStringLiteral("JWK key type \"%1\" is not EC, RSA or OKP").arg(keyType.toString()));
    }
    // QJsonObject keeps its keys sorted and the compact form has no
    // whitespace, which is exactly RFC 7638's canonical form for members
    // whose values are strings.
    QJsonObject canonical;
    for (const QString &member : members) {
        const QJsonValue value = jwk.value(member);
        if (!value.isString() || value.toString().isEmpty()) {
            return makeError(
                ErrorCode::MalformedKey,
                QStringLiteral("JWK member \"%1\" is missing or not a string").arg(member));
        }
        canonical.insert(member, value);
    }
    const QByteArray json = QJsonDocument(canonical).toJson(QJsonDocument::Compact);
    return QString::fromLatin1(
        base64UrlEncode(QCryptographicHash::hash(json, QCryptographicHash::Sha256)));
}

QString fingerprintForReading(const QString &thumbprint)
{
    constexpr qsizetype group = 4;
    QString grouped;
    grouped.reserve(thumbprint.size() + thumbprint.size() / group);
    for (qsizetype i = 0; i < thumbprint.size(); i += group) {
        if (i > 0)
            grouped += u' ';
        grouped += thumbprint.mid(i, group);
    }
    return grouped;
}

} // namespace countersign
