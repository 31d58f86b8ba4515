#pragma once

#include <QLoggingCategory>

namespace countersign::gateway {

// "countersign.gateway.store": everything the store logs. Nothing logged here
// may contain a secret (TOTP seeds, pairing codes, key material).
Q_DECLARE_LOGGING_CATEGORY(lcStore)

} // namespace countersign::gateway
