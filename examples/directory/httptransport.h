#pragma once

#include "mcpdispatcher.h"
#include "protocol/result.h"

#include <QHash>
#include <QHostAddress>
#include <QHttpServer>
#include <QObject>

namespace countersign::directory {

// MCP's Streamable HTTP transport, the JSON-response half of it: POST /mcp
// takes one JSON-RPC message and answers with application/json (requests) or
// 202 (notifications and responses). No SSE: this server never sends
// requests of its own. GET /mcp is 405; DELETE /mcp ends a session.
class HttpTransport : public QObject {
    Q_OBJECT

public:
    static constexpr qsizetype maxBodyBytes = 1024 * 1024;
    // Oldest sessions are forgotten beyond this; their clients get 404 and
    // initialize again, as the specification asks of them.
    static constexpr qsizetype maxSessions = 1000;

    explicit HttpTransport(McpDispatcher &dispatcher, QObject *parent = nullptr);

    // The port actually bound (useful with port 0).
    Result<quint16> listen(const QHostAddress &address, quint16 port);

private:
    void post(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    QHttpServerResponse remove(const QHttpServerRequest &request);
    QString openSession();

    McpDispatcher &m_dispatcher;
    QHttpServer m_http;
    QHash<QString, qint64> m_sessions; // id -> sequence number, for eviction
    qint64 m_sessionSequence = 0;
};

} // namespace countersign::directory
