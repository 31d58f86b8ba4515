#include "store.h"

namespace countersign::gateway {

// These names are what the approvals table stores, so they must never change
// once released; a new state gets a new name and a migration.
QString approvalStateName(ApprovalState state)
{
    switch (state) {
    case ApprovalState::Pending:
        return QStringLiteral("pending");
    case ApprovalState::Approved:
        return QStringLiteral("approved");
    case ApprovalState::Denied:
        return QStringLiteral("denied");
    case ApprovalState::Expired:
        return QStringLiteral("expired");
    case ApprovalState::Cancelled:
        return QStringLiteral("cancelled");
    }
    return {};
}

std::optional<ApprovalState> approvalStateFromName(QStringView name)
{
    if (name == u"pending")
        return ApprovalState::Pending;
    if (name == u"approved")
        return ApprovalState::Approved;
    if (name == u"denied")
        return ApprovalState::Denied;
    if (name == u"expired")
        return ApprovalState::Expired;
    if (name == u"cancelled")
        return ApprovalState::Cancelled;
    return std::nullopt;
}

QString approvalOriginName(ApprovalOrigin origin)
{
    switch (origin) {
    case ApprovalOrigin::AdminApi:
        return QStringLiteral("admin");
    case ApprovalOrigin::McpProxy:
        return QStringLiteral("mcp");
    case ApprovalOrigin::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

std::optional<ApprovalOrigin> approvalOriginFromName(QStringView name)
{
    if (name == u"admin")
        return ApprovalOrigin::AdminApi;
    if (name == u"mcp")
        return ApprovalOrigin::McpProxy;
    if (name == u"unknown")
        return ApprovalOrigin::Unknown;
    return std::nullopt;
}

} // namespace countersign::gateway
