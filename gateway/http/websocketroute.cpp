#include "websocketroute.h"

#include <QHttpServer>
#include <QHttpServerResponder>

namespace countersign::gateway {

void allowWebSocketUpgrade(QHttpServer &server, const QString &path)
{
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    server.addWebSocketUpgradeVerifier(&server, [path](const QHttpServerRequest &request) {
        return request.url().path() == path ? QHttpServerWebSocketUpgradeResponse::accept()
                                            : QHttpServerWebSocketUpgradeResponse::passToNext();
    });
#else
    // A route that writes nothing: the request is "handled", so 6.4 hands the
    // socket to the WebSocket server instead of answering 404.
    server.route(path, [](const QHttpServerRequest &, QHttpServerResponder &&) {});
#endif
}

} // namespace countersign::gateway
