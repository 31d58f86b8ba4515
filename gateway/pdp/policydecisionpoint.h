#pragma once

#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/entitydirectory.h"
#include "gateway/pdp/policy.h"

#include <memory>
#include <vector>

#include <QByteArray>

namespace countersign::gateway {

struct AccessRequest;

// The embedded PDP: evaluates access requests against a Policy. First match
// wins; no match is a deny. Pure and synchronous, so the MCP proxy can call
// it inline and tests need no event loop.
class PolicyDecisionPoint {
public:
    PolicyDecisionPoint(); // empty policy: denies everything
    explicit PolicyDecisionPoint(Policy policy);

    AccessDecision evaluate(const AccessRequest &request) const;
    // What evaluate() answers when `rule` matched first (nullptr: none did).
    AccessDecision decisionFor(const PolicyRule *rule) const;
    // The same as the AuthZEN response body (compact JSON of
    // decisionFor(rule).toAuthzenJson()), serialised once per policy: the
    // answer depends only on the rule, never on the request.
    const QByteArray &authzenResponse(const PolicyRule *rule) const;
    // True when every text in the rules reads the same in UTF-8 as in
    // UTF-16 (no lone surrogate), so rules can match UTF-8 request text
    // (EvaluationFastPath) with the same result as QString text.
    bool matchesOnUtf8() const { return m_matchesOnUtf8; }

    // Swaps in a new policy (e.g. after a reload); later calls use it.
    void setPolicy(Policy policy);
    const Policy &policy() const;

    // The policy information point: attributes of subjects and resources
    // looked up by type and id (never null; empty by default). Set once
    // before serving: the directory is read from several threads.
    void setDirectory(std::shared_ptr<const EntityDirectory> directory);
    const EntityDirectory &directory() const { return *m_directory; }

private:
    void prepareResponses();

    Policy m_policy;
    std::shared_ptr<const EntityDirectory> m_directory = std::make_shared<EntityDirectory>();
    std::vector<QByteArray> m_responses; // one per rule, in order
    QByteArray m_defaultResponse;        // no rule matched
    bool m_matchesOnUtf8 = true;
};

} // namespace countersign::gateway
