#include "pairinglink.h"

#include "protocol/base64url.h"

#include <array>
#include <optional>

#include <QHostAddress>
#include <QList>
#include <QStringDecoder>

namespace countersign {

namespace {

enum class Param { Version, Gateway, Code, KeyThumbprint, Spki, Name };

struct ParamName {
    Param param;
    QStringView name;
};

constexpr std::array<ParamName, 6> paramNames{{
    {Param::Version, u"v"},
    {Param::Gateway, u"gw"},
    {Param::Code, u"code"},
    {Param::KeyThumbprint, u"kid"},
    {Param::Spki, u"spki"},
    {Param::Name, u"name"},
}};

std::optional<Param> paramFromName(QStringView name)
{
    for (const auto &entry : paramNames) {
        if (entry.name == name) {
            return entry.param;
        }
    }
    return std::nullopt;
}

Error linkError(QString message)
{
    return makeError(ErrorCode::MalformedLink, std::move(message));
}

// Text taken from the link goes into messages that end up in dialogs and
// logs; percent-encoding keeps it printable ASCII and the cut keeps it short.
QString forMessage(QStringView text)
{
    constexpr qsizetype maxShown = 40;
    QString shown = QString::fromLatin1(QUrl::toPercentEncoding(text.left(maxShown).toString()));
    if (text.size() > maxShown) {
        shown += QStringLiteral("...");
    }
    return shown;
}

// RFC 3986 query characters, except that '&' separates parameters and '%'
// must start an escape. '+' is a literal plus, not a space: this is a URI,
// not an HTML form.
bool isQueryChar(QChar c)
{
    const char16_t u = c.unicode();
    if ((u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')) {
        return true;
    }
    return QStringView(u"-._~!$'()*+,;=:@/?").contains(c);
}

bool isHexDigit(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F');
}

Result<QString> decodeValue(QStringView name, QStringView raw)
{
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (raw[i] == u'%') {
            if (i + 2 >= raw.size() || !isHexDigit(raw[i + 1]) || !isHexDigit(raw[i + 2])) {
                return linkError(
                    QStringLiteral("parameter '%1' has a malformed percent-escape").arg(name));
            }
            i += 2;
        } else if (!isQueryChar(raw[i])) {
            return linkError(
                QStringLiteral("parameter '%1' contains a character that must be percent-encoded")
                    .arg(name));
        }
    }
    // Only ASCII is left, so toLatin1() is exact.
    const QByteArray bytes = QByteArray::fromPercentEncoding(raw.toLatin1());
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString value = decoder.decode(bytes);
    if (decoder.hasError()) {
        return linkError(QStringLiteral("parameter '%1' is not valid UTF-8").arg(name));
    }
    return value;
}

// "1", never "01" or "+1", so that a version has one spelling.
std::optional<int> parseVersionNumber(QStringView text)
{
    if (text.isEmpty() || text.size() > 4 || (text.size() > 1 && text.front() == u'0')) {
        return std::nullopt;
    }
    int value = 0;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9') {
            return std::nullopt;
        }
        value = value * 10 + (c.unicode() - u'0');
    }
    return value;
}

bool isLoopbackHost(const QString &host)
{
    // QUrl has lower-cased the host and removed the brackets around IPv6.
    if (host == u"localhost") {
        return true;
    }
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

Status validateGatewayUrl(const QUrl &url)
{
    if (!url.isValid()) {
        return linkError(QStringLiteral("parameter 'gw' is not a valid URL"));
    }
    const QString scheme = url.scheme();
    if (scheme != u"https" && scheme != u"http") {
        return linkError(QStringLiteral("parameter 'gw' must be an absolute http or https URL"));
    }
    if (url.host().isEmpty()) {
        return linkError(QStringLiteral("parameter 'gw' has no host"));
    }
    // authority() keeps a bare '@' that userInfo() reports as empty.
    if (!url.userInfo().isEmpty() || url.authority(QUrl::FullyEncoded).contains(u'@')) {
        return linkError(QStringLiteral("parameter 'gw' must not contain user information"));
    }
    if (url.port() == 0) {
        return linkError(QStringLiteral("parameter 'gw' has port 0, which cannot be connected to"));
    }
    if (url.hasQuery()) {
        return linkError(QStringLiteral("parameter 'gw' must not have a query"));
    }
    if (url.hasFragment()) {
        return linkError(QStringLiteral("parameter 'gw' must not have a fragment"));
    }
    // The gateway key is pinned by thumbprint either way, but the one-time
    // code travels in the first request: in clear text only on this machine.
    if (scheme == u"http" && !isLoopbackHost(url.host())) {
        return makeError(ErrorCode::InsecureTransport,
                         QStringLiteral("parameter 'gw' uses plain http to a host that is not "
                                        "loopback; use https"));
    }
    return Ok{};
}

Status validateBase64Url(QStringView name, const QString &text, qsizetype minBytes,
                         qsizetype maxBytes, QStringView what)
{
    if (text.isEmpty()) {
        return linkError(QStringLiteral("parameter '%1' is missing").arg(name));
    }
    // toLatin1() turns any non-Latin-1 character into '?', which the decoder
    // rejects, so nothing foreign slips through.
    const auto decoded = base64UrlDecode(text.toLatin1());
    if (!decoded.ok()) {
        return linkError(QStringLiteral("parameter '%1' is not canonical base64url: %2")
                             .arg(name, decoded.error().message));
    }
    const qsizetype size = decoded.value().size();
    if (size < minBytes || size > maxBytes) {
        return linkError(QStringLiteral("parameter '%1' must encode %2, not %3 bytes")
                             .arg(name, what, QString::number(size)));
    }
    return Ok{};
}

Status validateDisplayName(const QString &name)
{
    const QList<uint> codePoints = name.toUcs4();
    if (codePoints.isEmpty() || codePoints.size() > PairingLink::maxNameLength) {
        return linkError(QStringLiteral("parameter 'name' must be 1 to %1 characters, not %2")
                             .arg(QString::number(PairingLink::maxNameLength),
                                  QString::number(codePoints.size())));
    }
    // The name is shown to the person who decides whether to trust this
    // gateway: no control, bidi-override, zero-width or unassigned characters
    // that could make it read as something else.
    for (const uint codePoint : codePoints) {
        if (!QChar::isPrint(static_cast<char32_t>(codePoint))) {
            return linkError(
                QStringLiteral("parameter 'name' contains the non-printing "
                               "character U+%1")
                    .arg(QString::number(codePoint, 16).toUpper().rightJustified(4, u'0')));
        }
    }
    return Ok{};
}

// Everything but '/' and ':' is escaped, so the gateway URL stays readable and
// a value can never be mistaken for a separator.
QString encodeValue(const QString &value)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(value, QByteArrayLiteral(":/")));
}

struct RawParam {
    QStringView name;
    QStringView value;
};

Result<QList<RawParam>> splitQuery(QStringView query)
{
    QList<RawParam> params;
    if (query.isEmpty()) {
        return params;
    }
    for (const QStringView part : query.split(u'&')) {
        if (part.isEmpty()) {
            return linkError(QStringLiteral("pairing link has an empty parameter (a stray '&')"));
        }
        const qsizetype equals = part.indexOf(u'=');
        if (equals < 0) {
            return linkError(QStringLiteral("parameter '%1' has no value ('=' is missing)")
                                 .arg(forMessage(part)));
        }
        params.append(RawParam{part.first(equals), part.sliced(equals + 1)});
    }
    return params;
}

} // namespace

Result<PairingLink> PairingLink::create(const Fields &fields)
{
    if (const auto status = validateGatewayUrl(fields.gatewayUrl); !status) {
        return status.error();
    }
    if (const auto status =
            validateBase64Url(u"code", fields.code, minCodeBytes, maxCodeBytes, u"16 to 64 bytes");
        !status) {
        return status.error();
    }
    if (const auto status = validateBase64Url(u"kid", fields.keyThumbprint, sha256Bytes,
                                              sha256Bytes, u"exactly 32 bytes (a SHA-256 digest)");
        !status) {
        return status.error();
    }
    if (!fields.spki.isEmpty()) {
        if (const auto status = validateBase64Url(u"spki", fields.spki, sha256Bytes, sha256Bytes,
                                                  u"exactly 32 bytes (a SHA-256 digest)");
            !status) {
            return status.error();
        }
    }
    if (const auto status = validateDisplayName(fields.displayName); !status) {
        return status.error();
    }

    PairingLink link;
    link.m_gatewayUrl = fields.gatewayUrl;
    link.m_code = fields.code;
    link.m_keyThumbprint = fields.keyThumbprint;
    link.m_spki = fields.spki;
    link.m_displayName = fields.displayName;
    // A link the companion would refuse is of no use to the gateway either.
    const qsizetype length = link.toString().size();
    if (length > maxLinkLength) {
        return makeError(ErrorCode::InputTooLarge,
                         QStringLiteral("pairing link would be %1 characters; the limit is %2 "
                                        "(shorten 'gw' or 'name')")
                             .arg(QString::number(length), QString::number(maxLinkLength)));
    }
    return link;
}

Result<PairingLink> PairingLink::parse(QStringView text)
{
    const QStringView link = text.trimmed();
    if (link.size() > maxLinkLength) {
        return makeError(ErrorCode::InputTooLarge,
                         QStringLiteral("pairing link is %1 characters; the limit is %2")
                             .arg(QString::number(link.size()), QString::number(maxLinkLength)));
    }

    const qsizetype schemeEnd = link.indexOf(u"://");
    if (schemeEnd < 0 || link.first(schemeEnd).compare(u"countersign", Qt::CaseInsensitive) != 0) {
        return linkError(QStringLiteral("not a pairing link: it must start with countersign://"));
    }
    const QStringView rest = link.sliced(schemeEnd + 3);
    if (rest.contains(u'#')) {
        return linkError(QStringLiteral("pairing link must not have a fragment ('#')"));
    }
    const qsizetype queryStart = rest.indexOf(u'?');
    const QStringView beforeQuery = queryStart < 0 ? rest : rest.first(queryStart);
    const QStringView query = queryStart < 0 ? QStringView() : rest.sliced(queryStart + 1);
    const qsizetype pathStart = beforeQuery.indexOf(u'/');
    const QStringView authority = pathStart < 0 ? beforeQuery : beforeQuery.first(pathStart);
    const QStringView path = pathStart < 0 ? QStringView() : beforeQuery.sliced(pathStart);
    if (authority.contains(u'@')) {
        return linkError(QStringLiteral("pairing link must not contain user information"));
    }
    if (authority.contains(u':')) {
        return linkError(QStringLiteral("pairing link must not have a port"));
    }
    if (authority.compare(u"pair", Qt::CaseInsensitive) != 0) {
        return linkError(QStringLiteral("pairing link host must be 'pair', not '%1'")
                             .arg(forMessage(authority)));
    }
    if (!path.isEmpty() && path != u"/") {
        return linkError(QStringLiteral("pairing link must have no path after 'pair'"));
    }

    const auto split = splitQuery(query);
    if (!split) {
        return split.error();
    }
    std::array<std::optional<QString>, paramNames.size()> values;
    const auto take = [&values](const RawParam &param) -> Status {
        const auto known = paramFromName(param.name);
        // Version 1 is strict: an unknown parameter is more likely a mistyped
        // or tampered link than an extension that is safe to ignore.
        if (!known) {
            return linkError(QStringLiteral("unknown parameter '%1' (version 1 links have only "
                                            "v, gw, code, kid, spki and name)")
                                 .arg(forMessage(param.name)));
        }
        auto &slot = values[static_cast<std::size_t>(*known)];
        if (slot) {
            return linkError(
                QStringLiteral("parameter '%1' appears more than once").arg(param.name));
        }
        if (param.value.isEmpty()) {
            return linkError(QStringLiteral("parameter '%1' is empty").arg(param.name));
        }
        auto decoded = decodeValue(param.name, param.value);
        if (!decoded) {
            return decoded.error();
        }
        slot = std::move(decoded).value();
        return Ok{};
    };

    // The version first: a newer link may carry parameters this build does
    // not know, and "unsupported version" is the useful thing to say then.
    for (const RawParam &param : split.value()) {
        if (param.name == u"v") {
            if (const auto status = take(param); !status) {
                return status.error();
            }
        }
    }
    const auto &versionText = values[static_cast<std::size_t>(Param::Version)];
    if (!versionText) {
        return linkError(QStringLiteral("parameter 'v' is missing"));
    }
    const auto version = parseVersionNumber(*versionText);
    if (!version) {
        return linkError(QStringLiteral("parameter 'v' must be a version number such as 1"));
    }
    if (*version != currentVersion) {
        return makeError(ErrorCode::UnsupportedVersion,
                         QStringLiteral("parameter 'v': pairing link version %1 is not supported "
                                        "(this build reads version %2)")
                             .arg(QString::number(*version), QString::number(currentVersion)));
    }
    for (const RawParam &param : split.value()) {
        if (param.name != u"v") {
            if (const auto status = take(param); !status) {
                return status.error();
            }
        }
    }
    for (const auto &entry : paramNames) {
        if (entry.param != Param::Spki && !values[static_cast<std::size_t>(entry.param)]) {
            return linkError(QStringLiteral("parameter '%1' is missing").arg(entry.name));
        }
    }

    const auto value = [&values](Param param) {
        return values[static_cast<std::size_t>(param)].value_or(QString());
    };
    Fields fields;
    fields.gatewayUrl = QUrl(value(Param::Gateway), QUrl::StrictMode);
    fields.code = value(Param::Code);
    fields.keyThumbprint = value(Param::KeyThumbprint);
    fields.spki = value(Param::Spki);
    fields.displayName = value(Param::Name);
    return create(fields);
}

QString PairingLink::toString() const
{
    QString link = QStringLiteral("countersign://pair?v=") % QString::number(m_version)
        % QStringLiteral("&gw=") % encodeValue(m_gatewayUrl.toString(QUrl::FullyEncoded))
        % QStringLiteral("&code=") % m_code % QStringLiteral("&kid=") % m_keyThumbprint;
    if (!m_spki.isEmpty()) {
        link += QStringLiteral("&spki=") % m_spki;
    }
    link += QStringLiteral("&name=") % encodeValue(m_displayName);
    return link;
}

int PairingLink::version() const
{
    return m_version;
}

QUrl PairingLink::gatewayUrl() const
{
    return m_gatewayUrl;
}

QString PairingLink::code() const
{
    return m_code;
}

QString PairingLink::keyThumbprint() const
{
    return m_keyThumbprint;
}

bool PairingLink::hasSpkiPin() const
{
    return !m_spki.isEmpty();
}

QString PairingLink::spki() const
{
    return m_spki;
}

QByteArray PairingLink::spkiSha256() const
{
    if (m_spki.isEmpty()) {
        return {};
    }
    // Validated when the link was made, so decoding cannot fail here.
    const auto decoded = base64UrlDecode(m_spki.toLatin1());
    return decoded.ok() ? decoded.value() : QByteArray();
}

QString PairingLink::displayName() const
{
    return m_displayName;
}

} // namespace countersign
