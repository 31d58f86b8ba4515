#include "approvaloutcome.h"

namespace countersign {

QString approvalOutcomeName(ApprovalOutcome outcome)
{
    switch (outcome) {
    case ApprovalOutcome::Approved:
        return QStringLiteral("approved");
    case ApprovalOutcome::Denied:
        return QStringLiteral("denied");
    case ApprovalOutcome::Expired:
        return QStringLiteral("expired");
    case ApprovalOutcome::Cancelled:
        return QStringLiteral("cancelled");
    case ApprovalOutcome::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

std::optional<ApprovalOutcome> approvalOutcomeFromWire(QStringView name)
{
    if (name == u"approved")
        return ApprovalOutcome::Approved;
    if (name == u"denied")
        return ApprovalOutcome::Denied;
    if (name == u"expired")
        return ApprovalOutcome::Expired;
    if (name == u"cancelled")
        return ApprovalOutcome::Cancelled;
    return std::nullopt;
}

} // namespace countersign
