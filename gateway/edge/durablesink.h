#pragma once

#include "gateway/edge/companionconnection.h"
#include "gateway/edge/responder.h"
#include "gateway/store/durability.h"

#include <cstddef>
#include <deque>
#include <memory>
#include <variant>

#include <QObject>

namespace countersign::gateway {

// The durability gate (docs/architecture.md "Durability"): nothing that
// depends on a write leaves the gateway before the write is durable. The
// edge wraps every request's ResponseSink and every companion connection in
// one of the decorators below before the Qt side sees them. A write (an
// answer, a chunk, a message, a close) goes out at once when the store has
// no unsynced commit and nothing is held for that connection, the common
// case of every read-only route, at the cost of one check; otherwise it is
// held, in order, until Durability::whenDurable() says every commit made
// before it is durable. When durability fails nobody is told anything that
// may not be on disk: a held HTTP answer becomes 503 storage_failure (a
// stream already begun is cut), a held companion message is dropped and
// the connection closed with 1011.
//
// Everything here runs on the Qt thread (the thread that owns the store).
class DurabilityGate {
public:
    // `context` receives the whenDurable callbacks; when it is destroyed
    // first, what is still held is dropped with it (the edge is stopping).
    DurabilityGate(Durability &durability, QObject *context);

    std::shared_ptr<ResponseSink> wrap(std::shared_ptr<ResponseSink> sink) const;
    std::shared_ptr<CompanionConnection>
    wrap(std::shared_ptr<CompanionConnection> connection) const;

    // Writes held right now, over every connection. Lets a test see that an
    // answer was made and is being held, instead of waiting to see it not
    // arrive.
    std::size_t heldWrites() const { return *m_heldWrites; }

private:
    Durability &m_durability;
    QObject *m_context;
    // Shared with every hold: a connection may outlive the gate.
    std::shared_ptr<std::size_t> m_heldWrites = std::make_shared<std::size_t>(0);
};

// The close code of a companion connection whose held messages could not be
// made durable (RFC 6455 1011, "internal error"; docs/protocol.md).
inline constexpr int storageFailureCloseCode = 1011;

namespace edge {

// What is held for one connection, in order, each write with the
// whenDurable() call it waits for. `Write` is the decorator's own record of
// one call; `Owner` forwards or fails them (CRTP: no virtual call per
// write).
template <class Owner, class Write>
class DurabilityHold {
protected:
    DurabilityHold(Durability &durability, QObject *context,
                   std::shared_ptr<std::size_t> heldWrites)
        : m_durability(durability)
        , m_context(context)
        , m_heldWrites(std::move(heldWrites))
    {
    }
    ~DurabilityHold() { count(-static_cast<std::ptrdiff_t>(m_held.size())); }
    DurabilityHold(const DurabilityHold &) = delete;
    DurabilityHold &operator=(const DurabilityHold &) = delete;

    void submit(Write write)
    {
        if (m_failed)
            return; // told already: 503, a cut stream or a close
        const bool unsynced = m_durability.hasUnsyncedCommits();
        if (m_held.empty() && !unsynced) {
            owner().forward(std::move(write));
            return;
        }
        // Behind what is held already, and, while a commit is not yet
        // durable, behind a new barrier: the write may depend on that commit.
        quint64 barrier = m_held.empty() ? m_released : m_held.back().barrier;
        if (unsynced) {
            barrier = ++m_lastBarrier;
            m_durability.whenDurable(m_context,
                                     [self = owner().shared_from_this(), barrier](Status status) {
                                         self->onDurable(barrier, status);
                                     });
        }
        m_held.push_back(Held{barrier, std::move(write)});
        count(1);
    }

private:
    struct Held {
        quint64 barrier;
        Write write;
    };

    Owner &owner() { return static_cast<Owner &>(*this); }
    void count(std::ptrdiff_t change)
    {
        if (m_heldWrites)
            *m_heldWrites =
                static_cast<std::size_t>(static_cast<std::ptrdiff_t>(*m_heldWrites) + change);
    }

    void onDurable(quint64 barrier, const Status &status)
    {
        if (m_failed)
            return;
        if (!status) {
            m_failed = true;
            std::deque<Held> held;
            held.swap(m_held);
            count(-static_cast<std::ptrdiff_t>(held.size()));
            std::deque<Write> writes;
            for (Held &entry : held)
                writes.push_back(std::move(entry.write));
            owner().fail(std::move(writes));
            return;
        }
        m_released = barrier;
        while (!m_held.empty() && m_held.front().barrier <= barrier) {
            Write write = std::move(m_held.front().write);
            m_held.pop_front();
            count(-1);
            owner().forward(std::move(write));
        }
    }

    Durability &m_durability;
    QObject *m_context;
    std::shared_ptr<std::size_t> m_heldWrites; // the gate's count; may be null
    std::deque<Held> m_held;
    quint64 m_lastBarrier = 0; // the newest whenDurable() call's number
    quint64 m_released = 0;    // the newest one that has answered
    bool m_failed = false;
};

// The writes the decorators hold.
struct BeginStream {
    int status;
    HttpHeaders headers;
};
struct Chunk {
    QByteArray data;
};
struct EndStream {};
struct Abandon {};
using HttpWrite = std::variant<HttpResponse, BeginStream, Chunk, EndStream, Abandon>;

struct TextMessage {
    QString text;
};
struct CloseRequest {
    int code;
    QString reason;
};
using CompanionWrite = std::variant<TextMessage, CloseRequest>;

// A ResponseSink behind the gate.
class DurableResponseSink final : public ResponseSink,
                                  public DurabilityHold<DurableResponseSink, HttpWrite>,
                                  public std::enable_shared_from_this<DurableResponseSink> {
public:
    DurableResponseSink(std::shared_ptr<ResponseSink> inner, Durability &durability,
                        QObject *context, std::shared_ptr<std::size_t> heldWrites = {});

    void send(HttpResponse response) override;
    void beginStream(int status, HttpHeaders headers) override;
    void writeChunk(QByteArray data) override;
    void endStream() override;
    void abandon() override;
    void cut() override;
    bool clientStillThere() const override;

private:
    friend class DurabilityHold<DurableResponseSink, HttpWrite>;
    void forward(HttpWrite write);
    void fail(std::deque<HttpWrite> held);

    std::shared_ptr<ResponseSink> m_inner;
    bool m_streamBegun = false; // a beginStream has gone out
};

// A companion connection behind the gate: sendText and close are held, the
// rest passes straight through (a ping says nothing about any state).
class DurableCompanionConnection final
    : public CompanionConnection,
      public DurabilityHold<DurableCompanionConnection, CompanionWrite>,
      public std::enable_shared_from_this<DurableCompanionConnection> {
public:
    DurableCompanionConnection(std::shared_ptr<CompanionConnection> inner, Durability &durability,
                               QObject *context, std::shared_ptr<std::size_t> heldWrites = {});

    void start(QObject *receiver, Events events) override;
    void sendText(const QString &text) override;
    void ping() override;
    void close(int code, const QString &reason) override;
    QHostAddress peerAddress() const override;
    void markTrusted() override;

private:
    friend class DurabilityHold<DurableCompanionConnection, CompanionWrite>;
    void forward(CompanionWrite write);
    void fail(std::deque<CompanionWrite> held);

    std::shared_ptr<CompanionConnection> m_inner;
};

} // namespace edge

} // namespace countersign::gateway
