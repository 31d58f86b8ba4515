#include "authzensearch.h"

#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/base64url.h"

#include <cmath>

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QtEndian>

namespace countersign::gateway {

namespace {

Error invalid(const QString &path, const QString &what)
{
    return makeError(ErrorCode::InvalidField, path + u' ' + what);
}

// A page token: version, the candidate position the next page starts at,
// and a digest binding both to the request. Deterministic (the same request
// gets the same token, on any gateway with the same directory) and keyless:
// knowing the format lets a caller ask for another position, which it could
// do anyway by paging; what the digest stops is a token reused with a
// changed request (AuthZEN: the PDP SHOULD refuse it) or a bit flipped in
// transit being read as a different position.
constexpr char tokenVersion = 1;
constexpr qsizetype digestBytes = 16;
constexpr qsizetype tokenBytes = 1 + 4 + digestBytes;
constexpr qsizetype maxTokenLength = 64; // longer is refused before decoding

QByteArray tokenDigest(const QByteArray &fingerprint, quint32 position)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData("countersign authzen search page\n");
    hash.addData(fingerprint);
    char bytes[4];
    qToBigEndian(position, bytes);
    hash.addData(QByteArrayView(bytes, 4));
    return hash.result().left(digestBytes);
}

QByteArray makeToken(const QByteArray &fingerprint, quint32 position)
{
    QByteArray raw(1, tokenVersion);
    char bytes[4];
    qToBigEndian(position, bytes);
    raw.append(bytes, 4);
    raw.append(tokenDigest(fingerprint, position));
    return base64UrlEncode(raw);
}

Error badToken()
{
    return invalid(QStringLiteral("page.token"),
                   QStringLiteral("is not a token this gateway returned for this search (every "
                                  "member but page.token must be what it was when the token was "
                                  "returned); start again without page.token"));
}

// The position a token resumes at, or the error; never past `candidates`.
Result<qsizetype> readToken(const QString &token, const QByteArray &fingerprint,
                            qsizetype candidates)
{
    if (token.size() > maxTokenLength)
        return badToken();
    const auto raw = base64UrlDecode(token.toLatin1());
    if (!raw || raw->size() != tokenBytes || raw->at(0) != tokenVersion)
        return badToken();
    const auto position = qFromBigEndian<quint32>(raw->constData() + 1);
    const QByteArray digest = raw->mid(5);
    // The token is no secret, but comparing in constant time costs nothing.
    const QByteArray expected = tokenDigest(fingerprint, position);
    char difference = 0;
    for (qsizetype i = 0; i < digestBytes; ++i)
        difference = static_cast<char>(difference | (digest.at(i) ^ expected.at(i)));
    if (difference != 0 || position > static_cast<quint64>(candidates))
        return badToken();
    return static_cast<qsizetype>(position);
}

// Everything a token is bound to: the request without page.token. QJsonObject
// keeps its keys sorted, so the compact text is the same for the same request.
QByteArray fingerprintOf(const SearchRequest &request)
{
    QJsonObject subject = request.subject.toJson();
    QJsonObject resource = request.resource.toJson();
    QJsonObject object{{QStringLiteral("kind"), searchKindName(request.kind)},
                       {QStringLiteral("subject"), subject},
                       {QStringLiteral("resource"), resource},
                       {QStringLiteral("context"), request.context},
                       {QStringLiteral("limit"), request.pageLimit}};
    if (request.kind != SearchKind::Action)
        object.insert(QStringLiteral("action"), request.action.toJson());
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// JSON text of a string: UTF-8, quotes, backslashes and control characters
// escaped. Never fails (a lone surrogate, which only a request's own type
// could carry, becomes U+FFFD; such a type matches no directory entry).
void appendJsonString(QByteArray &out, QStringView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    const QByteArray utf8 = text.toUtf8();
    out += '"';
    for (const char c : utf8) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

Result<qint64> readLimit(const QJsonValue &value)
{
    const QString path = QStringLiteral("page.limit");
    if (!value.isDouble())
        return invalid(path, QStringLiteral("must be a positive integer"));
    const double number = value.toDouble();
    if (!(number >= 1) || number != std::floor(number))
        return invalid(path, QStringLiteral("must be a positive integer"));
    // Anything this large is "as many as you like"; clamping here keeps the
    // value exact in the fingerprint.
    return number > 1e9 ? qint64(1000000000) : static_cast<qint64>(number);
}

Status readPage(const QJsonObject &body, SearchRequest &request)
{
    const QJsonValue page = body.value(QStringLiteral("page"));
    if (page.isUndefined())
        return Ok{};
    if (!page.isObject())
        return invalid(QStringLiteral("page"), QStringLiteral("must be an object"));
    const QJsonObject object = page.toObject();
    // page.properties (sorting, filtering) is implementation-specific and
    // none is supported: ignored, as unknown members are.
    const QJsonValue token = object.value(QStringLiteral("token"));
    if (!token.isUndefined()) {
        if (!token.isString())
            return invalid(QStringLiteral("page.token"), QStringLiteral("must be a string"));
        request.pageToken = token.toString();
    }
    const QJsonValue limit = object.value(QStringLiteral("limit"));
    if (!limit.isUndefined()) {
        auto value = readLimit(limit);
        if (!value)
            return value.error();
        request.pageLimit = value.value();
    }
    return Ok{};
}

Result<AuthzenEntity> requiredEntity(const QJsonObject &body, const QString &name, bool searched)
{
    const QJsonValue value = body.value(name);
    if (value.isUndefined())
        return makeError(ErrorCode::MissingField, name + QStringLiteral(" is missing"));
    return searched ? parseAuthzenEntityType(value, name) : parseAuthzenEntity(value, name);
}

} // namespace

QString searchKindName(SearchKind kind)
{
    switch (kind) {
    case SearchKind::Subject:
        return QStringLiteral("subject");
    case SearchKind::Resource:
        return QStringLiteral("resource");
    case SearchKind::Action:
        return QStringLiteral("action");
    }
    return {};
}

Result<SearchRequest> SearchRequest::fromJson(SearchKind kind, const QJsonObject &body)
{
    SearchRequest request;
    request.kind = kind;
    auto subject = requiredEntity(body, QStringLiteral("subject"), kind == SearchKind::Subject);
    if (!subject)
        return subject.error();
    request.subject = subject.value();
    if (kind != SearchKind::Action) {
        const QJsonValue action = body.value(QStringLiteral("action"));
        if (action.isUndefined())
            return makeError(ErrorCode::MissingField, QStringLiteral("action is missing"));
        auto parsed = parseAuthzenAction(action, QStringLiteral("action"));
        if (!parsed)
            return parsed.error();
        request.action = parsed.value();
    }
    auto resource = requiredEntity(body, QStringLiteral("resource"), kind == SearchKind::Resource);
    if (!resource)
        return resource.error();
    request.resource = resource.value();
    const QJsonValue context = body.value(QStringLiteral("context"));
    if (!context.isUndefined()) {
        if (!context.isObject())
            return invalid(QStringLiteral("context"), QStringLiteral("must be an object"));
        request.context = context.toObject();
    }
    if (auto page = readPage(body, request); !page)
        return page.error();
    return request;
}

AuthzenSearch::AuthzenSearch(const PolicyDecisionPoint &pdp, SearchLimits limits)
    : m_pdp(pdp)
    , m_limits(limits)
{
}

Result<QByteArray> AuthzenSearch::search(const SearchRequest &request) const
{
    const EntityDirectory &directory = m_pdp.directory();
    QList<const DirectoryEntity *> entities;
    QStringList actions;
    qsizetype candidates = 0;
    switch (request.kind) {
    case SearchKind::Subject:
        entities = directory.subjects(request.subject.type);
        candidates = entities.size();
        break;
    case SearchKind::Resource:
        entities = directory.resources(request.resource.type);
        candidates = entities.size();
        break;
    case SearchKind::Action:
        actions = directory.actions();
        candidates = actions.size();
        break;
    }

    const QByteArray fingerprint = fingerprintOf(request);
    qsizetype position = 0;
    if (!request.pageToken.isEmpty()) {
        auto resumed = readToken(request.pageToken, fingerprint, candidates);
        if (!resumed)
            return resumed.error();
        position = resumed.value();
    }
    const qint64 pageSize = std::min(
        request.pageLimit > 0 ? request.pageLimit : m_limits.defaultPageSize, m_limits.maxPageSize);

    AccessRequest access{request.subject, request.action, request.resource, request.context};
    QByteArray typePrefix = "{\"type\":";
    appendJsonString(typePrefix,
                     request.kind == SearchKind::Subject ? request.subject.type
                                                         : request.resource.type);
    typePrefix += ",\"id\":";
    QByteArray results;
    qint64 count = 0;
    qint64 evaluated = 0;
    for (;
         position < candidates && count < pageSize && evaluated < m_limits.maxCandidatesPerRequest;
         ++position, ++evaluated) {
        switch (request.kind) {
        case SearchKind::Subject:
            access.subject.id = entities.at(position)->id;
            break;
        case SearchKind::Resource:
            access.resource.id = entities.at(position)->id;
            break;
        case SearchKind::Action:
            access.action.name = actions.at(position);
            break;
        }
        if (!m_pdp.evaluate(access).isAllow())
            continue;
        if (count++ > 0)
            results += ',';
        // {"type":..,"id":..} in that order, as AuthZEN writes entities (the
        // working group's search harness compares results as text).
        switch (request.kind) {
        case SearchKind::Subject:
            results += typePrefix;
            appendJsonString(results, access.subject.id);
            results += '}';
            break;
        case SearchKind::Resource:
            results += typePrefix;
            appendJsonString(results, access.resource.id);
            results += '}';
            break;
        case SearchKind::Action:
            results += "{\"name\":";
            appendJsonString(results, access.action.name);
            results += '}';
            break;
        }
    }
    // Stopped early (page full, or the per-request bound): the token
    // resumes at the first candidate not yet tried.
    const QByteArray next = position < candidates
        ? makeToken(fingerprint, static_cast<quint32>(position))
        : QByteArray();
    return QByteArray("{\"page\":{\"next_token\":\"" + next + "\",\"count\":"
                      + QByteArray::number(count) + "},\"results\":[" + results + "]}");
}

} // namespace countersign::gateway
