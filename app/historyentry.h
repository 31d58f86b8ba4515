#pragma once

#include "app/approvaloutcome.h"
#include "protocol/messages/approvalmethod.h"

#include <optional>

#include <QMetaType>
#include <QString>

namespace countersign {

// One line of the companion's history: a request this computer saw and how
// it ended. A summary for the person to look back on, not evidence: it
// holds no secret (never a TOTP code, never key material) and no request
// bytes, and the gateway's audit log stays the record of authority.
struct HistoryEntry {
    qint64 time = 0;     // when it ended here, seconds since the epoch (UTC)
    QString gatewayId;   // the paired gateway's id
    QString gatewayName; // its display name at the time
    QString requestId;   // the gateway's request id
    QString user;        // SARC subject id: for whom
    QString agent;       // the acting agent
    QString action;      // SARC action name
    QString resource;    // SARC resource id
    ApprovalOutcome outcome = ApprovalOutcome::Unknown;
    // How this computer answered (approved with a TOTP code or passkey);
    // nothing for a denial or a request decided elsewhere.
    std::optional<ApprovalMethod> method;
    // Optional words: the reason given when denying, or why the companion
    // denied by itself (binding_code_mismatch).
    QString detail;

    friend bool operator==(const HistoryEntry &, const HistoryEntry &) = default;
};

} // namespace countersign

Q_DECLARE_METATYPE(countersign::HistoryEntry)
