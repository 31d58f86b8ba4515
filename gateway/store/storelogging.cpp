#include "storelogging.h"

namespace countersign::gateway {

Q_LOGGING_CATEGORY(lcStore, "countersign.gateway.store")
Q_LOGGING_CATEGORY(lcAudit, "countersign.gateway.audit")

} // namespace countersign::gateway
