#include "strictjson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace countersign {

namespace {

// Members in the parsed tree, all levels.
qsizetype memberCount(const QJsonValue &value)
{
    qsizetype count = 0;
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        count += object.size();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            count += memberCount(it.value());
    } else if (value.isArray()) {
        for (const QJsonValue &element : value.toArray())
            count += memberCount(element);
    }
    return count;
}

} // namespace

qsizetype writtenMemberCount(QByteArrayView json)
{
    qsizetype count = 0;
    bool inString = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            if (c == '\\')
                ++i; // skip the escaped character, which may be a quote
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == ':') {
            ++count;
        }
    }
    return count;
}

Result<QJsonObject> parseStrictJsonObject(QByteArrayView json, const QString &what)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return makeError(ErrorCode::MalformedJson,
                         QStringLiteral("%1 is not valid JSON: %2 at "
                                        "offset %3")
                             .arg(what, parseError.errorString())
                             .arg(parseError.offset));
    }
    if (!document.isObject()) {
        return makeError(ErrorCode::MalformedJson,
                         QStringLiteral("%1 is not a JSON object").arg(what));
    }
    const QJsonObject object = document.object();
    if (writtenMemberCount(json) != memberCount(object)) {
        return makeError(ErrorCode::MalformedJson,
                         QStringLiteral("%1 names a member twice").arg(what));
    }
    return object;
}

} // namespace countersign
