#pragma once

#include <optional>

#include <QByteArray>
#include <QByteArrayView>

namespace countersign::gateway {

class PolicyDecisionPoint;

// The hot path of POST /access/v1/evaluation and /evaluations: the request body read with
// Boost.JSON, checked as AccessRequest::fromJson checks it, matched against
// the policy on the parsed text (no AccessRequest, no QString) and answered
// with the rule's response serialised once when the policy was loaded
// (PolicyDecisionPoint::authzenResponse).
//
// It answers only what it can answer exactly as the reference path
// (parseStrictJsonObject, AccessRequest::fromJson, PolicyDecisionPoint::
// evaluate, AccessDecision::toAuthzenJson) would: every request that path
// refuses, and every one this path is not sure of (a number, array or object
// a rule compares, a number too large for a double, JSON that Boost.JSON
// refuses but Qt might read, such as a byte-order mark), returns nullopt and
// the caller asks the reference path, which gives the error or the decision.
// So errors stay word for word what they were, and a difference between the
// two parsers can only send a request the slow way, never change an answer
// (tests/gateway/pdp/test_pdp_fastpath.cpp holds the two side by side).
//
// Thread-safe: const, no shared mutable state; the policy must not change
// while a call runs.
class EvaluationFastPath {
public:
    explicit EvaluationFastPath(const PolicyDecisionPoint &pdp);

    // The response body for a single evaluation request, or nullopt: ask
    // the reference path.
    std::optional<QByteArray> evaluate(QByteArrayView body) const;
    // The same for POST /access/v1/evaluations (a batch; without items, a
    // single evaluation in the single response shape).
    std::optional<QByteArray> evaluateBatch(QByteArrayView body) const;

private:
    const PolicyDecisionPoint &m_pdp;
};

} // namespace countersign::gateway
