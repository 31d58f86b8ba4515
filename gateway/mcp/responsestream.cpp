#include "responsestream.h"

#include <QJsonDocument>

namespace countersign::gateway {

namespace {

QByteArray event(const QJsonObject &message)
{
    return QByteArray(QByteArrayLiteral("event: message\ndata: ")
                      + QJsonDocument(message).toJson(QJsonDocument::Compact)
                      + QByteArrayLiteral("\n\n"));
}

} // namespace

ResponseStream::ResponseStream(Responder &&responder, bool clientAcceptsEventStream)
    : m_responder(std::move(responder))
    , m_streamable(clientAcceptsEventStream)
{
}

ResponseStream::~ResponseStream()
{
    // An unfinished stream is ended so the connection is left in a state the
    // client can read (a server shutting down, a dropped flow).
    if (!m_finished && m_open)
        close();
}

bool ResponseStream::clientStillThere() const
{
    return m_responder.clientStillThere();
}

void ResponseStream::open()
{
    if (m_open || m_finished || !m_streamable || !clientStillThere())
        return;
    m_open = true;
    // X-Accel-Buffering: a reverse proxy (nginx) in front of the gateway
    // passes events on at once instead of buffering the held stream.
    m_responder.beginStream(HttpStatus::ok,
                            {{"Content-Type", "text/event-stream"},
                             {"Cache-Control", "no-store"},
                             {"X-Accel-Buffering", "no"}});
}

void ResponseStream::send(const QJsonObject &message)
{
    if (m_finished || !m_streamable)
        return;
    open();
    m_responder.writeChunk(event(message));
}

void ResponseStream::keepAlive()
{
    if (m_finished || !m_open)
        return;
    m_responder.writeChunk(QByteArrayLiteral(": waiting\n\n"));
}

void ResponseStream::finish(const QJsonObject &given)
{
    if (m_finished)
        return;
    const QJsonObject response = m_filter ? m_filter(given) : given;
    if (!m_open) {
        m_finished = true;
        HttpResponse reply = HttpResponse::json(response);
        reply.setHeader("Cache-Control", "no-store");
        m_responder.send(std::move(reply));
        return;
    }
    m_responder.writeChunk(event(response));
    close();
}

void ResponseStream::close()
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_open)
        m_responder.endStream();
    else
        m_responder.send(HttpStatus::ok); // nothing was ever said: an empty answer
}

} // namespace countersign::gateway
