// Decisions per second of the embedded AuthZEN PDP (gateway/pdp), in
// process: what the MCP proxy pays per tools/call before forwarding it, and
// what POST /access/v1/evaluation costs without the HTTP around it. The
// figures over HTTP come from bench_mcp_proxy (bench/load/).

#include "gateway/config/gatewayconfig.h"
#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/entitydirectory.h"
#include "gateway/pdp/evaluationfastpath.h"
#include "gateway/pdp/pdpendpoints.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/strictjson.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

#include <benchmark/benchmark.h>

using namespace countersign;
using namespace countersign::gateway;

namespace {

// The three inputs: against the demo policy, get_user is allowed by its
// second rule, disable_user needs a step-up (third rule) and delete_user is
// denied by the last, catch-all rule.
enum class Input { Allow, StepUp, Deny };

QString toolFor(Input input)
{
    switch (input) {
    case Input::Allow:
        return QStringLiteral("get_user");
    case Input::StepUp:
        return QStringLiteral("disable_user");
    case Input::Deny:
        break;
    }
    return QStringLiteral("delete_user");
}

// The request the MCP proxy builds for a tools/call (McpProxy::callTool):
// subject with the agent, the tool, the resource with the call's arguments,
// and the session context. The policy never reads the context, but it is
// part of what the request carries around.
AccessRequest proxyRequest(Input input)
{
    const QString tool = toolFor(input);
    AccessRequest request;
    request.subject =
        AuthzenEntity{QStringLiteral("user"), QStringLiteral("alice@example.com"),
                      QJsonObject{{QStringLiteral("agent"), QStringLiteral("claude-code")}}};
    request.action = AuthzenAction{tool, {}};
    request.resource =
        AuthzenEntity{QStringLiteral("tool"), QStringLiteral("directory/") + tool,
                      QJsonObject{{QStringLiteral("arguments"),
                                   QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}}}}};
    request.context = QJsonObject{
        {QStringLiteral("session_id"), QStringLiteral("0f1e2d3c4b5a69788796a5b4c3d2e1f0")},
        {QStringLiteral("client"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("claude-code")},
                     {QStringLiteral("version"), QStringLiteral("1.0")}}},
        {QStringLiteral("time"), QStringLiteral("2026-11-28T12:00:00Z")},
    };
    return request;
}

[[noreturn]] void fatal(const QString &message)
{
    std::fprintf(stderr, "bench_pdp: %s\n", qPrintable(message));
    std::abort();
}

const Policy &demoPolicy()
{
    static const Policy policy = [] {
        auto loaded = Policy::load(QStringLiteral(COUNTERSIGN_DEMO_POLICY));
        if (!loaded)
            fatal(loaded.error().message);
        return std::move(loaded).value();
    }();
    return policy;
}

// A policy of `size` rules in which only the last two can match the inputs:
// step-up for disable_user, then allow for get_user; delete_user matches no
// rule and is denied by default after every rule was tried. The filler rules
// fail at different conditions (the action, the resource, a subject property
// or an argument), so each costs what a real non-matching rule costs, not
// just one string compare.
QByteArray generatedPolicyYaml(int size)
{
    QByteArray yaml = "rules:\n";
    for (int i = 0; i < size - 2; ++i) {
        const QByteArray n = QByteArray::number(i);
        yaml += "  - name: filler-" + n + "\n    match:\n";
        switch (i % 4) {
        case 0: // fails at the action
            yaml += "      action: \"tool" + n + "_*\"\n";
            break;
        case 1: // the action matches; fails at the resource
            yaml += "      action: \"*_user\"\n      resource_id: \"service" + n + "/*\"\n";
            break;
        case 2: // action and resource match; fails at the agent
            yaml += "      action: \"*\"\n      resource_id: \"directory/*\"\n"
                    "      subject:\n        agent: \"bot-"
                + n + "-*\"\n";
            break;
        default: // everything but the argument matches
            yaml += "      subject_id: \"*@example.com\"\n      arguments:\n        user: \"u" + n
                + "-?*\"\n";
            break;
        }
        yaml += i % 2 == 0 ? "    effect: deny\n" : "    effect: allow\n";
    }
    yaml += "  - name: step-up-at-end\n    match:\n      action: \"disable_*\"\n"
            "      resource_id: \"directory/*\"\n    effect: step_up\n"
            "    methods: [passkey, totp]\n    timeout: 120s\n"
            "    reason: Disabling a user account needs your approval.\n"
            "  - name: allow-at-end\n    match:\n      action: \"get_*\"\n"
            "      resource_type: tool\n      resource_id: \"directory/*\"\n"
            "      subject_id: \"*@example.com\"\n      subject:\n        agent: \"claude-*\"\n"
            "      arguments:\n        user: \"?*\"\n    effect: allow\n";
    return yaml;
}

const Policy &generatedPolicy(int size)
{
    static std::map<int, Policy> policies;
    auto found = policies.find(size);
    if (found == policies.end()) {
        auto parsed = Policy::parse(generatedPolicyYaml(size), QStringLiteral("generated.yaml"));
        if (!parsed)
            fatal(parsed.error().message);
        found = policies.emplace(size, std::move(parsed).value()).first;
    }
    return found->second;
}

// Fails the run loudly when the policy does not decide the input as
// expected: a benchmark of the wrong path is worse than none.
void expectEffect(const AccessDecision &decision, Input input)
{
    const bool right = (input == Input::Allow && decision.isAllow())
        || (input == Input::StepUp && decision.isStepUp())
        || (input == Input::Deny && decision.isDeny());
    if (!right)
        fatal(QStringLiteral("unexpected decision for %1: rule \"%2\"")
                  .arg(toolFor(input), decision.ruleName));
}

void runEvaluate(benchmark::State &state, const Policy &policy, Input input)
{
    const PolicyDecisionPoint pdp(policy);
    const AccessRequest request = proxyRequest(input);
    expectEffect(pdp.evaluate(request), input);
    for (auto _ : state) {
        AccessDecision decision = pdp.evaluate(request);
        benchmark::DoNotOptimize(decision);
    }
    state.SetItemsProcessed(state.iterations());
}

// PolicyDecisionPoint::evaluate with the demo policy (five rules).
void BM_PdpDemoPolicy(benchmark::State &state, Input input)
{
    runEvaluate(state, demoPolicy(), input);
}
BENCHMARK_CAPTURE(BM_PdpDemoPolicy, allow, Input::Allow);
BENCHMARK_CAPTURE(BM_PdpDemoPolicy, step_up, Input::StepUp);
BENCHMARK_CAPTURE(BM_PdpDemoPolicy, deny, Input::Deny);

// The same with a generated policy of range(0) rules whose match is at the
// end (deny: no rule matches, all are tried).
void BM_PdpGeneratedPolicy(benchmark::State &state, Input input)
{
    runEvaluate(state, generatedPolicy(static_cast<int>(state.range(0))), input);
}
BENCHMARK_CAPTURE(BM_PdpGeneratedPolicy, allow, Input::Allow)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK_CAPTURE(BM_PdpGeneratedPolicy, step_up, Input::StepUp)->Arg(100);
BENCHMARK_CAPTURE(BM_PdpGeneratedPolicy, deny, Input::Deny)->Arg(10)->Arg(100)->Arg(1000);

// when: conditions. The directory the condition benchmarks read: the
// proxy request's subject with roles and an email.
std::shared_ptr<const EntityDirectory> benchDirectory()
{
    auto directory = std::make_shared<EntityDirectory>();
    directory->addSubject(
        {QStringLiteral("user"), QStringLiteral("alice@example.com"),
         QJsonObject{{QStringLiteral("email"), QStringLiteral("alice@example.com")},
                     {QStringLiteral("roles"), QJsonArray{QStringLiteral("editor")}}}});
    return directory;
}

// A policy like the generated one, but every filler rule fails at a when:
// condition instead of a match: key: half compare an argument with a string,
// half look for a role in the subject's directory record (one lookup per
// request, then a list search per rule).
QByteArray generatedConditionPolicyYaml(int size)
{
    QByteArray yaml = "rules:\n";
    for (int i = 0; i < size - 2; ++i) {
        const QByteArray n = QByteArray::number(i);
        yaml += "  - name: filler-" + n + "\n    when:\n";
        if (i % 2 == 0)
            yaml += "      - resource.properties.arguments.user == \"u" + n + "\"\n";
        else
            yaml += "      - subject.attributes.roles contains \"role" + n + "\"\n";
        yaml += i % 2 == 0 ? "    effect: deny\n" : "    effect: allow\n";
    }
    yaml += "  - name: step-up-at-end\n    match:\n      action: \"disable_*\"\n"
            "    when:\n      - subject.attributes.roles contains \"editor\"\n"
            "    effect: step_up\n"
            "  - name: allow-at-end\n    match:\n      action: \"get_*\"\n"
            "    when:\n      - resource.properties.arguments.user != subject.id\n"
            "      - subject.attributes.email matches \"*@example.com\"\n"
            "    effect: allow\n";
    return yaml;
}

void runEvaluateWithDirectory(benchmark::State &state, const Policy &policy, Input input)
{
    PolicyDecisionPoint pdp(policy);
    pdp.setDirectory(benchDirectory());
    const AccessRequest request = proxyRequest(input);
    expectEffect(pdp.evaluate(request), input);
    for (auto _ : state) {
        AccessDecision decision = pdp.evaluate(request);
        benchmark::DoNotOptimize(decision);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_PdpGeneratedConditionPolicy(benchmark::State &state, Input input)
{
    static std::map<int, Policy> policies;
    const int size = static_cast<int>(state.range(0));
    auto found = policies.find(size);
    if (found == policies.end()) {
        auto parsed = Policy::parse(generatedConditionPolicyYaml(size),
                                    QStringLiteral("generated-conditions.yaml"));
        if (!parsed)
            fatal(parsed.error().message);
        found = policies.emplace(size, std::move(parsed).value()).first;
    }
    runEvaluateWithDirectory(state, found->second, input);
}
BENCHMARK_CAPTURE(BM_PdpGeneratedConditionPolicy, allow, Input::Allow)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000);
BENCHMARK_CAPTURE(BM_PdpGeneratedConditionPolicy, deny, Input::Deny)->Arg(10)->Arg(100)->Arg(1000);

// The AuthZEN Todo scenario as a user writes it (examples/policies/todo:
// roles and email from gateway.yaml users:), on the working group's own
// requests. own: Morty completes his own todo (third rule: three conditions,
// one directory lookup, attribute against attribute). other: Beth (a
// viewer) tries the same and every rule is tried before the default deny.
void BM_PdpTodoScenario(benchmark::State &state, bool own)
{
    const QString path = QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES "/todo/gateway.yaml");
    auto config = GatewayConfig::load(path);
    if (!config)
        fatal(config.error().message);
    const auto section = config->reserved.value(QStringLiteral("policy"));
    auto policy = Policy::fromConfigSection(section.yaml, section.line, config->sourcePath);
    if (!policy)
        fatal(policy.error().message);
    PolicyDecisionPoint pdp(policy.value());
    pdp.setDirectory(
        std::make_shared<const EntityDirectory>(entityDirectoryFromConfig(config.value())));
    AccessRequest request;
    request.subject = {
        QStringLiteral("user"),
        own ? QStringLiteral("CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs")
            : QStringLiteral("CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"),
        {}};
    request.action = {QStringLiteral("can_update_todo"), {}};
    request.resource = {QStringLiteral("todo"),
                        QStringLiteral("7240d0db-8ff0-41ec-98b2-34a096273b91"),
                        QJsonObject{{QStringLiteral("ownerID"),
                                     own ? QStringLiteral("morty@the-citadel.com")
                                         : QStringLiteral("beth@the-smiths.com")}}};
    if (pdp.evaluate(request).isAllow() != own)
        fatal(QStringLiteral("the Todo policy decided the benchmark request unexpectedly"));
    for (auto _ : state) {
        AccessDecision decision = pdp.evaluate(request);
        benchmark::DoNotOptimize(decision);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_PdpTodoScenario, own_allow, true);
BENCHMARK_CAPTURE(BM_PdpTodoScenario, viewer_deny, false);

// What POST /access/v1/evaluation does per request apart from HTTP and
// authentication (PdpEndpoints): strict JSON parse, AuthZEN request
// validation, evaluation, the response object and its serialisation.
void BM_PdpEvaluationBody(benchmark::State &state, Input input)
{
    const PolicyDecisionPoint pdp(demoPolicy());
    const QByteArray body =
        QJsonDocument(proxyRequest(input).toJson()).toJson(QJsonDocument::Compact);
    for (auto _ : state) {
        auto object = parseStrictJsonObject(body, QStringLiteral("request body"));
        auto request = AccessRequest::fromJson(object.value());
        const AccessDecision decision = pdp.evaluate(request.value());
        QByteArray response =
            QJsonDocument(decision.toAuthzenJson()).toJson(QJsonDocument::Compact);
        benchmark::DoNotOptimize(response);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK_CAPTURE(BM_PdpEvaluationBody, allow, Input::Allow);
BENCHMARK_CAPTURE(BM_PdpEvaluationBody, step_up, Input::StepUp);
BENCHMARK_CAPTURE(BM_PdpEvaluationBody, deny, Input::Deny);

QByteArray requestBody(Input input)
{
    return QJsonDocument(proxyRequest(input).toJson()).toJson(QJsonDocument::Compact);
}

// The same request on the fast path POST /access/v1/evaluation takes
// (EvaluationFastPath: Boost.JSON, matching on the parsed text, the rule's
// response serialised at load).
void runFastPath(benchmark::State &state, const Policy &policy, Input input)
{
    const PolicyDecisionPoint pdp(policy);
    const EvaluationFastPath fastPath(pdp);
    const QByteArray body = requestBody(input);
    const auto first = fastPath.evaluate(body);
    if (!first)
        fatal(QStringLiteral("the fast path stepped aside for %1").arg(toolFor(input)));
    expectEffect(AccessDecision::fromAuthzenResponse(*first), input);
    for (auto _ : state) {
        auto response = fastPath.evaluate(body);
        benchmark::DoNotOptimize(response);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * body.size());
}

void BM_PdpFastPath(benchmark::State &state, Input input)
{
    runFastPath(state, demoPolicy(), input);
}
BENCHMARK_CAPTURE(BM_PdpFastPath, allow, Input::Allow);
BENCHMARK_CAPTURE(BM_PdpFastPath, step_up, Input::StepUp);
BENCHMARK_CAPTURE(BM_PdpFastPath, deny, Input::Deny);

// The fast path with a generated policy: range(0) rules tried on UTF-8 text.
void BM_PdpFastPathGeneratedPolicy(benchmark::State &state, Input input)
{
    runFastPath(state, generatedPolicy(static_cast<int>(state.range(0))), input);
}
BENCHMARK_CAPTURE(BM_PdpFastPathGeneratedPolicy, deny, Input::Deny)->Arg(10)->Arg(100)->Arg(1000);

// Everything PdpEndpoints::evaluation does once the edge has the request:
// the fast path plus the HttpResponse with its headers.
void BM_PdpEndpointEvaluation(benchmark::State &state, Input input)
{
    const PolicyDecisionPoint pdp(demoPolicy());
    const PdpEndpoints endpoints(pdp, QUrl(QStringLiteral("http://127.0.0.1:8080")));
    HttpRequest request;
    request.body = requestBody(input);
    request.headers.append(
        {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    for (auto _ : state) {
        HttpResponse response = endpoints.evaluation(request);
        benchmark::DoNotOptimize(response);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_PdpEndpointEvaluation, allow, Input::Allow);
BENCHMARK_CAPTURE(BM_PdpEndpointEvaluation, step_up, Input::StepUp);
BENCHMARK_CAPTURE(BM_PdpEndpointEvaluation, deny, Input::Deny);

} // namespace
