#include "mcpmodern.h"

#include <algorithm>

#include <QJsonArray>

namespace countersign::mcpmodern {

namespace {

bool isPrintableAscii(const QString &text)
{
    return std::all_of(text.cbegin(), text.cend(),
                       [](QChar c) { return c.unicode() >= 0x20 && c.unicode() <= 0x7E; });
}

} // namespace

bool isModernErrorCode(int code)
{
    return code == headerMismatch || code == missingRequiredClientCapability
        || code == unsupportedProtocolVersion;
}

bool isModernError(const QJsonObject &response)
{
    const QJsonValue error = response.value(QStringLiteral("error"));
    return error.isObject()
        && isModernErrorCode(error.toObject().value(QStringLiteral("code")).toInt());
}

QJsonObject withRequestMeta(QJsonObject params, const QJsonObject &capabilities,
                            const QString &clientName, const QString &clientVersion,
                            const QString &logLevel)
{
    QJsonObject meta = params.value(QStringLiteral("_meta")).toObject();
    meta.insert(QLatin1String(protocolVersionKey), QString::fromLatin1(version));
    meta.insert(QLatin1String(clientCapabilitiesKey), capabilities);
    meta.insert(QLatin1String(clientInfoKey),
                QJsonObject{{QStringLiteral("name"), clientName},
                            {QStringLiteral("version"), clientVersion}});
    if (logLevel.isEmpty())
        meta.remove(QLatin1String(logLevelKey));
    else
        meta.insert(QLatin1String(logLevelKey), logLevel);
    params.insert(QStringLiteral("_meta"), meta);
    return params;
}

QByteArray headerValue(const QString &value)
{
    const bool sentinel =
        value.startsWith(QStringLiteral("=?base64?")) && value.endsWith(QStringLiteral("?="));
    const bool plain =
        isPrintableAscii(value) && !value.startsWith(u' ') && !value.endsWith(u' ') && !sentinel;
    if (plain)
        return value.toLatin1();
    return QByteArrayLiteral("=?base64?") + value.toUtf8().toBase64() + QByteArrayLiteral("?=");
}

QByteArray nameHeader(const QString &method, const QJsonObject &params)
{
    QJsonValue source;
    if (method == u"tools/call" || method == u"prompts/get")
        source = params.value(QStringLiteral("name"));
    else if (method == u"resources/read")
        source = params.value(QStringLiteral("uri"));
    return source.isString() ? headerValue(source.toString()) : QByteArray();
}

QByteArray methodHeader(const QString &method)
{
    return isPrintableAscii(method) && !method.contains(u' ') ? method.toLatin1() : QByteArray();
}

VersionList readVersionList(const QJsonValue &value, const QString &field)
{
    if (!value.isArray())
        return {{}, QStringLiteral("%1 is not a list").arg(field)};
    const QJsonArray array = value.toArray();
    if (array.isEmpty() || array.size() > maxVersions) {
        return {{},
                QStringLiteral("%1 lists %2 versions (1 to %3 expected)")
                    .arg(field)
                    .arg(array.size())
                    .arg(maxVersions)};
    }
    QStringList versions;
    for (const QJsonValue &entry : array) {
        const QString text = entry.toString();
        if (!entry.isString() || text.isEmpty() || text.size() > maxVersionLength
            || !isPrintableAscii(text)) {
            return {{}, QStringLiteral("%1 holds something that is not a version").arg(field)};
        }
        versions.append(text);
    }
    return {versions, {}};
}

QString versionText(const QStringList &versions)
{
    return QStringLiteral("\"%1\"").arg(versions.join(QStringLiteral("\", \"")));
}

} // namespace countersign::mcpmodern
