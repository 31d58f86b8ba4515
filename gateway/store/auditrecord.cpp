#include "auditrecord.h"

#include "store.h"
#include "storelogging.h"

namespace countersign::gateway {

bool recordAudit(Store &store, const AuditEvent &event)
{
    const Status written = store.appendAudit(event);
    if (!written) {
        qCWarning(lcStore).noquote()
            << "audit log write failed for" << event.kind << "(user" << event.userId << "device"
            << event.deviceId << "request" << event.requestId << "):" << written.error().message;
    }
    return written.ok();
}

} // namespace countersign::gateway
