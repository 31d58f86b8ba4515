#pragma once

// Internal to gateway/edge: what the accept loop and every connection
// share. Included only by the edge's own .cpp files (Beast stays out of the
// rest of the gateway).

#include "gateway/config/edgelimits.h"
#include "gateway/edge/connectionlimiter.h"
#include "gateway/edge/httpmessage.h"
#include "gateway/edge/limitlog.h"
#include "gateway/edge/responder.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <QObject>

namespace countersign::gateway::edge {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

class CompanionConnectionImpl;

// Decided on the Qt thread for a WebSocket upgrade: accept, or this answer.
using UpgradeVerdict = std::function<void(std::optional<HttpResponse> refusal)>;

struct EdgeShared {
    EdgeShared(EdgeLimits edgeLimits, int maxConnections)
        : limits(edgeLimits)
        , limiter(maxConnections, edgeLimits.maxConnectionsPerAddress)
    {
    }

    const EdgeLimits limits;
    ConnectionLimiter limiter;
    // Request body bytes being received, all connections (see
    // EdgeLimits::bufferedBodyBytes).
    std::atomic<std::size_t> bufferedBodyBytes{0};
    bool reserveBody(std::size_t bytes)
    {
        std::size_t current = bufferedBodyBytes.load(std::memory_order_relaxed);
        do {
            if (current + bytes > limits.bufferedBodyBytes)
                return false;
        } while (!bufferedBodyBytes.compare_exchange_weak(current, current + bytes,
                                                          std::memory_order_relaxed));
        return true;
    }
    void releaseBody(std::size_t bytes)
    {
        bufferedBodyBytes.fetch_sub(bytes, std::memory_order_relaxed);
    }
    LimitLog log;
    std::optional<ssl::context> tls;
    // The io_context, for the sinks that must outlive it being run.
    std::weak_ptr<net::io_context> io;

    // Set before the I/O threads start, called on I/O threads; they queue
    // the work to the Qt thread.
    std::function<void(HttpRequest, std::shared_ptr<ResponseSink>)> dispatchRequest;
    std::function<void(HttpRequest, UpgradeVerdict)> dispatchUpgrade;
    std::function<void(std::shared_ptr<CompanionConnectionImpl>)> dispatchWebSocket;
    // Runs f on the Qt thread (dropped when the server is gone).
    std::function<void(std::function<void()>)> toQt;

    // Live sockets, closed by stop().
    void registerLive(Closable *closable, std::weak_ptr<Closable> handle)
    {
        const std::lock_guard lock(mutex);
        live.emplace(closable, std::move(handle));
    }
    void unregisterLive(Closable *closable)
    {
        const std::lock_guard lock(mutex);
        live.erase(closable);
    }
    std::size_t liveCount()
    {
        const std::lock_guard lock(mutex);
        return live.size();
    }
    std::mutex mutex;
    std::unordered_map<Closable *, std::weak_ptr<Closable>> live;
    std::atomic<bool> stopping{false};
};

// Counts a connection against the caps for as long as it lives.
class ConnectionSlot {
public:
    ConnectionSlot(std::shared_ptr<EdgeShared> shared, std::string address)
        : m_shared(std::move(shared))
        , m_address(std::move(address))
    {
    }
    ~ConnectionSlot()
    {
        if (m_shared)
            m_shared->limiter.release(m_address);
    }
    ConnectionSlot(ConnectionSlot &&other) noexcept = default;
    ConnectionSlot(const ConnectionSlot &) = delete;
    ConnectionSlot &operator=(const ConnectionSlot &) = delete;
    ConnectionSlot &operator=(ConnectionSlot &&) = delete;
    const std::string &address() const { return m_address; }

private:
    std::shared_ptr<EdgeShared> m_shared;
    std::string m_address;
};

struct Peer {
    QHostAddress address;
    quint16 port = 0;
    QString text() const { return address.toString() + u':' + QString::number(port); }
};

// The HTTP head of a response, framing headers added here: every header
// value that could break the head (CR, LF, NUL, controls) is dropped.
std::string serializeHead(int status, const HttpHeaders &headers,
                          std::optional<std::size_t> contentLength, bool chunked, bool close);
// One chunk of a chunked body; an empty data is the last chunk.
std::string chunk(const QByteArray &data);

// HttpRequest from a parsed Beast request.
HttpRequest toHttpRequest(http::request<http::string_body> &&request, const Peer &peer);

} // namespace countersign::gateway::edge
