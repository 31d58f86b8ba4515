#pragma once

#include <QString>

namespace countersign::load {

// Resident set size of this process in KiB (VmRSS of /proc/self/status), or
// -1 where that file does not exist.
qint64 residentKib();

// Raises the soft RLIMIT_NOFILE to the hard limit: N companions need about
// 2N descriptors in one process (both ends of every connection) and the usual
// soft limit is 1024. Returns the soft limit now in force, -1 on failure.
qint64 raiseFileLimit();

} // namespace countersign::load
