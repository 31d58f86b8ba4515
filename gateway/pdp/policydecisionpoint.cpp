#include "policydecisionpoint.h"

#include "gateway/pdp/authzenmodel.h"

namespace countersign::gateway {

PolicyDecisionPoint::PolicyDecisionPoint(Policy policy)
    : m_policy(std::move(policy))
{
}

AccessDecision PolicyDecisionPoint::evaluate(const AccessRequest &request) const
{
    const PolicyRule *rule = m_policy.firstMatch(request);
    if (!rule)
        return AccessDecision::deny(QStringLiteral("no policy rule allows this call"));
    switch (rule->effect) {
    case PolicyRule::Effect::Allow:
        return AccessDecision::allow(rule->name);
    case PolicyRule::Effect::StepUp:
        return AccessDecision::stepUp(rule->methods, rule->timeout, rule->reason, rule->name,
                                      rule->userVerificationRequired);
    case PolicyRule::Effect::Deny:
        break;
    }
    return AccessDecision::deny(rule->reason.isEmpty()
                                    ? QStringLiteral("denied by policy rule %1").arg(rule->name)
                                    : rule->reason,
                                rule->name);
}

void PolicyDecisionPoint::setPolicy(Policy policy)
{
    m_policy = std::move(policy);
}

const Policy &PolicyDecisionPoint::policy() const
{
    return m_policy;
}

} // namespace countersign::gateway
