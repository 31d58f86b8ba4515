#include "retentionpruner.h"

#include "sqlitestore.h"
#include "storelogging.h"

namespace countersign::gateway {

RetentionPruner::RetentionPruner(SqliteStore &store, const Clock &clock, Settings settings,
                                 QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
    , m_settings(settings)
{
    m_timer.setInterval(m_settings.interval);
    connect(&m_timer, &QTimer::timeout, this, &RetentionPruner::runPass);
}

void RetentionPruner::start()
{
    m_timer.start();
    QTimer::singleShot(0, this, &RetentionPruner::runPass);
}

void RetentionPruner::runPass()
{
    if (m_running)
        return;
    m_running = true;
    m_auditDeleted = 0;
    m_approvalsDeleted = 0;
    runBatch();
}

void RetentionPruner::runBatch()
{
    const qint64 now = m_clock.secondsSinceEpoch();
    const auto audit =
        m_store.pruneAudit(now - m_settings.auditRetention.count(), m_settings.batchSize, now);
    const auto approvals =
        m_store.pruneApprovals(now - m_settings.approvalRetention.count(), m_settings.batchSize);
    if (!audit)
        qCWarning(lcAudit) << "retention: pruning the audit log failed:" << audit.error().message;
    if (!approvals) {
        qCWarning(lcAudit) << "retention: pruning finished approvals failed:"
                           << approvals.error().message;
    }
    const int auditDeleted = audit ? audit.value() : 0;
    const int approvalsDeleted = approvals ? approvals.value() : 0;
    m_auditDeleted += auditDeleted;
    m_approvalsDeleted += approvalsDeleted;
    // A full batch may have left more: the next one after the event loop
    // has had its turn. Failures wait for the next pass.
    if (auditDeleted >= m_settings.batchSize || approvalsDeleted >= m_settings.batchSize) {
        QTimer::singleShot(0, this, &RetentionPruner::runBatch);
        return;
    }
    m_running = false;
    if (m_auditDeleted > 0 || m_approvalsDeleted > 0) {
        qCInfo(lcAudit) << "retention: deleted" << m_auditDeleted << "audit records and"
                        << m_approvalsDeleted << "finished approvals";
    }
    Q_EMIT passFinished(m_auditDeleted, m_approvalsDeleted);
}

} // namespace countersign::gateway
