#include "jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace countersign {

namespace {

QString compactJson(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    // A scalar: let QJsonDocument write it (numbers exactly as JSON does) by
    // wrapping it in an array and taking the brackets off again.
    const QString wrapped =
        QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    return wrapped.mid(1, wrapped.size() - 2);
}

} // namespace

QString jsonInlineText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    return compactJson(value);
}

QStringList jsonValueLines(const QJsonValue &value)
{
    if (!value.isObject())
        return {jsonInlineText(value)};
    const QJsonObject object = value.toObject();
    if (object.isEmpty())
        return {QStringLiteral("{}")};
    QStringList lines;
    lines.reserve(object.size());
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        lines.append(it.key() + QStringLiteral(": ") + jsonInlineText(it.value()));
    return lines;
}

} // namespace countersign
