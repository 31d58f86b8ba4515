#pragma once

#include "app/approvaloutcome.h"
#include "protocol/clock.h"
#include "protocol/messages/approvalrequest.h"

#include <chrono>
#include <functional>
#include <optional>

#include <QList>
#include <QObject>
#include <QTimer>

namespace countersign {

class GatewayClient;

// One request waiting for the person, with where it came from.
struct PendingApproval {
    QString gatewayName;             // the paired gateway's display name
    VerifiedApprovalRequest request; // verified with that gateway's pinned key
    qint64 receivedAt = 0;           // seconds since the epoch, by the inbox's clock

    QString gatewayId() const { return request.request.gatewayId; }
    QString requestId() const { return request.request.requestId; }
    qint64 expiresAt() const { return request.request.expiresAt; }
};

// Every request waiting for the person, across all paired gateways, keyed by
// (gateway id, request id) since ids are unique only per gateway. It holds
// only what a GatewayClient verified, and drops an entry when its gateway
// says it is resolved, when its client goes away, or when it expires by the
// request's own "exp" (a dialog must not offer what the gateway will refuse).
// The tray shows count(); the dialogs follow added() and removed().
class ApprovalInbox : public QObject {
    Q_OBJECT

public:
    // Expiry is re-checked at least this often, so that a wall-clock jump
    // (suspend and resume) is noticed within a minute even though timers
    // run on monotonic time.
    static constexpr std::chrono::milliseconds maxExpiryCheck{60'000};

    explicit ApprovalInbox(const Clock &clock, QObject *parent = nullptr);

    // Follows a client's requests and resolutions (and takes the ones it
    // already holds) until removeClient() or the client's destruction, which
    // remove that gateway's entries.
    void addClient(GatewayClient *client);
    void removeClient(GatewayClient *client);

    // False when the entry exists already or the request has expired.
    bool add(const QString &gatewayName, const VerifiedApprovalRequest &request);
    // False when there was no such entry.
    bool remove(const QString &gatewayId, const QString &requestId, ApprovalOutcome outcome);
    // Removes every entry of one gateway (unpaired, client gone).
    void removeGateway(const QString &gatewayId);
    // Removes (as Expired) every entry whose time is up; also runs on a timer.
    void expireDue();

    int count() const { return static_cast<int>(m_entries.size()); }
    // In arrival order.
    QList<PendingApproval> pending() const { return m_entries; }
    std::optional<PendingApproval> find(const QString &gatewayId, const QString &requestId) const;

Q_SIGNALS:
    void added(const countersign::PendingApproval &approval);
    void removed(const QString &gatewayId, const QString &requestId,
                 countersign::ApprovalOutcome outcome);
    // For the tray's "N pending".
    void countChanged(int count);

private:
    qsizetype indexOf(const QString &gatewayId, const QString &requestId) const;
    void removeAt(qsizetype index, ApprovalOutcome outcome);
    void removeMatching(const std::function<bool(const PendingApproval &)> &match,
                        ApprovalOutcome outcome);
    void scheduleExpiry();

    const Clock &m_clock;
    QList<PendingApproval> m_entries;
    QTimer m_expiryTimer;
};

} // namespace countersign
