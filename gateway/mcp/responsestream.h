#pragma once

#include <memory>

#include <QByteArray>
#include <QHttpServerResponder>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>

namespace countersign::gateway {

// The answer to one POST /mcp (or the GET stream) that is given later and
// may carry messages before it: MCP Streamable HTTP lets the server answer
// with a text/event-stream whose events are JSON-RPC messages (progress,
// elicitation requests) ending with the response. When the client does not
// accept event streams, or this Qt cannot stream (6.5 to 6.7), only the
// final response is sent, as one JSON body.
//
// Qt 6.4 writes the chunked stream by hand (PLATFORM-NOTES.md); Qt 6.8 and
// later have writeBeginChunked/writeChunk/writeEndChunked. The difference
// stays in this class.
class ResponseStream {
public:
    ResponseStream(QHttpServerResponder &&responder, bool clientAcceptsEventStream);
    ~ResponseStream();
    ResponseStream(const ResponseStream &) = delete;
    ResponseStream &operator=(const ResponseStream &) = delete;

    // Whether messages before the response can reach the client.
    bool canStream() const { return m_streamable; }
    // False once the client is known to have hung up (Qt 6.4 tells; newer
    // Qt does not, and writes to a gone client are dropped by Qt).
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

    static bool qtCanStream();

private:
    void writeChunk(const QByteArray &data);

    QHttpServerResponder m_responder;
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    QPointer<QTcpSocket> m_socket;
#endif
    bool m_streamable = false;
    bool m_open = false;
    bool m_finished = false;
};

} // namespace countersign::gateway
