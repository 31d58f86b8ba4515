#pragma once

#include <optional>

#include <QString>
#include <QStringView>

namespace countersign {

// How a pending approval stopped being pending, as far as this companion
// knows. The first four are the gateway's words (docs/protocol.md 5.3);
// Unknown is the companion's own: the request vanished from the gateway's
// pending list while we were offline, or this device can no longer answer it
// (revoked, refused, stopped), so the dialog must close without claiming an
// outcome nobody told us.
enum class ApprovalOutcome {
    Approved,
    Denied,
    Expired,
    Cancelled,
    Unknown,
};

// "approved", "denied", "expired", "cancelled", "unknown".
QString approvalOutcomeName(ApprovalOutcome outcome);
// Only the gateway's four words; anything else (including "unknown", which
// the gateway never sends) is nullopt.
std::optional<ApprovalOutcome> approvalOutcomeFromWire(QStringView name);

} // namespace countersign
