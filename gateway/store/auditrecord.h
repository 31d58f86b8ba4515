#pragma once

namespace countersign::gateway {

class Store;
struct AuditEvent;

// Appends `event` to the audit log. A failed write does not undo what the
// event records (the pairing, the revocation is done), so it does not fail
// the caller either; but it is never silent: it logs a warning (category
// countersign.gateway.store) naming the event and why it was not written.
// Returns whether the event was written.
bool recordAudit(Store &store, const AuditEvent &event);

} // namespace countersign::gateway
