#include "examples/agent-cli/agentcommand.h"
#include "examples/agent-cli/mcphttpclient.h"
#include "protocol/terminationsignals.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QUrl>

using namespace countersign;
using namespace countersign::agent;

namespace {

// "user=alice" -> {"user": "alice"}; values that are JSON (42, true, {...})
// keep their type.
std::optional<QJsonObject> parseArguments(const QStringList &pairs, QString *error)
{
    QJsonObject arguments;
    for (const QString &pair : pairs) {
        const qsizetype equals = pair.indexOf(u'=');
        if (equals <= 0) {
            *error = QStringLiteral("\"%1\" is not NAME=VALUE").arg(pair);
            return std::nullopt;
        }
        const QString value = pair.mid(equals + 1);
        const QJsonDocument asJson =
            QJsonDocument::fromJson(QByteArray("[" + value.toUtf8() + "]"));
        arguments.insert(pair.left(equals),
                         asJson.isArray() && asJson.array().size() == 1 ? asJson.array().at(0)
                                                                        : QJsonValue(value));
    }
    return arguments;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("countersign-agent"));
    QCoreApplication::setApplicationVersion(QStringLiteral(COUNTERSIGN_VERSION));
    quitOnTerminationSignals(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A small MCP agent that calls tools through a Countersign gateway.\n\n"
        "  countersign-agent tools\n"
        "  countersign-agent call disable_user user=alice\n\n"
        "Exit codes: 0 success, 1 error, 2 usage, 3 denied, 4 timed out, 5 cancelled."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption url(QStringLiteral("url"),
                                 QStringLiteral("The gateway's MCP endpoint (default %1).")
                                     .arg(QStringLiteral("http://127.0.0.1:8780/mcp")),
                                 QStringLiteral("URL"),
                                 QStringLiteral("http://127.0.0.1:8780/mcp"));
    const QCommandLineOption key(
        QStringLiteral("key"),
        QStringLiteral("The agent key (default: $COUNTERSIGN_AGENT_KEY, else the demo's "
                       "\"demo-agent-key\")."),
        QStringLiteral("KEY"));
    const QCommandLineOption protocol(
        QStringLiteral("protocol"),
        QStringLiteral("The MCP version to speak: 2026-07-28 (the default: server/discover, "
                       "falling back to 2025-11-25 for a server that does not speak it), or "
                       "2025-11-25, 2025-06-18 (initialize and a session)."),
        QStringLiteral("VERSION"), QStringLiteral("2026-07-28"));
    parser.addOptions({url, key, protocol});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("tools | call"));
    parser.addPositionalArgument(QStringLiteral("args"), QStringLiteral("TOOL NAME=VALUE..."),
                                 QStringLiteral("[TOOL NAME=VALUE...]"));
    parser.process(app);

    QTextStream out(stdout);
    QTextStream err(stderr);
    const auto usage = [&](const QString &message) {
        err << "countersign-agent: " << message << "\n" << parser.helpText();
        return static_cast<int>(ExitCode::Usage);
    };
    QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usage(QStringLiteral("a command is required"));
    const QString command = positional.takeFirst();
    const QUrl endpoint(parser.value(url));
    if (!endpoint.isValid() || (endpoint.scheme() != u"http" && endpoint.scheme() != u"https"))
        return usage(QStringLiteral("--url must be an http(s) URL"));
    QByteArray agentKey = parser.value(key).toUtf8();
    if (agentKey.isEmpty())
        agentKey = qgetenv("COUNTERSIGN_AGENT_KEY");
    if (agentKey.isEmpty())
        agentKey = "demo-agent-key";

    McpHttpClient::Options options;
    options.protocolVersion = parser.value(protocol);
    static const QStringList versions{QStringLiteral("2026-07-28"), QStringLiteral("2025-11-25"),
                                      QStringLiteral("2025-06-18")};
    if (!versions.contains(options.protocolVersion))
        return usage(QStringLiteral("--protocol must be one of %1").arg(versions.join(u", ")));
    McpHttpClient client(endpoint, agentKey, options);
    AgentCommand run(client, out);
    int exitCode = 0;
    QObject::connect(&run, &AgentCommand::finished, &app, [&](ExitCode code) {
        exitCode = static_cast<int>(code);
        client.close([&app] { app.quit(); });
    });
    if (command == u"tools") {
        run.listTools();
    } else if (command == u"call") {
        if (positional.isEmpty())
            return usage(QStringLiteral("call needs a tool name"));
        const QString tool = positional.takeFirst();
        QString error;
        const auto arguments = parseArguments(positional, &error);
        if (!arguments)
            return usage(error);
        run.callTool(tool, *arguments);
    } else {
        return usage(QStringLiteral("unknown command \"%1\"").arg(command));
    }
    app.exec();
    return exitCode;
}
