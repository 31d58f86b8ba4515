#pragma once

#include "gateway/mcp/upstream.h"

#include <functional>

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace countersign::gateway {

// One tools/call as the proxy understood it: who asks (the authenticated
// agent and its user), which upstream tool, with which arguments, and how
// the client wants to hear about progress.
struct ToolCall {
    QJsonValue rpcId; // the client's JSON-RPC id
    QString sessionId;
    QString userId;
    QString agentName;
    Upstream *upstream = nullptr;
    QString tool; // without the upstream prefix
    QJsonObject arguments;
    QJsonValue progressToken; // params._meta.progressToken; undefined when not asked
    QString agentReason;      // params._meta["io.github.countersign/reason"]; unverified
    QJsonObject clientInfo;   // what the client said it is at initialize; unverified
    QString protocolVersion;  // negotiated for the session
    bool elicitation = false; // initialize era: elicitation/create may go on the stream

    // MCP 2026-07-28 (no session): a step-up answers with input_required
    // (a multi round-trip request) and the client retries the same call.
    bool modern = false;
    bool formElicitation = false; // this request declared elicitation form mode
    bool urlElicitation = false;  // ... and URL mode
    QJsonValue requestState;      // params.requestState of a retry; undefined otherwise
    QJsonValue inputResponses;    // params.inputResponses of a retry; undefined otherwise

    // "directory/disable_user": the AuthZEN resource id and the approval's resource.
    QString resourceId() const;
};

// Where the client may put why it makes a call (shown to the person as
// unverified agent text).
inline constexpr auto agentReasonMetaKey = "io.github.countersign/reason";
// Where the gateway says what happened to an approval in a tool result.
inline constexpr auto approvalMetaKey = "io.github.countersign/approval";

// What the upstream says about a call while it runs, already in the client's
// terms (its own progressToken): for the client's response stream.
using ToolCallRelay = std::function<void(const QJsonObject &notification)>;

// Sends the call upstream (with the elevated token when given) and turns the
// upstream's answer into the JSON-RPC response for the client. Only name and
// arguments go upstream: they are what the policy and the person saw, plus,
// with a `relay`, a progressToken of the gateway's own when the client asked
// for progress. The upstream's notifications/progress for that token (with
// the client's token put back) and its notifications/message about the call
// go to `relay`; nothing else does. The gateway's token, unique in this
// process, keeps one client's progress from reaching another when clients
// pick the same token on one shared upstream session.
void forwardToolCall(const ToolCall &call, const QByteArray &elevatedToken,
                     std::function<void(const QJsonObject &response)> done,
                     ToolCallRelay relay = {});

// A tools/call result with isError set: how MCP reports a tool that could not
// do its job, so the model sees the text. `outcome` goes into _meta for
// programs ("denied", "expired", "cancelled", ...).
// `details` adds members to that _meta object (binding_code, expires_at,
// until, ...: docs/gateway.md, "What the agent sees").
QJsonObject toolErrorResult(const QJsonValue &rpcId, const QString &text, const QString &outcome,
                            const QString &approvalId, const QJsonObject &details = {});

} // namespace countersign::gateway
