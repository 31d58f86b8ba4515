#pragma once

#include "gateway/config/edgelimits.h"
#include "gateway/edge/companionconnection.h"
#include "gateway/edge/httprouter.h"
#include "gateway/edge/limitlog.h"
#include "gateway/edge/responder.h"
#include "protocol/result.h"

#include <functional>
#include <memory>
#include <optional>

#include <QByteArray>
#include <QHostAddress>

namespace countersign::gateway {

class Durability;

struct EdgeTls {
    QByteArray certificateChainPem; // leaf first
    QByteArray privateKeyPem;
};

struct EdgeOptions {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 0; // 0: any free port
    std::optional<EdgeTls> tls;
    EdgeLimits limits;
    int ioThreads = 0; // 0: one per core
};

// The gateway's network edge: one listening port, HTTP/1.1 and the
// companion WebSocket, with TLS when configured, on Boost.Beast. N I/O
// threads accept, handshake, parse, enforce every limit of EdgeLimits and
// frame WebSocket messages; a complete, size-checked request is handed to
// the Qt thread (the thread that created this object) with a queued call,
// and its answer is posted back to the connection's strand.
// docs/architecture.md "Threading" has the whole picture.
class EdgeServer {
public:
    // Called on the Qt thread for every complete request.
    using HttpHandler = std::function<void(const HttpRequest &, Responder &&)>;
    // Called on the Qt thread for a WebSocket upgrade request: nullopt
    // accepts, a response refuses (and is sent).
    using UpgradeCheck = std::function<std::optional<HttpResponse>(const HttpRequest &)>;
    // Called on the Qt thread with each accepted WebSocket.
    using WebSocketHandler = std::function<void(std::shared_ptr<CompanionConnection>)>;

    explicit EdgeServer(EdgeOptions options);
    // Stops (see stop()).
    ~EdgeServer();
    EdgeServer(const EdgeServer &) = delete;
    EdgeServer &operator=(const EdgeServer &) = delete;

    // Both may be set or replaced at any time (on the Qt thread); until the
    // HTTP handler is set every request gets 503, until the WebSocket
    // handler is set every upgrade is refused.
    void setHttpHandler(HttpHandler handler);
    void setWebSocketHandler(UpgradeCheck check, WebSocketHandler handler);
    // From now on every HTTP answer and companion message made on the Qt
    // thread passes the durability gate (durablesink.h): held while the
    // store has commits that are not yet durable. `durability` must outlive
    // this server; nullptr: no gate (a store whose every commit is durable
    // when it returns needs none).
    void setDurability(Durability *durability);
    // Answers and companion messages the durability gate holds right now
    // (0 without a gate); for tests.
    std::size_t heldWrites() const;

    // Called on an I/O thread with each complete request before it is
    // queued for the Qt thread: a response is sent from there and the Qt
    // thread never sees the request; nullopt queues it as usual. Only for
    // answers that need nothing but immutable, thread-safe state (the
    // embedded PDP's decisions), never for anything that reads or writes the
    // store. Set once (later calls are ignored), at any time; what it uses
    // must outlive stop().
    using IoThreadHandler = std::function<std::optional<HttpResponse>(const HttpRequest &)>;
    void setIoThreadHandler(IoThreadHandler handler);
    // Every request to router (which must outlive the server's use of it).
    void serve(const HttpRouter &router);

    // Binds, then starts the I/O threads; returns the port.
    Result<quint16> listen();
    // Stops accepting, closes every connection, waits (bounded) for the
    // I/O threads to finish and joins them. Requests queued for the Qt
    // thread are dropped. Call before the services the handlers use are
    // destroyed; idempotent.
    void stop();

    int openConnections() const;
    int connectionCap() const;
    const LimitLog &limitLog() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace countersign::gateway
