#include "mcpheaderparams.h"

#include "mcpmodern.h"

#include <cmath>

#include <QJsonArray>
#include <QSet>

namespace countersign::mcpmodern {

namespace {

const QString annotationKey = QStringLiteral("x-mcp-header");

// RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits, letters.
bool isToken(const QString &text)
{
    static const QString extra = QStringLiteral("!#$%&'*+-.^_`|~");
    if (text.isEmpty())
        return false;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool alnum =
            (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
        if (!alnum && !extra.contains(c))
            return false;
    }
    return true;
}

// "string", "integer", "boolean", or one of them with "null" in a type list.
bool hasPrimitiveType(const QJsonObject &schema)
{
    static const QStringList primitive{QStringLiteral("string"), QStringLiteral("integer"),
                                       QStringLiteral("boolean")};
    const QJsonValue type = schema.value(QStringLiteral("type"));
    if (type.isString())
        return primitive.contains(type.toString());
    if (!type.isArray())
        return false;
    int primitives = 0;
    for (const QJsonValue &entry : type.toArray()) {
        if (primitive.contains(entry.toString()))
            ++primitives;
        else if (entry.toString() != u"null")
            return false;
    }
    return primitives == 1;
}

QString pointer(const QStringList &steps)
{
    if (steps.isEmpty())
        return QStringLiteral("the schema root");
    QString text;
    for (const QString &step : steps)
        text += u'/'
            + QString(step).replace(u'~', QStringLiteral("~0")).replace(u'/', QStringLiteral("~1"));
    return text.left(256);
}

// Walks the whole schema: an annotation is valid only on a schema reached
// from the root through `properties` maps alone ("reachable" below); one
// anywhere else (under items, oneOf, $ref, a default, ...) invalidates the
// definition, as the specification says.
class Walker {
public:
    HeaderParams result;

    void schema(const QJsonObject &node, bool reachable, const QStringList &propertyPath,
                const QStringList &steps, int depth)
    {
        if (!enter(depth, steps))
            return;
        if (node.contains(annotationKey))
            annotation(node, reachable && !propertyPath.isEmpty(), propertyPath, steps);
        for (auto it = node.constBegin(); it != node.constEnd() && result.isValid(); ++it) {
            const QStringList childSteps = steps + QStringList{it.key()};
            if (it.key() == u"properties" && it->isObject()) {
                const QJsonObject properties = it->toObject();
                for (auto p = properties.constBegin();
                     p != properties.constEnd() && result.isValid(); ++p) {
                    const QStringList propertySteps = childSteps + QStringList{p.key()};
                    if (p->isObject()) {
                        schema(p->toObject(), reachable, propertyPath + QStringList{p.key()},
                               propertySteps, depth + 2);
                    } else {
                        other(*p, propertySteps, depth + 2);
                    }
                }
            } else {
                other(*it, childSteps, depth + 1);
            }
        }
    }

private:
    int nodes = 0;
    QSet<QString> lowerNames;

    bool enter(int depth, const QStringList &steps)
    {
        if (!result.isValid())
            return false;
        if (depth > maxSchemaDepth) {
            result.problem =
                QStringLiteral("the inputSchema is nested deeper than %1 levels (at %2)")
                    .arg(maxSchemaDepth)
                    .arg(pointer(steps));
            return false;
        }
        if (++nodes > maxSchemaNodes) {
            result.problem =
                QStringLiteral("the inputSchema has more than %1 nodes").arg(maxSchemaNodes);
            return false;
        }
        return true;
    }

    // Anything that is not a schema reached through properties: objects in
    // it are still searched for annotations, which are all invalid there.
    void other(const QJsonValue &value, const QStringList &steps, int depth)
    {
        if (value.isObject()) {
            schema(value.toObject(), false, {}, steps, depth);
        } else if (value.isArray()) {
            if (!enter(depth, steps))
                return;
            const QJsonArray array = value.toArray();
            for (qsizetype i = 0; i < array.size() && result.isValid(); ++i)
                other(array.at(i), steps + QStringList{QString::number(i)}, depth + 1);
        }
    }

    void annotation(const QJsonObject &node, bool reachable, const QStringList &propertyPath,
                    const QStringList &steps)
    {
        const QString where = pointer(steps);
        if (!reachable) {
            result.problem = QStringLiteral("x-mcp-header at %1 is not on a property reachable "
                                            "from the root through \"properties\" only")
                                 .arg(where);
            return;
        }
        const QJsonValue value = node.value(annotationKey);
        const QString name = value.toString();
        if (!value.isString() || !isToken(name)) {
            result.problem = QStringLiteral("x-mcp-header at %1 is not a non-empty HTTP token "
                                            "(letters, digits and !#$%&'*+-.^_`|~ only)")
                                 .arg(where);
            return;
        }
        if (!hasPrimitiveType(node)) {
            result.problem = QStringLiteral("x-mcp-header \"%1\" at %2 is on a property whose "
                                            "type is not integer, string or boolean")
                                 .arg(name, where);
            return;
        }
        if (lowerNames.contains(name.toLower())) {
            result.problem =
                QStringLiteral("x-mcp-header \"%1\" is declared twice (names are case-insensitive)")
                    .arg(name);
            return;
        }
        if (result.params.size() >= maxHeaderParams) {
            result.problem =
                QStringLiteral("more than %1 x-mcp-header annotations").arg(maxHeaderParams);
            return;
        }
        lowerNames.insert(name.toLower());
        result.params.append({name, propertyPath});
    }
};

// The value at the exact property path; undefined when a step is missing.
QJsonValue valueAt(const QJsonObject &arguments, const QStringList &path)
{
    QJsonValue value = arguments;
    for (const QString &step : path) {
        if (!value.isObject())
            return QJsonValue::Undefined;
        value = value.toObject().value(step);
    }
    return value;
}

bool isSafeInteger(double number)
{
    return std::isfinite(number) && std::trunc(number) == number
        && std::fabs(number) <= maxSafeInteger;
}

// The string form of a body value ("Value Encoding", type conversion);
// empty for a value that has none.
std::optional<QString> stringForm(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.isDouble() && isSafeInteger(value.toDouble()))
        return QString::number(static_cast<qint64>(value.toDouble()));
    return std::nullopt;
}

bool plainHeaderValue(const QByteArray &value)
{
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte != '\t' && (byte < 0x20 || byte > 0x7e))
            return false;
    }
    return true;
}

} // namespace

QByteArray HeaderParam::headerName() const
{
    return QByteArrayLiteral("Mcp-Param-") + name.toLatin1();
}

HeaderParams readHeaderParams(const QJsonObject &inputSchema)
{
    Walker walker;
    walker.schema(inputSchema, true, {}, {}, 0);
    if (!walker.result.isValid())
        walker.result.params.clear();
    return walker.result;
}

HeaderValues headerValues(const QList<HeaderParam> &params, const QJsonObject &arguments)
{
    HeaderValues result;
    for (const HeaderParam &param : params) {
        const QJsonValue value = valueAt(arguments, param.path);
        if (value.isUndefined() || value.isNull())
            continue;
        const auto text = stringForm(value);
        if (!text) {
            result.headers.clear();
            result.problem = QStringLiteral("the argument %1 (header Mcp-Param-%2) must be a "
                                            "string, a boolean or an integer within ±(2^53-1)")
                                 .arg(param.path.join(u'.').left(128), param.name);
            return result;
        }
        QByteArray encoded = headerValue(*text);
        if (encoded.size() > maxHeaderValueBytes) {
            result.headers.clear();
            result.problem = QStringLiteral("the argument %1 is too long to send as the header "
                                            "Mcp-Param-%2 (over %3 bytes encoded)")
                                 .arg(param.path.join(u'.').left(128), param.name)
                                 .arg(maxHeaderValueBytes);
            return result;
        }
        result.headers.append({param.headerName(), std::move(encoded)});
    }
    return result;
}

std::optional<QString> decodeHeaderValue(const QByteArray &value)
{
    static const QByteArray prefix = QByteArrayLiteral("=?base64?");
    static const QByteArray suffix = QByteArrayLiteral("?=");
    if (value.startsWith(prefix) && value.endsWith(suffix)
        && value.size() >= prefix.size() + suffix.size()) {
        const QByteArray encoded =
            value.mid(prefix.size(), value.size() - prefix.size() - suffix.size());
        auto decoded =
            QByteArray::fromBase64Encoding(encoded, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return std::nullopt;
        const QString text = QString::fromUtf8(*decoded);
        // Not UTF-8: no value in the body can equal it.
        if (text.toUtf8() != *decoded)
            return std::nullopt;
        return text;
    }
    if (!plainHeaderValue(value))
        return std::nullopt;
    return QString::fromLatin1(value);
}

QString paramHeaderMismatch(const HeaderParam &param, const QJsonObject &arguments,
                            const std::optional<QByteArray> &header)
{
    const QString headerName = QString::fromLatin1(param.headerName());
    const QString path = param.path.join(u'.').left(128);
    const QJsonValue value = valueAt(arguments, param.path);
    const bool absent = value.isUndefined() || value.isNull();
    if (!header) {
        if (absent)
            return {};
        return QStringLiteral("Header mismatch: the %1 header is required (it must mirror "
                              "arguments.%2)")
            .arg(headerName, path);
    }
    if (absent) {
        return QStringLiteral("Header mismatch: the %1 header is present but arguments.%2 "
                              "has no value")
            .arg(headerName, path);
    }
    const auto decoded = decodeHeaderValue(*header);
    if (!decoded) {
        return QStringLiteral("Header mismatch: the %1 header is malformed (invalid "
                              "characters, or a =?base64?...?= value that is not Base64 of "
                              "UTF-8)")
            .arg(headerName);
    }
    bool matches = false;
    if (value.isDouble()) {
        // Integers compare numerically ("42.0" equals 42).
        bool ok = false;
        const double number = decoded->trimmed().toDouble(&ok);
        matches = ok && isSafeInteger(value.toDouble()) && number == value.toDouble();
    } else {
        const auto text = stringForm(value);
        matches = text && *text == *decoded;
    }
    if (!matches) {
        return QStringLiteral("Header mismatch: %1 header value '%2' does not match body "
                              "value of arguments.%3")
            .arg(headerName, decoded->left(128), path);
    }
    return {};
}

} // namespace countersign::mcpmodern
