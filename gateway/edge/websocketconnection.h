#pragma once

// Internal to gateway/edge (included by edgeserver.cpp only).

#include "gateway/edge/companionconnection.h"
#include "gateway/edge/edgeshared.h"

#include <deque>

#include <QPointer>

namespace countersign::gateway::edge {

class CompanionConnectionImpl : public CompanionConnection {};

// One companion WebSocket after the upgrade. Reads on its strand and
// delivers each message to the Qt thread; writes (text, ping, close) go
// through one queue, bounded in bytes, each watched by the write-stall
// timer, so a peer that stops reading is closed instead of buffered for.
template <class Stream>
class WebSocketConnection final : public CompanionConnectionImpl,
                                  public Closable,
                                  public std::enable_shared_from_this<WebSocketConnection<Stream>> {
public:
    WebSocketConnection(std::shared_ptr<EdgeShared> shared, Stream stream, ConnectionSlot slot,
                        Peer peer)
        : m_shared(std::move(shared))
        , m_ws(std::move(stream))
        , m_slot(std::move(slot))
        , m_peer(std::move(peer))
        , m_stallTimer(m_ws.get_executor())
    {
    }

    ~WebSocketConnection() override
    {
        m_shared->limiter.setBusy(this);
        m_shared->unregisterLive(this);
    }

    void accept(http::request<http::string_body> request, beast::flat_buffer)
    {
        m_shared->registerLive(this, this->shared_from_this());
        // Until the companion proves who it is (markTrusted()), it may be
        // closed to make room for others, like an idle HTTP connection.
        m_shared->limiter.setEvictable(this, m_slot.address(),
                                       std::weak_ptr<Closable>(this->shared_from_this()));
        beast::get_lowest_layer(m_ws).expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = m_shared->limits.headerTimeout;
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        m_ws.set_option(timeouts);
        m_ws.read_message_max(m_shared->limits.webSocketMessageBytes);
        m_ws.auto_fragment(false);
        m_ws.control_callback(
            [this](websocket::frame_type kind, beast::string_view) { onControl(kind); });
        m_ws.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) {
                self->closeHard();
                return;
            }
            self->m_shared->dispatchWebSocket(self);
        });
    }

    // CompanionConnection (called on the Qt thread).
    void start(QObject *receiver, Events events) override
    {
        QPointer<QObject> guard(receiver);
        net::post(m_ws.get_executor(),
                  [self = this->shared_from_this(), guard, events = std::move(events)]() mutable {
                      self->m_receiver = guard;
                      self->m_events = std::move(events);
                      self->m_started = true;
                      self->read();
                  });
    }

    void sendText(const QString &text) override
    {
        net::post(m_ws.get_executor(),
                  [self = this->shared_from_this(), data = text.toUtf8().toStdString()]() mutable {
                      self->enqueue(Out{Out::Text, std::move(data), {}});
                  });
    }

    void ping() override
    {
        net::post(m_ws.get_executor(), [self = this->shared_from_this()] {
            self->enqueue(Out{Out::Ping, {}, {}});
        });
    }

    void close(int code, const QString &reason) override
    {
        // A close reason is at most 123 bytes (RFC 6455 5.5.1).
        std::string text = reason.toUtf8().left(120).toStdString();
        net::post(m_ws.get_executor(),
                  [self = this->shared_from_this(), code, text = std::move(text)]() mutable {
                      self->requestClose(static_cast<std::uint16_t>(code), std::move(text));
                  });
    }

    QHostAddress peerAddress() const override { return m_peer.address; }

    void markTrusted() override { m_shared->limiter.setBusy(this); }

    // Closable (any thread).
    void closeNow() override
    {
        net::post(m_ws.get_executor(), [self = this->shared_from_this()] { self->closeHard(); });
    }

private:
    struct Out {
        enum Kind { Text, Ping, Close } kind;
        std::string data;
        websocket::close_reason reason;
    };

    void read()
    {
        m_ws.async_read(m_in, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            self->onRead(ec);
        });
    }

    void onRead(beast::error_code ec)
    {
        if (ec) {
            if (ec == websocket::error::message_too_big)
                m_shared->log.trip(LimitLog::MessageTooLarge, m_peer.text());
            finish();
            return;
        }
        if (m_ws.got_text()) {
            const auto data = m_in.cdata();
            QString text = QString::fromUtf8(static_cast<const char *>(data.data()),
                                             static_cast<qsizetype>(data.size()));
            deliver([text = std::move(text)](const Events &events) {
                if (events.text)
                    events.text(text);
            });
        } else {
            deliver([](const Events &events) {
                if (events.binary)
                    events.binary();
            });
        }
        m_in.consume(m_in.size());
        read();
    }

    void onControl(websocket::frame_type kind)
    {
        if (kind == websocket::frame_type::pong) {
            deliver([](const Events &events) {
                if (events.pong)
                    events.pong();
            });
            return;
        }
        if (kind != websocket::frame_type::ping)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_pingWindowStart > std::chrono::seconds(10)) {
            m_pingWindowStart = now;
            m_pingsInWindow = 0;
        }
        if (++m_pingsInWindow > m_shared->limits.webSocketPingsPer10s && !m_finished) {
            // Reset at once, without a close frame: a flooder keeps
            // sending while a close frame waits for its turn, and every
            // byte of that would still be read and parsed.
            m_shared->log.trip(LimitLog::PingFlood, m_peer.text());
            abortConnection();
        }
    }

    template <class F>
    void deliver(F &&f)
    {
        if (!m_started)
            return;
        // The receiver is only looked at on the Qt thread, where it lives.
        m_shared->toQt([receiver = m_receiver, events = m_events, f = std::forward<F>(f)] {
            if (receiver)
                f(events);
        });
    }

    void enqueue(Out out)
    {
        if (m_closing || m_finished)
            return;
        if (out.kind == Out::Close)
            m_closing = true;
        m_queuedBytes += out.data.size();
        if (out.kind != Out::Close && m_queuedBytes > m_shared->limits.sendQueueBytes) {
            m_shared->log.trip(LimitLog::SendQueueFull, m_peer.text());
            // What is not on the wire yet is dropped; the close frame goes
            // after the write in progress (which the stall timer bounds).
            if (m_writing) {
                Out current = std::move(m_out.front());
                m_out.clear();
                m_out.push_back(std::move(current));
            } else {
                m_out.clear();
            }
            m_queuedBytes = 0;
            m_closing = true;
            m_out.push_back(Out{Out::Close,
                                {},
                                websocket::close_reason(websocket::close_code::try_again_later,
                                                        "send queue full")});
        } else {
            m_out.push_back(std::move(out));
        }
        if (!m_writing)
            writeNext();
    }

    void requestClose(std::uint16_t code, std::string reason)
    {
        if (m_closing || m_finished)
            return;
        websocket::close_reason why;
        why.code = code;
        why.reason = reason;
        enqueue(Out{Out::Close, {}, why});
    }

    void writeNext()
    {
        if (m_out.empty() || m_finished) {
            m_writing = false;
            return;
        }
        m_writing = true;
        m_stallTimer.expires_after(m_shared->limits.writeStallTimeout);
        m_stallTimer.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
            if (ec)
                return; // cancelled: the write finished
            if (auto self = weak.lock()) {
                self->m_shared->log.trip(LimitLog::Timeout, self->m_peer.text() + u" (write)");
                self->abortConnection();
            }
        });
        Out &out = m_out.front();
        auto done = [self = this->shared_from_this()](beast::error_code ec, std::size_t = 0) {
            self->m_stallTimer.cancel();
            if (ec) {
                self->closeHard();
                return;
            }
            self->m_queuedBytes -= std::min(self->m_queuedBytes, self->m_out.front().data.size());
            self->m_out.pop_front();
            self->writeNext();
        };
        switch (out.kind) {
        case Out::Text:
            m_ws.text(true);
            m_ws.async_write(net::buffer(out.data), std::move(done));
            break;
        case Out::Ping:
            m_ws.async_ping({},
                            [done = std::move(done)](beast::error_code ec) mutable { done(ec); });
            break;
        case Out::Close:
            m_ws.async_close(out.reason, [self = this->shared_from_this()](beast::error_code) {
                self->m_stallTimer.cancel();
                self->closeHard();
            });
            break;
        }
    }

    // Ends the connection with a reset: the kernel drops what is queued
    // for the peer at once (a peer that does not read would otherwise keep
    // it in an orphaned socket) and nothing more is read from it.
    void abortConnection()
    {
        beast::error_code ignored;
        beast::get_lowest_layer(m_ws).socket().set_option(net::socket_base::linger(true, 0),
                                                          ignored);
        closeHard();
    }

    void closeHard()
    {
        m_closing = true;
        m_stallTimer.cancel();
        beast::error_code ignored;
        beast::get_lowest_layer(m_ws).socket().close(ignored);
        if (!m_started)
            finish();
    }

    // Once, when the connection is over.
    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        m_closing = true;
        if (!m_writing)
            m_out.clear(); // else a write in progress still points into it
        m_stallTimer.cancel();
        beast::error_code ignored;
        beast::get_lowest_layer(m_ws).socket().close(ignored);
        m_shared->unregisterLive(this);
        deliver([](const Events &events) {
            if (events.closed)
                events.closed();
        });
    }

    std::shared_ptr<EdgeShared> m_shared;
    websocket::stream<Stream> m_ws;
    ConnectionSlot m_slot;
    Peer m_peer;
    net::steady_timer m_stallTimer;
    beast::flat_buffer m_in;
    std::deque<Out> m_out;
    std::size_t m_queuedBytes = 0;
    QPointer<QObject> m_receiver;
    Events m_events;
    std::chrono::steady_clock::time_point m_pingWindowStart{};
    int m_pingsInWindow = 0;
    bool m_started = false;
    bool m_writing = false;
    bool m_closing = false;
    bool m_finished = false;
};

} // namespace countersign::gateway::edge
