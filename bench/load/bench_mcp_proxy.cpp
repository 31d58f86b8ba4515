// bench_mcp_proxy: what the gateway adds to an allowed MCP tool call. Starts
// countersign-directory and countersign-gateway processes on loopback and
// times tools/call get_user directly and through the gateway (HTTP and stdio
// upstreams), then the AuthZEN decision endpoints. See README.md.

#include "bench/load/intoption.h"
#include "bench/load/proxyrun.h"

#include <optional>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStorageInfo>
#include <QTextStream>

using namespace countersign::load;

namespace {

// /dev/shm when it is a tmpfs, as on every usual Linux: the comparison run
// without real fsyncs.
QString defaultTmpfsRoot()
{
    const QStorageInfo shm(QStringLiteral("/dev/shm"));
    return shm.isValid() && shm.fileSystemType() == "tmpfs" ? QStringLiteral("/dev/shm")
                                                            : QString();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_mcp_proxy"));
    QTextStream out(stdout);
    QTextStream err(stderr);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Latency the gateway adds to an allowed MCP tools/call (direct to the upstream vs "
        "through the gateway, same run), and AuthZEN decisions per second over HTTP."));
    parser.addHelpOption();
    const QString calls = QStringLiteral("calls");
    const QString warmup = QStringLiteral("warmup");
    const QString concurrency = QStringLiteral("concurrency");
    const QString rounds = QStringLiteral("rounds");
    const QString authzenRequests = QStringLiteral("authzen-requests");
    const QString authzenBatch = QStringLiteral("authzen-batch");
    const QString noStdio = QStringLiteral("no-stdio");
    const QString dataRoot = QStringLiteral("data-root");
    const QString tmpfsRoot = QStringLiteral("tmpfs-root");
    const QString gateway = QStringLiteral("gateway");
    const QString directory = QStringLiteral("directory");
    const QString policy = QStringLiteral("policy");
    const QString timeout = QStringLiteral("timeout");
    const QString keep = QStringLiteral("keep");
    const QString json = QStringLiteral("json");
    parser.addOptions({
        {calls, QStringLiteral("Measured calls per target and mode (default 2000)."),
         QStringLiteral("N"), QStringLiteral("2000")},
        {warmup, QStringLiteral("Unmeasured calls per target first (default 200)."),
         QStringLiteral("W"), QStringLiteral("200")},
        {concurrency, QStringLiteral("Clients at once in the concurrent mode (default 8)."),
         QStringLiteral("C"), QStringLiteral("8")},
        {rounds, QStringLiteral("Rounds the targets take turns in (default 4)."),
         QStringLiteral("R"), QStringLiteral("4")},
        {authzenRequests,
         QStringLiteral("AuthZEN requests per endpoint and mode (default 2000; 0 skips them)."),
         QStringLiteral("A"), QStringLiteral("2000")},
        {authzenBatch, QStringLiteral("Evaluations per /access/v1/evaluations request (10)."),
         QStringLiteral("B"), QStringLiteral("10")},
        {noStdio, QStringLiteral("Leave out the gateway with a stdio upstream.")},
        {dataRoot,
         QStringLiteral("Folder for the run's files and the gateways' data dirs (default: the "
                        "system temp dir)."),
         QStringLiteral("DIR")},
        {tmpfsRoot,
         QStringLiteral("A tmpfs for the gateway-http-tmpfs data dir (default /dev/shm; "
                        "\"\" leaves that target out)."),
         QStringLiteral("DIR"), defaultTmpfsRoot()},
        {gateway, QStringLiteral("countersign-gateway to run."), QStringLiteral("PATH"),
         QStringLiteral(COUNTERSIGN_GATEWAY_BINARY)},
        {directory, QStringLiteral("countersign-directory to run."), QStringLiteral("PATH"),
         QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY)},
        {policy, QStringLiteral("Policy file (default: the demo policy)."), QStringLiteral("FILE"),
         QStringLiteral(COUNTERSIGN_DEMO_POLICY)},
        {timeout, QStringLiteral("Deadline of each measured loop in seconds (default 300)."),
         QStringLiteral("S"), QStringLiteral("300")},
        {keep, QStringLiteral("Keep the run's folder (configs, server logs, databases).")},
        {json, QStringLiteral("Also write the report as JSON to FILE."), QStringLiteral("FILE")},
    });
    parser.process(app);

    const auto n = intOption(parser, calls, 1, 10'000'000, err);
    const auto w = intOption(parser, warmup, 0, 1'000'000, err);
    const auto c = intOption(parser, concurrency, 1, 256, err);
    const auto r = intOption(parser, rounds, 1, 1000, err);
    const auto a = intOption(parser, authzenRequests, 0, 10'000'000, err);
    const auto b = intOption(parser, authzenBatch, 2, 100, err);
    const auto s = intOption(parser, timeout, 5, 36'000, err);
    if (!n || !c || !w || !r || !a || !b || !s || *r > *n) {
        err << QStringLiteral("see --help (and --rounds may not exceed --calls)\n");
        return 2;
    }
    ProxyOptions options;
    options.calls = *n;
    options.warmup = *w;
    options.concurrency = *c;
    options.rounds = *r;
    options.authzenRequests = *a;
    options.authzenBatch = *b;
    options.stdio = !parser.isSet(noStdio);
    options.dataRoot = parser.value(dataRoot);
    options.tmpfsRoot = parser.value(tmpfsRoot);
    options.gatewayProgram = QFileInfo(parser.value(gateway)).absoluteFilePath();
    options.directoryProgram = QFileInfo(parser.value(directory)).absoluteFilePath();
    options.policyFile = QFileInfo(parser.value(policy)).absoluteFilePath();
    options.phaseTimeout = std::chrono::seconds(*s);
    options.keepFiles = parser.isSet(keep);

    ProxyReport report;
    {
        ProxyRun run(options);
        report = run.run();
        if (options.keepFiles)
            err << QStringLiteral("files kept in %1\n").arg(run.folder());
    }
    out << report.toText();
    out.flush();

    if (parser.isSet(json)) {
        QFile file(parser.value(json));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || file.write(QJsonDocument(report.toJson()).toJson()) < 0) {
            err << QStringLiteral("cannot write %1: %2\n").arg(file.fileName(), file.errorString());
            return 1;
        }
    }
    return report.passed() ? 0 : 1;
}
