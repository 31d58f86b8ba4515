#include "jsonfields.h"

#include "protocol/base64url.h"

#include <cmath>

namespace countersign {

JsonFields::JsonFields(const QJsonObject &object, QString path)
    : m_object(object)
    , m_path(std::move(path))
{
}

QString JsonFields::pathOf(const QString &name) const
{
    return m_path + u'.' + name;
}

Result<QString> JsonFields::requiredString(const QString &name, qsizetype maxLength) const
{
    if (!m_object.contains(name))
        return makeError(ErrorCode::MissingField, pathOf(name) + QStringLiteral(" is missing"));
    auto value = optionalString(name, maxLength);
    if (value && value->isEmpty())
        return makeError(ErrorCode::InvalidField, pathOf(name) + QStringLiteral(" is empty"));
    return value;
}

Result<QString> JsonFields::optionalString(const QString &name, qsizetype maxLength) const
{
    const QJsonValue value = m_object.value(name);
    if (value.isUndefined())
        return QString();
    if (!value.isString()) {
        return makeError(ErrorCode::InvalidField,
                         pathOf(name) + QStringLiteral(" must be a string"));
    }
    QString text = value.toString();
    if (text.size() > maxLength) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("%1 is longer than %2 characters").arg(pathOf(name)).arg(maxLength));
    }
    if (!isDisplaySafe(text)) {
        return makeError(ErrorCode::InvalidField,
                         pathOf(name) + QStringLiteral(" contains control characters"));
    }
    return text;
}

Result<QByteArray> JsonFields::requiredBase64Url(const QString &name, qsizetype minBytes,
                                                 qsizetype maxBytes) const
{
    // 4 characters carry 3 bytes; refuse absurd lengths before decoding.
    const auto text = requiredString(name, (maxBytes * 4 + 2) / 3);
    if (!text)
        return text.error();
    auto decoded = base64UrlDecode(text->toLatin1());
    if (!decoded) {
        return makeError(ErrorCode::InvalidField,
                         pathOf(name) + QStringLiteral(": ") + decoded.error().message);
    }
    if (decoded->size() < minBytes || decoded->size() > maxBytes) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1 must be %2 to %3 bytes")
                             .arg(pathOf(name))
                             .arg(minBytes)
                             .arg(maxBytes));
    }
    return decoded;
}

Result<qint64> JsonFields::requiredInteger(const QString &name) const
{
    const QJsonValue value = m_object.value(name);
    if (value.isUndefined())
        return makeError(ErrorCode::MissingField, pathOf(name) + QStringLiteral(" is missing"));
    constexpr double maxExact = 9007199254740992.0; // 2^53
    const double number = value.toDouble(-1.0);
    if (!value.isDouble() || number < 0 || number >= maxExact || std::trunc(number) != number) {
        return makeError(ErrorCode::InvalidField,
                         pathOf(name) + QStringLiteral(" must be a non-negative integer"));
    }
    return static_cast<qint64>(number);
}

Result<QJsonObject> JsonFields::requiredObject(const QString &name) const
{
    const QJsonValue value = m_object.value(name);
    if (value.isUndefined())
        return makeError(ErrorCode::MissingField, pathOf(name) + QStringLiteral(" is missing"));
    if (!value.isObject()) {
        return makeError(ErrorCode::InvalidField,
                         pathOf(name) + QStringLiteral(" must be an object"));
    }
    return value.toObject();
}

Status JsonFields::checkOnly(const QStringList &allowed) const
{
    for (auto it = m_object.constBegin(); it != m_object.constEnd(); ++it) {
        if (!allowed.contains(it.key())) {
            return makeError(ErrorCode::InvalidField,
                             pathOf(it.key()) + QStringLiteral(" is not a known member"));
        }
    }
    return Ok{};
}

Status JsonFields::checkVersion(int version) const
{
    const auto found = requiredInteger(QStringLiteral("v"));
    if (!found)
        return found.error();
    if (found.value() != version) {
        return makeError(ErrorCode::UnsupportedVersion,
                         QStringLiteral("%1 version %2 is not supported; this program speaks "
                                        "version %3")
                             .arg(m_path)
                             .arg(found.value())
                             .arg(version));
    }
    return Ok{};
}

} // namespace countersign
