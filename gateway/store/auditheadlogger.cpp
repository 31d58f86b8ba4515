#include "auditheadlogger.h"

#include "sqlitestore.h"
#include "storelogging.h"

namespace countersign::gateway {

AuditHeadLogger::AuditHeadLogger(SqliteStore &store, std::chrono::milliseconds interval,
                                 QObject *parent)
    : QObject(parent)
    , m_store(store)
{
    m_timer.setInterval(interval);
    connect(&m_timer, &QTimer::timeout, this, [this] { logHead(); });
}

void AuditHeadLogger::start()
{
    logHead(true);
    m_timer.start();
}

void AuditHeadLogger::stop()
{
    m_timer.stop();
    logHead(true);
}

void AuditHeadLogger::logHead(bool always)
{
    const auto head = m_store.auditHead();
    if (!head) {
        qCWarning(lcAudit) << "audit head unreadable:" << head.error().message;
        return;
    }
    if (!always && m_logged == head.value())
        return;
    m_logged = head.value();
    qCInfo(lcAudit).noquote() << "audit head: id" << head->id << "hash"
                              << QString::fromLatin1(head->hash.toHex());
}

} // namespace countersign::gateway
