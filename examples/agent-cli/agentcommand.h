#pragma once

#include "examples/agent-cli/mcphttpclient.h"

#include <variant>

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
// tells the story step by step on `out`, as an agent's terminal would. In
// MCP 2026-07-28 a call that needs the person's approval comes back as
// input_required with an elicitation (form or URL mode) carrying the binding
// code; the call is retried with an accept (which approves nothing: only the
// person's device does) and the echoed requestState, and its answer stream
// shows the progress until the person decides. In the older eras the same
// story arrives as progress messages and an elicitation request.
class AgentCommand : public QObject {
    Q_OBJECT

public:
    AgentCommand(McpHttpClient &client, QTextStream &out, QObject *parent = nullptr);

    void listTools();
    void callTool(const QString &tool, const QJsonObject &arguments);

Q_SIGNALS:
    void finished(countersign::agent::ExitCode code);

private:
    // How many times one call may come back input_required before the agent
    // gives up (the gateway holds a pending retry open instead of asking
    // again, so more means a server in a loop).
    static constexpr int maxInputRounds = 5;
    // Bounds on what an InputRequiredResult may carry.
    static constexpr qsizetype maxInputRequests = 8;
    static constexpr qsizetype maxRequestStateBytes = 64 * 1024;
    static constexpr qsizetype maxMessageChars = 4096;

    void initializeThen(std::function<void()> next);
    void startCall(const QString &tool, const QJsonObject &arguments);
    void sendCall(const QJsonObject &params, int round);
    void onCallAnswer(const QJsonObject &params, int round,
                      const McpHttpClient::Response &response);
    // The retry's params for an input_required result, after telling the
    // person what to do; an error text when the result cannot be answered.
    std::variant<QJsonObject, QString> answerInputRequired(const QJsonObject &result,
                                                           QJsonObject params);
    void tellApprovalNeeded();
    void onNotification(const QJsonObject &message);
    void onServerRequest(const QJsonObject &message);
    void finishCall(const McpHttpClient::Response &response);
    void line(const QString &text);

    McpHttpClient &m_client;
    QTextStream &m_out;
    bool m_toldApprovalNeeded = false;
};

} // namespace countersign::agent
