#include "agentcommand.h"

#include <QJsonArray>
#include <QJsonDocument>

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
    m_client.initialize([this, next = std::move(next)](const McpHttpClient::Response &response) {
        if (!response.ok()) {
            line(QStringLiteral("ERROR: cannot start an MCP session: %1")
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
                for (const QJsonValue &tool :
                     response.result.value(QStringLiteral("tools")).toArray()) {
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
        line(QStringLiteral("> %1 %2").arg(tool, compact(arguments)));
        m_client.request(
            QStringLiteral("tools/call"),
            QJsonObject{{QStringLiteral("name"), tool},
                        {QStringLiteral("arguments"), arguments},
                        {QStringLiteral("_meta"),
                         QJsonObject{{QStringLiteral("progressToken"), QStringLiteral("call-1")}}}},
            [this](const McpHttpClient::Response &response) { finishCall(response); });
    });
}

void AgentCommand::onNotification(const QJsonObject &message)
{
    if (message.value(QStringLiteral("method")).toString() != u"notifications/progress")
        return;
    const QString text = message.value(QStringLiteral("params"))
                             .toObject()
                             .value(QStringLiteral("message"))
                             .toString();
    if (!m_toldApprovalNeeded && text.startsWith(u"Approval required")) {
        m_toldApprovalNeeded = true;
        line(QStringLiteral("DENIED: just-in-time authorization required"));
    }
    line(QStringLiteral("  %1").arg(text));
}

void AgentCommand::onServerRequest(const QJsonObject &message)
{
    const QString method = message.value(QStringLiteral("method")).toString();
    if (method != u"elicitation/create") {
        return;
    }
    if (!m_toldApprovalNeeded) {
        m_toldApprovalNeeded = true;
        line(QStringLiteral("DENIED: just-in-time authorization required"));
    }
    line(QStringLiteral("  %1").arg(message.value(QStringLiteral("params"))
                                        .toObject()
                                        .value(QStringLiteral("message"))
                                        .toString()));
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
