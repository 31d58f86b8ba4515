#include "companionpool.h"

#include "protocol/jose/jws.h"

#include <QJsonDocument>
#include <QNetworkReply>
#include <QThread>

namespace countersign::load {

namespace {

constexpr qsizetype maxFailuresKept = 5;

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QUrl channelUrl(const QUrl &gateway)
{
    QUrl url = gateway;
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/companion/v1"));
    return url;
}

} // namespace

CompanionPool *CompanionPool::startOn(QThread &thread, const Clock &clock, QObject *home)
{
    auto *pool = new CompanionPool(clock, [home](std::function<void()> call) {
        QMetaObject::invokeMethod(home, std::move(call), Qt::QueuedConnection);
    });
    pool->moveToThread(&thread);
    QObject::connect(&thread, &QThread::finished, pool, &QObject::deleteLater);
    thread.setObjectName(QStringLiteral("companions"));
    thread.start();
    return pool;
}

CompanionPool::CompanionPool(const Clock &clock, Report report, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_report(std::move(report))
    // A child, so that moveToThread() takes it along.
    , m_network(new QNetworkAccessManager(this))
{
}

void CompanionPool::create(std::vector<CompanionSpec> specs, const GatewayPin &pin)
{
    m_pin = pin;
    m_companions.reserve(specs.size());
    for (CompanionSpec &spec : specs) {
        auto *companion = new SimulatedCompanion(spec.index, std::move(spec.deviceKey),
                                                 std::move(spec.totp), m_clock, m_tally, this);
        if (spec.link)
            m_links.insert(companion, *spec.link);
        else
            companion->setPairing(spec.deviceId, pin);
        connect(companion, &SimulatedCompanion::welcomed, this,
                [this](SimulatedCompanion *, qint64 handshakeNs) {
                    ++m_connect.welcomed;
                    m_connect.handshakeNs.append(handshakeNs);
                    --m_inFlight;
                    ++m_finished;
                    connectNext();
                });
        connect(companion, &SimulatedCompanion::failed, this,
                [this](SimulatedCompanion *failedOne, const QString &why) {
                    noteFailure(
                        m_connect.failures,
                        QStringLiteral("companion %1: %2").arg(failedOne->index()).arg(why));
                    --m_inFlight;
                    ++m_finished;
                    connectNext();
                });
        if (m_accepted) {
            connect(companion, &SimulatedCompanion::proofAccepted, this,
                    [this](const QString &requestId, bool approved) {
                        m_report([handler = m_accepted, requestId, approved] {
                            handler(requestId, approved);
                        });
                    });
        }
        m_companions.push_back(companion);
    }
}

void CompanionPool::noteFailure(QStringList &failures, const QString &why)
{
    if (failures.size() < maxFailuresKept)
        failures.append(why);
    else if (failures.size() == maxFailuresKept)
        failures.append(QStringLiteral("..."));
}

void CompanionPool::pairOverHttp(int parallel, std::function<void(PairingOutcome)> done)
{
    m_pairing = {};
    m_pairingDone = std::move(done);
    m_parallel = qMax(1, parallel);
    m_next = 0;
    m_inFlight = 0;
    m_finished = 0;
    m_phase.start();
    pairNext();
}

void CompanionPool::pairNext()
{
    while (m_inFlight < m_parallel && m_next < m_companions.size()) {
        SimulatedCompanion *companion = m_companions[m_next++];
        const auto link = m_links.constFind(companion);
        if (link == m_links.constEnd())
            continue;
        const EcPrivateKey &key = companion->deviceKey();
        const QJsonObject claims{{QStringLiteral("v"), 1},
                                 {QStringLiteral("code"), link->code()},
                                 {QStringLiteral("iat"), m_clock.secondsSinceEpoch()}};
        const QByteArray proof =
            Jws::sign(compact(claims), key, QStringLiteral("countersign-pair+jwt"),
                      key.publicKey().thumbprint())
                .value();
        const QJsonObject body{
            {QStringLiteral("v"), 1},
            {QStringLiteral("code"), link->code()},
            {QStringLiteral("device_name"), QStringLiteral("load-%1").arg(companion->index())},
            {QStringLiteral("device_key"), key.publicKey().toJwk()},
            {QStringLiteral("proof"), QString::fromLatin1(proof)}};
        QUrl url = link->gatewayUrl();
        url.setPath(QStringLiteral("/companion/v1/pair"));
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setTransferTimeout(10'000);
        QNetworkReply *reply = m_network->post(request, compact(body));
        ++m_inFlight;
        const PairingLink pairedLink = *link;
        connect(reply, &QNetworkReply::finished, this, [this, reply, companion, pairedLink] {
            reply->deleteLater();
            --m_inFlight;
            ++m_finished;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
            const auto gatewayKey =
                EcPublicKey::fromJwk(answer.value(QStringLiteral("gateway_key")).toObject());
            if (status != 201) {
                noteFailure(m_pairing.failures,
                            QStringLiteral("companion %1: HTTP %2 %3")
                                .arg(companion->index())
                                .arg(status)
                                .arg(answer.value(QStringLiteral("error")).toString()));
            } else if (!gatewayKey || gatewayKey->thumbprint() != pairedLink.keyThumbprint()) {
                // Pin only what the link vouched for, as the real companion does.
                noteFailure(m_pairing.failures,
                            QStringLiteral("companion %1: gateway key does not match the link")
                                .arg(companion->index()));
            } else {
                companion->setPairing(
                    answer.value(QStringLiteral("device_id")).toString(),
                    GatewayPin{channelUrl(pairedLink.gatewayUrl()),
                               answer.value(QStringLiteral("gateway_id")).toString(),
                               gatewayKey.value()});
                ++m_pairing.paired;
            }
            pairNext();
        });
    }
    if (m_inFlight == 0 && m_next >= m_companions.size() && m_pairingDone) {
        m_pairing.wallNs = m_phase.nsecsElapsed();
        auto done = std::exchange(m_pairingDone, nullptr);
        m_report([done, outcome = m_pairing] { done(outcome); });
    }
}

void CompanionPool::connectAll(int parallel, std::function<void(ConnectOutcome)> done)
{
    m_connect = {};
    m_connect.handshakeNs.reserve(static_cast<qsizetype>(m_companions.size()));
    m_connectDone = std::move(done);
    m_parallel = qMax(1, parallel);
    m_next = 0;
    m_inFlight = 0;
    m_finished = 0;
    m_phase.start();
    connectNext();
}

void CompanionPool::connectNext()
{
    if (!m_connectDone)
        return;
    while (m_inFlight < m_parallel && m_next < m_companions.size()) {
        ++m_inFlight;
        // open() may fail at once (not paired) and re-enter through failed().
        m_companions[m_next++]->open();
    }
    if (static_cast<std::size_t>(m_finished) == m_companions.size())
        finishConnect();
}

void CompanionPool::finishConnect()
{
    if (!m_connectDone)
        return;
    m_connect.wallNs = m_phase.nsecsElapsed();
    auto done = std::exchange(m_connectDone, nullptr);
    m_report([done, outcome = m_connect] { done(outcome); });
}

void CompanionPool::tally(std::function<void(CompanionTally)> done) const
{
    m_report([done, tally = m_tally] { done(tally); });
}

void CompanionPool::closeAll()
{
    for (SimulatedCompanion *companion : m_companions)
        companion->close();
}

} // namespace countersign::load
