// bench_gateway_load: N simulated companions against a real in-process
// gateway over loopback sockets; measures handshakes, requested->resolved
// latency, proofs verified per second and memory. See README.md.

#include "bench/load/childgatewayrun.h"
#include "bench/load/intoption.h"
#include "bench/load/loadrun.h"

#include <cstdio>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTextStream>

using namespace countersign::load;

namespace {

// The report as JSON in `path`; false (with a message on err) when it
// cannot be written.
bool writeJson(const QString &path, const QJsonObject &report, QTextStream &err)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(QJsonDocument(report).toJson()) < 0) {
        err << QStringLiteral("cannot write %1: %2\n").arg(file.fileName(), file.errorString());
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_gateway_load"));
    QTextStream out(stdout);
    QTextStream err(stderr);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Load test of the gateway's approvals side: N companions over loopback WebSockets, each "
        "approving its user's requests with TOTP."));
    parser.addHelpOption();
    const QString companions = QStringLiteral("companions");
    const QString requests = QStringLiteral("requests");
    const QString concurrency = QStringLiteral("concurrency");
    const QString connectParallel = QStringLiteral("connect-parallel");
    const QString httpPairing = QStringLiteral("http-pairing");
    const QString timeout = QStringLiteral("timeout");
    const QString json = QStringLiteral("json");
    const QString gatewayLog = QStringLiteral("gateway-log");
    const QString dataRoot = QStringLiteral("data-root");
    const QString gatewayBinary = QStringLiteral("gateway-binary");
    const QString ioThreads = QStringLiteral("io-threads");
    const QString approvals = QStringLiteral("approvals");
    const QString warmup = QStringLiteral("warmup");
    const QString idleSeconds = QStringLiteral("idle-seconds");
    parser.addOptions({
        {companions, QStringLiteral("Simulated companions, one user each (default 1000)."),
         QStringLiteral("N"), QStringLiteral("1000")},
        {requests, QStringLiteral("Approval requests to make (default: N)."), QStringLiteral("R"),
         QStringLiteral("-1")},
        {concurrency, QStringLiteral("Requests outstanding at once (default 100, at most N)."),
         QStringLiteral("C"), QStringLiteral("100")},
        {connectParallel, QStringLiteral("Handshakes in flight while connecting (default 50)."),
         QStringLiteral("P"), QStringLiteral("50")},
        {httpPairing,
         QStringLiteral("Companions that pair over POST /companion/v1/pair; the rest are added "
                        "to the store directly (default: min(N, 1000), the rate limit)."),
         QStringLiteral("K"), QStringLiteral("-1")},
        {timeout, QStringLiteral("Deadline of each phase in seconds (default 180)."),
         QStringLiteral("S"), QStringLiteral("180")},
        {json, QStringLiteral("Also write the report as JSON to FILE."), QStringLiteral("FILE")},
        {dataRoot,
         QStringLiteral("Directory for the temporary data dir (default: the system temp dir). "
                        "A tmpfs here shows what the database's fsyncs cost."),
         QStringLiteral("DIR")},
        {gatewayBinary,
         QStringLiteral("Connect the companions to this countersign-gateway run as a child "
                        "process (serve), its devices written into its data dir beforehand, "
                        "and report its own RSS; connect only, no approvals."),
         QStringLiteral("PATH")},
        {ioThreads,
         QStringLiteral("With --gateway-binary: serve --io-threads N (default: the gateway's)."),
         QStringLiteral("N"), QStringLiteral("0")},
        {approvals,
         QStringLiteral("With --gateway-binary: after connecting, R approvals raised through the "
                        "admin API (POST /approvals), approved by the companions with TOTP and "
                        "redeemed (POST /approvals/{id}/token), --concurrency outstanding; "
                        "reports the gateway process's CPU per approval (default 0: none)."),
         QStringLiteral("R"), QStringLiteral("0")},
        {warmup,
         QStringLiteral("With --approvals: this many approvals first, not counted (default 0)."),
         QStringLiteral("W"), QStringLiteral("0")},
        {idleSeconds,
         QStringLiteral("With --gateway-binary: the gateway's CPU over S seconds with all "
                        "companions connected and idle (default 0: not measured)."),
         QStringLiteral("S"), QStringLiteral("0")},
        {gatewayLog,
         QStringLiteral("Keep the gateway's per-connection and per-approval info "
                        "log lines (off: thousands of lines)")},
    });
    parser.process(app);

    const auto n = intOption(parser, companions, 1, 20'000, err);
    const auto c = intOption(parser, concurrency, 1, 20'000, err);
    const auto p = intOption(parser, connectParallel, 1, 1000, err);
    const auto s = intOption(parser, timeout, 5, 3000, err);
    const auto r = intOption(parser, requests, -1, 1'000'000, err);
    const auto k = intOption(parser, httpPairing, -1, LoadRun::pairingLimitPerMinute, err);
    if (!n || !c || !p || !s || !r || !k || *r == 0) {
        err << QStringLiteral("see --help\n");
        return 2;
    }
    if (parser.isSet(gatewayBinary)) {
        const auto threads = intOption(parser, ioThreads, 0, 256, err);
        const auto approvalCount = intOption(parser, approvals, 0, 1'000'000, err);
        const auto warmupCount = intOption(parser, warmup, 0, 1'000'000, err);
        const auto idle = intOption(parser, idleSeconds, 0, 3600, err);
        if (!threads || !approvalCount || !warmupCount || !idle)
            return 2;
        ChildGatewayOptions childOptions;
        childOptions.companions = *n;
        childOptions.connectParallel = *p;
        childOptions.ioThreads = *threads;
        childOptions.phaseTimeoutSeconds = *s;
        childOptions.gatewayProgram = parser.value(gatewayBinary);
        childOptions.dataRoot = parser.value(dataRoot);
        childOptions.requests = *approvalCount;
        childOptions.warmup = *warmupCount;
        childOptions.concurrency = *c;
        childOptions.idleSeconds = *idle;
        ChildGatewayReport report;
        {
            ChildGatewayRun run(childOptions);
            report = run.run();
        }
        out << report.toText();
        out.flush();
        if (parser.isSet(json) && !writeJson(parser.value(json), report.toJson(), err))
            return 1;
        return report.passed() ? 0 : 1;
    }

    LoadOptions options;
    options.companions = *n;
    options.requests = *r;
    options.concurrency = *c;
    options.connectParallel = *p;
    options.httpPairing = *k;
    options.phaseTimeoutSeconds = *s;
    options.dataRoot = parser.value(dataRoot);
    if (!parser.isSet(gatewayLog))
        QLoggingCategory::setFilterRules(QStringLiteral("countersign.gateway.*.info=false"));

    LoadReport report;
    {
        LoadRun run(options);
        report = run.run();
    }
    out << report.toText();
    out.flush();

    if (parser.isSet(json) && !writeJson(parser.value(json), report.toJson(), err))
        return 1;
    return report.passed() ? 0 : 1;
}
