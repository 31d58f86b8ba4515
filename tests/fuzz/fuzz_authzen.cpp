// Any bytes as the body of the embedded PDP's AuthZEN endpoints (POST
// /access/v1/evaluation and /access/v1/evaluations, gateway/pdp) and as an
// external PDP's evaluation response. Properties:
//  - the endpoints answer 200 or 400, always with a JSON object: 400 is
//    {"error": "malformed_request", "message"}; 200 is one decision or an
//    "evaluations" array of at most maxEvaluations decisions, each with a
//    boolean "decision";
//  - an accepted request round-trips (fromJson(toJson()) is the same request
//    and gets the same decision);
//  - an external PDP's answer fails closed: nothing reads as allow unless
//    the body is a JSON object whose "decision" is true, and a decision
//    written back reads back as the same effect.
#include "gateway/edge/httpmessage.h"
#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/pdpendpoints.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

using namespace countersign;
using namespace countersign::gateway;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

// Every effect and every kind of condition, so decisions depend on the input.
const char *const policyYaml = R"(rules:
  - name: read
    match: {action: "get_*", resource_type: tool}
    effect: allow
  - name: own-user
    match:
      action: disable_user
      subject_id: "*@example.com"
      subject: {agent: "claude-*"}
      arguments: {user_id: "u-??"}
    effect: step_up
    methods: [passkey, totp]
    timeout: 55s
    user_verification: required
    reason: Disabling a user needs your approval.
  - name: totp-only
    match: {resource_id: "directory/*"}
    effect: step_up
    methods: [totp]
  - name: rest
    effect: deny
    reason: not allowed
)";

const PolicyDecisionPoint &pdp()
{
    static const PolicyDecisionPoint decider(
        Policy::parse(QByteArray(policyYaml), QStringLiteral("fuzz-policy.yaml")).value());
    return decider;
}

void checkDecisionJson(const QJsonObject &decision)
{
    require(decision.value(QStringLiteral("decision")).isBool());
}

void checkAnswer(const HttpResponse &response, bool batch)
{
    const QJsonDocument document = QJsonDocument::fromJson(response.body);
    require(document.isObject());
    const QJsonObject body = document.object();
    if (response.status == HttpStatus::badRequest) {
        require(body.value(QStringLiteral("error")).toString()
                == QLatin1String("malformed_request"));
        require(!body.value(QStringLiteral("message")).toString().isEmpty());
        return;
    }
    require(response.status == HttpStatus::ok);
    if (batch && body.contains(QStringLiteral("evaluations"))) {
        const QJsonArray items = body.value(QStringLiteral("evaluations")).toArray();
        require(!items.isEmpty() && items.size() <= AccessEvaluationsRequest::maxEvaluations);
        for (const QJsonValue &item : items)
            checkDecisionJson(item.toObject());
    } else {
        checkDecisionJson(body);
    }
}

void checkRequestRoundTrip(const QJsonObject &body)
{
    const auto request = AccessRequest::fromJson(body);
    if (!request) {
        require(!request.error().message.isEmpty());
        return;
    }
    const auto again = AccessRequest::fromJson(request->toJson());
    require(again.ok());
    require(again->toJson() == request->toJson());
    require(pdp().evaluate(again.value()) == pdp().evaluate(request.value()));
}

void checkExternalAnswer(QByteArrayView bytes)
{
    const AccessDecision decision = AccessDecision::fromAuthzenResponse(bytes);
    if (decision.isAllow()) {
        const QJsonDocument document = QJsonDocument::fromJson(bytes.toByteArray());
        require(document.isObject());
        require(document.object().value(QStringLiteral("decision")) == QJsonValue(true));
    }
    const AccessDecision reread = AccessDecision::fromAuthzenJson(decision.toAuthzenJson());
    require(reread.effect == decision.effect);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(data, static_cast<qsizetype>(size));
    static const PdpEndpoints endpoints(pdp(), QUrl(QStringLiteral("https://gateway.example")));

    HttpRequest request;
    request.method = HttpMethod::Post;
    request.headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
    request.body = bytes.toByteArray();
    checkAnswer(endpoints.evaluation(request), false);
    checkAnswer(endpoints.evaluations(request), true);

    const QJsonDocument document = QJsonDocument::fromJson(request.body);
    if (document.isObject())
        checkRequestRoundTrip(document.object());
    checkExternalAnswer(bytes);
    return 0;
}
