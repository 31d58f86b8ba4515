// hello_qt: the smallest Qt HttpServer 6.4 server, the in-run anchor of
// bench/edge/run for the edge the gateway had before Boost.Beast: one route,
// GET /healthz, answering the gateway's {"status":"ok"} on the main thread.
//
//   hello_qt      listens on 127.0.0.1, a free port; prints
//                 "listening on http://127.0.0.1:PORT"

#include <cstdio>

#include <QCoreApplication>
#include <QHttpServer>
#include <QHttpServerResponse>
#include <QJsonObject>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QHttpServer server;
    server.route(QStringLiteral("/healthz"), [] {
        return QHttpServerResponse(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}});
    });
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    if (port == 0) {
        std::fprintf(stderr, "hello_qt: cannot listen\n");
        return 1;
    }
    std::printf("listening on http://127.0.0.1:%u with 1 thread (Qt event loop)\n", port);
    std::fflush(stdout);
    return QCoreApplication::exec();
}
