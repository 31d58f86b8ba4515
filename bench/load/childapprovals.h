#pragma once

#include "bench/load/companionpool.h"
#include "bench/load/distribution.h"

#include <deque>
#include <memory>
#include <vector>

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSet>
#include <QUrl>

namespace countersign::load {

// What one closed loop of approvals through the admin API measured.
struct ApprovalLoopReport {
    int requests = 0;
    int concurrency = 0;
    int approved = 0;  // token issued and checked
    double wallMs = 0; // first POST /approvals to the last token
    double gatewayCpuMs = 0;
    Distribution total;   // POST /approvals sent -> token received (machine time, token included)
    Distribution create;  // POST /approvals -> 201
    Distribution proof;   // 201 -> approval.accepted at the companion (request, proof, resolve)
    Distribution token;   // POST /approvals/{id}/token -> 200
    QStringList failures; // first few only
    int failureCount = 0;

    double approvalsPerSecond() const;
    double gatewayCpuMsPerApproval() const;
    QString toText(const QString &title) const;
    QJsonObject toJson() const;
};

// Approvals through a gateway child process from outside, as a script using
// the admin API would raise them, with simulated companions approving:
// POST /approvals (a SARC for user i, TOTP), the companion verifies the
// request and sends its proof, the gateway resolves and answers
// approval.accepted, then POST /approvals/{id}/token redeems the elevated
// token. `concurrency` requests outstanding at once, at most one per user;
// the gateway's CPU (utime + stime of its process) over the loop is read
// from /proc.
class ChildApprovals : public QObject {
    Q_OBJECT

public:
    ChildApprovals(QUrl gateway, QByteArray adminToken, int users, qint64 gatewayPid,
                   int phaseTimeoutSeconds, QObject *parent = nullptr);

    // The handler the companion pool calls (on this object's thread) for
    // every approval.accepted.
    CompanionPool::Accepted acceptedHandler();

    // One closed loop of `requests` approvals with `concurrency` outstanding.
    ApprovalLoopReport run(int requests, int concurrency);

private:
    struct Outstanding {
        int user = 0;
        int slot = 0;
        qint64 sentNs = 0;
        qint64 createdNs = -1;
        qint64 acceptedNs = -1;
    };

    void pump();
    void send(int user, int slot);
    void onCreated(int user, int slot, qint64 sentNs, const QByteArray &body, int status);
    void onAccepted(const QString &requestId, bool approved);
    void redeem(const QString &requestId);
    void finish(const QString &requestId, const QString &failure);
    void noteFailure(const QString &why);
    QByteArray bodyFor(int user, int sequence) const;
    QNetworkAccessManager &networkFor(int slot);

    QUrl m_gateway;
    QByteArray m_authorization;
    int m_users = 0;
    qint64 m_gatewayPid = 0;
    int m_phaseTimeoutSeconds = 0;
    // Each manager opens at most 6 connections to one host (Qt's limit), so
    // the outstanding requests are spread over several.
    std::vector<std::unique_ptr<QNetworkAccessManager>> m_networks;
    QElapsedTimer m_clock;

    // The current loop
    ApprovalLoopReport m_report;
    int m_target = 0;
    int m_concurrency = 0;
    int m_sent = 0;
    int m_finished = 0;
    int m_sequence = 0; // over all loops, so that every SARC differs
    std::deque<int> m_idleUsers;
    std::deque<int> m_idleSlots;
    QHash<QString, Outstanding> m_outstanding;
    QSet<QString> m_acceptedEarly; // approval.accepted before the 201 arrived
    QList<qint64> m_totalNs, m_createNs, m_proofNs, m_tokenNs;
    qint64 m_firstNs = -1;
    qint64 m_lastNs = -1;
};

} // namespace countersign::load
