#include "storelogging.h"

namespace countersign::gateway {

Q_LOGGING_CATEGORY(lcStore, "countersign.gateway.store")

} // namespace countersign::gateway
