#include "agentcommand.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUrl>

namespace countersign::agent {

namespace {

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString resultText(const QJsonObject &result)
{
    QStringList parts;
    for (const QJsonValue &item : result.value(QStringLiteral("content")).toArray()) {
        const QJsonObject content = item.toObject();
        if (content.value(QStringLiteral("type")).toString() == u"text")
            parts.append(content.value(QStringLiteral("text")).toString());
    }
    return parts.join(u'\n');
}

// Text from a server, fit for one terminal line: control characters (which
// could move the cursor or rewrite what the person reads) become spaces.
QString printable(const QString &text, qsizetype maxChars)
{
    QString line = text.left(maxChars);
    for (QChar &c : line) {
        if (c.category() == QChar::Other_Control || c.category() == QChar::Other_Format)
            c = u' ';
    }
    return line.simplified();
}

// The two-digit binding code in the gateway's words ("binding code 42").
QString bindingCodeIn(const QString &text)
{
    static const QRegularExpression code(QStringLiteral("binding code\\D{0,3}(\\d{2})(?!\\d)"),
                                         QRegularExpression::CaseInsensitiveOption);
    return code.match(text).captured(1);
}

} // namespace

AgentCommand::AgentCommand(McpHttpClient &client, QTextStream &out, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_out(out)
{
    connect(&m_client, &McpHttpClient::notification, this, &AgentCommand::onNotification);
    connect(&m_client, &McpHttpClient::serverRequest, this, &AgentCommand::onServerRequest);
}

void AgentCommand::line(const QString &text)
{
    m_out << text << Qt::endl;
}

void AgentCommand::initializeThen(std::function<void()> next)
{
    m_client.open([this, next = std::move(next)](const McpHttpClient::Response &response) {
        if (!response.ok()) {
            line(QStringLiteral("ERROR: cannot talk MCP with the server: %1")
                     .arg(response.transportError.isEmpty()
                              ? response.error.value(QStringLiteral("message")).toString()
                              : response.transportError));
            Q_EMIT finished(ExitCode::Error);
            return;
        }
        next();
    });
}

void AgentCommand::listTools()
{
    initializeThen([this] {
        m_client.request(
            QStringLiteral("tools/list"), {}, [this](const McpHttpClient::Response &response) {
                if (!response.ok()) {
                    line(QStringLiteral("ERROR: %1")
                             .arg(response.transportError.isEmpty()
                                      ? response.error.value(QStringLiteral("message")).toString()
                                      : response.transportError));
                    Q_EMIT finished(ExitCode::Error);
                    return;
                }
                QStringList rejected;
                const QJsonArray tools = m_client.acceptTools(
                    response.result.value(QStringLiteral("tools")).toArray(), rejected);
                for (const QString &why : rejected)
                    line(QStringLiteral("WARNING: tool left out: %1").arg(why));
                for (const QJsonValue &tool : tools) {
                    const QJsonObject entry = tool.toObject();
                    line(QStringLiteral("%1\t%2").arg(
                        entry.value(QStringLiteral("name")).toString(),
                        entry.value(QStringLiteral("description")).toString()));
                }
                Q_EMIT finished(ExitCode::Success);
            });
    });
}

void AgentCommand::callTool(const QString &tool, const QJsonObject &arguments)
{
    initializeThen([this, tool, arguments] {
        // 2026-07-28: the tool's x-mcp-header parameters go in Mcp-Param-*
        // headers, so its definition is needed first.
        if (!m_client.isModern() || m_client.knowsTools()) {
            startCall(tool, arguments);
            return;
        }
        m_client.request(
            QStringLiteral("tools/list"), {},
            [this, tool, arguments](const McpHttpClient::Response &response) {
                if (!response.ok()) {
                    line(QStringLiteral("WARNING: tools/list failed, so the call goes without "
                                        "Mcp-Param-* headers"));
                    startCall(tool, arguments);
                    return;
                }
                QStringList rejected;
                m_client.acceptTools(response.result.value(QStringLiteral("tools")).toArray(),
                                     rejected);
                for (const QString &why : rejected) {
                    if (why.startsWith(tool + QStringLiteral(": "))) {
                        line(QStringLiteral("ERROR: the server's definition of %1 is unusable (%2)")
                                 .arg(tool, why.mid(tool.size() + 2)));
                        Q_EMIT finished(ExitCode::Error);
                        return;
                    }
                }
                startCall(tool, arguments);
            });
    });
}

void AgentCommand::startCall(const QString &tool, const QJsonObject &arguments)
{
    line(QStringLiteral("> %1 %2").arg(tool, compact(arguments)));
    sendCall(
        QJsonObject{{QStringLiteral("name"), tool},
                    {QStringLiteral("arguments"), arguments},
                    {QStringLiteral("_meta"),
                     QJsonObject{{QStringLiteral("progressToken"), QStringLiteral("call-1")}}}},
        0);
}

void AgentCommand::sendCall(const QJsonObject &params, int round)
{
    m_client.request(QStringLiteral("tools/call"), params,
                     [this, params, round](const McpHttpClient::Response &response) {
                         onCallAnswer(params, round, response);
                     });
}

void AgentCommand::onCallAnswer(const QJsonObject &params, int round,
                                const McpHttpClient::Response &response)
{
    if (!response.ok()) {
        finishCall(response);
        return;
    }
    const QJsonValue type = response.result.value(QStringLiteral("resultType"));
    // Absent is "complete" (a server of an older era).
    if (type.isUndefined() || type.toString() == u"complete") {
        finishCall(response);
        return;
    }
    const auto fail = [this](const QString &text) {
        line(QStringLiteral("ERROR: %1").arg(text));
        Q_EMIT finished(ExitCode::Error);
    };
    if (type.toString() != u"input_required") {
        fail(QStringLiteral("the server answered with resultType \"%1\", which "
                            "countersign-agent does not know")
                 .arg(printable(type.toString(), 64)));
        return;
    }
    if (round + 1 >= maxInputRounds) {
        fail(QStringLiteral("the server asked for input %1 times for one call; giving up")
                 .arg(round + 1));
        return;
    }
    auto retry = answerInputRequired(response.result, params);
    if (const QString *error = std::get_if<QString>(&retry)) {
        fail(*error);
        return;
    }
    sendCall(std::get<QJsonObject>(retry), round + 1);
}

std::variant<QJsonObject, QString> AgentCommand::answerInputRequired(const QJsonObject &result,
                                                                     QJsonObject params)
{
    const QJsonValue requestsValue = result.value(QStringLiteral("inputRequests"));
    const QJsonValue stateValue = result.value(QStringLiteral("requestState"));
    if (requestsValue.isUndefined() && stateValue.isUndefined())
        return QStringLiteral("the server asked for input but sent neither inputRequests nor "
                              "requestState");
    if (!requestsValue.isUndefined() && !requestsValue.isObject())
        return QStringLiteral("the server's inputRequests is not an object");
    if (!stateValue.isUndefined()
        && (!stateValue.isString() || stateValue.toString().size() > maxRequestStateBytes))
        return QStringLiteral("the server's requestState is not a string of at most %1 bytes")
            .arg(maxRequestStateBytes);
    const QJsonObject requests = requestsValue.toObject();
    if (requests.size() > maxInputRequests)
        return QStringLiteral("the server asked for %1 inputs at once (at most %2 expected)")
            .arg(requests.size())
            .arg(maxInputRequests);

    QJsonObject responses;
    for (auto it = requests.constBegin(); it != requests.constEnd(); ++it) {
        const QJsonObject request = it.value().toObject();
        const QString method = request.value(QStringLiteral("method")).toString();
        if (method != u"elicitation/create") {
            // Sampling and roots were never declared: a server must not ask.
            return QStringLiteral("the server asked for \"%1\", which countersign-agent does "
                                  "not offer")
                .arg(printable(method, 64));
        }
        const QJsonObject elicitation = request.value(QStringLiteral("params")).toObject();
        const QString mode =
            elicitation.value(QStringLiteral("mode")).toString(QStringLiteral("form"));
        const QJsonValue messageValue = elicitation.value(QStringLiteral("message"));
        if (!messageValue.isString())
            return QStringLiteral("the server's elicitation has no message");
        const QString message = printable(messageValue.toString(), maxMessageChars);
        tellApprovalNeeded();
        line(QStringLiteral("  %1").arg(message));
        QJsonObject answer{{QStringLiteral("action"), QStringLiteral("accept")}};
        if (mode == u"url") {
            const QString link = elicitation.value(QStringLiteral("url")).toString();
            const QUrl url(link, QUrl::StrictMode);
            if (link.size() > 2048 || !url.isValid()
                || (url.scheme() != u"https" && url.scheme() != u"http") || url.host().isEmpty())
                return QStringLiteral("the server's elicitation URL is not an http(s) URL");
            line(QStringLiteral("  Open %1 to see what you are asked to approve.")
                     .arg(url.toString(QUrl::FullyEncoded)));
        } else if (mode == u"form") {
            // A confirmation with nothing to fill in: the accept approves
            // nothing (only the person's device does); it lets the retry
            // wait for the person's decision.
            answer.insert(QStringLiteral("content"), QJsonObject{});
        } else {
            return QStringLiteral("the server's elicitation mode \"%1\" is unknown")
                .arg(printable(mode, 32));
        }
        const QString code = bindingCodeIn(message);
        if (!code.isEmpty()) {
            line(QStringLiteral("  Binding code %1: approve only if Countersign on your desktop "
                                "shows the same code.")
                     .arg(code));
        }
        responses.insert(it.key(), answer);
    }
    line(QStringLiteral("  waiting for approval in Countersign..."));
    params.remove(QStringLiteral("inputResponses"));
    params.remove(QStringLiteral("requestState"));
    if (!responses.isEmpty())
        params.insert(QStringLiteral("inputResponses"), responses);
    // Echoed exactly as it came, never read.
    if (stateValue.isString())
        params.insert(QStringLiteral("requestState"), stateValue);
    return params;
}

void AgentCommand::tellApprovalNeeded()
{
    if (m_toldApprovalNeeded)
        return;
    m_toldApprovalNeeded = true;
    line(QStringLiteral("DENIED: just-in-time authorization required"));
}

void AgentCommand::onNotification(const QJsonObject &message)
{
    if (message.value(QStringLiteral("method")).toString() != u"notifications/progress")
        return;
    const QString text = message.value(QStringLiteral("params"))
                             .toObject()
                             .value(QStringLiteral("message"))
                             .toString();
    if (text.startsWith(u"Approval required"))
        tellApprovalNeeded();
    line(QStringLiteral("  %1").arg(printable(text, maxMessageChars)));
}

void AgentCommand::onServerRequest(const QJsonObject &message)
{
    const QString method = message.value(QStringLiteral("method")).toString();
    if (method != u"elicitation/create") {
        return;
    }
    tellApprovalNeeded();
    line(QStringLiteral("  %1").arg(printable(message.value(QStringLiteral("params"))
                                                  .toObject()
                                                  .value(QStringLiteral("message"))
                                                  .toString(),
                                              maxMessageChars)));
    line(QStringLiteral("  waiting for approval in Countersign..."));
    // Nothing to fill in: acknowledging keeps the request alive; the
    // decision is the person's, in the companion.
    m_client.respond(message.value(QStringLiteral("id")),
                     QJsonObject{{QStringLiteral("action"), QStringLiteral("accept")},
                                 {QStringLiteral("content"), QJsonObject{}}});
}

void AgentCommand::finishCall(const McpHttpClient::Response &response)
{
    if (!response.transportError.isEmpty()) {
        line(QStringLiteral("ERROR: %1").arg(response.transportError));
        Q_EMIT finished(ExitCode::Error);
        return;
    }
    if (!response.error.isEmpty()) {
        const int code = response.error.value(QStringLiteral("code")).toInt();
        const QString text = response.error.value(QStringLiteral("message")).toString();
        line(QStringLiteral("%1: %2").arg(
            code == -32001 ? QStringLiteral("DENIED") : QStringLiteral("ERROR"), text));
        Q_EMIT finished(code == -32001 ? ExitCode::Denied : ExitCode::Error);
        return;
    }
    const QString text = resultText(response.result);
    if (response.result.value(QStringLiteral("isError")).toBool()) {
        const QString outcome = response.result.value(QStringLiteral("_meta"))
                                    .toObject()
                                    .value(QStringLiteral("io.github.countersign/approval"))
                                    .toObject()
                                    .value(QStringLiteral("outcome"))
                                    .toString();
        line(text);
        if (outcome == u"denied")
            Q_EMIT finished(ExitCode::Denied);
        else if (outcome == u"expired")
            Q_EMIT finished(ExitCode::TimedOut);
        else if (outcome == u"cancelled")
            Q_EMIT finished(ExitCode::Cancelled);
        else
            Q_EMIT finished(ExitCode::Error);
        return;
    }
    line(QStringLiteral("RESULT: %1").arg(text));
    Q_EMIT finished(ExitCode::Success);
}

} // namespace countersign::agent
