#pragma once

#include "protocol/jsonrpc/mcpheaderparams.h"

#include <functional>

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QUrl>

class QNetworkReply;

namespace countersign::agent {

// A small MCP client over Streamable HTTP. With protocolVersion 2026-07-28
// it asks server/discover first and then sends every request with the
// protocol _meta and the MCP-Protocol-Version, Mcp-Method and Mcp-Name
// headers, no session; a server that does not speak 2026-07-28 (HTTP 400,
// 404 or 405 without a modern JSON-RPC error, as the specification's
// backward compatibility says) gets initialize with fallbackVersion instead.
// With an older protocolVersion (2025-11-25, 2025-06-18): initialize with a
// session. Requests are answered as JSON or as an event stream whose
// messages (progress, elicitation requests) are reported as they arrive;
// answers to server requests are posted back. It is what countersign-agent
// runs on, and what the gateway's tests drive the proxy with.
class McpHttpClient : public QObject {
    Q_OBJECT

public:
    static constexpr qsizetype maxResponseBytes = 16 * 1024 * 1024;

    struct Options {
        QString clientName = QStringLiteral("countersign-agent");
        QString clientVersion = QStringLiteral("0.1");
        QString protocolVersion = QStringLiteral("2025-11-25");
        // For protocolVersion 2026-07-28: what to initialize with when the
        // server does not speak it; empty: fail instead.
        QString fallbackVersion = QStringLiteral("2025-11-25");
        bool declareElicitation = true;
    };

    // Exactly one of result / error is set.
    struct Response {
        QJsonObject result;
        QJsonObject error;      // JSON-RPC error {code, message, data?}
        QString transportError; // HTTP or network failure, for people
        int httpStatus = 0;

        bool ok() const { return transportError.isEmpty() && error.isEmpty(); }
    };
    using Done = std::function<void(const Response &)>;

    McpHttpClient(QUrl endpoint, QByteArray bearerKey, Options options, QObject *parent = nullptr);
    McpHttpClient(QUrl endpoint, QByteArray bearerKey, QObject *parent = nullptr);
    ~McpHttpClient() override;

    // Starts talking: server/discover (2026-07-28, falling back to
    // initialize as above) or initialize.
    void open(Done done);
    void initialize(Done done);
    // A request; `meta` goes into params._meta (progressToken, ...).
    // Returns the client's id for it.
    qint64 request(const QString &method, const QJsonObject &params, Done done);
    // Answers a server request (elicitation/create) received through
    // serverRequest().
    void respond(const QJsonValue &id, const QJsonObject &result);
    // Stops waiting for a request: the HTTP request is aborted (the gateway
    // keeps its approval pending). `done` is not called.
    void abort(qint64 requestId);
    // DELETE the session.
    void close(std::function<void()> done = {});

    QByteArray sessionId() const { return m_sessionId; }
    QString negotiatedVersion() const { return m_negotiatedVersion; }
    // True once server/discover found a 2026-07-28 server.
    bool isModern() const { return m_modern; }
    QJsonObject serverInfo() const { return m_serverInfo; }

    // x-mcp-header (2026-07-28): a tools/list result's tools, those whose
    // annotations are invalid left out ("name: why" in `rejected`, for a
    // warning), as an HTTP client must. The others' header parameters are
    // remembered: request() mirrors them into Mcp-Param-* headers on
    // tools/call. Older eras: the tools as they are.
    QJsonArray acceptTools(const QJsonArray &tools, QStringList &rejected);
    // True once acceptTools() has seen a list (a call can mirror headers).
    bool knowsTools() const { return m_toolsKnown; }

Q_SIGNALS:
    // A notification on a request's stream (progress, cancelled, ...).
    void notification(const QJsonObject &message);
    // A request from the server (elicitation/create); answer with respond().
    void serverRequest(const QJsonObject &message);

private:
    struct Pending {
        QNetworkReply *reply = nullptr; // owned by m_network; removed from m_pending when done
        Done done;
        QByteArray buffer;
        bool eventStream = false;
        bool answered = false;
    };

    using Headers = QList<std::pair<QByteArray, QByteArray>>;
    QNetworkRequest makeRequest(const QJsonObject &message = {},
                                const Headers &extraHeaders = {}) const;
    void discoverAnswered(const Response &response, Done done);
    // The reply to a request, its shape checked: a result or error object.
    static Response responseFrom(const QJsonObject &message, int httpStatus);
    void onInitialized(const QJsonObject &result);
    void post(qint64 id, const QJsonObject &message, Done done, const Headers &extraHeaders = {});
    void onReadyRead(qint64 id);
    void onFinished(qint64 id);
    void handleEvent(qint64 id, const QByteArray &data);
    void finish(qint64 id, const Response &response);

    QUrl m_endpoint;
    QByteArray m_bearerKey;
    Options m_options;
    QNetworkAccessManager m_network;
    QByteArray m_sessionId;
    QString m_negotiatedVersion;
    bool m_modern = false;
    QJsonObject m_serverInfo;
    qint64 m_nextId = 1;
    QHash<qint64, Pending> m_pending;
    // Tool name -> its x-mcp-header parameters (tools with none not kept).
    static constexpr qsizetype maxToolsWithHeaderParams = 4096;
    QHash<QString, QList<mcpmodern::HeaderParam>> m_toolHeaderParams;
    bool m_toolsKnown = false;
};

} // namespace countersign::agent
