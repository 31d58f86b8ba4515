// Any bytes as the embedded PDP's policy: a policy file (Policy::parse) and
// the gateway configuration's inline `policy: {rules: [...]}` section
// (Policy::fromConfigSection). yaml-cpp throws; every exception must be
// caught and turned into a message. A policy that is accepted must hold what
// gateway/pdp/policy.h promises (at least one rule; unique names of 1..64
// of A-Z a-z 0-9 _ . -; reasons of at most 200 characters; step_up with at
// least one method and a timeout within the step-up bounds; no methods,
// timeout or user_verification on allow or deny), and deciding with it is
// deterministic and follows the first matching rule.
#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <QJsonObject>
#include <QSet>

using namespace countersign;
using namespace countersign::gateway;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

bool isRuleName(const QString &name)
{
    if (name.isEmpty() || name.size() > Policy::maxRuleNameLength)
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z')
            || (u >= u'0' && u <= u'9') || u == u'_' || u == u'.' || u == u'-';
        if (!ok)
            return false;
    }
    return true;
}

AccessRequest sampleRequest(const QString &action, const QString &resourceId,
                            const QString &subjectId, const QJsonObject &arguments)
{
    AccessRequest request;
    request.subject = {QStringLiteral("user"), subjectId,
                       QJsonObject{{QStringLiteral("agent"), QStringLiteral("claude-code")}}};
    request.action = {action, {}};
    request.resource = {QStringLiteral("tool"), resourceId,
                        QJsonObject{{QStringLiteral("arguments"), arguments}}};
    return request;
}

void checkPolicy(const Policy &policy)
{
    require(!policy.rules().isEmpty());
    QSet<QString> names;
    for (const PolicyRule &rule : policy.rules()) {
        require(isRuleName(rule.name));
        require(!names.contains(rule.name));
        names.insert(rule.name);
        require(rule.line >= 1);
        require(rule.reason.size() <= Policy::maxReasonLength);
        if (rule.effect == PolicyRule::Effect::StepUp) {
            require(!rule.methods.isEmpty());
            if (rule.timeout) {
                require(rule.timeout.value() >= AccessDecision::minStepUpTimeout);
                require(rule.timeout.value() <= AccessDecision::maxStepUpTimeout);
            }
        } else {
            require(rule.methods.isEmpty() && !rule.timeout && !rule.userVerificationRequired);
        }
    }

    const PolicyDecisionPoint pdp(policy);
    const QJsonObject arguments{{QStringLiteral("user_id"), QStringLiteral("u-42")},
                                {QStringLiteral("count"), 5},
                                {QStringLiteral("force"), true}};
    for (const AccessRequest &request :
         {sampleRequest(QStringLiteral("get_user"), QStringLiteral("directory/get_user"),
                        QStringLiteral("alice@example.com"), arguments),
          sampleRequest(QStringLiteral("disable_user"), QStringLiteral("directory/disable_user"),
                        QStringLiteral("bob@example.org"), arguments),
          sampleRequest(QString(), QString(), QString(), {})}) {
        const AccessDecision decision = pdp.evaluate(request);
        require(decision == pdp.evaluate(request));
        const PolicyRule *rule = policy.firstMatch(request);
        if (!rule) {
            require(decision.isDeny());
            continue;
        }
        require(rule->matches(request));
        switch (rule->effect) {
        case PolicyRule::Effect::Allow:
            require(decision.isAllow());
            break;
        case PolicyRule::Effect::Deny:
            require(decision.isDeny());
            break;
        case PolicyRule::Effect::StepUp:
            require(decision.isStepUp());
            break;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const auto policy = Policy::parse(input, QStringLiteral("/fuzz/policy.yaml"));
    if (policy)
        checkPolicy(policy.value());
    else
        require(!policy.error().message.isEmpty());

    // The inline section. A `file:` key would make it read a file from the
    // disk, which is not what is fuzzed here (and not reproducible).
    if (input.contains("file"))
        return 0;
    const auto section =
        Policy::fromConfigSection(input, 7, QStringLiteral("/nonexistent/fuzz/gateway.yaml"));
    if (section)
        checkPolicy(section.value());
    else
        require(!section.error().message.isEmpty());
    return 0;
}
