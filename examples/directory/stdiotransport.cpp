#include "stdiotransport.h"

#include <cerrno>
#include <unistd.h>

#include <QJsonDocument>
#include <QPointer>
#include <QSocketNotifier>

namespace countersign::directory {

StdioTransport::StdioTransport(McpDispatcher &dispatcher, QObject *parent)
    : QObject(parent)
    , m_dispatcher(dispatcher)
{
}

bool StdioTransport::start()
{
    if (!m_out.open(STDOUT_FILENO, QIODevice::WriteOnly | QIODevice::Unbuffered))
        return false;
    m_notifier = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &StdioTransport::readInput);
    return true;
}

void StdioTransport::readInput()
{
    char chunk[64 * 1024];
    const ssize_t count = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (count < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (count <= 0) {
        // End of input (or a broken pipe): the client is gone.
        m_notifier->setEnabled(false);
        m_inputClosed = true;
        if (!m_buffer.isEmpty() && !m_skippingLongLine)
            handleLine(m_buffer);
        m_buffer.clear();
        finishIfIdle();
        return;
    }
    m_buffer.append(chunk, count);
    qsizetype start = 0;
    for (qsizetype newline = m_buffer.indexOf('\n'); newline >= 0;
         newline = m_buffer.indexOf('\n', start)) {
        if (!m_skippingLongLine)
            handleLine(QByteArrayView(m_buffer).sliced(start, newline - start));
        m_skippingLongLine = false;
        start = newline + 1;
    }
    m_buffer.remove(0, start);
    if (m_buffer.size() > maxLineBytes) {
        if (!m_skippingLongLine) {
            send(McpDispatcher::errorReply(
                QJsonValue(), McpDispatcher::ParseError,
                QStringLiteral("parse error: message longer than %1 bytes").arg(maxLineBytes)));
        }
        m_skippingLongLine = true;
        m_buffer.clear();
    }
}

void StdioTransport::handleLine(QByteArrayView line)
{
    line = line.trimmed(); // "\r\n" from Windows clients, blank lines
    if (line.isEmpty())
        return;
    const McpDispatcher::Incoming incoming = McpDispatcher::parse(line);
    switch (incoming.kind) {
    case McpDispatcher::Kind::Invalid:
        send(incoming.errorReply);
        return;
    case McpDispatcher::Kind::Notification:
    case McpDispatcher::Kind::Response:
        return; // initialized, cancelled: nothing to answer or undo
    case McpDispatcher::Kind::Request:
        break;
    }
    ++m_pending;
    QPointer<StdioTransport> self(this);
    m_dispatcher.handleRequest(incoming.message, {}, [self](const QJsonObject &response) {
        if (StdioTransport *transport = self.data(); transport != nullptr)
            transport->answer(response);
    });
}

void StdioTransport::answer(const QJsonObject &response)
{
    --m_pending;
    send(response);
    finishIfIdle();
}

void StdioTransport::send(const QJsonObject &message)
{
    QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact);
    line.append('\n');
    m_out.write(line);
}

void StdioTransport::finishIfIdle()
{
    if (m_inputClosed && m_pending == 0 && !m_finished) {
        m_finished = true;
        Q_EMIT finished();
    }
}

} // namespace countersign::directory
