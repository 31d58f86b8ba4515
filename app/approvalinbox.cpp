#include "approvalinbox.h"

#include "app/gatewayclient.h"

#include <algorithm>

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcInbox, "countersign.app.inbox")

namespace countersign {

ApprovalInbox::ApprovalInbox(const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
{
    m_expiryTimer.setSingleShot(true);
    connect(&m_expiryTimer, &QTimer::timeout, this, &ApprovalInbox::expireDue);
}

void ApprovalInbox::addClient(GatewayClient *client)
{
    // Captured by value: the entries are keyed by the id the client verified
    // against, and it must still be known when the client is being destroyed.
    const QString gatewayId = client->profile().gatewayId;
    const QString gatewayName = client->profile().name;
    connect(
        client, &GatewayClient::requestReceived, this,
        [this, gatewayName](const VerifiedApprovalRequest &request) { add(gatewayName, request); });
    connect(client, &GatewayClient::requestResolved, this,
            [this, gatewayId](const QString &requestId, ApprovalOutcome outcome) {
                remove(gatewayId, requestId, outcome);
            });
    connect(client, &QObject::destroyed, this, [this, gatewayId] { removeGateway(gatewayId); });
    for (const VerifiedApprovalRequest &request : client->pendingRequests())
        add(gatewayName, request);
}

void ApprovalInbox::removeClient(GatewayClient *client)
{
    disconnect(client, nullptr, this, nullptr);
    removeGateway(client->profile().gatewayId);
}

bool ApprovalInbox::add(const QString &gatewayName, const VerifiedApprovalRequest &request)
{
    const ApprovalRequest &r = request.request;
    if (indexOf(r.gatewayId, r.requestId) >= 0)
        return false;
    const qint64 now = m_clock.secondsSinceEpoch();
    if (r.expiresAt <= now) {
        qCInfo(lcInbox) << "not adding request" << r.requestId << "from" << r.gatewayId
                        << ": it has expired";
        return false;
    }
    m_entries.append(PendingApproval{gatewayName, request, now});
    Q_EMIT added(m_entries.constLast());
    Q_EMIT countChanged(count());
    scheduleExpiry();
    return true;
}

bool ApprovalInbox::remove(const QString &gatewayId, const QString &requestId,
                           ApprovalOutcome outcome)
{
    const qsizetype index = indexOf(gatewayId, requestId);
    if (index < 0)
        return false;
    removeAt(index, outcome);
    scheduleExpiry();
    return true;
}

void ApprovalInbox::removeGateway(const QString &gatewayId)
{
    removeMatching([&](const PendingApproval &entry) { return entry.gatewayId() == gatewayId; },
                   ApprovalOutcome::Unknown);
}

void ApprovalInbox::expireDue()
{
    const qint64 now = m_clock.secondsSinceEpoch();
    removeMatching([now](const PendingApproval &entry) { return entry.expiresAt() <= now; },
                   ApprovalOutcome::Expired);
}

void ApprovalInbox::removeMatching(const std::function<bool(const PendingApproval &)> &match,
                                   ApprovalOutcome outcome)
{
    // Keys first, removal after: a slot of removed() may change the list.
    QList<std::pair<QString, QString>> keys;
    for (const PendingApproval &entry : std::as_const(m_entries)) {
        if (match(entry))
            keys.append({entry.gatewayId(), entry.requestId()});
    }
    for (const auto &[gatewayId, requestId] : std::as_const(keys)) {
        if (const qsizetype index = indexOf(gatewayId, requestId); index >= 0)
            removeAt(index, outcome);
    }
    scheduleExpiry();
}

std::optional<PendingApproval> ApprovalInbox::find(const QString &gatewayId,
                                                   const QString &requestId) const
{
    const qsizetype index = indexOf(gatewayId, requestId);
    if (index < 0)
        return std::nullopt;
    return m_entries.at(index);
}

qsizetype ApprovalInbox::indexOf(const QString &gatewayId, const QString &requestId) const
{
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        const PendingApproval &entry = m_entries.at(i);
        if (entry.gatewayId() == gatewayId && entry.requestId() == requestId)
            return i;
    }
    return -1;
}

void ApprovalInbox::removeAt(qsizetype index, ApprovalOutcome outcome)
{
    const PendingApproval entry = m_entries.takeAt(index);
    Q_EMIT removed(entry.gatewayId(), entry.requestId(), outcome);
    Q_EMIT countChanged(count());
}

void ApprovalInbox::scheduleExpiry()
{
    if (m_entries.isEmpty()) {
        m_expiryTimer.stop();
        return;
    }
    const auto soonest =
        std::min_element(m_entries.cbegin(), m_entries.cend(), [](const auto &a, const auto &b) {
            return a.expiresAt() < b.expiresAt();
        });
    const qint64 seconds = std::max<qint64>(0, soonest->expiresAt() - m_clock.secondsSinceEpoch());
    m_expiryTimer.start(
        std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), maxExpiryCheck));
}

} // namespace countersign
