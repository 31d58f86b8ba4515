#pragma once

#include "protocol/result.h"

namespace countersign {

// Starting the companion when the person logs in ("start at login" in the
// settings). platform/ implements it per desktop: XDG autostart on Linux
// (platform/xdgautostart.h); Windows (Run key) and macOS (login item) come
// behind this same interface.
//
// Both calls are quick and local (a small file), so they answer at once.
class Autostart {
public:
    virtual ~Autostart() = default;

    // Whether the companion starts at login for this user, including an
    // entry that the system installed and the user did not turn off.
    virtual bool isEnabled() const = 0;
    // Turns starting at login on or off for this user. Idempotent; the
    // error says in words for people what could not be written or removed.
    virtual Status setEnabled(bool enabled) = 0;

protected:
    Autostart() = default;
    Autostart(const Autostart &) = default;
    Autostart &operator=(const Autostart &) = default;
};

} // namespace countersign
