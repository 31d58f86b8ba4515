#include "mcpaudit.h"

#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcMcp)

namespace countersign::gateway {

namespace {

QString effectName(const AccessDecision &decision)
{
    if (decision.isAllow())
        return QStringLiteral("allow");
    if (decision.isDeny())
        return QStringLiteral("deny");
    return QStringLiteral("step_up");
}

} // namespace

McpAudit::McpAudit(Store &store, const Clock &clock)
    : m_store(store)
    , m_clock(clock)
{
}

void McpAudit::steppedUp(const ToolCall &call, const AccessDecision &decision,
                         const QString &approvalId)
{
    QJsonObject details{{QStringLiteral("decision"), effectName(decision)}};
    if (!decision.ruleName.isEmpty())
        details.insert(QStringLiteral("rule"), decision.ruleName);
    // Already logged by append(); the step-up itself is stored by the
    // broker, which fails closed on its own.
    static_cast<void>(append(QStringLiteral("mcp.step_up"), call, approvalId, std::move(details)));
}

Status McpAudit::decided(const ToolCall &call, const AccessDecision &decision,
                         const QString &approvalId)
{
    QJsonObject details{{QStringLiteral("decision"), effectName(decision)}};
    if (!decision.ruleName.isEmpty())
        details.insert(QStringLiteral("rule"), decision.ruleName);
    // What was forwarded, not only which tool: the RFC 8785 hash of the
    // arguments (base64url), as in elevated tokens.
    if (const auto hash = argumentsHash(call.arguments); hash) {
        details.insert(QStringLiteral("arguments_hash"),
                       QString::fromLatin1(base64UrlEncode(hash.value())));
    }
    return append(QStringLiteral("mcp.decided"), call, approvalId, std::move(details));
}

bool McpAudit::finished(const ToolCall &call, const AccessDecision &decision,
                        const QString &outcome, const QString &approvalId, const QString &detail)
{
    QJsonObject details{{QStringLiteral("decision"), effectName(decision)},
                        {QStringLiteral("outcome"), outcome}};
    if (!decision.ruleName.isEmpty())
        details.insert(QStringLiteral("rule"), decision.ruleName);
    if (!detail.isEmpty())
        details.insert(QStringLiteral("detail"), detail.left(512));
    return append(QStringLiteral("mcp.call"), call, approvalId, std::move(details)).ok();
}

Status McpAudit::append(const QString &kind, const ToolCall &call, const QString &approvalId,
                        QJsonObject details)
{
    details.insert(QStringLiteral("agent"), call.agentName);
    details.insert(QStringLiteral("action"), call.tool);
    details.insert(QStringLiteral("resource"), call.resourceId());
    details.insert(QStringLiteral("session"), call.sessionId);
    AuditEvent event;
    event.at = m_clock.secondsSinceEpoch();
    event.kind = kind;
    event.userId = call.userId;
    event.requestId = approvalId;
    event.details = details;
    Status status = m_store.appendAudit(event);
    if (!status) {
        qCCritical(lcMcp).noquote()
            << "audit log write failed for" << kind << "of" << call.resourceId() << "by agent"
            << call.agentName << ":" << status.error().message;
    }
    return status;
}

} // namespace countersign::gateway
