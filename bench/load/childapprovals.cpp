#include "childapprovals.h"

#include "bench/load/childgatewayrun.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QTimer>

namespace countersign::load {

namespace {

constexpr qsizetype maxFailuresKept = 5;
constexpr int maxNetworkManagers = 20;

double nsToMs(qint64 nanoseconds)
{
    return static_cast<double>(nanoseconds) / 1e6;
}

QString distributionLine(const QString &name, const Distribution &distribution)
{
    return QStringLiteral("  %1 %2\n").arg(name, -22).arg(distribution.toText());
}

} // namespace

double ApprovalLoopReport::approvalsPerSecond() const
{
    return wallMs > 0 ? approved * 1000.0 / wallMs : 0.0;
}

double ApprovalLoopReport::gatewayCpuMsPerApproval() const
{
    return approved > 0 ? gatewayCpuMs / approved : 0.0;
}

QString ApprovalLoopReport::toText(const QString &title) const
{
    QString text = QStringLiteral("%1: %2 of %3 approvals with token, %4 outstanding, in %5 ms "
                                  "(%6/s); gateway CPU %7 ms = %8 ms per approval\n")
                       .arg(title)
                       .arg(approved)
                       .arg(requests)
                       .arg(concurrency)
                       .arg(wallMs, 0, 'f', 0)
                       .arg(approvalsPerSecond(), 0, 'f', 1)
                       .arg(gatewayCpuMs, 0, 'f', 0)
                       .arg(gatewayCpuMsPerApproval(), 0, 'f', 3);
    text += distributionLine(QStringLiteral("create -> token"), total);
    text += distributionLine(QStringLiteral("POST /approvals"), create);
    text += distributionLine(QStringLiteral("201 -> accepted"), proof);
    text += distributionLine(QStringLiteral("POST .../token"), token);
    for (const QString &failure : failures)
        text += QStringLiteral("  FAILED: %1\n").arg(failure);
    if (failureCount > failures.size())
        text += QStringLiteral("  (%1 failures in all)\n").arg(failureCount);
    return text;
}

QJsonObject ApprovalLoopReport::toJson() const
{
    return QJsonObject{
        {QStringLiteral("requests"), requests},
        {QStringLiteral("concurrency"), concurrency},
        {QStringLiteral("approved"), approved},
        {QStringLiteral("wall_ms"), wallMs},
        {QStringLiteral("approvals_per_second"), approvalsPerSecond()},
        {QStringLiteral("gateway_cpu_ms"), gatewayCpuMs},
        {QStringLiteral("gateway_cpu_ms_per_approval"), gatewayCpuMsPerApproval()},
        {QStringLiteral("total_ms"), total.toJson()},
        {QStringLiteral("create_ms"), create.toJson()},
        {QStringLiteral("proof_ms"), proof.toJson()},
        {QStringLiteral("token_ms"), token.toJson()},
        {QStringLiteral("failure_count"), failureCount},
        {QStringLiteral("failures"), QJsonArray::fromStringList(failures)},
    };
}

ChildApprovals::ChildApprovals(QUrl gateway, QByteArray adminToken, int users, qint64 gatewayPid,
                               int phaseTimeoutSeconds, QObject *parent)
    : QObject(parent)
    , m_gateway(std::move(gateway))
    , m_authorization("Bearer " + adminToken)
    , m_users(users)
    , m_gatewayPid(gatewayPid)
    , m_phaseTimeoutSeconds(phaseTimeoutSeconds)
{
    m_clock.start();
}

CompanionPool::Accepted ChildApprovals::acceptedHandler()
{
    return [this](const QString &requestId, bool approved) { onAccepted(requestId, approved); };
}

QNetworkAccessManager &ChildApprovals::networkFor(int slot)
{
    const auto wanted = static_cast<std::size_t>(qMin(m_concurrency, maxNetworkManagers));
    while (m_networks.size() < wanted)
        m_networks.push_back(std::make_unique<QNetworkAccessManager>());
    return *m_networks.at(static_cast<std::size_t>(slot) % wanted);
}

ApprovalLoopReport ChildApprovals::run(int requests, int concurrency)
{
    m_report = ApprovalLoopReport{};
    m_report.requests = requests;
    m_concurrency = qBound(1, concurrency, m_users);
    m_report.concurrency = m_concurrency;
    m_target = requests;
    m_sent = 0;
    m_finished = 0;
    m_outstanding.clear();
    m_acceptedEarly.clear();
    m_totalNs.clear();
    m_createNs.clear();
    m_proofNs.clear();
    m_tokenNs.clear();
    m_firstNs = -1;
    m_lastNs = -1;
    m_idleUsers.clear();
    for (int user = 0; user < m_users; ++user)
        m_idleUsers.push_back(user);
    m_idleSlots.clear();
    for (int slot = 0; slot < m_concurrency; ++slot)
        m_idleSlots.push_back(slot);

    const double cpuBefore = cpuMsOf(m_gatewayPid);
    pump();
    const QDeadlineTimer deadline{std::chrono::seconds(m_phaseTimeoutSeconds)};
    while (m_finished < m_target && !deadline.hasExpired()) {
        QEventLoop loop;
        QTimer::singleShot(std::chrono::milliseconds(20), &loop, &QEventLoop::quit);
        loop.exec();
    }
    m_report.gatewayCpuMs = cpuMsOf(m_gatewayPid) - cpuBefore;
    if (m_finished < m_target) {
        noteFailure(QStringLiteral("%1 of %2 approvals unfinished after %3 s")
                        .arg(m_target - m_finished)
                        .arg(m_target)
                        .arg(m_phaseTimeoutSeconds));
    }
    m_report.wallMs = m_firstNs >= 0 && m_lastNs >= m_firstNs ? nsToMs(m_lastNs - m_firstNs) : 0;
    m_report.total = Distribution::fromNanoseconds(m_totalNs);
    m_report.create = Distribution::fromNanoseconds(m_createNs);
    m_report.proof = Distribution::fromNanoseconds(m_proofNs);
    m_report.token = Distribution::fromNanoseconds(m_tokenNs);
    // Nothing may be left in flight into the next loop.
    m_target = 0;
    return m_report;
}

void ChildApprovals::pump()
{
    while (m_sent < m_target && !m_idleSlots.empty() && !m_idleUsers.empty()) {
        const int user = m_idleUsers.front();
        m_idleUsers.pop_front();
        const int slot = m_idleSlots.front();
        m_idleSlots.pop_front();
        ++m_sent;
        send(user, slot);
    }
}

QByteArray ChildApprovals::bodyFor(int user, int sequence) const
{
    const QJsonObject sarc{
        {QStringLiteral("subject"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                     {QStringLiteral("id"), QStringLiteral("user%1@example.com").arg(user)},
                     {QStringLiteral("properties"),
                      QJsonObject{{QStringLiteral("agent"), QStringLiteral("bench-agent")}}}}},
        {QStringLiteral("action"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("disable_user")}}},
        {QStringLiteral("resource"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("tool")},
                     {QStringLiteral("id"), QStringLiteral("directory/disable_user")},
                     {QStringLiteral("properties"),
                      QJsonObject{{QStringLiteral("arguments"),
                                   QJsonObject{{QStringLiteral("user"),
                                                QStringLiteral("bob-%1").arg(sequence)}}}}}}},
        {QStringLiteral("context"),
         QJsonObject{{QStringLiteral("agent_supplied"),
                      QJsonObject{{QStringLiteral("reason"), QStringLiteral("load test")}}}}},
    };
    const QJsonObject body{
        {QStringLiteral("sarc"), sarc},
        {QStringLiteral("methods"), QJsonArray{QStringLiteral("totp")}},
        // Longer than a loop may take: a slow gateway shows up as a missed
        // deadline here, not as expired requests.
        {QStringLiteral("timeout"), qBound(10, m_phaseTimeoutSeconds + 60, 3600)},
        {QStringLiteral("upstream"), QStringLiteral("https://directory.example.com/mcp")},
    };
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void ChildApprovals::send(int user, int slot)
{
    QUrl url = m_gateway;
    url.setPath(QStringLiteral("/approvals"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Authorization", m_authorization);
    const qint64 sentNs = m_clock.nsecsElapsed();
    if (m_firstNs < 0)
        m_firstNs = sentNs;
    QNetworkReply *reply = networkFor(slot).post(request, bodyFor(user, m_sequence++));
    connect(reply, &QNetworkReply::finished, this, [this, reply, user, slot, sentNs] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        onCreated(user, slot, sentNs, reply->readAll(), status);
    });
}

void ChildApprovals::onCreated(int user, int slot, qint64 sentNs, const QByteArray &body,
                               int status)
{
    const qint64 now = m_clock.nsecsElapsed();
    const QJsonObject answer = QJsonDocument::fromJson(body).object();
    const QString requestId = answer.value(QStringLiteral("request_id")).toString();
    if (status != 201 || requestId.isEmpty()
        || answer.value(QStringLiteral("state")).toString() != QStringLiteral("pending")) {
        noteFailure(QStringLiteral("POST /approvals for user%1: HTTP %2 %3")
                        .arg(user)
                        .arg(status)
                        .arg(QString::fromUtf8(body.left(300))));
        ++m_finished;
        m_idleUsers.push_back(user);
        m_idleSlots.push_back(slot);
        pump();
        return;
    }
    m_createNs.append(now - sentNs);
    Outstanding outstanding{user, slot, sentNs, now, -1};
    m_outstanding.insert(requestId, outstanding);
    if (m_acceptedEarly.remove(requestId)) {
        m_outstanding[requestId].acceptedNs = now;
        m_proofNs.append(0);
        redeem(requestId);
    }
}

void ChildApprovals::onAccepted(const QString &requestId, bool approved)
{
    if (m_target == 0)
        return;
    if (!approved) {
        finish(requestId, QStringLiteral("request %1 was denied").arg(requestId));
        return;
    }
    const auto found = m_outstanding.find(requestId);
    if (found == m_outstanding.end()) {
        // The channel overtook the HTTP answer: redeem once the 201 is in.
        m_acceptedEarly.insert(requestId);
        return;
    }
    found->acceptedNs = m_clock.nsecsElapsed();
    m_proofNs.append(found->acceptedNs - found->createdNs);
    redeem(requestId);
}

void ChildApprovals::redeem(const QString &requestId)
{
    const Outstanding &outstanding = m_outstanding[requestId];
    QUrl url = m_gateway;
    url.setPath(QStringLiteral("/approvals/%1/token").arg(requestId));
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", m_authorization);
    const qint64 sentNs = m_clock.nsecsElapsed();
    QNetworkReply *reply = networkFor(outstanding.slot).post(request, QByteArray());
    connect(reply, &QNetworkReply::finished, this, [this, reply, requestId, sentNs] {
        reply->deleteLater();
        const qint64 now = m_clock.nsecsElapsed();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        const QJsonObject answer = QJsonDocument::fromJson(body).object();
        // An elevated token is a compact JWS: three base64url parts.
        const QString token = answer.value(QStringLiteral("token")).toString();
        if (status != 200 || token.count(QLatin1Char('.')) != 2
            || answer.value(QStringLiteral("token_id")).toString().isEmpty()) {
            finish(requestId,
                   QStringLiteral("POST /approvals/%1/token: HTTP %2 %3")
                       .arg(requestId)
                       .arg(status)
                       .arg(QString::fromUtf8(body.left(300))));
            return;
        }
        m_tokenNs.append(now - sentNs);
        finish(requestId, QString());
    });
}

void ChildApprovals::finish(const QString &requestId, const QString &failure)
{
    const auto found = m_outstanding.find(requestId);
    if (found == m_outstanding.end()) {
        if (!failure.isEmpty())
            noteFailure(failure);
        return;
    }
    const qint64 now = m_clock.nsecsElapsed();
    if (failure.isEmpty()) {
        ++m_report.approved;
        m_totalNs.append(now - found->sentNs);
        m_lastNs = now;
    } else {
        noteFailure(failure);
    }
    m_idleUsers.push_back(found->user);
    m_idleSlots.push_back(found->slot);
    m_outstanding.erase(found);
    ++m_finished;
    pump();
}

void ChildApprovals::noteFailure(const QString &why)
{
    ++m_report.failureCount;
    if (m_report.failures.size() < maxFailuresKept)
        m_report.failures.append(why);
}

} // namespace countersign::load
