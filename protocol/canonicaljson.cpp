#include "canonicaljson.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include <QCryptographicHash>
#include <QJsonArray>
#include <QMetaType>
#include <QStringList>
#include <QVariant>

namespace countersign {

namespace {

// QJsonDocument refuses documents nested deeper than this; a tree built in
// code is held to the same bound so that the recursion below cannot exhaust
// the stack.
constexpr int maxDepth = 1024;

constexpr qint64 twoToThe53 = qint64(1) << 53;
constexpr double twoToThe63 = 9223372036854775808.0;

bool isHighSurrogate(char16_t unit)
{
    return unit >= 0xD800 && unit <= 0xDBFF;
}

bool isLowSurrogate(char16_t unit)
{
    return unit >= 0xDC00 && unit <= 0xDFFF;
}

void appendUtf8(QByteArray &out, char32_t codePoint)
{
    // Encoded by hand: QString::toUtf8 would silently replace a lone
    // surrogate, and the caller has already refused those.
    if (codePoint < 0x80) {
        out += static_cast<char>(codePoint);
    } else if (codePoint < 0x800) {
        out += static_cast<char>(0xC0 | (codePoint >> 6));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    } else if (codePoint < 0x10000) {
        out += static_cast<char>(0xE0 | (codePoint >> 12));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (codePoint >> 18));
        out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
}

// RFC 8785 section 3.2.3: names compare as arrays of UTF-16 code units, which
// is what ECMAScript's Array.prototype.sort does with strings. Spelled out
// rather than left to QString's operator< so the rule is visible here.
bool utf16Less(const QString &a, const QString &b)
{
    const char16_t *aBegin = reinterpret_cast<const char16_t *>(a.utf16());
    const char16_t *bBegin = reinterpret_cast<const char16_t *>(b.utf16());
    return std::lexicographical_compare(aBegin, aBegin + a.size(), bBegin, bBegin + b.size());
}

// RFC 6901 escaping of one path segment, for error messages.
QString pointerSegment(QString name)
{
    return name.replace(QLatin1Char('~'), QStringLiteral("~0"))
        .replace(QLatin1Char('/'), QStringLiteral("~1"));
}

// Qt keeps an integer that fits in 64 bits as an integer (both when parsing
// and for QJsonValue(qint64)), so only here can we see that a double would
// round it.
bool isIntegerADoubleCannotHold(const QJsonValue &value)
{
    const QVariant variant = value.toVariant();
    if (variant.metaType().id() != QMetaType::LongLong)
        return false;
    const qint64 integer = variant.toLongLong();
    // Every integer up to 2^53 has its own double.
    if (integer >= -twoToThe53 && integer <= twoToThe53)
        return false;
    const double asDouble = static_cast<double>(integer);
    // Rounding up to 2^63 leaves the qint64 range, so check before casting back.
    if (asDouble >= twoToThe63)
        return true;
    return static_cast<qint64>(asDouble) != integer;
}

class Writer {
public:
    bool writeValue(const QJsonValue &value, int depth);
    QByteArray takeOutput() { return std::move(m_out); }
    Error takeError();

private:
    bool writeString(const QString &string);
    bool writeNumber(const QJsonValue &value);
    bool writeArray(const QJsonArray &array, int depth);
    bool writeObject(const QJsonObject &object, int depth);
    bool fail(ErrorCode code, QString reason);

    QByteArray m_out;
    ErrorCode m_errorCode = ErrorCode::InvalidField;
    QString m_errorReason;
    // Filled from the failing value outwards while the recursion unwinds, so
    // that the success path pays nothing for it.
    QStringList m_errorPath;
};

bool Writer::fail(ErrorCode code, QString reason)
{
    m_errorCode = code;
    m_errorReason = std::move(reason);
    return false;
}

Error Writer::takeError()
{
    const QString pointer =
        m_errorPath.isEmpty() ? QString() : QLatin1Char('/') + m_errorPath.join(QLatin1Char('/'));
    return makeError(m_errorCode,
                     QStringLiteral("JSON value cannot be canonicalized (RFC 8785): "
                                    "%1 at JSON Pointer \"%2\"")
                         .arg(m_errorReason, pointer));
}

bool Writer::writeValue(const QJsonValue &value, int depth)
{
    switch (value.type()) {
    case QJsonValue::Null:
        m_out += "null";
        return true;
    case QJsonValue::Bool:
        m_out += value.toBool() ? "true" : "false";
        return true;
    case QJsonValue::Double:
        return writeNumber(value);
    case QJsonValue::String:
        return writeString(value.toString());
    case QJsonValue::Array:
        return writeArray(value.toArray(), depth + 1);
    case QJsonValue::Object:
        return writeObject(value.toObject(), depth + 1);
    case QJsonValue::Undefined:
        break;
    }
    return fail(ErrorCode::InvalidField, QStringLiteral("an undefined value has no JSON form"));
}

bool Writer::writeNumber(const QJsonValue &value)
{
    const double number = value.toDouble();
    if (!std::isfinite(number))
        return fail(ErrorCode::InvalidField, QStringLiteral("NaN and infinity have no JSON form"));
    if (isIntegerADoubleCannotHold(value)) {
        return fail(ErrorCode::InvalidField,
                    QStringLiteral("the integer %1 cannot be held exactly by an IEEE 754 "
                                   "double, so other implementations would hash a different "
                                   "number (send it as a string)")
                        .arg(value.toInteger()));
    }
    m_out += canonicalJsonNumber(number);
    return true;
}

bool Writer::writeString(const QString &string)
{
    static constexpr char hexDigits[] = "0123456789abcdef";
    m_out += '"';
    const qsizetype size = string.size();
    for (qsizetype i = 0; i < size; ++i) {
        const char16_t unit = string.at(i).unicode();
        switch (unit) {
        case u'"':
            m_out += "\\\"";
            continue;
        case u'\\':
            m_out += "\\\\";
            continue;
        case u'\b':
            m_out += "\\b";
            continue;
        case u'\t':
            m_out += "\\t";
            continue;
        case u'\n':
            m_out += "\\n";
            continue;
        case u'\f':
            m_out += "\\f";
            continue;
        case u'\r':
            m_out += "\\r";
            continue;
        default:
            break;
        }
        if (unit < 0x20) {
            // Lowercase hex, as JSON.stringify writes it (RFC 8785 3.2.2.2).
            m_out += "\\u00";
            m_out += hexDigits[unit >> 4];
            m_out += hexDigits[unit & 0xF];
        } else if (isHighSurrogate(unit) && i + 1 < size
                   && isLowSurrogate(string.at(i + 1).unicode())) {
            const char16_t low = string.at(i + 1).unicode();
            appendUtf8(m_out, 0x10000 + ((char32_t(unit) - 0xD800) << 10) + (low - 0xDC00u));
            ++i;
        } else if (isHighSurrogate(unit) || isLowSurrogate(unit)) {
            // I-JSON forbids them and JSON.stringify would escape them as
            // "\ud800" where a UTF-8 encoder substitutes U+FFFD: no two
            // implementations agree, so no hash can be trusted.
            return fail(ErrorCode::InvalidField,
                        QStringLiteral("a string has a lone UTF-16 surrogate (U+%1)")
                            .arg(QString::number(unit, 16).toUpper()));
        } else {
            appendUtf8(m_out, unit);
        }
    }
    m_out += '"';
    return true;
}

bool Writer::writeArray(const QJsonArray &array, int depth)
{
    if (depth > maxDepth) {
        return fail(ErrorCode::InputTooLarge,
                    QStringLiteral("containers are nested more than %1 deep").arg(maxDepth));
    }
    m_out += '[';
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (i > 0)
            m_out += ',';
        if (!writeValue(array.at(i), depth)) {
            m_errorPath.prepend(QString::number(i));
            return false;
        }
    }
    m_out += ']';
    return true;
}

bool Writer::writeObject(const QJsonObject &object, int depth)
{
    if (depth > maxDepth) {
        return fail(ErrorCode::InputTooLarge,
                    QStringLiteral("containers are nested more than %1 deep").arg(maxDepth));
    }
    // QJsonObject keeps its own order, which is not RFC 8785's; sort a copy.
    std::vector<std::pair<QString, QJsonValue>> members;
    members.reserve(static_cast<size_t>(object.size()));
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        members.emplace_back(it.key(), it.value());
    std::sort(members.begin(), members.end(),
              [](const auto &a, const auto &b) { return utf16Less(a.first, b.first); });

    m_out += '{';
    bool first = true;
    for (const auto &[name, value] : members) {
        if (!first)
            m_out += ',';
        first = false;
        bool written = writeString(name);
        if (written) {
            m_out += ':';
            written = writeValue(value, depth);
        }
        if (!written) {
            m_errorPath.prepend(pointerSegment(name));
            return false;
        }
    }
    m_out += '}';
    return true;
}

} // namespace

QByteArray canonicalJsonNumber(double value)
{
    Q_ASSERT(std::isfinite(value));
    // Also -0, which ECMAScript writes as "0".
    if (value == 0)
        return QByteArrayLiteral("0");

    // to_chars without a precision gives the shortest digits that read back
    // as the same double, the nearest such digits where several are that
    // short: the digits ECMAScript's Number::toString picks (ECMA-262
    // 6.1.6.1.20). Only their layout differs, and is redone below.
    char buffer[32];
    const auto [end, errc] =
        std::to_chars(std::begin(buffer), std::end(buffer), value, std::chars_format::scientific);
    Q_ASSERT(errc == std::errc());

    // The text is "[-]d[.ddd]e(+|-)xx".
    const char *cursor = buffer;
    const bool negative = *cursor == '-';
    if (negative)
        ++cursor;
    QByteArray digits;
    for (; cursor != end && *cursor != 'e'; ++cursor) {
        if (*cursor != '.')
            digits += *cursor;
    }
    Q_ASSERT(cursor != end);
    ++cursor; // 'e'
    if (*cursor == '+')
        ++cursor; // from_chars takes no plus sign
    int exponent = 0;
    std::from_chars(cursor, end, exponent);
    // Shortest digits have no trailing zeros; dropping any keeps the value.
    while (digits.size() > 1 && digits.endsWith('0'))
        digits.chop(1);

    // ECMA-262 names: the value is 0.digits × 10^n, k digits.
    const int k = static_cast<int>(digits.size());
    const int n = exponent + 1;
    QByteArray out;
    out.reserve(32);
    if (negative)
        out += '-';
    if (k <= n && n <= 21) {
        // An integer: the digits, then zeros up to the decimal point.
        out += digits;
        out += QByteArray(n - k, '0');
    } else if (0 < n && n <= 21) {
        // The decimal point falls inside the digits.
        out += digits.first(n);
        out += '.';
        out += digits.sliced(n);
    } else if (-6 < n && n <= 0) {
        // Small, but no smaller than 1e-6: leading zeros after "0.".
        out += "0.";
        out += QByteArray(-n, '0');
        out += digits;
    } else {
        // Exponent form, always with a sign: "1e+21", "1.5e-7".
        out += digits.front();
        if (k > 1) {
            out += '.';
            out += digits.sliced(1);
        }
        out += n - 1 < 0 ? "e-" : "e+";
        out += QByteArray::number(std::abs(n - 1));
    }
    return out;
}

Result<QByteArray> canonicalJson(const QJsonValue &value)
{
    Writer writer;
    if (!writer.writeValue(value, 0))
        return writer.takeError();
    return writer.takeOutput();
}

Result<QByteArray> argumentsHash(const QJsonObject &arguments)
{
    auto canonical = canonicalJson(arguments);
    if (!canonical)
        return canonical.error();
    return QCryptographicHash::hash(canonical.value(), QCryptographicHash::Sha256);
}

} // namespace countersign
