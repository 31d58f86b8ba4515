#pragma once

#include "protocol/messages/approvalmethod.h"

#include <chrono>
#include <optional>

#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign::gateway {

// What a policy decision point answered for one access request: allow, deny,
// or "allowed once a person approves" (step-up). Named AccessDecision
// because countersign::Decision is the companion's approve/deny.
//
// On the wire (AuthZEN evaluation response, context per the Obligations
// Profile draft, STANDARDS.md 2.5):
//   allow    {"decision": true}
//   deny     {"decision": false, "context": {"reason": "policy_denied",
//             "reason_user": {"403": "<rule reason>"},
//             "reason_admin": {"403": "<which rule>"}}}
//   step-up  {"decision": false, "context": {
//               "obligations": [{"id": "<rule>-step-up", "type": "step-up",
//                 "properties": {"acr_value": "urn:countersign:acr:approval",
//                                "amr_values": ["hwk", "otp"]}}],
//               "reason": "approval_required",
//               "reason_user": {"403": "<rule reason>"},      (when given)
//               "countersign": {"methods": ["passkey", "totp"],
//                               "timeout": 120,             (when given)
//                               "user_verification": "required"}}}
//                                                           (when required)
struct AccessDecision {
    enum class Effect {
        Allow,
        Deny,
        StepUp,
    };

    static constexpr auto stepUpAcr = "urn:countersign:acr:approval";
    static constexpr auto stepUpObligationType = "step-up";
    static constexpr auto minStepUpTimeout = std::chrono::seconds(10);
    static constexpr auto maxStepUpTimeout = std::chrono::seconds(3600);

    Effect effect = Effect::Deny;
    // For people and logs: the rule's `reason`, or why the answer is deny
    // (default deny, PDP unreachable, malformed response). May be empty for
    // allow.
    QString reason;
    // The rule that decided; empty for the default deny and for answers
    // from an external PDP that did not name one.
    QString ruleName;
    // StepUp only: the methods a person may use, never empty.
    QList<ApprovalMethod> methods;
    // StepUp only: how long to wait for the person; nullopt means the
    // gateway's approvals.timeout.
    std::optional<std::chrono::seconds> timeout;
    // StepUp only: a passkey approval must carry user verification (UV).
    bool userVerificationRequired = false;

    static AccessDecision allow(QString ruleName = {});
    static AccessDecision deny(QString reason, QString ruleName = {});
    static AccessDecision stepUp(QList<ApprovalMethod> methods,
                                 std::optional<std::chrono::seconds> timeout, QString reason,
                                 QString ruleName, bool userVerificationRequired = false);

    bool isAllow() const { return effect == Effect::Allow; }
    bool isDeny() const { return effect == Effect::Deny; }
    bool isStepUp() const { return effect == Effect::StepUp; }

    // The AuthZEN evaluation response for this decision (shape above).
    QJsonObject toAuthzenJson() const;
    // Reads an evaluation response, e.g. from an external PDP, failing
    // closed: anything malformed, an obligation that is not a step-up we
    // can fulfil (unknown type, other acr_value, no usable method), or a
    // timeout out of range reads as deny with the reason saying why.
    // decision true with a step-up obligation reads as step-up: the
    // obligation is a condition of the permit, so it must be met first.
    static AccessDecision fromAuthzenJson(const QJsonObject &response);
    static AccessDecision fromAuthzenResponse(QByteArrayView body);

    friend bool operator==(const AccessDecision &, const AccessDecision &) = default;
};

// AMR values (RFC 8176) for the approval methods: passkey -> "hwk" (a
// hardware-protected key), totp -> "otp".
QString amrValue(ApprovalMethod method);
std::optional<ApprovalMethod> methodFromAmr(QStringView amr);

} // namespace countersign::gateway
