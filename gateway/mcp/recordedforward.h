#pragma once

#include "gateway/mcp/mcpaudit.h"
#include "gateway/mcp/toolcall.h"
#include "gateway/pdp/accessdecision.h"
#include "protocol/result.h"

#include <functional>

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

namespace countersign::gateway {

// The one way a tools/call reaches its upstream: its "mcp.decided" record is
// written and DURABLE first (fail closed, and in order under group commit:
// the store's sync thread has synced the record before anything can run).
//
// `refused` is called instead of forwarding, with the error, when the record
// cannot be written (then from inside this call) or cannot be made durable
// (later); the upstream never sees the call. Otherwise the call is forwarded
// once the record is durable and `done` gets the JSON-RPC response for the
// client. Nothing is called when `context` is destroyed before the record
// is durable.
void forwardWhenRecorded(McpAudit &audit, QObject *context, const ToolCall &call,
                         const AccessDecision &decision, const QString &approvalId,
                         const QByteArray &elevatedToken,
                         std::function<void(const Error &error)> refused,
                         std::function<void(const QJsonObject &response)> done,
                         ToolCallRelay relay = {});

} // namespace countersign::gateway
