#include "gateway/cli/commandcontext.h"
#include "gateway/config/listenaddress.h"
#include "gateway/runtime/gatewayruntime.h"
#include "protocol/terminationsignals.h"

#include <QCoreApplication>

namespace countersign::gateway {

int runServe(const QStringList &arguments)
{
    CommandContext context(QStringLiteral("countersign-gateway serve"),
                           QStringLiteral("Serve the gateway: companion pairing and channel, "
                                          "approvals, JWKS. Stop with Ctrl-C."));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"),
        QStringLiteral("Listen address (overrides listen in the config)."),
        QStringLiteral("HOST:PORT"));
    context.parser().addOption(listenOption);
    const QCommandLineOption ioThreadsOption(
        QStringLiteral("io-threads"),
        QStringLiteral("Network I/O threads (default: one per core; 1 to 256)."),
        QStringLiteral("N"));
    context.parser().addOption(ioThreadsOption);
    if (!context.parse(arguments))
        return context.exitCode();
    auto config = context.loadConfig();
    if (!config)
        return context.exitCode();
    if (context.parser().isSet(listenOption)) {
        const auto listen = ListenAddress::parse(context.parser().value(listenOption));
        if (!listen)
            return context.usage(QStringLiteral("--listen: ") + listen.error().message);
        config->listenAddress = listen->address;
        config->listenPort = listen->port;
        if (config->publicUrlDerived) {
            if (!listen->isLoopback() && !config->tls) {
                return context.usage(QStringLiteral(
                    "--listen on a non-loopback address needs TLS (tls: in the config) or a "
                    "public_url behind a TLS proxy: companions must not approve over plain "
                    "http across a network"));
            }
            config->publicUrl.setHost(listen->address.toString());
            config->publicUrl.setPort(listen->port);
        }
    }

    if (context.parser().isSet(ioThreadsOption)) {
        bool ok = false;
        const int threads = context.parser().value(ioThreadsOption).toInt(&ok);
        if (!ok || threads < 1 || threads > 256)
            return context.usage(QStringLiteral("--io-threads: a number from 1 to 256"));
        config->ioThreads = threads;
    }

    SystemClock clock;
    // The server commits in groups (docs/architecture.md "Durability"):
    // one fdatasync for every commit of the same moment, and no answer out
    // before what it depends on is durable.
    GatewayRuntime::Options options;
    options.groupCommit = true;
    auto runtime = GatewayRuntime::start(*config, context.dataDir(), clock, {}, options);
    if (!runtime)
        return context.fail(runtime.error().message);
    context.out() << "countersign-gateway " << QCoreApplication::applicationVersion() << " serving "
                  << runtime.value()->publicUrl().toString() << " (data: " << context.dataDir()
                  << ")" << Qt::endl;
    quitOnTerminationSignals(*QCoreApplication::instance());
    return QCoreApplication::exec();
}

} // namespace countersign::gateway
