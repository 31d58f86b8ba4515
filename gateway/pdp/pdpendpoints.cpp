#include "pdpendpoints.h"

#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/strictjson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace countersign::gateway {

namespace {

const QString evaluationPath = QStringLiteral("/access/v1/evaluation");
const QString evaluationsPath = QStringLiteral("/access/v1/evaluations");
const QString configurationPath = QStringLiteral("/.well-known/authzen-configuration");
const QString searchSubjectPath = QStringLiteral("/access/v1/search/subject");
const QString searchResourcePath = QStringLiteral("/access/v1/search/resource");
const QString searchActionPath = QStringLiteral("/access/v1/search/action");

const QString &searchPath(SearchKind kind)
{
    switch (kind) {
    case SearchKind::Subject:
        return searchSubjectPath;
    case SearchKind::Resource:
        return searchResourcePath;
    case SearchKind::Action:
        break;
    }
    return searchActionPath;
}

constexpr SearchKind searchKinds[] = {SearchKind::Subject, SearchKind::Resource,
                                      SearchKind::Action};

// "application/json", in any case, with or without parameters (charset).
bool isJsonContentType(const QByteArray &value)
{
    const qsizetype semicolon = value.indexOf(';');
    return value.left(semicolon < 0 ? value.size() : semicolon).trimmed().toLower()
        == "application/json";
}

HttpResponse jsonBytes(const HttpRequest &request, QByteArray body, int status = HttpStatus::ok)
{
    HttpResponse response(QByteArrayLiteral("application/json"), std::move(body), status);
    response.setHeader("Cache-Control", "no-store");
    // AuthZEN: an X-Request-ID sent by the PEP MUST be echoed, also on
    // errors; only a short printable token is (anything else could carry
    // header injection or bulk into our answer).
    if (const QByteArray id = request.value("X-Request-ID"); isEchoableToken(id))
        response.setHeader("X-Request-ID", id);
    return response;
}

HttpResponse json(const HttpRequest &request, const QJsonObject &body, int status = HttpStatus::ok)
{
    return jsonBytes(request, QJsonDocument(body).toJson(QJsonDocument::Compact), status);
}

HttpResponse failure(const HttpRequest &request, int status, const QString &code,
                     const QString &message)
{
    return json(request,
                QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}},
                status);
}

// The body as a JSON object, or the error response to send instead.
std::variant<QJsonObject, HttpResponse> readBody(const HttpRequest &request)
{
    auto body = parseStrictJsonObject(request.body, QStringLiteral("request body"));
    if (!body) {
        return failure(request, HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       body.error().message);
    }
    return body.value();
}

// AuthZEN 1.0 per-item error: decision false, the status the single
// endpoint would have answered and why, in context.error.
QJsonObject itemError(const Error &error)
{
    return QJsonObject{{QStringLiteral("decision"), false},
                       {QStringLiteral("context"),
                        QJsonObject{{QStringLiteral("error"),
                                     QJsonObject{{QStringLiteral("status"), 400},
                                                 {QStringLiteral("message"), error.message}}}}}};
}

} // namespace

PdpEndpoints::PdpEndpoints(const PolicyDecisionPoint &pdp, QUrl publicUrl)
    : m_pdp(pdp)
    , m_fastPath(pdp)
    , m_search(pdp)
    , m_publicUrl(std::move(publicUrl))
{
}

void PdpEndpoints::setAuthenticator(Authenticator authenticator)
{
    m_authenticator = std::move(authenticator);
}

void PdpEndpoints::setPublicUrl(QUrl publicUrl)
{
    m_publicUrl = std::move(publicUrl);
}

template <typename Answer>
HttpResponse PdpEndpoints::guarded(const HttpRequest &request, Answer answer) const
{
    if (auto refused = refusal(request))
        return std::move(*refused);
    return answer();
}

void PdpEndpoints::addRoutes(HttpRouter &router)
{
    router.route(evaluationPath, HttpMethod::Post,
                 HttpRouter::SimpleHandler([this](const HttpRequest &request, const QStringList &) {
                     return guarded(request, [&] { return evaluation(request); });
                 }));
    router.route(evaluationsPath, HttpMethod::Post,
                 HttpRouter::SimpleHandler([this](const HttpRequest &request, const QStringList &) {
                     return guarded(request, [&] { return evaluations(request); });
                 }));
    for (const SearchKind kind : searchKinds) {
        router.route(searchPath(kind), HttpMethod::Post,
                     HttpRouter::SimpleHandler(
                         [this, kind](const HttpRequest &request, const QStringList &) {
                             return guarded(request, [&] { return search(kind, request); });
                         }));
    }
    router.route(configurationPath, HttpMethod::Get,
                 HttpRouter::SimpleHandler([this](const HttpRequest &request, const QStringList &) {
                     return configuration(request);
                 }));
}

std::optional<HttpResponse> PdpEndpoints::answer(const HttpRequest &request) const
{
    if (request.method != HttpMethod::Post)
        return std::nullopt;
    if (request.path == evaluationPath)
        return guarded(request, [&] { return evaluation(request); });
    if (request.path == evaluationsPath)
        return guarded(request, [&] { return evaluations(request); });
    for (const SearchKind kind : searchKinds) {
        if (request.path == searchPath(kind))
            return guarded(request, [&] { return search(kind, request); });
    }
    return std::nullopt;
}

std::optional<HttpResponse> PdpEndpoints::refusal(const HttpRequest &request) const
{
    if (!m_authenticator || !m_authenticator(request)) {
        HttpResponse response =
            failure(request, HttpStatus::unauthorized, QStringLiteral("unauthorized"),
                    QStringLiteral("an admin bearer token is required: send the gateway's "
                                   "admin token as Authorization: Bearer <token>"));
        // RFC 6750 / AuthZEN "Sender Authentication Failure".
        response.setHeader("WWW-Authenticate", "Bearer");
        return response;
    }
    // AuthZEN's HTTPS binding: requests MUST be Content-Type:
    // application/json. A browser page can send a text/plain POST without a
    // preflight; refusing it keeps these routes out of reach of such forms.
    if (!isJsonContentType(request.value("Content-Type"))) {
        return failure(request, HttpStatus::badRequest, QStringLiteral("unsupported_media_type"),
                       QStringLiteral("send the request body as JSON with Content-Type: "
                                      "application/json"));
    }
    return std::nullopt;
}

HttpResponse PdpEndpoints::search(SearchKind kind, const HttpRequest &request) const
{
    auto body = readBody(request);
    if (auto *refused = std::get_if<HttpResponse>(&body))
        return std::move(*refused);
    const auto parsed = SearchRequest::fromJson(kind, std::get<QJsonObject>(body));
    if (!parsed) {
        return failure(request, HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       parsed.error().message);
    }
    auto answer = m_search.search(parsed.value());
    if (!answer) {
        return failure(request, HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       answer.error().message);
    }
    return jsonBytes(request, std::move(answer.value()));
}

QString PdpEndpoints::endpoint(const QString &path) const
{
    QUrl url = m_publicUrl;
    QString base = url.path();
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    return url.toString();
}

QJsonObject PdpEndpoints::discoveryDocument() const
{
    QString identifier = m_publicUrl.toString();
    // policy_decision_point must equal the identifier the PEP built the
    // metadata URL from; the gateway's public URL is written without "/".
    while (identifier.endsWith(u'/'))
        identifier.chop(1);
    return QJsonObject{
        {QStringLiteral("policy_decision_point"), identifier},
        {QStringLiteral("access_evaluation_endpoint"), endpoint(evaluationPath)},
        {QStringLiteral("access_evaluations_endpoint"), endpoint(evaluationsPath)},
        {QStringLiteral("search_subject_endpoint"), endpoint(searchSubjectPath)},
        {QStringLiteral("search_resource_endpoint"), endpoint(searchResourcePath)},
        {QStringLiteral("search_action_endpoint"), endpoint(searchActionPath)},
        {QStringLiteral("supported_obligations"),
         QJsonArray{QLatin1StringView(AccessDecision::stepUpObligationType)}},
    };
}

HttpResponse PdpEndpoints::configuration(const HttpRequest &request) const
{
    return json(request, discoveryDocument());
}

HttpResponse PdpEndpoints::evaluation(const HttpRequest &request) const
{
    // Well-formed requests take the fast path; anything it is not sure of
    // (errors included) is answered below, exactly as before.
    if (auto answer = m_fastPath.evaluate(request.body))
        return jsonBytes(request, std::move(*answer));
    auto body = readBody(request);
    if (auto *refusal = std::get_if<HttpResponse>(&body))
        return std::move(*refusal);
    const auto access = AccessRequest::fromJson(std::get<QJsonObject>(body));
    if (!access) {
        return failure(request, HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       access.error().message);
    }
    return json(request, m_pdp.evaluate(access.value()).toAuthzenJson());
}

HttpResponse PdpEndpoints::evaluations(const HttpRequest &request) const
{
    if (auto answer = m_fastPath.evaluateBatch(request.body))
        return jsonBytes(request, std::move(*answer));
    auto body = readBody(request);
    if (auto *refusal = std::get_if<HttpResponse>(&body))
        return std::move(*refusal);
    const auto batch = AccessEvaluationsRequest::fromJson(std::get<QJsonObject>(body));
    if (!batch) {
        return failure(request, HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       batch.error().message);
    }
    if (batch->single) {
        // No evaluations array: AuthZEN answers like the single endpoint.
        return json(request, m_pdp.evaluate(batch->evaluations.front().value()).toAuthzenJson());
    }
    QJsonArray results;
    for (const Result<AccessRequest> &item : batch->evaluations) {
        QJsonObject result;
        bool decision = false;
        if (item) {
            const AccessDecision answer = m_pdp.evaluate(item.value());
            result = answer.toAuthzenJson();
            decision = answer.isAllow();
        } else {
            result = itemError(item.error());
        }
        results.append(result);
        // The short-circuit semantics stop after (and include) the first
        // answer of the kind they wait for; the rest are not evaluated.
        if ((batch->semantic == EvaluationsSemantic::DenyOnFirstDeny && !decision)
            || (batch->semantic == EvaluationsSemantic::PermitOnFirstPermit && decision)) {
            break;
        }
    }
    return json(request, QJsonObject{{QStringLiteral("evaluations"), results}});
}

} // namespace countersign::gateway
