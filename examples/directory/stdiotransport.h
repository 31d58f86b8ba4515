#pragma once

#include "mcpdispatcher.h"

#include <QByteArray>
#include <QFile>
#include <QObject>

class QSocketNotifier;

namespace countersign::directory {

// MCP's stdio transport: one JSON-RPC message per line on stdin, answers one
// per line on stdout. Nothing else may reach stdout; logs go to stderr.
class StdioTransport : public QObject {
    Q_OBJECT

public:
    // A line longer than this is answered with a parse error and skipped.
    static constexpr qsizetype maxLineBytes = 4 * 1024 * 1024;

    explicit StdioTransport(McpDispatcher &dispatcher, QObject *parent = nullptr);

    bool start();

Q_SIGNALS:
    // stdin reached its end and every answer was written: time to exit.
    void finished();

private:
    void readInput();
    void handleLine(QByteArrayView line);
    void answer(const QJsonObject &response);
    void send(const QJsonObject &message);
    void finishIfIdle();

    McpDispatcher &m_dispatcher;
    QSocketNotifier *m_notifier = nullptr;
    QFile m_out;
    QByteArray m_buffer;
    bool m_skippingLongLine = false;
    bool m_inputClosed = false;
    bool m_finished = false;
    int m_pending = 0;
};

} // namespace countersign::directory
