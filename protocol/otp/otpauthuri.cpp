#include "otpauthuri.h"

#include "protocol/displaytext.h"

#include <algorithm>
#include <limits>
#include <optional>

#include <QHash>
#include <QSet>
#include <QStringDecoder>
#include <QStringList>

namespace countersign {

namespace {

constexpr QStringView kScheme = u"otpauth://";

Error linkError(ErrorCode code, const QString &what)
{
    return makeError(code, QStringLiteral("otpauth URI ") + what);
}

// Quotes a piece of untrusted text for an error message, shortened so that a
// hostile URI cannot fill the logs.
QString quoted(QStringView text)
{
    constexpr qsizetype kMaxQuoted = 32;
    return QLatin1Char('"') + text.left(kMaxQuoted).toString()
        + (text.size() > kMaxQuoted ? QStringLiteral("...\"") : QStringLiteral("\""));
}

bool isUnreserved(char16_t c)
{
    return (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9')
        || c == u'-' || c == u'.' || c == u'_' || c == u'~';
}

// RFC 3986 characters that may appear literally in a URI; '#', '[' and ']'
// are left out because an otpauth URI has no use for fragments or IP hosts.
bool isAllowedLiterally(char16_t c)
{
    return isUnreserved(c) || QStringView(u":/?@!$&'()*+,;=%").contains(QChar(c));
}

int hexValue(char16_t c)
{
    if (c >= u'0' && c <= u'9') {
        return c - u'0';
    }
    if (c >= u'A' && c <= u'F') {
        return c - u'A' + 10;
    }
    if (c >= u'a' && c <= u'f') {
        return c - u'a' + 10;
    }
    return -1;
}

// Percent-decodes to bytes. '+' stays '+': RFC 3986 gives it no special
// meaning, and the format's own examples encode spaces as %20.
std::optional<QByteArray> percentDecodeBytes(QStringView raw)
{
    QByteArray bytes;
    bytes.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const char16_t c = raw[i].unicode();
        if (c != u'%') {
            bytes.append(static_cast<char>(c)); // checked to be ASCII already
            continue;
        }
        if (i + 2 >= raw.size()) {
            return std::nullopt;
        }
        const int high = hexValue(raw[i + 1].unicode());
        const int low = hexValue(raw[i + 2].unicode());
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes.append(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return bytes;
}

// Percent-decodes UTF-8 text; `what` names the part for the error message.
Result<QString> percentDecodeText(QStringView raw, const QString &what)
{
    const auto bytes = percentDecodeBytes(raw);
    if (!bytes) {
        return linkError(ErrorCode::MalformedLink,
                         QStringLiteral("has a malformed percent escape in the %1").arg(what));
    }
    // Stateless and keeping a leading U+FEFF: what we decode is exactly what
    // toString() will encode again.
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless
                               | QStringDecoder::Flag::ConvertInitialBom);
    QString text = decoder.decode(*bytes);
    if (decoder.hasError()) {
        return linkError(ErrorCode::MalformedLink,
                         QStringLiteral("has a %1 that is not valid UTF-8").arg(what));
    }
    return text;
}

// The rules toString() needs to write a name that parse() reads back the
// same: the label uses ':' to separate issuer from account, and parse()
// drops spaces after that colon.
Status checkName(const QString &name, const QString &what)
{
    if (name.isEmpty()) {
        return makeError(ErrorCode::MissingField, QStringLiteral("the %1 is empty").arg(what));
    }
    if (name.contains(QLatin1Char(':'))) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("the %1 %2 contains ':'").arg(what, quoted(name)));
    }
    if (!isDisplaySafe(name)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("the %1 %2 contains a control or bidirectional "
                                        "formatting character")
                             .arg(what, quoted(name)));
    }
    if (name.front().isSpace() || name.back().isSpace()) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("the %1 %2 starts or ends with whitespace").arg(what, quoted(name)));
    }
    return Ok{};
}

Status withLinkPrefix(Status status)
{
    if (status) {
        return status;
    }
    return makeError(status.error().code, QStringLiteral("otpauth URI: ") + status.error().message);
}

// A decimal number without sign, spaces or leading zeros, at most `maximum`.
std::optional<quint64> parseDecimal(QStringView text, quint64 maximum)
{
    if (text.isEmpty() || text.size() > 20 || (text.size() > 1 && text.front() == u'0')) {
        return std::nullopt;
    }
    quint64 value = 0;
    for (const QChar c : text) {
        if (c.unicode() < u'0' || c.unicode() > u'9') {
            return std::nullopt;
        }
        const quint64 digit = c.unicode() - u'0';
        if (value > (maximum - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

QString percentEncode(const QString &text)
{
    QString out;
    const QByteArray utf8 = text.toUtf8();
    out.reserve(utf8.size() * 3);
    for (const char byte : utf8) {
        const auto c = static_cast<char16_t>(static_cast<quint8>(byte));
        // '@' is legal in both the label and the query, and email-address
        // account names stay readable in the QR code's text.
        if (isUnreserved(c) || c == u'@') {
            out.append(QChar(c));
        } else {
            out.append(QLatin1Char('%'));
            out.append(QString::number(c, 16).toUpper().rightJustified(2, QLatin1Char('0')));
        }
    }
    return out;
}

struct Parameters {
    QHash<QString, QString> values;

    std::optional<QString> find(const QString &name) const
    {
        const auto it = values.constFind(name);
        if (it == values.constEnd()) {
            return std::nullopt;
        }
        return *it;
    }
};

Result<Parameters> parseQuery(QStringView query)
{
    static const QStringList known = {
        QStringLiteral("secret"), QStringLiteral("issuer"), QStringLiteral("algorithm"),
        QStringLiteral("digits"), QStringLiteral("period"), QStringLiteral("counter"),
    };
    Parameters parameters;
    QSet<QString> seen;
    for (const QStringView pair : query.split(u'&')) {
        if (pair.isEmpty()) {
            return linkError(ErrorCode::MalformedLink,
                             QStringLiteral("has an empty parameter ('&&', or '&' at an end)"));
        }
        const qsizetype equals = pair.indexOf(u'=');
        if (equals < 0) {
            return linkError(ErrorCode::MalformedLink,
                             QStringLiteral("parameter %1 has no '=value'").arg(quoted(pair)));
        }
        const auto name = percentDecodeText(pair.left(equals), QStringLiteral("parameter name"));
        if (!name) {
            return name.error();
        }
        if (seen.contains(name.value())) {
            return linkError(
                ErrorCode::MalformedLink,
                QStringLiteral("has the parameter %1 more than once").arg(quoted(name.value())));
        }
        seen.insert(name.value());
        const QStringView rawValue = pair.mid(equals + 1);
        if (!known.contains(name.value())) {
            // Ignored, but it must still be well-formed URI syntax.
            if (!percentDecodeBytes(rawValue)) {
                return linkError(ErrorCode::MalformedLink,
                                 QStringLiteral("has a malformed percent escape in parameter %1")
                                     .arg(quoted(name.value())));
            }
            continue;
        }
        auto value = percentDecodeText(rawValue, QStringLiteral("value of %1").arg(name.value()));
        if (!value) {
            return value.error();
        }
        parameters.values.insert(name.value(), std::move(value).value());
    }
    return parameters;
}

} // namespace

OtpauthUri::OtpauthUri(Type type, QString issuer, QString accountName, Hotp hotp, qint64 period,
                       quint64 counter)
    : m_type(type)
    , m_issuer(std::move(issuer))
    , m_accountName(std::move(accountName))
    , m_hotp(std::move(hotp))
    , m_period(period)
    , m_counter(counter)
{
}

Result<OtpauthUri> OtpauthUri::forTotp(const Totp &totp, const QString &issuer,
                                       const QString &accountName)
{
    if (totp.t0() != 0) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("an otpauth URI cannot carry a TOTP start time T0 other "
                                        "than 0"));
    }
    if (!issuer.isEmpty()) {
        if (const auto checked = checkName(issuer, QStringLiteral("issuer")); !checked) {
            return checked.error();
        }
    }
    if (const auto checked = checkName(accountName, QStringLiteral("account name")); !checked) {
        return checked.error();
    }
    OtpauthUri uri(Type::Totp, issuer, accountName, totp.hotp(), totp.period(), 0);
    if (const auto length = uri.checkWrittenLength(); !length) {
        return length.error();
    }
    return uri;
}

Result<OtpauthUri> OtpauthUri::forHotp(const Hotp &hotp, quint64 counter, const QString &issuer,
                                       const QString &accountName)
{
    if (!issuer.isEmpty()) {
        if (const auto checked = checkName(issuer, QStringLiteral("issuer")); !checked) {
            return checked.error();
        }
    }
    if (const auto checked = checkName(accountName, QStringLiteral("account name")); !checked) {
        return checked.error();
    }
    OtpauthUri uri(Type::Hotp, issuer, accountName, hotp, Totp::kDefaultPeriod, counter);
    if (const auto length = uri.checkWrittenLength(); !length) {
        return length.error();
    }
    return uri;
}

Result<OtpauthUri> OtpauthUri::parse(QStringView text)
{
    if (text.size() > kMaximumLength) {
        return linkError(ErrorCode::InputTooLarge,
                         QStringLiteral("is longer than %1 characters").arg(kMaximumLength));
    }
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (c == u'#') {
            return linkError(ErrorCode::MalformedLink,
                             QStringLiteral("has a fragment ('#'), which the format does not use"));
        }
        if (!isAllowedLiterally(c)) {
            return linkError(ErrorCode::MalformedLink,
                             QStringLiteral("has a character at position %1 that must be "
                                            "percent-encoded (spaces, non-ASCII text, ...)")
                                 .arg(i));
        }
    }
    if (!text.startsWith(kScheme, Qt::CaseInsensitive)) {
        return linkError(ErrorCode::MalformedLink,
                         QStringLiteral("does not start with otpauth://"));
    }

    // otpauth://TYPE/LABEL?PARAMETERS
    const QStringView rest = text.mid(kScheme.size());
    const qsizetype query = rest.indexOf(u'?');
    const QStringView path = query < 0 ? rest : rest.left(query);
    const qsizetype slash = path.indexOf(u'/');
    const QStringView typeText = slash < 0 ? path : path.left(slash);
    Type type = Type::Totp;
    if (typeText.compare(u"totp", Qt::CaseInsensitive) == 0) {
        type = Type::Totp;
    } else if (typeText.compare(u"hotp", Qt::CaseInsensitive) == 0) {
        type = Type::Hotp;
    } else {
        return linkError(
            ErrorCode::InvalidField,
            QStringLiteral("has the type %1; it must be totp or hotp").arg(quoted(typeText)));
    }
    if (slash < 0) {
        return linkError(ErrorCode::MissingField,
                         QStringLiteral("has no label (otpauth://TYPE/LABEL?PARAMETERS)"));
    }
    const QStringView rawLabel = path.mid(slash + 1);
    if (rawLabel.contains(u'/')) {
        return linkError(ErrorCode::MalformedLink,
                         QStringLiteral("has a '/' in its label; it must be written %2F"));
    }
    if (query < 0) {
        return linkError(ErrorCode::MissingField,
                         QStringLiteral("has no parameters; secret is required"));
    }

    // The label: "account" or "issuer:account", where spaces may follow the
    // colon and the colon may be written %3A.
    const auto label = percentDecodeText(rawLabel, QStringLiteral("label"));
    if (!label) {
        return label.error();
    }
    QString labelIssuer;
    QString accountName = label.value();
    if (label->count(QLatin1Char(':')) > 1) {
        return linkError(ErrorCode::InvalidField,
                         QStringLiteral("has more than one ':' in its label"));
    }
    if (const qsizetype colon = label->indexOf(QLatin1Char(':')); colon >= 0) {
        labelIssuer = label->left(colon);
        accountName = label->mid(colon + 1);
        while (accountName.startsWith(QLatin1Char(' '))) {
            accountName.remove(0, 1);
        }
        if (const auto checked =
                withLinkPrefix(checkName(labelIssuer, QStringLiteral("issuer in the label")));
            !checked) {
            return checked.error();
        }
    }
    if (const auto checked = withLinkPrefix(checkName(accountName, QStringLiteral("account name")));
        !checked) {
        return checked.error();
    }

    auto parsed = parseQuery(rest.mid(query + 1));
    if (!parsed) {
        return parsed.error();
    }
    const Parameters &parameters = parsed.value();

    QString issuer = labelIssuer;
    if (const auto value = parameters.find(QStringLiteral("issuer"))) {
        if (const auto checked =
                withLinkPrefix(checkName(*value, QStringLiteral("issuer parameter")));
            !checked) {
            return checked.error();
        }
        if (!labelIssuer.isEmpty() && *value != labelIssuer) {
            return linkError(ErrorCode::InvalidField,
                             QStringLiteral("has the issuer parameter %1 but the label names "
                                            "the issuer %2")
                                 .arg(quoted(*value), quoted(labelIssuer)));
        }
        issuer = *value;
    }

    const auto secretText = parameters.find(QStringLiteral("secret"));
    if (!secretText) {
        return linkError(ErrorCode::MissingField, QStringLiteral("has no secret parameter"));
    }
    // Anything outside Latin-1 becomes '?', which Base32 refuses.
    auto secret = OtpSecret::fromBase32(secretText->toLatin1());
    if (!secret) {
        return linkError(secret.error().code,
                         QStringLiteral("has an unusable secret: ") + secret.error().message);
    }

    OtpAlgorithm algorithm = OtpAlgorithm::Sha1;
    if (const auto value = parameters.find(QStringLiteral("algorithm"))) {
        const auto named = otpAlgorithmFromName(*value);
        if (!named) {
            return makeError(named.error().code,
                             QStringLiteral("otpauth URI: ") + named.error().message);
        }
        algorithm = named.value();
    }

    int digits = Hotp::kDefaultDigits;
    if (const auto value = parameters.find(QStringLiteral("digits"))) {
        if (*value != u"6" && *value != u"8") {
            return linkError(
                ErrorCode::InvalidField,
                QStringLiteral("has digits=%1; it must be 6 or 8").arg(quoted(*value)));
        }
        digits = value->toInt();
    }

    qint64 period = Totp::kDefaultPeriod;
    if (const auto value = parameters.find(QStringLiteral("period"))) {
        if (type != Type::Totp) {
            return linkError(ErrorCode::InvalidField,
                             QStringLiteral("has a period, which only totp URIs may have"));
        }
        const auto number = parseDecimal(*value, static_cast<quint64>(Totp::kMaximumPeriod));
        if (!number || *number == 0) {
            return linkError(ErrorCode::InvalidField,
                             QStringLiteral("has period=%1; it must be a whole number of "
                                            "seconds from 1 to %2")
                                 .arg(quoted(*value))
                                 .arg(Totp::kMaximumPeriod));
        }
        period = static_cast<qint64>(*number);
    }

    quint64 counter = 0;
    const auto counterText = parameters.find(QStringLiteral("counter"));
    if (type == Type::Totp && counterText) {
        return linkError(ErrorCode::InvalidField,
                         QStringLiteral("has a counter, which only hotp URIs may have"));
    }
    if (type == Type::Hotp) {
        if (!counterText) {
            return linkError(ErrorCode::MissingField,
                             QStringLiteral("is an hotp URI without the required counter"));
        }
        const auto number = parseDecimal(*counterText, std::numeric_limits<quint64>::max());
        if (!number) {
            return linkError(ErrorCode::InvalidField,
                             QStringLiteral("has counter=%1; it must be a whole number from 0 "
                                            "to 2^64-1")
                                 .arg(quoted(*counterText)));
        }
        counter = *number;
    }

    auto hotp = Hotp::create(std::move(secret).value(), algorithm, digits);
    if (!hotp) {
        return hotp.error(); // unreachable: digits were checked above
    }
    OtpauthUri uri(type, std::move(issuer), std::move(accountName), std::move(hotp).value(), period,
                   counter);
    // toString() repeats the issuer and percent-encodes what this text may
    // have spelled literally, so a long URI can grow; refusing here keeps
    // parse(toString()) working for everything parse() accepts.
    if (const auto length = uri.checkWrittenLength(); !length) {
        return length.error();
    }
    return uri;
}

Status OtpauthUri::checkWrittenLength() const
{
    if (toString().size() > kMaximumLength) {
        return makeError(ErrorCode::InputTooLarge,
                         QStringLiteral("otpauth URI would be longer than %1 characters written "
                                        "out in full; the issuer or account name is too long")
                             .arg(kMaximumLength));
    }
    return Ok{};
}

QString OtpauthUri::toString() const
{
    QString uri = QStringLiteral("otpauth://")
        + (m_type == Type::Totp ? QStringLiteral("totp") : QStringLiteral("hotp"))
        + QLatin1Char('/');
    if (!m_issuer.isEmpty()) {
        uri += percentEncode(m_issuer) + QLatin1Char(':');
    }
    uri += percentEncode(m_accountName) + QStringLiteral("?secret=")
        + QString::fromLatin1(m_hotp.secret().toBase32());
    if (!m_issuer.isEmpty()) {
        uri += QStringLiteral("&issuer=") + percentEncode(m_issuer);
    }
    uri += QStringLiteral("&algorithm=") + otpAlgorithmName(m_hotp.algorithm())
        + QStringLiteral("&digits=") + QString::number(m_hotp.digits());
    if (m_type == Type::Totp) {
        uri += QStringLiteral("&period=") + QString::number(m_period);
    } else {
        uri += QStringLiteral("&counter=") + QString::number(m_counter);
    }
    return uri;
}

OtpauthUri::Type OtpauthUri::type() const
{
    return m_type;
}

const QString &OtpauthUri::issuer() const
{
    return m_issuer;
}

const QString &OtpauthUri::accountName() const
{
    return m_accountName;
}

const Hotp &OtpauthUri::hotp() const
{
    return m_hotp;
}

qint64 OtpauthUri::period() const
{
    return m_period;
}

quint64 OtpauthUri::counter() const
{
    return m_counter;
}

Result<Totp> OtpauthUri::totp() const
{
    if (m_type != Type::Totp) {
        return makeError(ErrorCode::UnexpectedType,
                         QStringLiteral("the otpauth URI is for HOTP, not TOTP"));
    }
    return Totp::create(m_hotp.secret(), m_hotp.algorithm(), m_hotp.digits(), m_period);
}

} // namespace countersign
