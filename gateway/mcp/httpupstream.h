#pragma once

#include "gateway/mcp/upstream.h"
#include "gateway/mcp/upstreamconfig.h"
#include "protocol/jsonrpc/mcpheaderparams.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QString>

class QNetworkAccessManager;
class QNetworkReply;

namespace countersign::gateway {

// An upstream MCP server reached over Streamable HTTP: every JSON-RPC
// message is a POST to the configured URL, and the answer is either
// application/json or a text/event-stream that carries it. The first request
// asks server/discover (MCP 2026-07-28). A server that answers it is modern:
// every request then carries the protocol _meta and the MCP-Protocol-Version,
// Mcp-Method and Mcp-Name headers, with no session and no GET stream. Any
// other HTTP 4xx without a modern error code marks an older server, and the
// session is opened the 2025 way (initialize, then
// notifications/initialized); its Mcp-Session-Id and the negotiated
// MCP-Protocol-Version go on every later request. When the server has
// forgotten the session (HTTP 404) the request is retried once in a new one.
// An unreachable or misbehaving server fails its calls with a clear message
// (JsonRpcMessage::upstreamFailure), never the gateway. Redirects are not
// followed: the Authorization header must not go anywhere but the
// configured URL.
class HttpUpstream : public Upstream {
    Q_OBJECT

public:
    // The version asked for in initialize, to a server from before 2026-07-28.
    static constexpr auto protocolVersion = "2025-06-18";
    // Larger answers (a whole body, or a whole event stream) are refused.
    static constexpr qint64 maxResponseBytes = 16 * 1024 * 1024;
    // How long initialize and notifications/initialized may take together.
    static constexpr std::chrono::milliseconds initializeTimeout = std::chrono::seconds(30);
    // Qt opens at most 6 connections per host and network access manager;
    // calls beyond that queued behind each other inside Qt, so 8 clients
    // already waited. The upstream gets up to managers x 6 keep-alive
    // connections, a request going to the least busy manager (the first
    // when tied), so light load keeps using one manager and its connections.
    static constexpr int networkManagers = 9;
    static constexpr int maxConnections = networkManagers * 6;

    explicit HttpUpstream(UpstreamConfig config, QObject *parent = nullptr);
    ~HttpUpstream() override;

    const QString &name() const override { return m_config.name; }
    QString audience() const override { return m_config.audience; }
    bool isReady() const { return m_state == State::Ready; }
    // The server's Mcp-Session-Id; empty before initialize, or for a server
    // without sessions (every 2026-07-28 server).
    QByteArray sessionId() const { return m_sessionId; }
    // The MCP version spoken with the server; empty until it is known.
    QByteArray protocolVersionInUse() const { return m_negotiatedVersion; }

    void request(const QString &method, const QJsonObject &params, Callback callback,
                 RequestOptions options = {}) override;

private:
    enum class State { Stopped, Initializing, Ready };
    // What the server was found to speak: 2026-07-28 (Modern) or an
    // initialize-era version (Legacy). Kept for the life of this object, as
    // the specification suggests for an origin.
    enum class Era { Unknown, Modern, Legacy };
    // The headers and envelope a POST carries.
    enum class Envelope {
        None,    // initialize: nothing negotiated yet
        Session, // 2025: Mcp-Session-Id and MCP-Protocol-Version
        Modern,  // 2026-07-28: MCP-Protocol-Version, Mcp-Method, Mcp-Name
    };

    // What one POST brought back.
    struct Answer {
        int status = 0; // HTTP status; 0 when none came
        QByteArray sessionId;
        // The JSON-RPC response to the request, when one came (with an HTTP
        // error status too, when its body was a JSON-RPC error).
        QJsonObject response;
        QString failure; // otherwise why not, for people
    };
    using AnswerHandler = std::function<void(const Answer &answer)>;
    struct Exchange;

    struct Call {
        QString method;
        QJsonObject params;
        Callback callback;
        QByteArray elevatedToken;
        std::function<void(const QJsonObject &)> onNotification;
        int timerId = 0;
        QNetworkReply *reply = nullptr; // while posted
        quint64 session = 0;            // m_sessionGeneration it was posted in
        bool sentWithSession = false;
        bool renewed = false;  // already retried in a new session
        bool relisted = false; // already retried after a tools/list (HeaderMismatch)
    };

    // Starts whichever handshake the era needs: server/discover while it is
    // unknown, initialize for a legacy server; a modern one needs none.
    void start();
    void discover();
    void discoverAnswered(const Answer &answer);
    void initialize();
    void initializeAnswered(const Answer &answer);
    void becomeReady();
    void failInitialize(const QString &message);
    void send(quint64 key);
    void callAnswered(quint64 key, const Answer &answer);
    void finishCall(quint64 key, const QJsonObject &response);

    // POSTs one JSON-RPC message. For a request (rpcId >= 0) the handler
    // gets its response; for a notification or a response, only the status.
    // Notifications on the answer's event stream go to `notify`, when set.
    // `extraHeaders`: a modern tools/call's Mcp-Param-* headers.
    QNetworkReply *post(const QJsonObject &message, qint64 rpcId, const QByteArray &bearer,
                        Envelope envelope, AnswerHandler handler,
                        std::function<void(const QJsonObject &)> notify = {},
                        const QList<std::pair<QByteArray, QByteArray>> &extraHeaders = {});
    // A modern server's tools/list answer: tools whose x-mcp-header
    // annotations are invalid are left out (with a warning naming the tool
    // and why), as a client must; the others' header parameters are kept for
    // their calls (rememberHeaderParams).
    QJsonObject filterToolList(const QJsonObject &params, QJsonObject response);
    // A modern server refused a tools/call with HeaderMismatch (-32020):
    // its tool definitions may have changed, or the gateway never listed
    // them. As the specification suggests, tools/list once, then send the
    // call again (the server refused it before running anything).
    void relistThenResend(quint64 key);
    void readBody(QNetworkReply *reply, Exchange &exchange);
    void readEvents(QNetworkReply *reply, Exchange &exchange, bool atEnd);
    void handleEvent(QNetworkReply *reply, Exchange &exchange, const QByteArray &data);
    void finishExchange(QNetworkReply *reply, Exchange &exchange);
    void complete(QNetworkReply *reply, Exchange &exchange, Answer answer);
    void answerServerRequest(const QJsonValue &id, const QString &method);
    // The GET event stream of the session, where a server sends requests and
    // notifications that belong to no call (sampling, elicitation and roots
    // requests made outside a call's stream among them). Opened once the
    // session is ready, and again by a later call after it ended, unless the
    // server does not offer one (HTTP 405). Its requests are refused at once
    // (answerServerRequest) so a server never waits on them; its
    // notifications are not relayed.
    void openListenStream();
    void abandon(QNetworkReply *reply);

    QJsonObject transportError(const QString &message) const;
    void deliver(Callback callback, const QJsonObject &response);
    void timerEvent(QTimerEvent *event) override;

    UpstreamConfig m_config;
    // The least busy of m_networks.
    QNetworkAccessManager *network();

    std::vector<QNetworkAccessManager *> m_networks; // children of this
    // Replies alive per manager; shared with each reply's destroyed()
    // handler, which may run after this object is gone.
    std::shared_ptr<std::vector<int>> m_inFlight;
    // Each posted reply's exchange until abandon(): abandoning marks it done
    // so late readyRead/finished signals return at once. The reply is never
    // disconnect()ed: called from inside its own finished() signal, that
    // leaves the slot objects to whichever thread next tidies the reply's
    // connections, possibly Qt's HTTP thread.
    std::map<QNetworkReply *, std::shared_ptr<Exchange>> m_exchanges;
    State m_state = State::Stopped;
    Era m_era = Era::Unknown;
    QByteArray m_sessionId;
    QByteArray m_negotiatedVersion;
    quint64 m_sessionGeneration = 0; // one per completed initialize
    QNetworkReply *m_initReply = nullptr;
    QNetworkReply *m_listenReply = nullptr; // the open GET stream, if any
    quint64 m_listenRefusedIn = 0;          // the session generation that answered 405
    int m_initTimerId = 0;
    qint64 m_nextRpcId = 1;
    quint64 m_nextCall = 1;
    std::map<quint64, Call> m_calls;
    // The x-mcp-header parameters of each tool of the last tools/list of a
    // modern server (tools with none are not kept), so that a tools/call
    // mirrors them into Mcp-Param-* headers. A call of a tool not listed
    // since this object started sends none.
    static constexpr std::size_t maxToolsWithHeaderParams = 4096;
    std::map<QString, QList<mcpmodern::HeaderParam>> m_headerParams;
    QList<quint64> m_waiting; // calls waiting for initialize, oldest first
};

} // namespace countersign::gateway
