#pragma once

class QCoreApplication;

namespace countersign {

// Makes SIGINT and SIGTERM end the event loop cleanly (pending writes and
// transactions finish, destructors run) instead of killing the process. Uses
// a socket pair, the async-signal-safe way to reach the event loop.
void quitOnTerminationSignals(QCoreApplication &app);

} // namespace countersign
