#include "webauthnclientdata.h"

#include "protocol/base64url.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

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

bool rpIdFitsOrigin(const QString &rpId, const QString &origin)
{
    const QString host = QUrl(origin, QUrl::StrictMode).host().toLower();
    if (rpId.isEmpty() || host.isEmpty() || rpId != rpId.toLower())
        return false;
    if (rpId == host)
        return true;
    // A parent domain ends at a label boundary; an address has no parent.
    return QHostAddress(host).isNull() && rpId.contains(u'.') && host.endsWith(u'.' + rpId);
}

} // namespace countersign
