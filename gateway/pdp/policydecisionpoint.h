#pragma once

#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/policy.h"

namespace countersign::gateway {

struct AccessRequest;

// The embedded PDP: evaluates access requests against a Policy. First match
// wins; no match is a deny. Pure and synchronous, so the MCP proxy can call
// it inline and tests need no event loop.
class PolicyDecisionPoint {
public:
    PolicyDecisionPoint() = default; // empty policy: denies everything
    explicit PolicyDecisionPoint(Policy policy);

    AccessDecision evaluate(const AccessRequest &request) const;

    // Swaps in a new policy (e.g. after a reload); later calls use it.
    void setPolicy(Policy policy);
    const Policy &policy() const;

private:
    Policy m_policy;
};

} // namespace countersign::gateway
