#include "gateway/cli/commandcontext.h"
#include "gateway/config/listenaddress.h"
#include "gateway/runtime/gatewayruntime.h"

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QSocketNotifier>

namespace countersign::gateway {

namespace {

// SIGINT/SIGTERM end the event loop cleanly (the store closes its
// transactions) through a socket pair, the async-signal-safe way.
int g_signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(g_signalFds[0], &byte, 1);
}

void quitOnSignals(QCoreApplication &app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return;
    auto *notifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [] {
        char byte = 0;
        [[maybe_unused]] const auto got = ::read(g_signalFds[1], &byte, 1);
        QCoreApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

} // namespace

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

    SystemClock clock;
    auto runtime = GatewayRuntime::start(*config, context.dataDir(), clock);
    if (!runtime)
        return context.fail(runtime.error().message);
    context.out() << "countersign-gateway " << QCoreApplication::applicationVersion() << " serving "
                  << runtime.value()->publicUrl().toString() << " (data: " << context.dataDir()
                  << ")" << Qt::endl;
    quitOnSignals(*QCoreApplication::instance());
    return QCoreApplication::exec();
}

} // namespace countersign::gateway
