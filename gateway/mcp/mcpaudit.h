#pragma once

#include "gateway/mcp/toolcall.h"
#include "gateway/pdp/accessdecision.h"
#include "gateway/store/store.h"
#include "protocol/clock.h"

namespace countersign::gateway {

// Writes what the proxy decided and what came of it to the gateway's
// append-only audit log: subject, action, resource, decision, approval id,
// outcome. A failed audit write is logged at critical level, never hidden,
// and the callers fail closed on it: a call whose "decided" record cannot be
// written is not forwarded (docs/gateway.md, "The audit log").
class McpAudit {
public:
    McpAudit(Store &store, const Clock &clock);

    // "mcp.step_up": the policy asked for a person; approvalId is the
    // approval raised or attached to (empty when none could be raised).
    void steppedUp(const ToolCall &call, const AccessDecision &decision, const QString &approvalId);
    // "mcp.decided": the call is about to be forwarded to its upstream
    // (allowed by policy, or approved). Written BEFORE forwarding; when it
    // fails the caller must not forward: nothing runs without its record.
    [[nodiscard]] Status decided(const ToolCall &call, const AccessDecision &decision,
                                 const QString &approvalId = {});
    // "mcp.call": how a call ended, with the decision that led there.
    // Outcomes: completed, upstream_error, denied_by_policy, denied, expired,
    // cancelled, superseded, failed, delivered_again, input_required (told
    // the code and to call again); `detail` says more for people. Returns
    // whether the record was written (a denial that could not be recorded
    // is still a denial, but the agent is told why).
    bool finished(const ToolCall &call, const AccessDecision &decision, const QString &outcome,
                  const QString &approvalId = {}, const QString &detail = {});

    // When the records written so far are durable (group commit).
    Durability &durability() { return m_store.durability(); }

private:
    Status append(const QString &kind, const ToolCall &call, const QString &approvalId,
                  QJsonObject details);

    Store &m_store;
    const Clock &m_clock;
};

} // namespace countersign::gateway
