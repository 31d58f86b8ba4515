#include "childgatewayrun.h"

#include "bench/load/processresources.h"
#include "gateway/keys/signingkey.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/otp/otpsecret.h"
#include "protocol/randombytes.h"

#include <unistd.h>

#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QTimer>

namespace countersign::load {

namespace {

double nsToMs(qint64 nanoseconds)
{
    return static_cast<double>(nanoseconds) / 1e6;
}

// Runs the event loop until `done` or the timeout, looking every 20 ms.
bool waitUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout)
{
    const QDeadlineTimer deadline(timeout);
    while (!done() && !deadline.hasExpired()) {
        QEventLoop loop;
        QTimer::singleShot(std::chrono::milliseconds(20), &loop, &QEventLoop::quit);
        loop.exec();
    }
    return done();
}

QString mib(qint64 kib)
{
    return QString::number(static_cast<double>(kib) / 1024.0, 'f', 1) + QStringLiteral(" MiB");
}

} // namespace

qint64 residentKibOf(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.read(16 * 1024).split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

double cpuMsOf(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.read(4096);
    // Fields after the command (which may hold spaces) start after ')'.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    // utime and stime are fields 14 and 15 of the whole line.
    const qint64 ticks = fields.at(11).toLongLong() + fields.at(12).toLongLong();
    return static_cast<double>(ticks) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

ChildGatewayRun::ChildGatewayRun(ChildGatewayOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_folder((m_options.dataRoot.isEmpty() ? QDir::tempPath() : m_options.dataRoot)
               + QStringLiteral("/bench_gateway_load-XXXXXX"))
{
}

ChildGatewayRun::~ChildGatewayRun()
{
    shutdown();
}

ChildGatewayReport ChildGatewayRun::run()
{
    m_report.companions = m_options.companions;
    m_report.ioThreads = m_options.ioThreads;
    m_report.fileLimit = raiseFileLimit();
    if (m_report.fileLimit >= 0 && m_report.fileLimit < m_options.companions + 64LL) {
        fail(QStringLiteral("the file descriptor limit %1 is too low for %2 companions")
                 .arg(m_report.fileLimit)
                 .arg(m_options.companions));
        return m_report;
    }
    if (!m_folder.isValid()) {
        fail(QStringLiteral("no temporary folder: %1").arg(m_folder.errorString()));
        return m_report;
    }
    std::vector<CompanionSpec> specs;
    std::optional<EcPublicKey> gatewayKey;
    if (prepare(specs, gatewayKey) && startGateway() && connectAll(std::move(specs), *gatewayKey)) {
        measureIdle();
        approve();
    }
    shutdown();
    return m_report;
}

bool ChildGatewayRun::prepare(std::vector<CompanionSpec> &specs,
                              std::optional<EcPublicKey> &gatewayKey)
{
    QElapsedTimer timer;
    timer.start();
    const QString dataDir = m_folder.filePath(QStringLiteral("data"));
    // The admin API raises the approvals (mode 600, as the gateway demands).
    m_adminToken = randomToken(32).toLatin1();
    const QString tokenFile = m_folder.filePath(QStringLiteral("admin.token"));
    {
        QFile token(tokenFile);
        if (!token.open(QIODevice::WriteOnly) || token.write(m_adminToken) != m_adminToken.size()
            || !token.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
            fail(QStringLiteral("cannot write %1").arg(token.fileName()));
            return false;
        }
    }
    QByteArray yaml = QByteArrayLiteral("listen: 127.0.0.1:0\n"
                                        "name: Load test gateway\n"
                                        "admin:\n"
                                        "  token_file: \"")
        + tokenFile.toUtf8()
        + QByteArrayLiteral("\"\n"
                            "limits:\n"
                            "  max_connections_per_address: ")
        + QByteArray::number(m_options.companions + 100) + QByteArrayLiteral("\nusers:\n");
    for (int i = 0; i < m_options.companions; ++i)
        yaml += QByteArrayLiteral("  - user") + QByteArray::number(i) + "@example.com\n";
    QFile config(m_folder.filePath(QStringLiteral("gateway.yaml")));
    if (!config.open(QIODevice::WriteOnly) || config.write(yaml) != yaml.size()) {
        fail(QStringLiteral("cannot write %1").arg(config.fileName()));
        return false;
    }
    config.close();
    if (!QDir().mkpath(dataDir)
        || !QFile::setPermissions(
            dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner)) {
        fail(QStringLiteral("cannot create %1").arg(dataDir));
        return false;
    }
    // The gateway's own key and database, written before it starts: the rows
    // a redeemed pairing offer would write.
    auto key = gateway::SigningKey::loadOrCreate(dataDir);
    if (!key) {
        fail(QStringLiteral("signing key: %1").arg(key.error().message));
        return false;
    }
    gatewayKey = key->publicKey();
    auto store = gateway::SqliteStore::open(dataDir);
    if (!store) {
        fail(QStringLiteral("store: %1").arg(store.error().message));
        return false;
    }
    const qint64 now = m_clock.secondsSinceEpoch();
    specs.reserve(static_cast<std::size_t>(m_options.companions));
    for (int i = 0; i < m_options.companions; ++i) {
        auto deviceKey = EcPrivateKey::generate();
        auto secret = OtpSecret::generate();
        if (!deviceKey || !secret) {
            fail(QStringLiteral("key generation failed"));
            return false;
        }
        auto totp = Totp::create(secret.value());
        if (!totp) {
            fail(QStringLiteral("TOTP: %1").arg(totp.error().message));
            return false;
        }
        gateway::DeviceRecord device;
        device.deviceId = randomToken(16);
        device.userId = QStringLiteral("user%1@example.com").arg(i);
        device.name = QStringLiteral("load-%1").arg(i);
        device.publicJwk = deviceKey->publicKey().toJwk();
        device.keyThumbprint = deviceKey->publicKey().thumbprint();
        device.pairedAt = now;
        if (auto added = store.value()->addDevice(device); !added) {
            fail(QStringLiteral("device: %1").arg(added.error().message));
            return false;
        }
        // Every user has TOTP enrolled: the approvals ask for it.
        gateway::TotpEnrollment enrollment;
        enrollment.userId = device.userId;
        enrollment.secret = secret->bytes();
        enrollment.createdAt = now;
        if (auto enrolled = store.value()->setTotpEnrollment(enrollment); !enrolled) {
            fail(QStringLiteral("TOTP enrolment: %1").arg(enrolled.error().message));
            return false;
        }
        specs.push_back(CompanionSpec{
            i, std::move(deviceKey).value(), std::move(totp).value(), device.deviceId, {}});
    }
    m_report.setupWallMs = nsToMs(timer.nsecsElapsed());
    return true;
}

bool ChildGatewayRun::startGateway()
{
    ChildServer::Spec spec;
    spec.name = QStringLiteral("countersign-gateway");
    spec.program = m_options.gatewayProgram;
    spec.arguments =
        QStringList{QStringLiteral("serve"), QStringLiteral("--config"),
                    m_folder.filePath(QStringLiteral("gateway.yaml")), QStringLiteral("--data-dir"),
                    m_folder.filePath(QStringLiteral("data"))};
    if (m_options.ioThreads > 0)
        spec.arguments << QStringLiteral("--io-threads") << QString::number(m_options.ioThreads);
    spec.logFile = m_folder.filePath(QStringLiteral("gateway.log"));
    spec.ready = QRegularExpression(QStringLiteral("serving (http://\\S+)"));
    m_gateway = std::make_unique<ChildServer>(std::move(spec));
    if (!m_gateway->start(std::chrono::seconds(60))) {
        fail(m_gateway->error());
        return false;
    }
    // Let it settle (start-up allocations, the first timers) before the
    // idle sample.
    (void)waitUntil([] { return false; }, std::chrono::milliseconds(500));
    m_report.gatewayRssIdleKib = residentKibOf(m_gateway->processId());
    return true;
}

bool ChildGatewayRun::connectAll(std::vector<CompanionSpec> specs, const EcPublicKey &gatewayKey)
{
    std::optional<ConnectOutcome> outcome;
    m_pool = CompanionPool::startOn(m_clientThread, m_clock, this);
    if (m_options.requests > 0) {
        m_approvals =
            std::make_unique<ChildApprovals>(m_gateway->url(), m_adminToken, m_options.companions,
                                             m_gateway->processId(), m_options.phaseTimeoutSeconds);
        QMetaObject::invokeMethod(
            m_pool,
            [pool = m_pool, handler = m_approvals->acceptedHandler()] {
                pool->setAcceptedHandler(handler);
            },
            Qt::BlockingQueuedConnection);
    }

    const QUrl url = m_gateway->url();
    QUrl channel = url;
    channel.setScheme(QStringLiteral("ws"));
    channel.setPath(QStringLiteral("/companion/v1"));
    const GatewayPin pin{channel, url.toString(QUrl::FullyEncoded), gatewayKey};
    QMetaObject::invokeMethod(
        m_pool,
        [pool = m_pool, pin, specs = std::move(specs)]() mutable {
            pool->create(std::move(specs), pin);
        },
        Qt::BlockingQueuedConnection);

    const qint64 pid = m_gateway->processId();
    const double cpuBefore = cpuMsOf(pid);
    QMetaObject::invokeMethod(m_pool, [this, &outcome, pool = m_pool] {
        pool->connectAll(m_options.connectParallel,
                         [&outcome](ConnectOutcome result) { outcome = std::move(result); });
    });
    const bool finished = waitUntil([&outcome] { return outcome.has_value(); },
                                    std::chrono::seconds(m_options.phaseTimeoutSeconds));
    m_report.gatewayCpuConnectMs = cpuMsOf(pid) - cpuBefore;
    if (!finished) {
        fail(
            QStringLiteral("connecting did not finish in %1 s").arg(m_options.phaseTimeoutSeconds));
        return false;
    }
    m_report.welcomed = outcome->welcomed;
    m_report.connectWallMs = nsToMs(outcome->wallNs);
    m_report.handshake = Distribution::fromNanoseconds(outcome->handshakeNs);
    m_report.connectFailures = outcome->failures;
    (void)waitUntil([] { return false; }, std::chrono::seconds(m_options.holdSeconds));
    m_report.gatewayRssConnectedKib = residentKibOf(pid);
    m_report.clientRssConnectedKib = residentKib();
    if (m_report.welcomed != m_options.companions) {
        fail(QStringLiteral("%1 of %2 companions welcomed: %3")
                 .arg(m_report.welcomed)
                 .arg(m_options.companions)
                 .arg(m_report.connectFailures.join(QStringLiteral("; "))));
        return false;
    }
    if (m_gateway->processId() <= 0)
        fail(QStringLiteral("the gateway exited"));
    return m_report.passed();
}

void ChildGatewayRun::measureIdle()
{
    if (m_options.idleSeconds <= 0)
        return;
    const qint64 pid = m_gateway->processId();
    QElapsedTimer timer;
    timer.start();
    const double before = cpuMsOf(pid);
    (void)waitUntil([] { return false; }, std::chrono::seconds(m_options.idleSeconds));
    m_report.gatewayCpuIdleMs = cpuMsOf(pid) - before;
    m_report.idleSeconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
}

void ChildGatewayRun::approve()
{
    if (!m_approvals)
        return;
    if (m_options.warmup > 0) {
        const ApprovalLoopReport warmup = m_approvals->run(m_options.warmup, m_options.concurrency);
        if (warmup.failureCount > 0) {
            fail(QStringLiteral("warm-up: %1").arg(warmup.failures.join(QStringLiteral("; "))));
            return;
        }
    }
    m_report.approvals = m_approvals->run(m_options.requests, m_options.concurrency);
    m_report.gatewayRssAfterApprovalsKib = residentKibOf(m_gateway->processId());
    if (m_report.approvals->failureCount > 0
        || m_report.approvals->approved != m_options.requests) {
        fail(QStringLiteral("%1 of %2 approvals with a token: %3")
                 .arg(m_report.approvals->approved)
                 .arg(m_options.requests)
                 .arg(m_report.approvals->failures.join(QStringLiteral("; "))));
    }
    if (m_gateway->processId() <= 0)
        fail(QStringLiteral("the gateway exited"));
}

void ChildGatewayRun::shutdown()
{
    if (m_pool && m_clientThread.isRunning()) {
        QMetaObject::invokeMethod(m_pool, &CompanionPool::closeAll, Qt::BlockingQueuedConnection);
        m_clientThread.quit();
        m_clientThread.wait();
        m_pool = nullptr;
    }
    if (m_gateway) {
        m_gateway->stop();
        m_gateway.reset();
    }
}

QString ChildGatewayReport::toText() const
{
    QString text;
    text += QStringLiteral("countersign-gateway as a child process, %1 companions (%2 I/O "
                           "threads; 0 = one per core), devices written with Store::addDevice "
                           "(%3 ms)\n")
                .arg(companions)
                .arg(ioThreads)
                .arg(setupWallMs, 0, 'f', 0);
    text += QStringLiteral("connect: %1 welcomed in %2 ms; handshake %3\n")
                .arg(welcomed)
                .arg(connectWallMs, 0, 'f', 0)
                .arg(handshake.toText());
    text +=
        QStringLiteral("gateway RSS: %1 idle, %2 with all connected (%3 KiB per companion); "
                       "gateway CPU while connecting: %4 ms (%5 µs per companion)\n")
            .arg(mib(gatewayRssIdleKib), mib(gatewayRssConnectedKib))
            .arg(companions > 0
                     ? static_cast<double>(gatewayRssConnectedKib - gatewayRssIdleKib) / companions
                     : 0.0,
                 0, 'f', 1)
            .arg(gatewayCpuConnectMs, 0, 'f', 0)
            .arg(companions > 0 ? gatewayCpuConnectMs * 1000.0 / companions : 0.0, 0, 'f', 0);
    text += QStringLiteral("client RSS (all companions): %1\n").arg(mib(clientRssConnectedKib));
    if (idleSeconds > 0) {
        text += QStringLiteral("gateway CPU idle, all connected: %1 ms over %2 s = %3 %\n")
                    .arg(gatewayCpuIdleMs, 0, 'f', 0)
                    .arg(idleSeconds, 0, 'f', 1)
                    .arg(gatewayCpuIdleMs / (idleSeconds * 10.0), 0, 'f', 2);
    }
    if (approvals) {
        text += approvals->toText(QStringLiteral("approvals (admin API, TOTP, token redeemed)"));
        text += QStringLiteral("gateway RSS after the approvals: %1\n")
                    .arg(mib(gatewayRssAfterApprovalsKib));
    }
    for (const QString &failure : failures)
        text += QStringLiteral("FAILED: %1\n").arg(failure);
    return text;
}

QJsonObject ChildGatewayReport::toJson() const
{
    return QJsonObject{
        {QStringLiteral("mode"), QStringLiteral("gateway-process")},
        {QStringLiteral("companions"), companions},
        {QStringLiteral("io_threads"), ioThreads},
        {QStringLiteral("welcomed"), welcomed},
        {QStringLiteral("file_limit"), static_cast<double>(fileLimit)},
        {QStringLiteral("setup_wall_ms"), setupWallMs},
        {QStringLiteral("connect_wall_ms"), connectWallMs},
        {QStringLiteral("handshake_ms"), handshake.toJson()},
        {QStringLiteral("gateway_rss_idle_kib"), static_cast<double>(gatewayRssIdleKib)},
        {QStringLiteral("gateway_rss_connected_kib"), static_cast<double>(gatewayRssConnectedKib)},
        {QStringLiteral("gateway_cpu_connect_ms"), gatewayCpuConnectMs},
        {QStringLiteral("client_rss_connected_kib"), static_cast<double>(clientRssConnectedKib)},
        {QStringLiteral("idle_seconds"), idleSeconds},
        {QStringLiteral("gateway_cpu_idle_ms"), gatewayCpuIdleMs},
        {QStringLiteral("gateway_idle_cpu_percent"),
         idleSeconds > 0 ? gatewayCpuIdleMs / (idleSeconds * 10.0) : 0.0},
        {QStringLiteral("approvals"), approvals ? approvals->toJson() : QJsonObject{}},
        {QStringLiteral("gateway_rss_after_approvals_kib"),
         static_cast<double>(gatewayRssAfterApprovalsKib)},
        {QStringLiteral("failures"), QJsonArray::fromStringList(failures)},
        {QStringLiteral("passed"), passed()},
    };
}

} // namespace countersign::load
