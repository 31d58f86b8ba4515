#include "loadrun.h"

#include "bench/load/processresources.h"
#include "protocol/otp/otpsecret.h"
#include "protocol/randombytes.h"

#include <limits>

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QTimer>

namespace countersign::load {

namespace {

constexpr qsizetype maxIdsNamed = 5;

double nsToMs(qint64 nanoseconds)
{
    return static_cast<double>(nanoseconds) / 1e6;
}

QString userId(int index)
{
    return QStringLiteral("user%1@example.com").arg(index);
}

} // namespace

LoadRun::LoadRun(LoadOptions options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_dataDir((options.dataRoot.isEmpty() ? QDir::tempPath() : options.dataRoot)
                + QStringLiteral("/bench_gateway_load-XXXXXX"))
{
    if (m_options.requests < 0)
        m_options.requests = m_options.companions;
    if (m_options.httpPairing < 0)
        m_options.httpPairing = qMin(m_options.companions, pairingLimitPerMinute);
    m_options.httpPairing =
        qBound(0, m_options.httpPairing, qMin(m_options.companions, pairingLimitPerMinute));
    // More requests in flight than users would put two on one user at once.
    m_options.concurrency = qBound(1, m_options.concurrency, m_options.companions);
    m_elapsed.start();
}

LoadRun::~LoadRun()
{
    shutdown();
}

void LoadRun::fail(const QString &why)
{
    m_report.failures.append(why);
}

void LoadRun::wake()
{
    if (m_waiting)
        m_waiting->quit();
}

bool LoadRun::waitUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout)
{
    const QDeadlineTimer deadline(timeout);
    while (!done() && !deadline.hasExpired()) {
        QEventLoop loop;
        m_waiting = &loop;
        const auto slice = std::min<qint64>(deadline.remainingTime(), 100);
        QTimer::singleShot(std::chrono::milliseconds(slice), &loop, &QEventLoop::quit);
        loop.exec();
        m_waiting = nullptr;
    }
    return done();
}

LoadReport LoadRun::run()
{
    m_report.companions = m_options.companions;
    m_report.requests = m_options.requests;
    m_report.concurrency = m_options.concurrency;
    m_report.connectParallel = m_options.connectParallel;
    m_report.fileLimit = raiseFileLimit();
    m_report.threading = QStringLiteral("gateway on the main thread, %1 companions on one client "
                                        "thread (one QWebSocket each)")
                             .arg(m_options.companions);
    m_report.rssStartKib = residentKib();

    if (m_report.fileLimit >= 0 && m_report.fileLimit < 2LL * m_options.companions + 64) {
        fail(QStringLiteral("the file descriptor limit %1 is too low for %2 companions (need "
                            "about %3)")
                 .arg(m_report.fileLimit)
                 .arg(m_options.companions)
                 .arg(2 * m_options.companions + 64));
        return m_report;
    }
    if (!m_dataDir.isValid()) {
        fail(QStringLiteral("no temporary data dir: %1").arg(m_dataDir.errorString()));
        return m_report;
    }
    m_report.dataDir = m_dataDir.path();
    if (startGateway() && prepareCompanions() && pairCompanions() && connectCompanions()) {
        approveAll();
        collectTally();
    }
    m_report.rssAfterApproveKib = residentKib();
    shutdown();
    return m_report;
}

bool LoadRun::startGateway()
{
    QByteArray yaml = QByteArrayLiteral("listen: 127.0.0.1:0\n"
                                        "name: Load test gateway\n"
                                        "pairing:\n"
                                        "  max_attempts_per_minute: ")
        + QByteArray::number(pairingLimitPerMinute) + QByteArrayLiteral("\nusers:\n");
    // One user per companion: a TOTP step is accepted once per user, so one
    // user could approve only about three requests per 30 s.
    for (int i = 0; i < m_options.companions; ++i) {
        m_users.append(userId(i));
        yaml += QByteArrayLiteral("  - ") + m_users.constLast().toUtf8() + '\n';
    }
    const auto config =
        gateway::GatewayConfig::parse(yaml, QStringLiteral("bench_gateway_load.yaml"));
    if (!config) {
        fail(QStringLiteral("configuration: %1").arg(config.error().message));
        return false;
    }
    auto runtime = gateway::GatewayRuntime::start(config.value(), m_dataDir.path(), m_clock);
    if (!runtime) {
        fail(QStringLiteral("the gateway did not start: %1").arg(runtime.error().message));
        return false;
    }
    m_runtime = std::move(runtime).value();
    // The run measures how fast approvals go through, not the abuse limits
    // (approvals.limits), which a load of one agent would hit at once.
    gateway::ApprovalLimits unlimited;
    unlimited.pendingPerAgent = unlimited.perMinutePerAgent = std::numeric_limits<int>::max();
    unlimited.pendingPerUser = unlimited.perMinutePerUser = std::numeric_limits<int>::max();
    unlimited.holdAfterDenials = 0;
    m_runtime->broker().setLimits(unlimited);
    connect(&m_runtime->broker(), &gateway::ApprovalBroker::resolved, this, &LoadRun::onResolved);

    m_pool = CompanionPool::startOn(m_clientThread, m_clock, this);
    return true;
}

bool LoadRun::prepareCompanions()
{
    const QElapsedTimer setup = [] {
        QElapsedTimer timer;
        timer.start();
        return timer;
    }();
    const GatewayPin pin{
        QUrl(QStringLiteral("ws://127.0.0.1:%1/companion/v1").arg(m_runtime->port())),
        m_runtime->publicUrl().toString(QUrl::FullyEncoded), m_runtime->signingKey()};
    std::vector<CompanionSpec> specs;
    specs.reserve(static_cast<std::size_t>(m_options.companions));
    const qint64 now = m_clock.secondsSinceEpoch();
    for (int i = 0; i < m_options.companions; ++i) {
        auto key = EcPrivateKey::generate();
        auto secret = OtpSecret::generate();
        if (!key || !secret) {
            fail(QStringLiteral("key generation failed"));
            return false;
        }
        gateway::TotpEnrollment enrollment;
        enrollment.userId = m_users.at(i);
        enrollment.secret = secret->bytes();
        enrollment.createdAt = now;
        if (auto enrolled = m_runtime->store().setTotpEnrollment(enrollment); !enrolled) {
            fail(QStringLiteral("TOTP enrolment: %1").arg(enrolled.error().message));
            return false;
        }
        auto totp = Totp::create(secret.value());
        if (!totp) {
            fail(QStringLiteral("TOTP: %1").arg(totp.error().message));
            return false;
        }
        CompanionSpec spec{i, std::move(key).value(), std::move(totp).value(), {}, {}};
        if (i < m_options.httpPairing) {
            // A real single-use offer, redeemed over HTTP by the pool.
            const auto offer = m_runtime->pairing().createOffer(m_users.at(i));
            if (!offer) {
                fail(QStringLiteral("pairing offer: %1").arg(offer.error().message));
                return false;
            }
            spec.link = offer->link;
        } else {
            // Beyond what the rate limit lets one address pair in a minute:
            // the row a redeemed offer would have written.
            gateway::DeviceRecord device;
            device.deviceId = randomToken(16);
            device.userId = m_users.at(i);
            device.name = QStringLiteral("load-%1").arg(i);
            device.publicJwk = spec.deviceKey.publicKey().toJwk();
            device.keyThumbprint = spec.deviceKey.publicKey().thumbprint();
            device.pairedAt = now;
            if (auto added = m_runtime->store().addDevice(device); !added) {
                fail(QStringLiteral("device: %1").arg(added.error().message));
                return false;
            }
            spec.deviceId = device.deviceId;
            ++m_report.storeRegistered;
        }
        specs.push_back(std::move(spec));
    }
    m_report.setupWallMs = nsToMs(setup.nsecsElapsed());
    QMetaObject::invokeMethod(
        m_pool,
        [pool = m_pool, pin, specs = std::move(specs)]() mutable {
            pool->create(std::move(specs), pin);
        },
        Qt::BlockingQueuedConnection);
    return true;
}

bool LoadRun::pairCompanions()
{
    if (m_options.httpPairing == 0)
        return true;
    // QNetworkAccessManager opens at most six connections per host anyway.
    QMetaObject::invokeMethod(m_pool, [this, pool = m_pool] {
        pool->pairOverHttp(6, [this](PairingOutcome result) {
            m_pairingOutcome = std::move(result);
            wake();
        });
    });
    if (!waitUntil([this] { return m_pairingOutcome.has_value(); },
                   std::chrono::seconds(m_options.phaseTimeoutSeconds))) {
        fail(QStringLiteral("pairing did not finish in %1 s").arg(m_options.phaseTimeoutSeconds));
        return false;
    }
    const PairingOutcome &outcome = *m_pairingOutcome;
    m_report.httpPaired = outcome.paired;
    m_report.pairingWallMs = nsToMs(outcome.wallNs);
    if (outcome.paired != m_options.httpPairing) {
        fail(QStringLiteral("%1 of %2 HTTP pairings failed: %3")
                 .arg(m_options.httpPairing - outcome.paired)
                 .arg(m_options.httpPairing)
                 .arg(outcome.failures.join(QStringLiteral("; "))));
        return false;
    }
    return true;
}

bool LoadRun::connectCompanions()
{
    m_report.rssBeforeConnectKib = residentKib();
    QMetaObject::invokeMethod(m_pool, [this, pool = m_pool] {
        pool->connectAll(m_options.connectParallel, [this](ConnectOutcome result) {
            m_connectOutcome = std::move(result);
            wake();
        });
    });
    const bool finished = waitUntil([this] { return m_connectOutcome.has_value(); },
                                    std::chrono::seconds(m_options.phaseTimeoutSeconds));
    // Let the gateway finish its side of the last handshakes.
    (void)waitUntil([this] { return m_runtime->hub().connectedDevices() >= m_options.companions; },
                    std::chrono::seconds(5));
    m_report.hubConnected = m_runtime->hub().connectedDevices();
    m_report.rssAfterConnectKib = residentKib();
    if (!finished) {
        fail(QStringLiteral("connecting did not finish in %1 s (%2 in the hub)")
                 .arg(m_options.phaseTimeoutSeconds)
                 .arg(m_report.hubConnected));
        return false;
    }
    const ConnectOutcome &outcome = *m_connectOutcome;
    m_report.welcomed = outcome.welcomed;
    m_report.connectWallMs = nsToMs(outcome.wallNs);
    m_report.handshake = Distribution::fromNanoseconds(outcome.handshakeNs);
    if (outcome.welcomed != m_options.companions || m_report.hubConnected != m_options.companions) {
        fail(QStringLiteral("%1 of %2 companions welcomed, %3 in the hub: %4")
                 .arg(outcome.welcomed)
                 .arg(m_options.companions)
                 .arg(m_report.hubConnected)
                 .arg(outcome.failures.join(QStringLiteral("; "))));
        return false;
    }
    return true;
}

gateway::ApprovalSpec LoadRun::specFor(int user, int sequence) const
{
    gateway::ApprovalSpec spec;
    spec.sarc.subject.id = m_users.at(user);
    spec.sarc.subject.agent = QStringLiteral("load-agent");
    spec.sarc.action.name = QStringLiteral("disable_user");
    spec.sarc.resource.type = QStringLiteral("tool");
    spec.sarc.resource.id = QStringLiteral("directory/disable_user");
    const QJsonObject arguments{{QStringLiteral("user"), QStringLiteral("bob-%1").arg(sequence)}};
    spec.sarc.resource.properties = QJsonObject{{QStringLiteral("arguments"), arguments}};
    spec.sarc.context.verified =
        QJsonObject{{QStringLiteral("session"), QStringLiteral("load-%1").arg(sequence)}};
    spec.sarc.context.agentSupplied =
        QJsonObject{{QStringLiteral("reason"), QStringLiteral("load test")}};
    spec.methods = {ApprovalMethod::Totp};
    // Longer than the phase may take, so that a slow gateway shows up as a
    // missed deadline here rather than as expired requests.
    spec.timeoutSeconds = qBound<qint64>(gateway::ApprovalBroker::minTimeoutSeconds,
                                         m_options.phaseTimeoutSeconds + 60,
                                         gateway::ApprovalBroker::maxTimeoutSeconds);
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QCryptographicHash::hash(
        QJsonDocument(arguments).toJson(QJsonDocument::Compact), QCryptographicHash::Sha256);
    return spec;
}

void LoadRun::pump()
{
    m_pumpQueued = false;
    while (m_outstanding.size() < m_options.concurrency && m_created < m_options.requests
           && !m_idleUsers.empty()) {
        const int user = m_idleUsers.front();
        m_idleUsers.pop_front();
        const gateway::ApprovalSpec spec = specFor(user, m_created);
        ++m_created;
        const qint64 start = m_elapsed.nsecsElapsed();
        if (m_firstCreateNs < 0)
            m_firstCreateNs = start;
        const auto approval = m_runtime->broker().create(spec);
        const qint64 end = m_elapsed.nsecsElapsed();
        if (!approval) {
            ++m_report.otherOutcomes[QStringLiteral("create failed")];
            ++m_finished;
            m_idleUsers.push_back(user);
            qWarning().noquote() << "create() failed:" << approval.error().message;
            continue;
        }
        m_createDurations.append(end - start);
        // resolved cannot have fired yet: create() only announces the request.
        m_outstanding.insert(approval->requestId, Outstanding{user, start});
    }
}

void LoadRun::onResolved(const gateway::ApprovalRecord &approval)
{
    const qint64 now = m_elapsed.nsecsElapsed();
    const auto found = m_outstanding.constFind(approval.requestId);
    if (found == m_outstanding.constEnd())
        return;
    const Outstanding outstanding = found.value();
    m_outstanding.erase(found);
    ++m_finished;
    m_lastResolvedNs = now;
    if (approval.state == gateway::ApprovalState::Approved) {
        ++m_report.approved;
        m_latencies.append(now - outstanding.createdNs);
    } else {
        ++m_report.otherOutcomes[gateway::approvalStateName(approval.state)];
    }
    m_idleUsers.push_back(outstanding.user);
    // Not from inside the broker's signal: create the next request once the
    // gateway has finished answering this proof.
    if (!m_pumpQueued) {
        m_pumpQueued = true;
        QMetaObject::invokeMethod(this, &LoadRun::pump, Qt::QueuedConnection);
    }
    if (m_finished >= m_options.requests)
        wake();
}

void LoadRun::approveAll()
{
    for (int i = 0; i < m_options.companions; ++i)
        m_idleUsers.push_back(i);
    m_latencies.reserve(m_options.requests);
    m_createDurations.reserve(m_options.requests);
    pump();
    const bool finished = waitUntil([this] { return m_finished >= m_options.requests; },
                                    std::chrono::seconds(m_options.phaseTimeoutSeconds));
    if (m_firstCreateNs >= 0 && m_lastResolvedNs >= m_firstCreateNs)
        m_report.approveWallMs = nsToMs(m_lastResolvedNs - m_firstCreateNs);
    m_report.requestedToResolved = Distribution::fromNanoseconds(m_latencies);
    m_report.create = Distribution::fromNanoseconds(m_createDurations);
    if (m_report.approveWallMs > 0)
        m_report.proofsPerSecond = m_report.approved / (m_report.approveWallMs / 1000.0);

    const int unresolved = m_options.requests - m_finished;
    if (unresolved > 0)
        m_report.otherOutcomes[QStringLiteral("unresolved")] = unresolved;
    if (!finished || m_report.approved != m_options.requests) {
        QStringList ids;
        for (auto it = m_outstanding.cbegin();
             it != m_outstanding.cend() && ids.size() < maxIdsNamed; ++it) {
            ids.append(it.key());
        }
        QStringList others;
        for (auto it = m_report.otherOutcomes.cbegin(); it != m_report.otherOutcomes.cend(); ++it)
            others.append(QStringLiteral("%1 %2").arg(it.key()).arg(it.value()));
        fail(QStringLiteral("%1 of %2 requests were approved within %3 s (others: %4)%5")
                 .arg(m_report.approved)
                 .arg(m_options.requests)
                 .arg(m_options.phaseTimeoutSeconds)
                 .arg(others.isEmpty() ? QStringLiteral("none") : others.join(QStringLiteral(", ")))
                 .arg(ids.isEmpty()
                          ? QString()
                          : QStringLiteral("; still pending: ") + ids.join(QStringLiteral(", "))));
    }
}

void LoadRun::collectTally()
{
    // The broker resolves a request before the gateway writes the
    // approval.accepted frame, so the companions' counts lag behind: ask
    // again until every approval's acknowledgement has arrived, briefly.
    const QDeadlineTimer deadline(std::chrono::seconds(5));
    do {
        m_tally.reset();
        QMetaObject::invokeMethod(m_pool, [this, pool = m_pool] {
            pool->tally([this](CompanionTally result) {
                m_tally = std::move(result);
                wake();
            });
        });
        if (!waitUntil([this] { return m_tally.has_value(); }, std::chrono::seconds(10))) {
            fail(QStringLiteral("the client thread did not answer"));
            return;
        }
        if (m_tally->accepted >= m_report.approved)
            break;
        (void)waitUntil([] { return false; }, std::chrono::milliseconds(20));
    } while (!deadline.hasExpired());
    const CompanionTally &tally = *m_tally;
    m_report.proofsSent = tally.proofsSent;
    m_report.acceptedAcks = tally.accepted;
    m_report.resolvedNotices = tally.resolved;
    m_report.proofErrors = tally.errors;
    m_report.unexpectedCloses = tally.unexpectedCloses;
    if (tally.unexpectedCloses > 0)
        fail(QStringLiteral("%1 channels closed during the run").arg(tally.unexpectedCloses));
    if (tally.badRequests > 0)
        fail(QStringLiteral("%1 requests did not verify with the gateway key")
                 .arg(tally.badRequests));
}

void LoadRun::shutdown()
{
    if (m_pool && m_clientThread.isRunning()) {
        QMetaObject::invokeMethod(m_pool, &CompanionPool::closeAll, Qt::QueuedConnection);
        // The gateway's side of the closes, so the runtime goes down idle.
        if (m_runtime) {
            (void)waitUntil([this] { return m_runtime->hub().connectedDevices() == 0; },
                            std::chrono::seconds(5));
        }
        m_clientThread.quit();
        m_clientThread.wait();
        m_pool = nullptr;
    }
    if (m_runtime) {
        disconnect(&m_runtime->broker(), nullptr, this, nullptr);
        m_runtime.reset();
    }
}

} // namespace countersign::load
