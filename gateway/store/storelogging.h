#pragma once

#include <QLoggingCategory>

namespace countersign::gateway {

// "countersign.gateway.store": everything the store logs. Nothing logged here
// may contain a secret (TOTP seeds, pairing codes, key material).
Q_DECLARE_LOGGING_CATEGORY(lcStore)
// "countersign.gateway.audit": the audit chain's head (at start, every 10
// minutes when it moved, at shutdown) and retention's prunes, at info level,
// for operators who ship logs elsewhere and compare them with `audit verify`.
Q_DECLARE_LOGGING_CATEGORY(lcAudit)

} // namespace countersign::gateway
