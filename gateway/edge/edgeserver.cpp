#include "edgeserver.h"

#include "gateway/edge/durablesink.h"
#include "gateway/edge/httpconnection.h"
#include "protocol/queuedcalls.h"

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QThread>
#include <QUrl>

Q_LOGGING_CATEGORY(lcEdge, "countersign.gateway.edge")

namespace countersign::gateway {

using namespace edge;

namespace edge {

std::string serializeHead(int status, const HttpHeaders &headers,
                          std::optional<std::size_t> contentLength, bool chunked, bool close)
{
    std::string head = "HTTP/1.1 " + std::to_string(status) + ' '
        + httpReasonPhrase(status).toStdString() + "\r\n";
    for (const auto &[name, value] : headers) {
        // Framing is ours alone; names are tokens; values never carry a
        // line break or NUL from anyone's input.
        if (name.compare("Content-Length", Qt::CaseInsensitive) == 0
            || name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0
            || name.compare("Connection", Qt::CaseInsensitive) == 0)
            continue;
        if (name.isEmpty() || !isEchoableToken(name) || !isSafeHeaderValue(value))
            continue;
        head.append(name.constData(), static_cast<std::size_t>(name.size()));
        head.append(": ");
        head.append(value.constData(), static_cast<std::size_t>(value.size()));
        head.append("\r\n");
    }
    if (chunked)
        head.append("Transfer-Encoding: chunked\r\n");
    else if (contentLength)
        head.append("Content-Length: " + std::to_string(*contentLength) + "\r\n");
    if (close)
        head.append("Connection: close\r\n");
    head.append("\r\n");
    return head;
}

std::string chunk(const QByteArray &data)
{
    if (data.isEmpty())
        return "0\r\n\r\n";
    std::string out = QByteArray::number(data.size(), 16).toStdString() + "\r\n";
    out.append(data.constData(), static_cast<std::size_t>(data.size()));
    out.append("\r\n");
    return out;
}

namespace {

HttpMethod methodOf(http::verb verb)
{
    switch (verb) {
    case http::verb::get:
        return HttpMethod::Get;
    case http::verb::head:
        return HttpMethod::Head;
    case http::verb::post:
        return HttpMethod::Post;
    case http::verb::put:
        return HttpMethod::Put;
    case http::verb::delete_:
        return HttpMethod::Delete;
    case http::verb::options:
        return HttpMethod::Options;
    case http::verb::patch:
        return HttpMethod::Patch;
    default:
        return HttpMethod::Other;
    }
}

QByteArray bytes(beast::string_view text)
{
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace

HttpRequest toHttpRequest(http::request<http::string_body> &&request, const Peer &peer)
{
    HttpRequest out;
    out.method = methodOf(request.method());
    out.target = bytes(request.target());
    const qsizetype question = out.target.indexOf('?');
    const QByteArray rawPath = question < 0 ? out.target : out.target.left(question);
    out.query = question < 0 ? QByteArray() : out.target.mid(question + 1);
    out.path = QUrl::fromPercentEncoding(rawPath);
    for (const auto &field : request)
        out.headers.append({bytes(field.name_string()), bytes(field.value())});
    out.body = QByteArray::fromStdString(request.body());
    out.peerAddress = peer.address;
    out.peerPort = peer.port;
    return out;
}

} // namespace edge

namespace {

// Accepts on one port, strand-bound; refuses over the caps at once (a
// refused connection costs one accept and one close, never a buffer).
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(std::shared_ptr<EdgeShared> shared, net::io_context &io)
        : m_shared(std::move(shared))
        , m_io(io)
        , m_acceptor(net::make_strand(io))
        , m_retry(m_acceptor.get_executor())
    {
    }

    Result<quint16> bind(const tcp::endpoint &endpoint)
    {
        beast::error_code ec;
        m_acceptor.open(endpoint.protocol(), ec);
        if (!ec)
            m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec)
            m_acceptor.bind(endpoint, ec);
        if (!ec)
            m_acceptor.listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            return makeError(ErrorCode::ConfigError,
                             QStringLiteral("cannot listen on %1:%2 (%3); is another gateway "
                                            "running?")
                                 .arg(QString::fromStdString(endpoint.address().to_string()))
                                 .arg(endpoint.port())
                                 .arg(QString::fromStdString(ec.message())));
        }
        return m_acceptor.local_endpoint().port();
    }

    void start() { accept(); }

    void stop()
    {
        net::post(m_acceptor.get_executor(), [self = shared_from_this()] {
            beast::error_code ignored;
            self->m_acceptor.close(ignored);
            self->m_retry.cancel();
        });
    }

private:
    void accept()
    {
        m_acceptor.async_accept(net::make_strand(m_io),
                                [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
                                    self->onAccept(ec, std::move(s));
                                });
    }

    void onAccept(beast::error_code ec, tcp::socket socket)
    {
        if (!m_acceptor.is_open() || m_shared->stopping.load())
            return;
        if (ec) {
            // Out of descriptors (EMFILE) and the like: wait a moment
            // instead of spinning on a listen queue that stays readable.
            m_shared->log.trip(LimitLog::AcceptFailed, QString::fromStdString(ec.message()));
            m_retry.expires_after(std::chrono::milliseconds(50));
            m_retry.async_wait([self = shared_from_this()](beast::error_code waited) {
                if (!waited)
                    self->accept();
            });
            return;
        }
        admit(std::move(socket));
        accept();
    }

    void admit(tcp::socket socket)
    {
        beast::error_code ec;
        const tcp::endpoint remote = socket.remote_endpoint(ec);
        if (ec)
            return;
        const std::string address = remote.address().to_string();
        ConnectionLimiter::Evictable victim;
        switch (m_shared->limiter.acquire(address, &victim)) {
        case ConnectionLimiter::Verdict::OverGlobalCap:
            m_shared->log.trip(LimitLog::ConnectionCap, QString::fromStdString(address));
            return; // the socket closes as it goes out of scope
        case ConnectionLimiter::Verdict::OverAddressCap:
            m_shared->log.trip(LimitLog::AddressCap, QString::fromStdString(address));
            return;
        case ConnectionLimiter::Verdict::Accepted:
            break;
        }
        if (const auto closable = victim.lock()) {
            m_shared->log.trip(LimitLog::Evicted, QString::fromStdString(address));
            closable->closeNow();
        }
        socket.set_option(tcp::no_delay(true), ec);
        ConnectionSlot slot(m_shared, address);
        Peer peer{QHostAddress(QString::fromStdString(address)), remote.port()};
        if (m_shared->tls) {
            auto connection = std::make_shared<HttpConnection<TlsStream>>(
                m_shared, TlsStream(beast::tcp_stream(std::move(socket)), *m_shared->tls),
                std::move(slot), std::move(peer));
            connection->start();
        } else {
            auto connection = std::make_shared<HttpConnection<PlainStream>>(
                m_shared, PlainStream(std::move(socket)), std::move(slot), std::move(peer));
            connection->start();
        }
    }

    std::shared_ptr<EdgeShared> m_shared;
    net::io_context &m_io;
    tcp::acceptor m_acceptor;
    net::steady_timer m_retry;
};

HttpResponse upgradeRefusal(int status, const QString &message)
{
    HttpResponse response = HttpResponse::json(
        QJsonObject{{QStringLiteral("error"), QStringLiteral("websocket_refused")},
                    {QStringLiteral("message"), message}},
        status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

} // namespace

// The calls waiting for the Qt thread (see toQt in the constructor).
struct ToQtQueue : std::enable_shared_from_this<ToQtQueue> {
    std::mutex mutex;
    std::deque<std::function<void()>> calls;
    bool drainQueued = false; // a drain is queued or running

    void queueDrain(const QPointer<QueuedCalls> &dispatcher)
    {
        if (dispatcher.isNull())
            return;
        // QueuedCalls, not invokeMethod: ThreadSanitizer must see the
        // ordering (the calls themselves pass through the mutex above).
        dispatcher->post([self = shared_from_this(), dispatcher] { self->drain(dispatcher); });
    }

    // On the Qt thread. One call at a time from the shared FIFO: a call
    // that runs a nested event loop (and so a nested drain) cannot reorder
    // what follows it.
    void drain(const QPointer<QueuedCalls> &dispatcher)
    {
        std::size_t count = 0;
        {
            const std::lock_guard lock(mutex);
            count = calls.size();
        }
        for (std::size_t i = 0; i < count; ++i) {
            std::function<void()> call;
            {
                const std::lock_guard lock(mutex);
                if (calls.empty())
                    break;
                call = std::move(calls.front());
                calls.pop_front();
            }
            call();
        }
        {
            const std::lock_guard lock(mutex);
            if (calls.empty()) {
                drainQueued = false;
                return;
            }
        }
        queueDrain(dispatcher);
    }
};

struct EdgeServer::Impl {
    EdgeOptions options;
    HttpHandler httpHandler;
    UpgradeCheck upgradeCheck;
    WebSocketHandler webSocketHandler;
    // Set once and read by the I/O threads (setIoThreadHandler).
    std::unique_ptr<IoThreadHandler> ioThreadHandlerStorage;
    std::atomic<const IoThreadHandler *> ioThreadHandler{nullptr};
    // Queued calls from the I/O threads land on this object (Qt thread);
    // destroyed after the I/O threads are joined, it drops what is left.
    std::unique_ptr<QueuedCalls> dispatcher = std::make_unique<QueuedCalls>();
    std::shared_ptr<ToQtQueue> toQtQueue = std::make_shared<ToQtQueue>();
    std::shared_ptr<net::io_context> io;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::shared_ptr<EdgeShared> shared;
    // The durability gate, when set; its callbacks land on gateContext,
    // destroyed by stop() (what is still held then is dropped).
    std::unique_ptr<QObject> gateContext;
    std::optional<DurabilityGate> gate;
    std::shared_ptr<Listener> listener;
    std::vector<std::thread> threads;
    int connectionCap = 0;
    bool stopped = false;
};

EdgeServer::EdgeServer(EdgeOptions options)
    : d(std::make_unique<Impl>())
{
    d->options = std::move(options);
    const int threads = d->options.ioThreads > 0
        ? d->options.ioThreads
        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    d->options.ioThreads = threads;
    d->io = std::make_shared<net::io_context>(threads);
    d->connectionCap = d->options.limits.maxConnections > 0
        ? d->options.limits.maxConnections
        : connectionCapFor(raiseOpenFilesLimit());
    d->shared = std::make_shared<EdgeShared>(d->options.limits, d->connectionCap);
    d->shared->io = d->io;

    QPointer<QueuedCalls> dispatcher = d->dispatcher.get();
    Impl *impl = d.get();
    // Only ever run on the Qt thread, where impl lives until after the I/O
    // threads are joined; the QPointer drops calls queued before that.
    // Batched: calls wait in one FIFO and only the first of a burst wakes
    // the Qt thread, so requests that arrive while it is busy cost no
    // wake-up of their own. A drain runs the calls that were there when it
    // started, then, if more came meanwhile, queues the next drain behind
    // the Qt thread's other events (timers, upstream sockets) instead of
    // starving them.
    d->shared->toQt = [dispatcher, queue = d->toQtQueue](std::function<void()> f) {
        {
            const std::lock_guard lock(queue->mutex);
            queue->calls.push_back(std::move(f));
            if (queue->drainQueued)
                return;
            queue->drainQueued = true;
        }
        queue->queueDrain(dispatcher);
    };
    d->shared->dispatchRequest = [toQt = d->shared->toQt,
                                  impl](HttpRequest request, std::shared_ptr<ResponseSink> sink) {
        if (const auto *inline_ = impl->ioThreadHandler.load(std::memory_order_acquire)) {
            if (auto answer = (*inline_)(request)) {
                sink->send(std::move(*answer));
                return;
            }
        }
        toQt([impl, request = std::move(request), sink = std::move(sink)]() mutable {
            if (impl->gate)
                sink = impl->gate->wrap(std::move(sink));
            Responder responder(std::move(sink));
            if (!impl->httpHandler) {
                responder.send(HttpResponse(HttpStatus::serviceUnavailable));
                return;
            }
            impl->httpHandler(request, std::move(responder));
        });
    };
    d->shared->dispatchUpgrade = [toQt = d->shared->toQt, impl](HttpRequest request,
                                                                UpgradeVerdict verdict) {
        toQt([impl, request = std::move(request), verdict = std::move(verdict)] {
            if (!impl->upgradeCheck || !impl->webSocketHandler) {
                verdict(upgradeRefusal(HttpStatus::notFound,
                                       QStringLiteral("no WebSocket service here")));
                return;
            }
            verdict(impl->upgradeCheck(request));
        });
    };
    d->shared->dispatchWebSocket = [toQt = d->shared->toQt,
                                    impl](std::shared_ptr<CompanionConnectionImpl> connection) {
        toQt([impl, connection = std::move(connection)]() mutable {
            if (!impl->webSocketHandler) {
                connection->close(1001, QStringLiteral("going away"));
                return;
            }
            if (impl->gate)
                impl->webSocketHandler(impl->gate->wrap(std::move(connection)));
            else
                impl->webSocketHandler(std::move(connection));
        });
    };

    if (d->options.tls) {
        ssl::context context(ssl::context::tls_server);
        // TLS 1.2 and 1.3 only, as Qt's SecureProtocols before.
        context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                            | ssl::context::no_sslv3 | ssl::context::no_tlsv1
                            | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        const QByteArray &chain = d->options.tls->certificateChainPem;
        const QByteArray &key = d->options.tls->privateKeyPem;
        beast::error_code ec;
        context.use_certificate_chain(net::buffer(chain.constData(), chain.size()), ec);
        if (!ec)
            context.use_private_key(net::buffer(key.constData(), key.size()), ssl::context::pem,
                                    ec);
        if (ec)
            qCCritical(lcEdge) << "TLS certificate or key refused:" << ec.message().c_str();
        d->shared->tls.emplace(std::move(context));
    }
}

EdgeServer::~EdgeServer()
{
    stop();
}

std::size_t EdgeServer::heldWrites() const
{
    return d->gate ? d->gate->heldWrites() : 0;
}

void EdgeServer::setDurability(Durability *durability)
{
    d->gate.reset();
    d->gateContext.reset();
    if (!durability || d->stopped)
        return;
    d->gateContext = std::make_unique<QObject>();
    d->gate.emplace(*durability, d->gateContext.get());
}

void EdgeServer::setHttpHandler(HttpHandler handler)
{
    d->httpHandler = std::move(handler);
}

void EdgeServer::setIoThreadHandler(IoThreadHandler handler)
{
    if (d->ioThreadHandlerStorage)
        return;
    d->ioThreadHandlerStorage = std::make_unique<IoThreadHandler>(std::move(handler));
    d->ioThreadHandler.store(d->ioThreadHandlerStorage.get(), std::memory_order_release);
}

void EdgeServer::serve(const HttpRouter &router)
{
    setHttpHandler([&router](const HttpRequest &request, Responder &&responder) {
        router.handle(request, std::move(responder));
    });
}

void EdgeServer::setWebSocketHandler(UpgradeCheck check, WebSocketHandler handler)
{
    d->upgradeCheck = std::move(check);
    d->webSocketHandler = std::move(handler);
}

Result<quint16> EdgeServer::listen()
{
    if (d->listener)
        return makeError(ErrorCode::ConfigError, QStringLiteral("the edge is already listening"));
    beast::error_code ec;
    const auto address = net::ip::make_address(d->options.address.toString().toStdString(), ec);
    if (ec) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("cannot listen on %1").arg(d->options.address.toString()));
    }
    d->listener = std::make_shared<Listener>(d->shared, *d->io);
    auto port = d->listener->bind(tcp::endpoint(address, d->options.port));
    if (!port) {
        d->listener.reset();
        return port.error();
    }
    d->listener->start();
    d->work.emplace(d->io->get_executor());
    for (int i = 0; i < d->options.ioThreads; ++i)
        d->threads.emplace_back([io = d->io] { io->run(); });
    qCInfo(lcEdge) << "listening on" << d->options.address.toString() << port.value() << "with"
                   << d->options.ioThreads << "I/O threads, at most" << d->connectionCap
                   << "connections";
    return port;
}

void EdgeServer::stop()
{
    if (d->stopped)
        return;
    d->stopped = true;
    d->shared->stopping.store(true);
    if (d->listener)
        d->listener->stop();
    // Close every socket; their pending operations end with errors and the
    // io_context runs out of work.
    std::vector<std::weak_ptr<Closable>> live;
    {
        const std::lock_guard lock(d->shared->mutex);
        for (const auto &entry : d->shared->live)
            live.push_back(entry.second);
    }
    for (const auto &weak : live) {
        if (auto closable = weak.lock())
            closable->closeNow();
    }
    d->work.reset();
    if (!d->threads.empty()) {
        // Bounded: a close that cannot finish (a TLS shutdown to a silent
        // peer) must not hold the process.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (d->shared->liveCount() > 0 && std::chrono::steady_clock::now() < deadline)
            QThread::msleep(5);
        d->io->stop();
        for (std::thread &thread : d->threads)
            thread.join();
        d->threads.clear();
    }
    // Calls already queued for the Qt thread are dropped with it, here on
    // the Qt thread (the I/O threads are joined: nothing adds to the queue).
    d->dispatcher.reset();
    d->gate.reset();
    d->gateContext.reset();
    {
        std::deque<std::function<void()>> dropped;
        {
            const std::lock_guard lock(d->toQtQueue->mutex);
            dropped.swap(d->toQtQueue->calls);
        }
    }
    d->listener.reset();
}

int EdgeServer::openConnections() const
{
    return d->shared->limiter.open();
}

int EdgeServer::connectionCap() const
{
    return d->connectionCap;
}

const LimitLog &EdgeServer::limitLog() const
{
    return d->shared->log;
}

} // namespace countersign::gateway
