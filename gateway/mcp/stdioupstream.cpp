#include "stdioupstream.h"

#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/upstreamera.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTimerEvent>

Q_LOGGING_CATEGORY(lcUpstream, "countersign.gateway.upstream")

namespace countersign::gateway {

namespace {

const QString initializeMethod = QStringLiteral("initialize");

} // namespace

StdioUpstream::StdioUpstream(UpstreamConfig config, QObject *parent)
    : Upstream(parent)
    , m_config(std::move(config))
{
}

StdioUpstream::~StdioUpstream()
{
    if (!m_process)
        return;
    // The child's signals must not reach a half-destroyed object.
    m_process->disconnect(this);
    if (m_process->state() != QProcess::NotRunning) {
        // End of stdin is how an MCP stdio server is asked to stop.
        m_process->closeWriteChannel();
        if (!m_process->waitForFinished(2000)) {
            m_process->kill();
            m_process->waitForFinished(1000);
        }
    }
}

void StdioUpstream::request(const QString &method, const QJsonObject &originalParams,
                            Callback callback, RequestOptions options)
{
    const std::chrono::milliseconds timeout = options.timeout;
    QJsonObject params = originalParams;
    if (!options.elevatedToken.isEmpty()) {
        // stdio has no headers: the token rides in the request's _meta.
        QJsonObject meta = params.value(QStringLiteral("_meta")).toObject();
        meta.insert(QString::fromLatin1(elevatedTokenMetaKey),
                    QString::fromLatin1(options.elevatedToken));
        params.insert(QStringLiteral("_meta"), meta);
    }
    switch (m_state) {
    case State::Stopped:
        m_queue.append(
            Queued{method, params, std::move(callback), timeout, options.onNotification});
        start();
        return;
    case State::Discovering:
    case State::Initializing:
        m_queue.append(
            Queued{method, params, std::move(callback), timeout, options.onNotification});
        return;
    case State::Ready:
        send(method, params, std::move(callback), timeout, std::move(options.onNotification));
        return;
    }
}

void StdioUpstream::start()
{
    if (m_process) {
        m_process->disconnect(this);
        m_process->deleteLater();
    }
    m_stdout.clear();
    m_stderr.clear();
    m_state = State::Discovering;
    m_modern = false;
    m_version.clear();
    const quint64 generation = ++m_generation;
    m_process = new QProcess(this);
    m_process->setProgram(m_config.program);
    m_process->setArguments(m_config.arguments);
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    QProcess *process = m_process;
    connect(process, &QProcess::readyReadStandardOutput, this, &StdioUpstream::readStdout);
    connect(process, &QProcess::readyReadStandardError, this, &StdioUpstream::readStderr);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        // Crashes also emit finished(), which reports them.
        if (error == QProcess::FailedToStart && process == m_process) {
            fail(QStringLiteral("cannot start %1: %2")
                     .arg(m_config.program, process->errorString()));
        }
    });
    connect(process, &QProcess::finished, this,
            [this, process](int exitCode, QProcess::ExitStatus status) {
                if (process != m_process)
                    return;
                fail(status == QProcess::CrashExit
                         ? QStringLiteral("the server crashed")
                         : QStringLiteral("the server exited with code %1").arg(exitCode));
            });
    qCInfo(lcUpstream) << "starting upstream" << m_config.name << m_config.program;
    m_process->start(QIODevice::ReadWrite);

    send(
        QString::fromLatin1(upstreamera::discoverMethod), upstreamera::withModernMeta({}),
        [this, generation](const QJsonObject &response) { discoverAnswered(generation, response); },
        discoverTimeout);
}

void StdioUpstream::discoverAnswered(quint64 generation, const QJsonObject &response)
{
    // A late answer for a process that already failed (and may have been
    // replaced) must not touch the current one.
    if (generation != m_generation || m_state != State::Discovering)
        return;
    using Kind = upstreamera::DiscoverOutcome::Kind;
    const upstreamera::DiscoverOutcome outcome = upstreamera::classifyDiscoverAnswer(response);
    switch (outcome.kind) {
    case Kind::Modern:
        m_modern = true;
        qCInfo(lcUpstream) << "upstream" << m_config.name
                           << "speaks MCP 2026-07-28: per-request metadata, no initialize";
        becomeReady(QString::fromLatin1(upstreamera::modernVersion));
        return;
    case Kind::Legacy:
        qCInfo(lcUpstream).noquote()
            << QStringLiteral("upstream %1 does not speak MCP 2026-07-28 (%2); using initialize")
                   .arg(m_config.name,
                        response.value(QStringLiteral("error"))
                            .toObject()
                            .value(QStringLiteral("message"))
                            .toString()
                            .left(200)
                            .simplified());
        initialize(generation);
        return;
    case Kind::Failed:
        fail(outcome.failure);
        return;
    }
}

void StdioUpstream::initialize(quint64 generation)
{
    m_state = State::Initializing;
    const QJsonObject params{
        {QStringLiteral("protocolVersion"), QString::fromLatin1(protocolVersion)},
        {QStringLiteral("capabilities"), QJsonObject{}},
        {QStringLiteral("clientInfo"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-gateway")},
                     {QStringLiteral("version"), QStringLiteral("0.1")}}},
    };
    send(
        initializeMethod, params,
        [this, generation](const QJsonObject &response) {
            if (generation != m_generation || m_state != State::Initializing)
                return;
            if (!response.value(QStringLiteral("result")).isObject()) {
                fail(QStringLiteral("initialize failed: %1")
                         .arg(response.value(QStringLiteral("error"))
                                  .toObject()
                                  .value(QStringLiteral("message"))
                                  .toString()));
                return;
            }
            const QByteArray line = QJsonDocument(JsonRpcMessage::notification(
                                                      QStringLiteral("notifications/initialized")))
                                        .toJson(QJsonDocument::Compact)
                + '\n';
            m_process->write(line);
            becomeReady(response.value(QStringLiteral("result"))
                            .toObject()
                            .value(QStringLiteral("protocolVersion"))
                            .toString()
                            .left(upstreamera::maxVersionLength));
        },
        UpstreamRequestOptions{}.timeout);
}

void StdioUpstream::becomeReady(const QString &version)
{
    m_state = State::Ready;
    m_version = version;
    qCInfo(lcUpstream) << "upstream" << m_config.name << "ready, MCP" << version;
    const QList<Queued> queue = std::exchange(m_queue, {});
    for (const Queued &queued : queue)
        send(queued.method, queued.params, queued.callback, queued.timeout, queued.onNotification);
}

void StdioUpstream::send(const QString &method, const QJsonObject &params, Callback callback,
                         std::chrono::milliseconds timeout, NotificationHandler onNotification)
{
    const qint64 id = m_nextId++;
    const QByteArray line =
        QJsonDocument(JsonRpcMessage::request(
                          id, method, m_modern ? upstreamera::withModernMeta(params) : params))
            .toJson(QJsonDocument::Compact)
        + '\n';
    const int timerId = startTimer(timeout);
    const QString progressToken = params.value(QStringLiteral("_meta"))
                                      .toObject()
                                      .value(QStringLiteral("progressToken"))
                                      .toString();
    m_pending.emplace(
        id, Pending{std::move(callback), timerId, progressToken, std::move(onNotification)});
    // Written before the process runs, QProcess keeps it until it has
    // started; a failed start reaches fail(), which answers this request.
    m_process->write(line);
}

void StdioUpstream::readStdout()
{
    m_stdout += m_process->readAllStandardOutput();
    qsizetype newline;
    while ((newline = m_stdout.indexOf('\n')) >= 0) {
        const QByteArray line = m_stdout.left(newline).trimmed();
        m_stdout.remove(0, newline + 1);
        if (!line.isEmpty())
            handleLine(line);
    }
    if (m_stdout.size() > maxLineBytes)
        fail(QStringLiteral("the server wrote a line over %1 bytes").arg(maxLineBytes));
}

void StdioUpstream::readStderr()
{
    m_stderr += m_process->readAllStandardError();
    qsizetype newline;
    while ((newline = m_stderr.indexOf('\n')) >= 0) {
        qCDebug(lcUpstream).noquote()
            << m_config.name + QStringLiteral(":") << QString::fromUtf8(m_stderr.left(newline));
        m_stderr.remove(0, newline + 1);
    }
    // Logs are for people; a runaway line is cut rather than kept.
    if (m_stderr.size() > 64 * 1024)
        m_stderr.clear();
}

void StdioUpstream::handleLine(const QByteArray &line)
{
    const JsonRpcMessage message = JsonRpcMessage::parse(line);
    switch (message.kind) {
    case JsonRpcMessage::Kind::Response: {
        const QJsonValue id = message.id();
        const auto found = id.isDouble() ? m_pending.find(id.toInteger()) : m_pending.end();
        if (found == m_pending.end()) {
            qCWarning(lcUpstream) << "upstream" << m_config.name << "answered an unknown request id"
                                  << id;
            return;
        }
        Pending pending = std::move(found->second);
        m_pending.erase(found);
        killTimer(static_cast<int>(pending.timerId));
        deliver(std::move(pending.callback),
                m_modern ? upstreamera::checkModernResponse(m_config.name, message.message)
                         : message.message);
        return;
    }
    case JsonRpcMessage::Kind::Request: {
        // Server-to-client requests (sampling, elicitation, roots) are
        // refused at once, as over HTTP; ping is the one every client answers.
        const QJsonObject reply = message.method() == u"ping"
            ? JsonRpcMessage::result(message.id(), {})
            : JsonRpcMessage::error(message.id(), JsonRpcMessage::methodNotFound,
                                    serverRequestRefusal(message.method()));
        m_process->write(QJsonDocument(reply).toJson(QJsonDocument::Compact) + '\n');
        return;
    }
    case JsonRpcMessage::Kind::Notification:
        qCDebug(lcUpstream) << "upstream" << m_config.name << "notification" << message.method();
        routeNotification(message);
        return;
    case JsonRpcMessage::Kind::Invalid:
        qCWarning(lcUpstream) << "upstream" << m_config.name << "wrote a malformed message:"
                              << message.errorReply.value(QStringLiteral("error"))
                                     .toObject()
                                     .value(QStringLiteral("message"))
                                     .toString();
        return;
    }
}

void StdioUpstream::routeNotification(const JsonRpcMessage &message)
{
    // A log message on stdio names no request: with calls of several agents
    // in flight it could belong to any of them, so it reaches none.
    if (message.method() != u"notifications/progress")
        return;
    const QString token = message.params().value(QStringLiteral("progressToken")).toString();
    if (token.isEmpty())
        return;
    for (const auto &[id, pending] : m_pending) {
        if (pending.progressToken == token && pending.onNotification) {
            pending.onNotification(message.message);
            return;
        }
    }
}

void StdioUpstream::fail(const QString &message)
{
    const QString text =
        QStringLiteral("upstream %1 is unavailable: %2").arg(m_config.name, message);
    qCWarning(lcUpstream).noquote() << text;
    m_state = State::Stopped;
    if (m_process) {
        QProcess *process = m_process;
        process->disconnect(this);
        if (process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(1000);
        }
    }
    const QJsonObject response =
        JsonRpcMessage::error(QJsonValue::Null, JsonRpcMessage::upstreamFailure, text);
    std::map<qint64, Pending> pending = std::exchange(m_pending, {});
    for (auto &[id, entry] : pending) {
        killTimer(static_cast<int>(entry.timerId));
        deliver(std::move(entry.callback), response);
    }
    const QList<Queued> queue = std::exchange(m_queue, {});
    for (const Queued &queued : queue)
        deliver(queued.callback, response);
}

void StdioUpstream::deliver(Callback callback, const QJsonObject &response)
{
    // Queued, so a caller never sees its callback run inside its own call
    // and a callback may safely make the next request.
    QMetaObject::invokeMethod(
        this, [callback = std::move(callback), response] { callback(response); },
        Qt::QueuedConnection);
}

void StdioUpstream::timerEvent(QTimerEvent *event)
{
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
        if (it->second.timerId != event->timerId())
            continue;
        killTimer(event->timerId());
        Callback callback = std::move(it->second.callback);
        const bool initializing = m_state == State::Initializing;
        m_pending.erase(it);
        if (initializing) {
            // No answer to initialize: the server is stuck, not just slow.
            deliver(std::move(callback),
                    JsonRpcMessage::error(QJsonValue::Null, JsonRpcMessage::upstreamFailure,
                                          QStringLiteral("timed out")));
            fail(QStringLiteral("no answer to initialize"));
            return;
        }
        deliver(std::move(callback),
                JsonRpcMessage::error(
                    QJsonValue::Null, JsonRpcMessage::upstreamFailure,
                    QStringLiteral("upstream %1 did not answer in time").arg(m_config.name)));
        return;
    }
    QObject::timerEvent(event);
}

} // namespace countersign::gateway
