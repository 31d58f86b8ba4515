#include "clientdata.h"

#include "protocol/strictjson.h"

#include <QJsonObject>

namespace countersign::gateway {

namespace {

Error refused(const QString &message)
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("client data: ") + message);
}

} // namespace

Status checkClientData(QByteArrayView json, QStringView type, QStringView challenge,
                       QStringView origin)
{
    const auto parsed = parseStrictJsonObject(json, QStringLiteral("client data"));
    if (!parsed)
        return refused(parsed.error().message);
    const QJsonObject &data = parsed.value();
    const QJsonValue typeValue = data.value(QStringLiteral("type"));
    if (!typeValue.isString() || typeValue.toString() != type)
        return refused(QStringLiteral("type is not %1").arg(type));
    const QJsonValue challengeValue = data.value(QStringLiteral("challenge"));
    if (!challengeValue.isString() || challengeValue.toString() != challenge)
        return refused(QStringLiteral("the challenge is not the one this gateway issued"));
    const QJsonValue originValue = data.value(QStringLiteral("origin"));
    if (!originValue.isString() || originValue.toString() != origin)
        return refused(QStringLiteral("the origin is not %1").arg(origin));
    const QJsonValue crossOrigin = data.value(QStringLiteral("crossOrigin"));
    if (!crossOrigin.isUndefined() && (!crossOrigin.isBool() || crossOrigin.toBool()))
        return refused(QStringLiteral("crossOrigin must be false or absent"));
    return Ok{};
}

} // namespace countersign::gateway
