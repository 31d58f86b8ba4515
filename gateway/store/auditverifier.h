#pragma once

#include "auditchain.h"

#include <optional>

namespace countersign::gateway {

class SqliteStore;

// What `countersign-gateway audit verify` found.
struct AuditVerification {
    AuditHead anchor;            // where the chain starts (prune point or legacy anchor)
    qint64 unchained = 0;        // records at or below the anchor (written before schema 4)
    qint64 checked = 0;          // chained records that verified
    AuditHead head;              // the last record that verified (the anchor when none)
    std::optional<qint64> badId; // the first record that does not verify
    QString problem;             // how, for people

    bool intact() const { return !badId.has_value(); }
};

// Walks the whole chain from its anchor, a page at a time. An error only
// when the log cannot be read; a broken chain is a result with badId set.
// What it cannot see: records deleted from the end (compare the head with
// the one the gateway logs, category countersign.gateway.audit).
Result<AuditVerification> verifyAuditLog(const SqliteStore &store);

} // namespace countersign::gateway
