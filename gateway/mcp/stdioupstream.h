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
// gateway. Requests made while the initialize handshake runs wait for it.
class StdioUpstream : public Upstream {
    Q_OBJECT

public:
    static constexpr auto protocolVersion = "2025-06-18";
    // A line longer than this is not an MCP message; the child is stopped.
    static constexpr qsizetype maxLineBytes = 16 * 1024 * 1024;

    explicit StdioUpstream(UpstreamConfig config, QObject *parent = nullptr);
    ~StdioUpstream() override;

    const QString &name() const override { return m_config.name; }
    QString audience() const override { return m_config.audience; }
    bool isReady() const { return m_state == State::Ready; }

    void request(const QString &method, const QJsonObject &params, Callback callback,
                 RequestOptions options = {}) override;

private:
    enum class State { Stopped, Initializing, Ready };

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
    qint64 m_nextId = 1;
    quint64 m_generation = 0; // one per started process
    QByteArray m_stdout;
    QByteArray m_stderr;
    std::map<qint64, Pending> m_pending;
    QList<Queued> m_queue;
};

} // namespace countersign::gateway
