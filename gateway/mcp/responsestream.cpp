#include "responsestream.h"

#include <QHttpServerResponse>
#include <QJsonDocument>
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
#include <QHttpHeaders>
#endif

namespace countersign::gateway {

namespace {

using Status = QHttpServerResponder::StatusCode;

QByteArray event(const QJsonObject &message)
{
    return QByteArray(QByteArrayLiteral("event: message\ndata: ")
                      + QJsonDocument(message).toJson(QJsonDocument::Compact)
                      + QByteArrayLiteral("\n\n"));
}

} // namespace

ResponseStream::ResponseStream(QHttpServerResponder &&responder, bool clientAcceptsEventStream)
    : m_responder(std::move(responder))
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    , m_socket(m_responder.socket())
#endif
    , m_streamable(clientAcceptsEventStream && qtCanStream())
{
}

ResponseStream::~ResponseStream()
{
    // An unfinished stream is ended so the connection is left in a state the
    // client can read (a server shutting down, a dropped flow).
    if (!m_finished && m_open)
        close();
}

bool ResponseStream::qtCanStream()
{
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0) || QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    return true;
#else
    return false;
#endif
}

bool ResponseStream::clientStillThere() const
{
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    return !m_socket.isNull() && m_socket->state() == QAbstractSocket::ConnectedState;
#else
    return true;
#endif
}

void ResponseStream::open()
{
    if (m_open || m_finished || !m_streamable || !clientStillThere())
        return;
    m_open = true;
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    m_responder.writeStatusLine(Status::Ok);
    m_responder.writeHeader("Content-Type", "text/event-stream");
    m_responder.writeHeader("Cache-Control", "no-store");
    m_responder.writeHeader("Transfer-Encoding", "chunked");
    m_socket->write("\r\n");
#elif QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    QHttpHeaders headers;
    headers.append(QHttpHeaders::WellKnownHeader::ContentType, "text/event-stream");
    headers.append(QHttpHeaders::WellKnownHeader::CacheControl, "no-store");
    m_responder.writeBeginChunked(headers, Status::Ok);
#endif
}

void ResponseStream::writeChunk(const QByteArray &data)
{
    if (!clientStillThere())
        return;
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    m_socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
#elif QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    m_responder.writeChunk(data);
#else
    Q_UNUSED(data);
#endif
}

void ResponseStream::send(const QJsonObject &message)
{
    if (m_finished || !m_streamable)
        return;
    open();
    writeChunk(event(message));
}

void ResponseStream::keepAlive()
{
    if (m_finished || !m_open)
        return;
    writeChunk(QByteArrayLiteral(": waiting\n\n"));
}

void ResponseStream::finish(const QJsonObject &response)
{
    if (m_finished)
        return;
    if (!m_open) {
        m_finished = true;
        if (!clientStillThere())
            return;
        QHttpServerResponse reply(QByteArrayLiteral("application/json"),
                                  QJsonDocument(response).toJson(QJsonDocument::Compact));
        reply.setHeader("Cache-Control", "no-store");
        std::move(reply).write(std::move(m_responder));
        return;
    }
    writeChunk(event(response));
    close();
}

void ResponseStream::close()
{
    if (m_finished)
        return;
    m_finished = true;
    if (!m_open || !clientStillThere())
        return;
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    m_socket->write("0\r\n\r\n");
#elif QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    m_responder.writeEndChunked(QByteArray());
#endif
}

} // namespace countersign::gateway
