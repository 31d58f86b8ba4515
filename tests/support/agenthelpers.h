#pragma once

#include "examples/agent-cli/mcphttpclient.h"
#include "protocol/messages/approvalrequest.h"

#include <memory>
#include <optional>

#include <QJsonObject>
#include <QString>
#include <QUrl>

class QProcess;

namespace countersign::testing {

class TestCompanion;

// What the tests that play the agent share: an MCP client with its session
// open, a round trip through the gateway, the parts of a tool result they
// check, and the approval request the companion receives for a held call.

// An McpHttpClient on `endpoint` (…/mcp) that has initialized its session;
// null (with a warning) when initialize failed within 10 s.
std::unique_ptr<agent::McpHttpClient>
initializedMcpClient(const QUrl &endpoint, const QByteArray &agentKey,
                     const agent::McpHttpClient::Options &options = {});

// An MCP ping answered: what the client sent before it has reached the
// gateway and been read there.
bool mcpRoundTrip(agent::McpHttpClient &client);

// A tool result's first text content.
QString toolText(const QJsonObject &result);
// A tool result's approval outcome (_meta["io.github.countersign/approval"]).
QString approvalOutcome(const QJsonObject &result);

// The next approval.requested the companion receives, verified; nullopt when
// none arrives within `timeoutMs` or it does not verify.
std::optional<VerifiedApprovalRequest> nextApprovalRequest(TestCompanion &companion,
                                                           int timeoutMs = 10000);

// Waits for a program (the agent CLI) to end: its exit code, or -1 when it
// crashed or was still running after `timeoutMs` (then it is killed).
int finishProgram(QProcess &process, int timeoutMs = 30000);

} // namespace countersign::testing
