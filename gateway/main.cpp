#include "gateway/cli/commandcontext.h"

#include <functional>

#include <QCoreApplication>
#include <QTextStream>

using namespace countersign::gateway;

namespace {

struct Command {
    const char *name;
    const char *summary;
    std::function<int(const QStringList &)> run;
};

const Command commands[] = {
    {"serve", "serve the gateway (pairing, companion channel, approvals)", runServe},
    {"pair", "create a pairing link and QR code for a user's companion", runPair},
    {"devices", "list or revoke paired companions", runDevices},
    {"totp", "enrol a user's phone authenticator app", runTotp},
    {"audit", "export the audit log as JSON lines, or verify its hash chain", runAudit},
    {"policy", "check a policy file, or decide a request with it, without serving", runPolicy},
};

void printUsage(QTextStream &stream)
{
    stream << "Usage: countersign-gateway COMMAND [options]\n\n"
           << "Holds an AI agent's sensitive tool calls until a person approves them in the\n"
           << "Countersign desktop companion.\n\nCommands:\n";
    for (const Command &command : commands)
        stream << "  " << QString::fromLatin1(command.name).leftJustified(9) << command.summary
               << '\n';
    stream << "\nEvery command takes --config FILE and --data-dir DIR; "
           << "'countersign-gateway COMMAND --help' shows its options.\n"
           << "  -h, --help     Show this help.\n  -v, --version  Show the version.\n";
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("countersign-gateway"));
    QCoreApplication::setApplicationVersion(QStringLiteral(COUNTERSIGN_VERSION));

    QStringList arguments = QCoreApplication::arguments();
    QTextStream out(stdout);
    QTextStream err(stderr);
    const QString first = arguments.value(1);
    if (first.isEmpty()) {
        printUsage(err);
        return CommandContext::UsageError;
    }
    if (first == u"-h" || first == u"--help" || first == u"help") {
        printUsage(out);
        return CommandContext::Success;
    }
    if (first == u"-v" || first == u"--version") {
        out << "countersign-gateway " << QCoreApplication::applicationVersion() << '\n';
        return CommandContext::Success;
    }
    for (const Command &command : commands) {
        if (first == QLatin1StringView(command.name)) {
            arguments.removeAt(1); // QCommandLineParser expects the program name first
            return command.run(arguments);
        }
    }
    err << "countersign-gateway: unknown command '" << first
        << "'. Run 'countersign-gateway --help'.\n";
    return CommandContext::UsageError;
}
