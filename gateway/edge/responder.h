#pragma once

#include "gateway/edge/httpmessage.h"

#include <memory>

namespace countersign::gateway {

// Where a Responder's writes go: implemented by the edge for one request on
// one connection. Every call is made on the Qt thread; the edge posts the
// work to the connection's strand, so none of them blocks or touches the
// socket directly.
class ResponseSink {
public:
    virtual ~ResponseSink() = default;
    virtual void send(HttpResponse response) = 0;
    virtual void beginStream(int status, HttpHeaders headers) = 0;
    virtual void writeChunk(QByteArray data) = 0;
    virtual void endStream() = 0;
    // No answer will come (the route dropped its responder): the edge
    // answers 500 and closes.
    virtual void abandon() = 0;
    // Ends the connection at once, mid-answer: a stream that must not look
    // complete (the durability gate, durablesink.h). Test doubles may
    // ignore it.
    virtual void cut() {}
    // False once the connection is known to be closed (a failed write, a
    // timeout, the server stopping).
    virtual bool clientStillThere() const = 0;
};

// The answer to one request, given now or later, once: either send() or a
// stream (beginStream, writeChunk..., endStream). Move-only; a responder
// dropped without answering answers 500, a stream left open is ended. Lives
// on the Qt thread.
class Responder {
public:
    explicit Responder(std::shared_ptr<ResponseSink> sink);
    ~Responder();
    Responder(Responder &&other) noexcept;
    Responder &operator=(Responder &&other) noexcept;
    Responder(const Responder &) = delete;
    Responder &operator=(const Responder &) = delete;

    void send(HttpResponse response);
    void send(int status) { send(HttpResponse(status)); }
    // Starts a chunked answer (Server-Sent Events).
    void beginStream(int status, HttpHeaders headers);
    void writeChunk(QByteArray data);
    void endStream();

    bool isAnswered() const { return m_state == State::Done; }
    bool isStreaming() const { return m_state == State::Streaming; }
    bool clientStillThere() const;

private:
    enum class State { Fresh, Streaming, Done };
    void finishOnDestruction();

    std::shared_ptr<ResponseSink> m_sink;
    State m_state = State::Fresh;
};

} // namespace countersign::gateway
