#include "passkeycontext.h"

#include "protocol/base64url.h"
#include "protocol/displaytext.h"
#include "protocol/messages/jsonfields.h"

#include <algorithm>
#include <cmath>

#include <QJsonArray>

namespace countersign {

namespace {

constexpr qsizetype maxRpIdLength = 253;
constexpr qsizetype maxUserNameLength = 254;
constexpr qsizetype maxNameLength = 64;
constexpr qsizetype maxCredentialIdBytes = 1023;

Error invalid(const QString &message)
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("passkey.") + message);
}

// A DNS name as security keys take it (lower case, no trailing dot).
bool isRpId(const QString &id)
{
    if (id.isEmpty() || id.size() > maxRpIdLength || id.startsWith(u'.') || id.endsWith(u'.')
        || id.contains(QStringLiteral("..")))
        return false;
    return std::all_of(id.cbegin(), id.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'-' || c == u'.';
    });
}

Result<PasskeyCredentialInfo> credentialFromJson(const QJsonValue &value, qsizetype index)
{
    const QString path = QStringLiteral("credentials[%1]").arg(index);
    if (!value.isObject())
        return invalid(path + QStringLiteral(" is not an object"));
    const JsonFields fields(value.toObject(), QStringLiteral("passkey.") + path);
    PasskeyCredentialInfo credential;
    auto id = fields.requiredBase64Url(QStringLiteral("credential_id"), 1, maxCredentialIdBytes);
    if (!id)
        return id.error();
    credential.credentialId = std::move(id).value();
    auto name = fields.requiredString(QStringLiteral("name"), maxNameLength);
    if (!name)
        return name.error();
    if (name->isEmpty() || !isDisplaySafe(name.value()))
        return invalid(path + QStringLiteral(".name is empty or not display-safe"));
    credential.name = std::move(name).value();
    auto created = fields.requiredInteger(QStringLiteral("created"));
    if (!created)
        return created.error();
    if (created.value() < 0)
        return invalid(path + QStringLiteral(".created is negative"));
    credential.created = created.value();
    const QJsonValue uv = value.toObject().value(QStringLiteral("user_verification"));
    if (!uv.isBool())
        return invalid(path + QStringLiteral(".user_verification is not a boolean"));
    credential.userVerification = uv.toBool();
    return credential;
}

} // namespace

bool PasskeyContext::hasCredential(const QByteArray &credentialId) const
{
    return std::any_of(credentials.cbegin(), credentials.cend(), [&](const auto &credential) {
        return credential.credentialId == credentialId;
    });
}

Result<PasskeyContext> PasskeyContext::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, QStringLiteral("passkey"));
    PasskeyContext context;
    auto rpId = fields.requiredString(QStringLiteral("rp_id"), maxRpIdLength);
    if (!rpId)
        return rpId.error();
    if (!isRpId(rpId.value()))
        return invalid(QStringLiteral("rp_id is not a lower-case domain name"));
    context.rpId = std::move(rpId).value();
    auto handle = fields.requiredBase64Url(QStringLiteral("user_handle"), 16, 64);
    if (!handle)
        return handle.error();
    context.userHandle = std::move(handle).value();
    auto userName = fields.requiredString(QStringLiteral("user_name"), maxUserNameLength);
    if (!userName)
        return userName.error();
    if (userName->isEmpty() || !isDisplaySafe(userName.value()))
        return invalid(QStringLiteral("user_name is empty or not display-safe"));
    context.userName = std::move(userName).value();
    const QJsonValue list = json.value(QStringLiteral("credentials"));
    if (!list.isArray())
        return invalid(QStringLiteral("credentials is not an array"));
    const QJsonArray credentials = list.toArray();
    if (credentials.size() > maxCredentials)
        return invalid(QStringLiteral("credentials has more than %1 keys").arg(maxCredentials));
    for (qsizetype i = 0; i < credentials.size(); ++i) {
        auto credential = credentialFromJson(credentials.at(i), i);
        if (!credential)
            return credential.error();
        if (context.hasCredential(credential->credentialId))
            return invalid(QStringLiteral("credentials lists a key twice"));
        context.credentials.append(std::move(credential).value());
    }
    return context;
}

} // namespace countersign
