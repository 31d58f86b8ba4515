#include "proxyrun.h"

#include "bench/load/authzenclient.h"
#include "bench/load/closedloop.h"
#include "bench/load/hostprobe.h"

#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace countersign::load {

namespace {

constexpr auto startTimeout = std::chrono::seconds(30);
constexpr int syncProbeWrites = 200;
constexpr int authzenWarmup = 100;

// Matches the line each server prints once it listens; the URL is captured.
const QRegularExpression directoryReady(QStringLiteral("listening on (http://[^,\\s]+)"));
const QRegularExpression gatewayReady(QStringLiteral("serving (http://\\S+)"));

double perSecond(qsizetype count, qint64 wallNs)
{
    return wallNs > 0 ? static_cast<double>(count) * 1e9 / static_cast<double>(wallNs) : 0;
}

QTemporaryDir makeFolder(const QString &root)
{
    return QTemporaryDir((root.isEmpty() ? QDir::tempPath() : root)
                         + QStringLiteral("/bench_mcp_proxy-XXXXXX"));
}

} // namespace

ProxyRun::ProxyRun(ProxyOptions options)
    : m_options(std::move(options))
    , m_folder(makeFolder(m_options.dataRoot))
{
    m_folder.setAutoRemove(!m_options.keepFiles);
}

// Clients go before the servers they talk to (they close their sessions'
// connections), then the gateways before the directory, whose stdio child
// copies end with them.
ProxyRun::~ProxyRun()
{
    for (Target &target : m_targets)
        target.clients.clear();
    m_targets.clear();
    m_directory.reset();
}

ProxyReport ProxyRun::run()
{
    m_report.calls = m_options.calls;
    m_report.warmup = m_options.warmup;
    m_report.concurrency = m_options.concurrency;
    m_report.rounds = m_options.rounds;
    m_report.authzenRequests = m_options.authzenRequests;
    m_report.loadBefore = loadAverage();
    if (prepare() && connectClients() && warmUp()) {
        measure(false);
        measure(true);
        finishTargets();
        if (m_options.authzenRequests > 0)
            measureAuthzen();
    } else {
        finishTargets();
    }
    m_report.loadAfter = loadAverage();
    return m_report;
}

bool ProxyRun::prepare()
{
    if (!m_folder.isValid()) {
        fail(QStringLiteral("cannot create a temporary folder: %1").arg(m_folder.errorString()));
        return false;
    }
    m_report.syncProbeDir = m_folder.path();
    m_report.syncProbeFilesystem = filesystemOf(m_folder.path());
    m_report.syncAppend = Distribution::fromNanoseconds(
        fdatasyncNanoseconds(m_folder.path(), syncProbeWrites, SyncWrite::Append));
    m_report.syncOverwrite = Distribution::fromNanoseconds(
        fdatasyncNanoseconds(m_folder.path(), syncProbeWrites, SyncWrite::Overwrite));
    m_files = std::make_unique<BenchFiles>(m_folder.path());
    if (const Status written = m_files->writeCommon(); !written) {
        fail(written.error().message);
        return false;
    }
    if (!startDirectory())
        return false;

    Target direct;
    direct.result.name = QStringLiteral("direct");
    direct.result.path = QStringLiteral("client -> directory (Streamable HTTP)");
    direct.endpoint = m_directory->url();
    m_targets.push_back(std::move(direct));

    const QString httpUpstream =
        QStringLiteral("    url: %1\n").arg(BenchFiles::yamlString(m_directory->url().toString()));
    if (!addGateway(QStringLiteral("gateway-http"),
                    QStringLiteral("client -> gateway -> directory (HTTP upstream)"),
                    m_folder.path(), httpUpstream)) {
        return false;
    }
    if (!m_options.tmpfsRoot.isEmpty()) {
        m_tmpfsFolder = std::make_unique<QTemporaryDir>(makeFolder(m_options.tmpfsRoot));
        m_tmpfsFolder->setAutoRemove(!m_options.keepFiles);
        if (!m_tmpfsFolder->isValid()) {
            fail(QStringLiteral("cannot create a folder in %1").arg(m_options.tmpfsRoot));
            return false;
        }
        if (!addGateway(QStringLiteral("gateway-http-tmpfs"),
                        QStringLiteral("as gateway-http, database on tmpfs (no real fsync)"),
                        m_tmpfsFolder->path(), httpUpstream)) {
            return false;
        }
    }
    if (m_options.stdio) {
        // Its own users file: the two directories must not share one.
        const QJsonArray command{m_options.directoryProgram,
                                 QStringLiteral("--stdio"),
                                 QStringLiteral("--users"),
                                 m_folder.filePath(QStringLiteral("users-stdio.json")),
                                 QStringLiteral("--seed"),
                                 QStringLiteral("--jwks-file"),
                                 m_files->jwksPath(),
                                 QStringLiteral("--issuer"),
                                 QStringLiteral("bench-issuer"),
                                 QStringLiteral("--audience"),
                                 QStringLiteral("directory")};
        // A JSON array is a YAML flow sequence.
        const QString stdioUpstream =
            QStringLiteral("    command: %1\n")
                .arg(QString::fromUtf8(QJsonDocument(command).toJson(QJsonDocument::Compact)));
        if (!addGateway(QStringLiteral("gateway-stdio"),
                        QStringLiteral("client -> gateway -> directory (stdio child)"),
                        m_folder.path(), stdioUpstream)) {
            return false;
        }
    }
    return true;
}

bool ProxyRun::startDirectory()
{
    ChildServer::Spec spec;
    spec.name = QStringLiteral("countersign-directory");
    spec.program = m_options.directoryProgram;
    spec.arguments = QStringList{QStringLiteral("--users"),
                                 m_folder.filePath(QStringLiteral("users-http.json")),
                                 QStringLiteral("--seed"),
                                 QStringLiteral("--listen"),
                                 QStringLiteral("127.0.0.1:0"),
                                 QStringLiteral("--jwks-file"),
                                 m_files->jwksPath(),
                                 QStringLiteral("--issuer"),
                                 QStringLiteral("bench-issuer"),
                                 QStringLiteral("--audience"),
                                 QStringLiteral("directory")};
    spec.logFile = m_folder.filePath(QStringLiteral("directory.log"));
    spec.ready = directoryReady;
    m_directory = std::make_unique<ChildServer>(std::move(spec));
    if (!m_directory->start(startTimeout)) {
        fail(m_directory->error());
        return false;
    }
    return true;
}

bool ProxyRun::addGateway(const QString &name, const QString &path, const QString &dataRoot,
                          const QString &upstreamEntries)
{
    const auto config = m_files->writeGatewayConfig(name, m_options.policyFile, upstreamEntries);
    if (!config) {
        fail(config.error().message);
        return false;
    }
    const QString dataDir = dataRoot + u'/' + name + QStringLiteral("-data");
    ChildServer::Spec spec;
    spec.name = name;
    spec.program = m_options.gatewayProgram;
    spec.arguments = QStringList{QStringLiteral("serve"), QStringLiteral("--config"),
                                 config.value(), QStringLiteral("--data-dir"), dataDir};
    spec.logFile = m_folder.filePath(name + QStringLiteral(".log"));
    spec.ready = gatewayReady;

    Target target;
    target.server = std::make_unique<ChildServer>(std::move(spec));
    if (!target.server->start(startTimeout)) {
        fail(target.server->error());
        return false;
    }
    target.result.name = name;
    target.result.path = path;
    target.result.dataDir = dataDir;
    target.result.filesystem = filesystemOf(dataRoot);
    target.endpoint = target.server->url();
    target.endpoint.setPath(QStringLiteral("/mcp"));
    target.bearer = m_files->agentKey();
    m_targets.push_back(std::move(target));
    return true;
}

bool ProxyRun::connectClients()
{
    int pending = 0;
    QString failure;
    for (Target &target : m_targets) {
        for (int i = 0; i < m_options.concurrency; ++i) {
            auto client = std::make_unique<McpToolClient>(target.endpoint, target.bearer);
            ++pending;
            client->initialize([&pending, &failure, name = target.result.name](const QString &why) {
                --pending;
                if (!why.isEmpty() && failure.isEmpty())
                    failure = QStringLiteral("%1: initialize failed: %2").arg(name, why);
            });
            target.clients.push_back(std::move(client));
        }
    }
    if (!spinUntil([&pending] { return pending == 0; }, startTimeout)) {
        fail(QStringLiteral("MCP sessions not open after %1 s").arg(startTimeout.count()));
        return false;
    }
    if (!failure.isEmpty()) {
        fail(failure);
        return false;
    }
    return true;
}

// Every client's connection opened and used, the gateway's upstream session
// initialised and its connections to the directory open, the code paged in.
bool ProxyRun::warmUp()
{
    for (Target &target : m_targets) {
        QList<CallClient *> clients;
        for (const auto &client : target.clients)
            clients.append(client.get());
        const LoopOutcome outcome = runClosedLoop(
            clients, std::max(m_options.warmup, m_options.concurrency), m_options.phaseTimeout);
        if (outcome.failures > 0 || outcome.timedOut) {
            fail(QStringLiteral("%1: warm-up failed: %2")
                     .arg(target.result.name,
                          outcome.timedOut ? QStringLiteral("timed out") : outcome.firstFailure));
            return false;
        }
    }
    return true;
}

// The targets take turns, calls/rounds at a time, each round starting with
// the next target: load from other work on a shared machine comes and goes,
// and interleaving spreads it over all targets instead of one.
void ProxyRun::measure(bool concurrent)
{
    const int clientCount = concurrent ? m_options.concurrency : 1;
    const auto targetCount = static_cast<int>(m_targets.size());
    for (int round = 0; round < m_options.rounds; ++round) {
        const int perRound = round + 1 < m_options.rounds
            ? m_options.calls / m_options.rounds
            : m_options.calls - (m_options.rounds - 1) * (m_options.calls / m_options.rounds);
        for (int turn = 0; turn < targetCount; ++turn) {
            Target &target = m_targets.at(static_cast<size_t>((round + turn) % targetCount));
            QList<CallClient *> clients;
            for (int i = 0; i < clientCount; ++i)
                clients.append(target.clients.at(static_cast<size_t>(i)).get());
            const LoopOutcome outcome = runClosedLoop(clients, perRound, m_options.phaseTimeout);
            ModeResult &mode = concurrent ? target.result.concurrent : target.result.sequential;
            mode.clients = clientCount;
            mode.failures += outcome.failures;
            if (mode.firstFailure.isEmpty())
                mode.firstFailure = outcome.firstFailure;
            if (outcome.timedOut)
                fail(QStringLiteral("%1: round %2 timed out").arg(target.result.name).arg(round));
            (concurrent ? target.concurrentNs : target.sequentialNs).append(outcome.latenciesNs);
            (concurrent ? target.concurrentWallNs : target.sequentialWallNs) += outcome.wallNs;
        }
    }
}

void ProxyRun::finishTargets()
{
    for (Target &target : m_targets) {
        TargetResult &result = target.result;
        result.sequential.latency = Distribution::fromNanoseconds(target.sequentialNs);
        result.sequential.callsPerSecond =
            perSecond(target.sequentialNs.size(), target.sequentialWallNs);
        result.concurrent.latency = Distribution::fromNanoseconds(target.concurrentNs);
        result.concurrent.callsPerSecond =
            perSecond(target.concurrentNs.size(), target.concurrentWallNs);
        for (const ModeResult *mode : {&result.sequential, &result.concurrent}) {
            if (mode->failures > 0) {
                fail(QStringLiteral("%1: %2 calls failed, first: %3")
                         .arg(result.name)
                         .arg(mode->failures)
                         .arg(mode->firstFailure));
            }
        }
        m_report.targets.append(result);
    }
}

// The AuthZEN API of the first gateway: single evaluations and batches, one
// client and N at once. Decisions do not write to the database.
void ProxyRun::measureAuthzen()
{
    if (m_targets.size() < 2)
        return;
    const QUrl gateway = m_targets.at(1).server->url();
    for (const int batch : {1, m_options.authzenBatch}) {
        for (const int clientCount : {1, m_options.concurrency}) {
            std::vector<std::unique_ptr<AuthzenClient>> owned;
            QList<CallClient *> clients;
            for (int i = 0; i < clientCount; ++i) {
                owned.push_back(
                    std::make_unique<AuthzenClient>(gateway, m_files->adminToken(), batch));
                clients.append(owned.back().get());
            }
            AuthzenResult result;
            result.endpoint = batch == 1 ? QStringLiteral("/access/v1/evaluation")
                                         : QStringLiteral("/access/v1/evaluations");
            result.batch = batch;
            result.clients = clientCount;
            const LoopOutcome warm = runClosedLoop(clients, std::max(authzenWarmup, clientCount),
                                                   m_options.phaseTimeout);
            const LoopOutcome outcome = warm.failures > 0 || warm.timedOut
                ? warm
                : runClosedLoop(clients, m_options.authzenRequests, m_options.phaseTimeout);
            result.latency = Distribution::fromNanoseconds(outcome.latenciesNs);
            result.requestsPerSecond = perSecond(outcome.latenciesNs.size(), outcome.wallNs);
            result.decisionsPerSecond = result.requestsPerSecond * batch;
            result.failures = outcome.failures;
            result.firstFailure = outcome.firstFailure;
            if (outcome.failures > 0 || outcome.timedOut) {
                fail(QStringLiteral("%1 (batch %2, %3 clients): %4")
                         .arg(result.endpoint)
                         .arg(batch)
                         .arg(clientCount)
                         .arg(outcome.timedOut ? QStringLiteral("timed out")
                                               : outcome.firstFailure));
            }
            m_report.authzen.append(result);
        }
    }
}

bool ProxyRun::spinUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout)
{
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    poll.start(std::chrono::milliseconds(5));
    QTimer::singleShot(timeout, &loop, &QEventLoop::quit);
    if (!done())
        loop.exec();
    return done();
}

void ProxyRun::fail(const QString &why)
{
    m_report.failures.append(why);
}

} // namespace countersign::load
