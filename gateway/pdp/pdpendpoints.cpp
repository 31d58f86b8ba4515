#include "pdpendpoints.h"

#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/strictjson.h"

#include <QHttpServer>
#include <QJsonArray>

namespace countersign::gateway {

namespace {

using HttpStatus = QHttpServerResponder::StatusCode;

const QString evaluationPath = QStringLiteral("/access/v1/evaluation");
const QString evaluationsPath = QStringLiteral("/access/v1/evaluations");
const QString configurationPath = QStringLiteral("/.well-known/authzen-configuration");

QByteArray requestId(const QHttpServerRequest &request)
{
    // Header names are case-insensitive; look at every header rather than
    // rely on how this Qt version stores them.
    const auto headers = request.headers();
    for (const auto &[name, value] : headers) {
        if (name.compare("X-Request-ID", Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

QHttpServerResponse json(const QHttpServerRequest &request, const QJsonObject &body,
                         HttpStatus status = HttpStatus::Ok)
{
    QHttpServerResponse response(body, status);
    response.setHeader("Cache-Control", "no-store");
    // AuthZEN: an X-Request-ID sent by the PEP MUST be echoed, also on errors.
    if (const QByteArray id = requestId(request); !id.isEmpty())
        response.setHeader("X-Request-ID", id);
    return response;
}

QHttpServerResponse failure(const QHttpServerRequest &request, HttpStatus status,
                            const QString &code, const QString &message)
{
    return json(request,
                QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}},
                status);
}

// The body as a JSON object, or the error response to send instead.
std::variant<QJsonObject, QHttpServerResponse> readBody(const QHttpServerRequest &request)
{
    if (request.body().size() > PdpEndpoints::maxBodyBytes) {
        return failure(
            request, HttpStatus::PayloadTooLarge, QStringLiteral("too_large"),
            QStringLiteral("request body over %1 bytes").arg(PdpEndpoints::maxBodyBytes));
    }
    auto body = parseStrictJsonObject(request.body(), QStringLiteral("request body"));
    if (!body) {
        return failure(request, HttpStatus::BadRequest, QStringLiteral("malformed_request"),
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
    , m_publicUrl(std::move(publicUrl))
{
}

void PdpEndpoints::setPublicUrl(QUrl publicUrl)
{
    m_publicUrl = std::move(publicUrl);
}

void PdpEndpoints::addRoutes(QHttpServer &server)
{
    server.route(evaluationPath, QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request) { return evaluation(request); });
    server.route(evaluationsPath, QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request) { return evaluations(request); });
    server.route(configurationPath, QHttpServerRequest::Method::Get,
                 [this](const QHttpServerRequest &request) { return configuration(request); });
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
        {QStringLiteral("supported_obligations"),
         QJsonArray{QLatin1StringView(AccessDecision::stepUpObligationType)}},
    };
}

QHttpServerResponse PdpEndpoints::configuration(const QHttpServerRequest &request) const
{
    return json(request, discoveryDocument());
}

QHttpServerResponse PdpEndpoints::evaluation(const QHttpServerRequest &request) const
{
    auto body = readBody(request);
    if (auto *refusal = std::get_if<QHttpServerResponse>(&body))
        return std::move(*refusal);
    const auto access = AccessRequest::fromJson(std::get<QJsonObject>(body));
    if (!access) {
        return failure(request, HttpStatus::BadRequest, QStringLiteral("malformed_request"),
                       access.error().message);
    }
    return json(request, m_pdp.evaluate(access.value()).toAuthzenJson());
}

QHttpServerResponse PdpEndpoints::evaluations(const QHttpServerRequest &request) const
{
    auto body = readBody(request);
    if (auto *refusal = std::get_if<QHttpServerResponse>(&body))
        return std::move(*refusal);
    const auto batch = AccessEvaluationsRequest::fromJson(std::get<QJsonObject>(body));
    if (!batch) {
        return failure(request, HttpStatus::BadRequest, QStringLiteral("malformed_request"),
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
