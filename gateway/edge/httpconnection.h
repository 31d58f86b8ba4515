#pragma once

// Internal to gateway/edge (included by edgeserver.cpp only).

#include "gateway/edge/edgeshared.h"
#include "gateway/edge/websocketconnection.h"

#include <deque>

namespace countersign::gateway::edge {

template <class Stream>
class HttpConnection;

// What the Qt thread may ask about a connection without touching it.
struct ClientState {
    // The socket can still be written to.
    std::atomic<bool> open{true};
    // The client closed its sending side while its request was handled:
    // a client that gave up (it still gets the answer, should it only have
    // half-closed).
    std::atomic<bool> peerDone{false};
};

// The sink of one request's Responder: posts each write to the
// connection's strand. Holds the connection: while the Qt thread has the
// request no read may be pending on it (see watch()), and the answer must
// find it; a closed connection makes the writes no-ops.
template <class Stream>
class HttpExchangeSink final : public ResponseSink {
public:
    HttpExchangeSink(std::shared_ptr<net::io_context> io, net::any_io_executor strand,
                     std::shared_ptr<HttpConnection<Stream>> connection,
                     std::shared_ptr<ClientState> client, quint64 exchange)
        : m_io(std::move(io))
        , m_strand(std::move(strand))
        , m_connection(std::move(connection))
        , m_client(std::move(client))
        , m_exchange(exchange)
    {
    }

    void send(HttpResponse response) override
    {
        post([exchange = m_exchange, response = std::move(response)](auto &c) mutable {
            c.sendResponse(exchange, std::move(response));
        });
    }
    void beginStream(int status, HttpHeaders headers) override
    {
        post([exchange = m_exchange, status, headers = std::move(headers)](auto &c) mutable {
            c.beginStream(exchange, status, std::move(headers));
        });
    }
    void writeChunk(QByteArray data) override
    {
        post([exchange = m_exchange, data = std::move(data)](auto &c) mutable {
            c.writeChunk(exchange, std::move(data));
        });
    }
    void endStream() override
    {
        post([exchange = m_exchange](auto &c) { c.endStream(exchange); });
    }
    void abandon() override
    {
        post([exchange = m_exchange](auto &c) { c.abandon(exchange); });
    }
    void cut() override
    {
        post([exchange = m_exchange](auto &c) { c.cut(exchange); });
    }
    bool clientStillThere() const override
    {
        return m_client->open.load(std::memory_order_acquire)
            && !m_client->peerDone.load(std::memory_order_acquire);
    }

private:
    template <class F>
    void post(F &&f)
    {
        if (!m_client->open.load(std::memory_order_acquire))
            return;
        net::post(m_strand, [connection = m_connection, f = std::forward<F>(f)]() mutable {
            f(*connection);
        });
    }

    // Declared first: the executor below must not outlive its io_context.
    std::shared_ptr<net::io_context> m_io;
    net::any_io_executor m_strand;
    std::shared_ptr<HttpConnection<Stream>> m_connection;
    std::shared_ptr<ClientState> m_client;
    quint64 m_exchange;
};

// One HTTP/1.1 connection: requests are read one at a time (the next is
// not read before the answer to this one is written, so pipelined data
// waits in the kernel, not in our memory), every limit is checked here on
// the I/O thread, and only a complete request goes to the Qt thread.
template <class Stream>
class HttpConnection : public Closable,
                       public std::enable_shared_from_this<HttpConnection<Stream>> {
public:
    HttpConnection(std::shared_ptr<EdgeShared> shared, Stream stream, ConnectionSlot slot,
                   Peer peer)
        : m_shared(std::move(shared))
        , m_stream(std::move(stream))
        , m_strand(m_stream.get_executor())
        , m_slot(std::move(slot))
        , m_peer(std::move(peer))
        , m_buffer(m_shared->limits.headerBytes + 4096)
    {
    }

    ~HttpConnection() override
    {
        m_client->open.store(false, std::memory_order_release);
        m_shared->limiter.setBusy(this);
        m_shared->unregisterLive(this);
        releaseBody();
    }

    void start()
    {
        m_shared->registerLive(this, this->shared_from_this());
        markEvictable();
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            lowest().expires_after(m_shared->limits.headerTimeout);
            m_stream.async_handshake(ssl::stream_base::server,
                                     [self = this->shared_from_this()](beast::error_code ec) {
                                         if (ec) {
                                             self->fail(ec, "TLS handshake");
                                             return;
                                         }
                                         self->readRequest(true);
                                     });
        } else {
            readRequest(true);
        }
    }

    // Any thread (EdgeServer::stop): m_stream belongs to the strand, which
    // may be moving it into a WebSocketConnection right now
    // (onUpgradeVerdict), so only the executor copied at construction is
    // read here.
    void closeNow() override
    {
        net::post(m_strand, [self = this->shared_from_this()] {
            if (self->m_upgraded)
                return; // the socket is the WebSocketConnection's now
            self->m_client->open.store(false, std::memory_order_release);
            beast::error_code ignored;
            self->lowest().socket().close(ignored);
        });
    }

    // From the sinks, on the strand.
    void sendResponse(quint64 exchange, HttpResponse response)
    {
        if (exchange != m_exchange || m_answered)
            return;
        m_answered = true;
        queueResponse(std::move(response));
    }

    void beginStream(quint64 exchange, int status, HttpHeaders headers)
    {
        if (exchange != m_exchange || m_answered)
            return;
        m_answered = true;
        m_streaming = true;
        queue(serializeHead(status, headers, std::nullopt, true, m_closeAfter));
    }

    void writeChunk(quint64 exchange, QByteArray data)
    {
        if (exchange != m_exchange || !m_streaming || m_closed)
            return;
        if (m_queuedBytes + static_cast<std::size_t>(data.size())
            > m_shared->limits.sendQueueBytes) {
            // The client does not read its event stream: drop it rather
            // than buffer for it.
            m_shared->log.trip(LimitLog::SendQueueFull, m_peer.text());
            abortConnection();
            return;
        }
        queue(chunk(data));
    }

    void endStream(quint64 exchange)
    {
        if (exchange != m_exchange || !m_streaming)
            return;
        m_streaming = false;
        queue(chunk(QByteArray()));
        m_responseComplete = true;
        maybeContinue();
    }

    void cut(quint64 exchange)
    {
        if (exchange == m_exchange)
            abortConnection();
    }

    void abandon(quint64 exchange)
    {
        if (exchange != m_exchange || m_answered)
            return;
        m_answered = true;
        m_closeAfter = true;
        queueResponse(HttpResponse(HttpStatus::internalServerError));
    }

private:
    auto &lowest() { return beast::get_lowest_layer(m_stream); }

    // Between requests, and while one arrives, closing this connection to
    // make room for another loses nothing anyone waits for
    // (ConnectionLimiter); from dispatch to the end of the answer it does.
    void markEvictable()
    {
        m_shared->limiter.setEvictable(this, m_slot.address(),
                                       std::weak_ptr<Closable>(this->shared_from_this()));
    }
    void markBusy() { m_shared->limiter.setBusy(this); }

    void readRequest(bool first)
    {
        releaseBody();
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(m_shared->limits.headerBytes));
        // The per-route limit is applied once the path is known; until
        // then the largest, so that Beast refuses a bigger Content-Length
        // as soon as the header ends.
        m_parser->body_limit(m_shared->limits.largestBody());
        m_sawBytes = first || m_buffer.size() > 0;
        markEvictable();
        m_headerDeadline = std::chrono::steady_clock::now() + m_shared->limits.headerTimeout;
        readHeader();
    }

    void readHeader()
    {
        // Idle keep-alive until the first byte of the next request; from
        // then on the header timeout counts.
        if (m_sawBytes)
            lowest().expires_at(m_headerDeadline);
        else
            lowest().expires_after(m_shared->limits.keepAliveTimeout);
        http::async_read_some(
            m_stream, m_buffer, *m_parser,
            [self = this->shared_from_this()](beast::error_code ec, std::size_t bytes) {
                self->onHeaderRead(ec, bytes);
            });
    }

    void onHeaderRead(beast::error_code ec, std::size_t bytes)
    {
        if (ec) {
            readFailed(ec);
            return;
        }
        if (!m_sawBytes && (bytes > 0 || m_buffer.size() > 0)) {
            m_sawBytes = true;
            m_headerDeadline = std::chrono::steady_clock::now() + m_shared->limits.headerTimeout;
        }
        if (!m_parser->is_header_done()) {
            readHeader();
            return;
        }
        onHeader();
    }

    void onHeader()
    {
        auto &request = m_parser->get();
        ++m_exchange;
        m_answered = false;
        m_streaming = false;
        m_responseComplete = false;
        m_closeAfter = !request.keep_alive();
        m_head = request.method() == http::verb::head;

        if (websocket::is_upgrade(request)) {
            if (m_parser->content_length().value_or(0) > 0 || m_parser->chunked()) {
                refuse(HttpStatus::badRequest, "malformed_request",
                       QStringLiteral("an upgrade request has no body"));
                return;
            }
            upgrade();
            return;
        }
        const std::size_t limit = bodyLimitOfRequest();
        if (const auto length = m_parser->content_length(); length && *length > limit) {
            m_shared->log.trip(LimitLog::BodyTooLarge,
                               m_peer.text() + QStringLiteral(" Content-Length ")
                                   + QString::number(*length));
            refuseBody(limit);
            return;
        }
        m_parser->body_limit(limit);
        if (const auto length = m_parser->content_length(); length && !reserveBodyUpTo(*length)) {
            refuseBusy();
            return;
        }
        if (beast::iequals(request[http::field::expect], "100-continue") && !m_parser->is_done()) {
            queue(std::string("HTTP/1.1 100 Continue\r\n\r\n"));
            m_continueSent = true;
            return; // readBody after the write
        }
        readBody();
    }

    void readBody()
    {
        // A chunked body is counted as it arrives.
        if (!m_parser->content_length() && !reserveBodyUpTo(m_parser->get().body().size())) {
            refuseBusy();
            return;
        }
        if (m_parser->is_done()) {
            dispatch();
            return;
        }
        lowest().expires_after(m_shared->limits.bodyIdleTimeout);
        http::async_read_some(m_stream, m_buffer, *m_parser,
                              [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                  if (ec) {
                                      self->readFailed(ec);
                                      return;
                                  }
                                  self->readBody();
                              });
    }

    void readFailed(beast::error_code ec)
    {
        if (ec == http::error::end_of_stream || ec == net::error::eof) {
            // A client that closed (or half-closed) between requests:
            // nothing to answer.
            shutdown();
            return;
        }
        if (ec == beast::error::timeout) {
            m_shared->log.trip(LimitLog::Timeout, m_peer.text());
            closeHard();
            return;
        }
        if (ec == http::error::header_limit) {
            m_shared->log.trip(LimitLog::HeaderTooLarge, m_peer.text());
            refuseHeader();
            return;
        }
        if (ec == http::error::body_limit) {
            m_shared->log.trip(LimitLog::BodyTooLarge, m_peer.text());
            refuseBody(bodyLimitOfRequest());
            return;
        }
        if (ec.category() == http::make_error_code(http::error::bad_target).category()
            || ec == http::error::partial_message) {
            // Bad Content-Length (negative, overflowing, repeated),
            // Content-Length with Transfer-Encoding, bad chunk sizes, bad
            // request line: answered once, then closed, so the rest can
            // never be read as another request.
            m_shared->log.trip(LimitLog::BadFraming,
                               m_peer.text() + u' ' + QString::fromStdString(ec.message()));
            refuse(HttpStatus::badRequest, "malformed_request",
                   QStringLiteral("malformed request (%1); nothing more is read from this "
                                  "connection")
                       .arg(QString::fromStdString(ec.message())));
            return;
        }
        closeHard();
    }

    void dispatch()
    {
        markBusy();
        lowest().expires_never();
        auto sink = std::make_shared<HttpExchangeSink<Stream>>(
            m_shared->io.lock(), m_stream.get_executor(), this->shared_from_this(), m_client,
            m_exchange);
        m_shared->dispatchRequest(toHttpRequest(m_parser->release(), m_peer), std::move(sink));
        releaseBody(); // the parser's copy is gone; the route has its own
        if (m_buffer.size() == 0)
            watch();
    }

    // While the Qt thread handles a request (an approval may take minutes),
    // one read stays pending: so that a client that hangs up is noticed at
    // once (clientStillThere() turns false, and a step-up flow does not act
    // for nobody). Bytes that arrive are the next request's; they stay in
    // the bounded buffer and end the watch (that client is there). Not
    // started when pipelined bytes are already buffered. The socket stays
    // writable after the client's EOF: a half-closed client still gets its
    // answer.
    void watch()
    {
        const std::size_t room = m_buffer.max_size() - m_buffer.size();
        if (room == 0 || m_closed || m_client->peerDone.load())
            return;
        m_watching = true;
        m_stream.async_read_some(
            m_buffer.prepare(std::min<std::size_t>(room, 4096)),
            [self = this->shared_from_this()](beast::error_code ec, std::size_t bytes) {
                self->onWatched(ec, bytes);
            });
    }

    void onWatched(beast::error_code ec, std::size_t bytes)
    {
        m_watching = false;
        if (m_closed) {
            closeHard(); // endWhileWatching() waited for this
            return;
        }
        if (ec) {
            if (ec == net::error::operation_aborted)
                return;
            // EOF or a reset: the client is done sending; it gets no more
            // requests read, and the connection ends after this answer.
            m_client->peerDone.store(true, std::memory_order_release);
            m_closeAfter = true;
            if (m_resumeAfterWatch) {
                m_idleTimer.cancel();
                shutdown();
            }
            return;
        }
        m_buffer.commit(bytes);
        if (m_resumeAfterWatch) {
            m_resumeAfterWatch = false;
            m_idleTimer.cancel();
            readRequest(false);
        }
    }

    void upgrade()
    {
        markBusy();
        lowest().expires_never();
        m_upgradeRequest = m_parser->release();
        const HttpRequest request =
            toHttpRequest(http::request<http::string_body>(m_upgradeRequest), m_peer);
        // The verdict holds the connection: nothing else does while the Qt
        // thread decides.
        auto self = this->shared_from_this();
        auto strand = m_stream.get_executor();
        auto io = m_shared->io.lock();
        m_shared->dispatchUpgrade(request, [self, strand, io](std::optional<HttpResponse> refusal) {
            net::post(strand, [self, refusal = std::move(refusal)]() mutable {
                self->onUpgradeVerdict(std::move(refusal));
            });
        });
    }

    void onUpgradeVerdict(std::optional<HttpResponse> refusal)
    {
        if (refusal) {
            m_answered = true;
            m_closeAfter = true;
            queueResponse(std::move(*refusal));
            return;
        }
        m_client->open.store(false, std::memory_order_release);
        m_shared->unregisterLive(this);
        m_upgraded = true;
        auto connection = std::make_shared<WebSocketConnection<Stream>>(
            m_shared, std::move(m_stream), std::move(m_slot), m_peer);
        connection->accept(std::move(m_upgradeRequest), std::move(m_buffer));
    }

    // Over the header limit: 414 when the request line alone does not fit
    // (the parser has no target yet), else 431.
    void refuseHeader()
    {
        const QString limit = QString::number(m_shared->limits.headerBytes);
        if (m_parser->get().target().empty()) {
            refuse(HttpStatus::uriTooLong, "uri_too_long",
                   QStringLiteral("the request line is longer than the %1-byte limit").arg(limit));
            return;
        }
        refuse(HttpStatus::headersTooLarge, "headers_too_large",
               QStringLiteral("the request line and headers are longer than the %1-byte limit")
                   .arg(limit));
    }

    // Counts this request's body against the gateway-wide budget
    // (EdgeLimits::bufferedBodyBytes) up to `total` bytes.
    bool reserveBodyUpTo(std::size_t total)
    {
        if (total <= m_bodyReserved)
            return true;
        if (!m_shared->reserveBody(total - m_bodyReserved))
            return false;
        m_bodyReserved = total;
        return true;
    }

    void releaseBody()
    {
        m_shared->releaseBody(m_bodyReserved);
        m_bodyReserved = 0;
    }

    void refuseBusy()
    {
        m_shared->log.trip(LimitLog::BodyBudget, m_peer.text());
        m_answered = true;
        m_closeAfter = true;
        HttpResponse response = HttpResponse::json(
            QJsonObject{{QStringLiteral("error"), QStringLiteral("busy")},
                        {QStringLiteral("message"),
                         QStringLiteral("the gateway is receiving too many request bodies at "
                                        "once; retry in a moment")}},
            HttpStatus::serviceUnavailable);
        response.setHeader("Retry-After", "1");
        response.setHeader("Cache-Control", "no-store");
        queueResponse(std::move(response));
    }

    // The body limit of the request's path (the largest until its header
    // is parsed).
    std::size_t bodyLimitOfRequest()
    {
        if (!m_parser || !m_parser->is_header_done())
            return m_shared->limits.largestBody();
        const auto &target = m_parser->get().target();
        const std::string_view path(target.data(), target.substr(0, target.find('?')).size());
        return m_shared->limits.bodyLimitFor(path);
    }

    void refuseBody(std::size_t limit)
    {
        refuse(HttpStatus::payloadTooLarge, "too_large",
               QStringLiteral("the request body is larger than the %1-byte limit for this path")
                   .arg(limit));
    }

    // An answer from the edge itself (limits, framing), in the routes'
    // error shape ({"error": code, "message"}); then close.
    void refuse(int status, const char *code, const QString &message)
    {
        m_answered = true;
        m_closeAfter = true;
        HttpResponse response =
            HttpResponse::json(QJsonObject{{QStringLiteral("error"), QString::fromLatin1(code)},
                                           {QStringLiteral("message"), message}},
                               status);
        response.setHeader("Cache-Control", "no-store");
        // AuthZEN: a PEP's X-Request-ID comes back on every answer, errors
        // (413 and the like) too, once the header has been read.
        if (m_parser && m_parser->is_header_done()) {
            const auto id = m_parser->get()["X-Request-ID"];
            const QByteArray value(id.data(), static_cast<qsizetype>(id.size()));
            if (isEchoableToken(value))
                response.setHeader("X-Request-ID", value);
        }
        queueResponse(std::move(response));
    }

    void queueResponse(HttpResponse response)
    {
        if (m_closeAfter || m_shared->stopping.load())
            m_closeAfter = true;
        const std::size_t length = static_cast<std::size_t>(response.body.size());
        std::string data =
            serializeHead(response.status, response.headers, length, false, m_closeAfter);
        if (!m_head)
            data.append(response.body.constData(), length);
        queue(std::move(data));
        m_responseComplete = true;
        maybeContinue();
    }

    void queue(std::string data)
    {
        if (m_closed)
            return;
        m_queuedBytes += data.size();
        m_out.push_back(std::move(data));
        if (!m_writing)
            writeNext();
    }

    void writeNext()
    {
        if (m_out.empty()) {
            m_writing = false;
            if (m_continueSent) {
                m_continueSent = false;
                readBody();
                return;
            }
            maybeContinue();
            return;
        }
        m_writing = true;
        // Our own timer, not the stream's expiry: that one would close the
        // socket itself, gracefully, and the FIN would wait behind the
        // unread data (see abortConnection()).
        m_stallTimer.expires_after(m_shared->limits.writeStallTimeout);
        m_stallTimer.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
            if (ec)
                return; // cancelled: the write finished
            if (auto self = weak.lock()) {
                self->m_shared->log.trip(LimitLog::Timeout, self->m_peer.text() + u" (write)");
                self->abortConnection();
            }
        });
        net::async_write(m_stream, net::buffer(m_out.front()),
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             self->m_stallTimer.cancel();
                             if (ec) {
                                 self->closeHard();
                                 return;
                             }
                             self->m_queuedBytes -= self->m_out.front().size();
                             self->m_out.pop_front();
                             self->writeNext();
                         });
    }

    // After the whole answer is written: the next request, or the end.
    void maybeContinue()
    {
        if (m_writing || !m_out.empty() || !m_responseComplete || m_closed)
            return;
        m_responseComplete = false;
        if (m_closeAfter) {
            if (m_watching)
                endWhileWatching();
            else
                shutdown();
            return;
        }
        if (m_watching) {
            // The pending watch read continues as the next request's first
            // read; bounded by the keep-alive timeout meanwhile.
            m_resumeAfterWatch = true;
            markEvictable();
            m_idleTimer.expires_after(m_shared->limits.keepAliveTimeout);
            m_idleTimer.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
                if (ec)
                    return;
                if (auto self = weak.lock()) {
                    self->m_shared->log.trip(LimitLog::Timeout, self->m_peer.text());
                    self->closeHard();
                }
            });
            return;
        }
        readRequest(false);
    }

    // The end after the last answer while the watch read is pending (it
    // takes the drain's place): our side is shut, the socket closed once
    // the client closes or after 2 seconds.
    void endWhileWatching()
    {
        m_closed = true;
        m_client->open.store(false, std::memory_order_release);
        if constexpr (std::is_same_v<Stream, PlainStream>) {
            beast::error_code ignored;
            lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
        m_idleTimer.expires_after(std::chrono::seconds(2));
        m_idleTimer.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
            if (ec)
                return;
            if (auto self = weak.lock())
                self->closeHard();
        });
    }

    // A graceful end: our side is done; what the client still sends is
    // read and dropped for a bounded time and amount, so that closing with
    // unread data (which makes the kernel reset the connection) does not
    // destroy the answer the client has not read yet.
    void shutdown()
    {
        if (m_closed)
            return;
        m_closed = true;
        m_client->open.store(false, std::memory_order_release);
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            lowest().expires_after(std::chrono::seconds(2));
            m_stream.async_shutdown([self = this->shared_from_this()](beast::error_code) {
                beast::error_code ignored;
                self->lowest().socket().close(ignored);
            });
        } else {
            beast::error_code ignored;
            lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
            m_drainDeadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            drain();
        }
    }

    void drain()
    {
        if (m_drained > 256 * 1024) {
            closeHard();
            return;
        }
        lowest().expires_at(m_drainDeadline);
        lowest().async_read_some(
            net::buffer(m_scratch),
            [self = this->shared_from_this()](beast::error_code ec, std::size_t bytes) {
                self->m_drained += bytes;
                if (ec) {
                    self->closeHard();
                    return;
                }
                self->drain();
            });
    }

    void closeHard()
    {
        m_closed = true;
        m_client->open.store(false, std::memory_order_release);
        m_idleTimer.cancel();
        m_stallTimer.cancel();
        // m_out stays: a write in progress still points into it.
        beast::error_code ignored;
        lowest().socket().close(ignored);
        m_shared->unregisterLive(this);
    }

    // Ends a connection whose peer stopped reading with a reset: the
    // kernel then drops what is queued for it at once, instead of keeping
    // it (up to the socket buffers, several MiB) in an orphaned socket that
    // never gets its FIN out.
    void abortConnection()
    {
        beast::error_code ignored;
        lowest().socket().set_option(net::socket_base::linger(true, 0), ignored);
        closeHard();
    }

    void fail(beast::error_code ec, const char *what)
    {
        if (ec == beast::error::timeout)
            m_shared->log.trip(LimitLog::Timeout, m_peer.text() + u' ' + QLatin1String(what));
        closeHard();
    }

    std::shared_ptr<EdgeShared> m_shared;
    Stream m_stream;
    // m_stream's executor (its strand), for closeNow() from other threads.
    const net::any_io_executor m_strand;
    ConnectionSlot m_slot;
    Peer m_peer;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::request<http::string_body> m_upgradeRequest;
    std::chrono::steady_clock::time_point m_headerDeadline;
    std::chrono::steady_clock::time_point m_drainDeadline;
    std::shared_ptr<ClientState> m_client = std::make_shared<ClientState>();
    // Keeps a connection whose answer is written but whose watch read is
    // still pending from idling forever (see watch()).
    net::steady_timer m_idleTimer{m_stream.get_executor()};
    // A write that makes no progress for limits.writeStallTimeout.
    net::steady_timer m_stallTimer{m_stream.get_executor()};
    std::deque<std::string> m_out;
    std::size_t m_queuedBytes = 0;
    std::size_t m_bodyReserved = 0;
    std::size_t m_drained = 0;
    std::array<char, 4096> m_scratch{};
    quint64 m_exchange = 0;
    bool m_sawBytes = false;
    bool m_writing = false;
    bool m_answered = false;
    bool m_streaming = false;
    bool m_responseComplete = false;
    bool m_closeAfter = false;
    bool m_continueSent = false;
    bool m_head = false;
    bool m_closed = false;
    bool m_watching = false;
    bool m_resumeAfterWatch = false;
    bool m_upgraded = false; // m_stream moved to a WebSocketConnection
};

} // namespace countersign::gateway::edge
