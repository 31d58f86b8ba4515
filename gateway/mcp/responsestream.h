#pragma once

#include "gateway/edge/responder.h"

#include <functional>

#include <QByteArray>
#include <QJsonObject>

namespace countersign::gateway {

// The answer to one POST /mcp (or the GET stream) that is given later and
// may carry messages before it: MCP Streamable HTTP lets the server answer
// with a text/event-stream whose events are JSON-RPC messages (progress,
// elicitation requests) ending with the response. When the client does not
// accept event streams, only the final response is sent, as one JSON body.
class ResponseStream {
public:
    ResponseStream(Responder &&responder, bool clientAcceptsEventStream);
    ~ResponseStream();
    ResponseStream(const ResponseStream &) = delete;
    ResponseStream &operator=(const ResponseStream &) = delete;

    // Whether messages before the response can reach the client.
    bool canStream() const { return m_streamable; }
    // False once the client is known to have hung up (a failed write, a
    // timeout, the server stopping).
    bool clientStillThere() const;
    bool isFinished() const { return m_finished; }

    // Starts the event stream now (so the client gets its headers and stops
    // waiting for them) without a message. Does nothing when streaming is
    // not possible.
    void open();
    // A message before the response; dropped when streaming is not possible.
    void send(const QJsonObject &message);
    // An SSE comment, which keeps idle-timeouts of proxies and clients away.
    void keepAlive();
    // The response; ends the stream. Later calls do nothing.
    void finish(const QJsonObject &response);
    // Ends an event stream without a response (GET stream at session end).
    void close();
    // Applied to the response finish() sends, whoever finishes the stream
    // (MCP 2026-07-28: resultType and serverInfo on every result).
    void setResponseFilter(std::function<QJsonObject(QJsonObject)> filter)
    {
        m_filter = std::move(filter);
    }

private:
    Responder m_responder;
    std::function<QJsonObject(QJsonObject)> m_filter;
    bool m_streamable = false;
    bool m_open = false;
    bool m_finished = false;
};

} // namespace countersign::gateway
