#pragma once

#include <QtGlobal>

namespace countersign::testing {

// A loopback port nobody listened on a moment ago, for a server the test
// starts next (another process, or a config that names its port) or for an
// address where nothing listens. 0 when no port could be found. Tests never
// bind a fixed port: the same machine runs many of them at once.
quint16 freePort();

} // namespace countersign::testing
