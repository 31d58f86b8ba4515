#include "webauthnclientdata.h"

#include "protocol/base64url.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace countersign {

namespace {

// A JSON string literal with Qt's escaping: the one element of a compact
// array, without the brackets.
QByteArray jsonString(const QString &text)
{
    const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

} // namespace

QByteArray webAuthnClientData(const QString &type, const QString &challenge, const QString &origin)
{
    return "{\"type\":" + jsonString(type) + ",\"challenge\":" + jsonString(challenge)
        + ",\"origin\":" + jsonString(origin) + '}';
}

QByteArray webAuthnAssertionClientData(const QByteArray &requestHash, const QString &origin)
{
    return webAuthnClientData(QStringLiteral("webauthn.get"),
                              QString::fromLatin1(base64UrlEncode(requestHash)), origin);
}

QByteArray webAuthnRegistrationClientData(const QString &challenge, const QString &origin)
{
    return webAuthnClientData(QStringLiteral("webauthn.create"), challenge, origin);
}

} // namespace countersign
