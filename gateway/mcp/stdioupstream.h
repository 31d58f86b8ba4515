#pragma once

#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/upstream.h"
#include "gateway/mcp/upstreamconfig.h"

#include <chrono>
#include <functional>
#include <map>

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QProcess>

namespace countersign::gateway {

// An upstream MCP server run as a child process speaking newline-delimited
// JSON-RPC on stdin/stdout (stderr is logged under
// countersign.gateway.upstream). The process is started on the first
// request, and again on a later request after it died, so a crashed or
// missing upstream fails its calls with a clear message but never the
// gateway. Each new process is first asked server/discover (MCP 2026-07-28);
// one that answers it gets every request with the protocol _meta and no
// handshake, and one that answers with any other error (or not within
// discoverTimeout) gets the initialize handshake of the earlier versions, as
// the stdio binding's "Backward Compatibility" says. Requests made meanwhile
// wait for it.
class StdioUpstream : public Upstream {
    Q_OBJECT

public:
    // The version asked for in initialize, to a server from before 2026-07-28.
    static constexpr auto protocolVersion = "2025-06-18";
    // How long a server may take to answer server/discover before it is
    // taken for one from before 2026-07-28 (some ignore unknown methods).
    static constexpr std::chrono::milliseconds discoverTimeout = std::chrono::seconds(10);
    // A line longer than this is not an MCP message; the child is stopped.
    static constexpr qsizetype maxLineBytes = 16 * 1024 * 1024;

    explicit StdioUpstream(UpstreamConfig config, QObject *parent = nullptr);
    ~StdioUpstream() override;

    const QString &name() const override { return m_config.name; }
    QString audience() const override { return m_config.audience; }
    bool isReady() const { return m_state == State::Ready; }
    // "2026-07-28", or the version the server answered initialize with;
    // empty until the current process is ready.
    QString protocolVersionInUse() const { return m_version; }

    void request(const QString &method, const QJsonObject &params, Callback callback,
                 RequestOptions options = {}) override;

private:
    enum class State { Stopped, Discovering, Initializing, Ready };

    using NotificationHandler = std::function<void(const QJsonObject &)>;
    struct Pending {
        Callback callback;
        qint64 timerId = 0;
        // The request's params._meta.progressToken (a string: the gateway's
        // own) and where its progress goes.
        QString progressToken;
        NotificationHandler onNotification;
    };
    struct Queued {
        QString method;
        QJsonObject params;
        Callback callback;
        std::chrono::milliseconds timeout;
        NotificationHandler onNotification;
    };

    void start();
    void discoverAnswered(quint64 generation, const QJsonObject &response);
    void initialize(quint64 generation);
    void becomeReady(const QString &version);
    void send(const QString &method, const QJsonObject &params, Callback callback,
              std::chrono::milliseconds timeout, NotificationHandler onNotification = {});
    // A notifications/progress goes to the pending request that carried its
    // token; anything else names no request and is dropped.
    void routeNotification(const JsonRpcMessage &message);
    void readStdout();
    void readStderr();
    void handleLine(const QByteArray &line);
    void fail(const QString &message);
    void deliver(Callback callback, const QJsonObject &response);
    void timerEvent(QTimerEvent *event) override;

    UpstreamConfig m_config;
    QProcess *m_process = nullptr;
    State m_state = State::Stopped;
    bool m_modern = false; // the current process speaks 2026-07-28
    QString m_version;
    qint64 m_nextId = 1;
    quint64 m_generation = 0; // one per started process
    QByteArray m_stdout;
    QByteArray m_stderr;
    std::map<qint64, Pending> m_pending;
    QList<Queued> m_queue;
};

} // namespace countersign::gateway
