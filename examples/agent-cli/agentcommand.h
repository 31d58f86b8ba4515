#pragma once

#include "examples/agent-cli/mcphttpclient.h"

#include <QJsonObject>
#include <QObject>
#include <QTextStream>

namespace countersign::agent {

// Exit codes of countersign-agent: scripts can tell what happened.
enum class ExitCode : int {
    Success = 0,
    Error = 1,    // transport, protocol or upstream failure
    Usage = 2,    // wrong command line
    Denied = 3,   // by policy or by the person
    TimedOut = 4, // nobody approved in time
    Cancelled = 5 // the approval was cancelled (declined, withdrawn)
};

// One run of `countersign-agent tools` or `call`: talks to the gateway and
// tells the story step by step on `out`, as an agent's terminal would.
class AgentCommand : public QObject {
    Q_OBJECT

public:
    AgentCommand(McpHttpClient &client, QTextStream &out, QObject *parent = nullptr);

    void listTools();
    void callTool(const QString &tool, const QJsonObject &arguments);

Q_SIGNALS:
    void finished(countersign::agent::ExitCode code);

private:
    void initializeThen(std::function<void()> next);
    void onNotification(const QJsonObject &message);
    void onServerRequest(const QJsonObject &message);
    void finishCall(const McpHttpClient::Response &response);
    void line(const QString &text);

    McpHttpClient &m_client;
    QTextStream &m_out;
    bool m_toldApprovalNeeded = false;
};

} // namespace countersign::agent
