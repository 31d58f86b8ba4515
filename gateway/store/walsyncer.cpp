#include "walsyncer.h"

#include "storelogging.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <QFileInfo>
#include <QThread>

namespace countersign::gateway {

namespace {

int fdatasyncFile(int fd)
{
    return ::fdatasync(fd);
}

int openForSync(const QString &path, int flags)
{
    int fd = -1;
    do {
        fd = ::open(QFile::encodeName(path).constData(), flags | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

WalSyncer::WalSyncer(QString walPath, SyncFile syncFile)
    : m_walPath(std::move(walPath))
    , m_syncFile(syncFile ? std::move(syncFile) : SyncFile(fdatasyncFile))
    , m_thread([this] { run(); })
{
}

WalSyncer::~WalSyncer()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
    if (m_fd >= 0)
        ::close(m_fd);
}

Error WalSyncer::failure() const
{
    std::lock_guard lock(m_mutex);
    return makeError(ErrorCode::StorageFailure,
                     QStringLiteral("storage is unavailable (%1); restart the gateway after "
                                    "fixing the disk")
                         .arg(m_failureReason));
}

void WalSyncer::committed()
{
    m_committed.fetch_add(1, std::memory_order_acq_rel);
    // Under the mutex, so the sync thread cannot check for work and then
    // miss this wake-up before it waits.
    {
        std::lock_guard lock(m_mutex);
    }
    m_wake.notify_one();
}

bool WalSyncer::hasUnsyncedCommits() const
{
    return m_committed.load(std::memory_order_acquire) > m_synced.load(std::memory_order_acquire);
}

void WalSyncer::whenDurable(QObject *context, Done done)
{
    if (!context || !done)
        return;
    Waiter waiter{m_committed.load(std::memory_order_acquire), context, std::move(done)};
    // Already durable as far as this thread has dispatched, and nothing
    // registered earlier still waits: only then may it go without waiting
    // for the next sync's news (it is still queued, never called from here).
    if (m_waiters.empty() && (m_deliveredFailure || waiter.commit <= m_deliveredThrough)) {
        const Status status = m_deliveredFailure ? Status(failure()) : Status(Ok{});
        QMetaObject::invokeMethod(
            context, [done = std::move(waiter.done), status] { done(status); },
            Qt::QueuedConnection);
        return;
    }
    m_waiters.push_back(std::move(waiter));
}

void WalSyncer::deliver(Waiter &waiter, const Status &status)
{
    if (!waiter.context)
        return; // destroyed first: not called
    if (waiter.context->thread() == QThread::currentThread()) {
        // Already in an event of this thread, so in order and never inside
        // whenDurable().
        waiter.done(status);
        return;
    }
    QMetaObject::invokeMethod(
        waiter.context.data(), [done = std::move(waiter.done), status] { done(status); },
        Qt::QueuedConnection);
}

void WalSyncer::onSynced(quint64 through)
{
    if (through > m_deliveredThrough)
        m_deliveredThrough = through;
    while (!m_waiters.empty() && !m_deliveredFailure
           && m_waiters.front().commit <= m_deliveredThrough) {
        Waiter waiter = std::move(m_waiters.front());
        m_waiters.pop_front();
        deliver(waiter, Ok{});
    }
}

void WalSyncer::onFailed(QString reason)
{
    if (m_deliveredFailure)
        return;
    m_deliveredFailure = true;
    qCCritical(lcStore).noquote() << "syncing the database failed:" << reason
                                  << "- refusing all writes until the gateway restarts";
    const Status status(failure());
    while (!m_waiters.empty()) {
        Waiter waiter = std::move(m_waiters.front());
        m_waiters.pop_front();
        deliver(waiter, status);
    }
}

int WalSyncer::syncOnce()
{
    if (m_fd < 0) {
        m_fd = openForSync(m_walPath, O_RDONLY);
        if (m_fd < 0)
            return -1;
    }
    if (m_syncFile(m_fd) != 0)
        return -1;
    if (!m_dirSynced) {
        // Once: the WAL file's directory entry, so a file created since the
        // directory was last synced is found after a power loss.
        const int dir = openForSync(QFileInfo(m_walPath).absolutePath(), O_RDONLY | O_DIRECTORY);
        if (dir < 0)
            return -1;
        const int synced = ::fsync(dir);
        const int error = errno;
        ::close(dir);
        if (synced != 0) {
            errno = error;
            return -1;
        }
        m_dirSynced = true;
    }
    return 0;
}

void WalSyncer::run()
{
    for (;;) {
        quint64 target = 0;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] {
                return m_stopping
                    || m_committed.load(std::memory_order_acquire)
                    > m_synced.load(std::memory_order_relaxed);
            });
            target = m_committed.load(std::memory_order_acquire);
            // Stopping: one last sync of what was committed, then out.
            if (target <= m_synced.load(std::memory_order_relaxed))
                return;
        }
        // Every commit counted so far has been written to the WAL before it
        // was counted, so this sync makes all of them durable.
        if (syncOnce() != 0) {
            const QString reason =
                QStringLiteral("fdatasync of %1: %2").arg(m_walPath, errnoText(errno));
            {
                std::lock_guard lock(m_mutex);
                m_failureReason = reason;
            }
            m_failed.store(true, std::memory_order_release);
            m_dispatcher.post([this, reason] { onFailed(reason); });
            return; // latched: nothing is synced any more
        }
        m_syncCount.fetch_add(1, std::memory_order_acq_rel);
        m_synced.store(target, std::memory_order_release);
        m_dispatcher.post([this, target] { onSynced(target); });
    }
}

} // namespace countersign::gateway
