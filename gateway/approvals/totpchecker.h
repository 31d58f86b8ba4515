#pragma once

#include "gateway/store/store.h"
#include "protocol/clock.h"

namespace countersign::gateway {

// Checks a TOTP code against the user's enrolled seed: one time step either
// way, and each code usable once (RFC 6238 section 5.2).
class TotpChecker {
public:
    enum class Outcome {
        Valid,
        Wrong,
        Reused,
        NotEnrolled,
        StorageUnavailable, // the code's use could not be recorded: not valid
    };

    TotpChecker(Store &store, const Clock &clock);

    Outcome check(const QString &userId, QStringView code);

private:
    Store &m_store;
    const Clock &m_clock;
};

} // namespace countersign::gateway
