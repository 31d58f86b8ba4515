#include "policydecisionpoint.h"

#include "gateway/pdp/authzenmodel.h"

#include <algorithm>

#include <QJsonDocument>

namespace countersign::gateway {

namespace {

bool sameInUtf8(const QString &text)
{
    return QString::fromUtf8(text.toUtf8()) == text;
}

bool sameInUtf8(const PolicyRule &rule)
{
    const auto pattern = [](const std::optional<GlobPattern> &glob) {
        return !glob || sameInUtf8(glob->pattern());
    };
    const auto all = [](const QList<QPair<QString, GlobPattern>> &globs) {
        return std::all_of(globs.cbegin(), globs.cend(), [](const auto &entry) {
            return sameInUtf8(entry.first) && sameInUtf8(entry.second.pattern());
        });
    };
    return pattern(rule.action) && pattern(rule.resourceId) && pattern(rule.subjectId)
        && (!rule.resourceType || sameInUtf8(*rule.resourceType)) && all(rule.subjectProperties)
        && all(rule.arguments);
}

} // namespace

PolicyDecisionPoint::PolicyDecisionPoint()
{
    prepareResponses();
}

PolicyDecisionPoint::PolicyDecisionPoint(Policy policy)
    : m_policy(std::move(policy))
{
    prepareResponses();
}

void PolicyDecisionPoint::setDirectory(std::shared_ptr<const EntityDirectory> directory)
{
    m_directory = directory ? std::move(directory) : std::make_shared<EntityDirectory>();
}

void PolicyDecisionPoint::prepareResponses()
{
    const auto serialise = [this](const PolicyRule *rule) {
        return QJsonDocument(decisionFor(rule).toAuthzenJson()).toJson(QJsonDocument::Compact);
    };
    m_responses.clear();
    m_responses.reserve(static_cast<std::size_t>(m_policy.rules().size()));
    m_matchesOnUtf8 = true;
    for (const PolicyRule &rule : m_policy.rules()) {
        m_responses.push_back(serialise(&rule));
        m_matchesOnUtf8 = m_matchesOnUtf8 && sameInUtf8(rule);
    }
    m_defaultResponse = serialise(nullptr);
}

const QByteArray &PolicyDecisionPoint::authzenResponse(const PolicyRule *rule) const
{
    if (!rule)
        return m_defaultResponse;
    return m_responses[static_cast<std::size_t>(rule - m_policy.rules().constData())];
}

AccessDecision PolicyDecisionPoint::evaluate(const AccessRequest &request) const
{
    return decisionFor(m_policy.firstMatch(request, m_directory.get()));
}

AccessDecision PolicyDecisionPoint::decisionFor(const PolicyRule *rule) const
{
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
    prepareResponses();
}

const Policy &PolicyDecisionPoint::policy() const
{
    return m_policy;
}

} // namespace countersign::gateway
