#include "elevatedtokenverifier.h"
#include "httptransport.h"
#include "jwkssource.h"
#include "mcpdispatcher.h"
#include "protocol/terminationsignals.h"
#include "serveroptions.h"
#include "spenttokens.h"
#include "stdiotransport.h"
#include "userdirectory.h"

#include <QCoreApplication>
#include <QTextStream>

using namespace countersign;
using namespace countersign::directory;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("countersign-directory"));
    QCoreApplication::setApplicationVersion(QStringLiteral(COUNTERSIGN_VERSION));
    QTextStream err(stderr);

    ServerOptions options;
    const auto parsed = ServerOptions::parse(QCoreApplication::arguments(), options);
    switch (parsed.outcome) {
    case ServerOptions::Outcome::Help:
    case ServerOptions::Outcome::Version:
        QTextStream(stdout) << parsed.text;
        return 0;
    case ServerOptions::Outcome::UsageError:
        err << parsed.text;
        return 2;
    case ServerOptions::Outcome::Run:
        break;
    }
    const auto fail = [&err](const QString &message) {
        err << "countersign-directory: " << message << '\n';
        return 1;
    };

    SystemClock clock;
    auto users = options.seed ? UserDirectory::loadOrSeed(options.usersFile)
                              : UserDirectory::load(options.usersFile);
    if (!users)
        return fail(users.error().message);
    SpentTokens spent(SpentTokens::pathBeside(options.usersFile));
    if (auto loaded = spent.load(clock.secondsSinceEpoch()); !loaded)
        return fail(loaded.error().message);

    JwksSource keys(options.jwks);
    if (options.jwks.isLocalFile()) {
        // A bad key file is a mistake to report now, not at the first call.
        Status loaded = Ok{};
        keys.refresh([&loaded](const Status &status) { loaded = status; });
        if (!loaded)
            return fail(loaded.error().message);
    }
    // A URL is fetched at the first call that needs it: the gateway may
    // start after us.

    ElevatedTokenVerifier verifier(options.issuer, options.audience, clock, spent);
    McpDispatcher dispatcher(users.value(), verifier, keys,
                             options.stdio ? McpDispatcher::TokenSource::MetaField
                                           : McpDispatcher::TokenSource::AuthorizationHeader);
    quitOnTerminationSignals(app);

    std::unique_ptr<StdioTransport> stdio;
    std::unique_ptr<HttpTransport> http;
    if (options.stdio) {
        stdio = std::make_unique<StdioTransport>(dispatcher);
        QObject::connect(stdio.get(), &StdioTransport::finished, &app, &QCoreApplication::quit);
        if (!stdio->start())
            return fail(QStringLiteral("cannot write to stdout"));
        err << "countersign-directory: serving MCP on stdio, users in " << options.usersFile
            << '\n';
    } else {
        http = std::make_unique<HttpTransport>(dispatcher);
        const auto port = http->listen(options.listenAddress, options.listenPort);
        if (!port)
            return fail(port.error().message);
        QString host = options.listenAddress.toString();
        if (options.listenAddress.protocol() == QAbstractSocket::IPv6Protocol)
            host = u'[' + host + u']';
        if (!options.listenAddress.isLoopback()) {
            err << "countersign-directory: warning: plain HTTP on a non-loopback address; put "
                   "a TLS proxy in front\n";
        }
        err << "countersign-directory: listening on http://" << host << ':' << port.value()
            << "/mcp, users in " << options.usersFile << '\n';
    }
    err.flush();
    return QCoreApplication::exec();
}
