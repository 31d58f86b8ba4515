#pragma once

#include <QString>

class QHttpServer;

namespace countersign::gateway {

// Lets `path` be upgraded to a WebSocket on the HTTP port. Qt HttpServer 6.4
// upgrades only when a route matches the path and newWebSocketConnection is
// connected (docs: ../shared/design/PLATFORM-NOTES.md); Qt 6.8 replaced this
// with upgrade verifiers. Keeping it in one function keeps both working.
void allowWebSocketUpgrade(QHttpServer &server, const QString &path);

} // namespace countersign::gateway
