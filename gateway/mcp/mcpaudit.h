#pragma once

#include "gateway/mcp/toolcall.h"
#include "gateway/pdp/accessdecision.h"
#include "gateway/store/store.h"
#include "protocol/clock.h"

namespace countersign::gateway {

// Writes what the proxy decided and what came of it to the gateway's
// append-only audit log: subject, action, resource, decision, approval id,
// outcome. A failed audit write is logged, never hidden.
class McpAudit {
public:
    McpAudit(Store &store, const Clock &clock);

    // "mcp.step_up": the policy asked for a person; approvalId is the
    // approval raised or attached to (empty when none could be raised).
    void steppedUp(const ToolCall &call, const AccessDecision &decision, const QString &approvalId);
    // "mcp.call": how a call ended, with the decision that led there.
    // Outcomes: completed, upstream_error, denied_by_policy, denied, expired,
    // cancelled, superseded, failed, delivered_again, input_required (told
    // the code and to call again); `detail` says more for people. One
    // write per allowed call keeps the synchronous audit cheap.
    void finished(const ToolCall &call, const AccessDecision &decision, const QString &outcome,
                  const QString &approvalId = {}, const QString &detail = {});

private:
    void append(const QString &kind, const ToolCall &call, const QString &approvalId,
                QJsonObject details);

    Store &m_store;
    const Clock &m_clock;
};

} // namespace countersign::gateway
