#pragma once

#include "durability.h"
#include "protocol/queuedcalls.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <QObject>
#include <QPointer>
#include <QString>

namespace countersign::gateway {

// Group commit's sync thread (durability.h, README.md "Durability"). The
// store commits with synchronous=NORMAL, so a commit is written to the WAL
// file but not synced, and calls committed() after each one. This thread
// fdatasyncs the WAL whenever there are commits newer than the last sync;
// commits made while a sync runs are all covered by the next one. A commit
// is durable once a sync that started after it returned.
//
// whenDurable() and committed() are called on the thread that owns the
// store (and created this object); callbacks are dispatched from there. A
// failed sync latches: the file's state is unknown (after a failed fsync
// the kernel may have dropped the dirty pages), so every waiting and later
// callback gets an error and the store refuses writes until a restart.
class WalSyncer final : public Durability {
public:
    // Syncs a file descriptor: 0 on success, -1 with errno set on failure.
    using SyncFile = std::function<int(int fd)>;

    // `walPath` is the database's "-wal" file, which must exist; its
    // directory is synced once, so the file's entry is durable too.
    WalSyncer(QString walPath, SyncFile syncFile = {});
    WalSyncer(const WalSyncer &) = delete;
    WalSyncer &operator=(const WalSyncer &) = delete;
    // Makes what was committed durable (one last sync), then stops.
    ~WalSyncer() override;

    // A commit was made (after COMMIT returned, or a statement outside a
    // transaction that may have written).
    void committed();
    // A sync failed: the store must refuse writes.
    bool failed() const { return m_failed.load(std::memory_order_acquire); }
    Error failure() const;

    bool hasUnsyncedCommits() const override;
    void whenDurable(QObject *context, Done done) override;

    // How many syncs ran (for tests).
    quint64 syncs() const { return m_syncCount.load(std::memory_order_acquire); }

private:
    struct Waiter {
        quint64 commit = 0;
        QPointer<QObject> context;
        Done done;
    };

    void run();
    int syncOnce();
    void onSynced(quint64 through);
    void onFailed(QString reason);
    void deliver(Waiter &waiter, const Status &status);

    const QString m_walPath;
    const SyncFile m_syncFile;
    int m_fd = -1;            // sync thread only
    bool m_dirSynced = false; // sync thread only

    std::atomic<quint64> m_committed{0}; // written by the owning thread only
    std::atomic<quint64> m_synced{0};    // written by the sync thread only
    std::atomic<bool> m_failed{false};
    std::atomic<quint64> m_syncCount{0};

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false; // guarded by m_mutex
    QString m_failureReason; // guarded by m_mutex

    // Owning thread only: waiters in registration order (their commit
    // numbers never decrease), and the last sync the owning thread has
    // seen, so a callback never overtakes one registered before it.
    std::deque<Waiter> m_waiters;
    quint64 m_deliveredThrough = 0;
    bool m_deliveredFailure = false;

    // Lives on the owning thread; receives the sync thread's news. A
    // QueuedCalls, not invokeMethod, so ThreadSanitizer sees the hand-over.
    QueuedCalls m_dispatcher;
    std::thread m_thread;
};

} // namespace countersign::gateway
