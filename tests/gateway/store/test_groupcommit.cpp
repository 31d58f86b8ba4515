// Group commit (gateway/store/walsyncer.h): a store whose commits do not
// wait for the disk, with a sync thread that makes them durable. The sync
// is injected (SqliteStore::Options::syncFile) so a test can hold it.

#include "gateway/store/sqlitestore.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <QCoreApplication>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

namespace {

constexpr qint64 Now = 1'800'000'000;

// The sync function a test controls: counts calls, can hold them until
// released, can fail them.
class SyncGate {
public:
    int operator()(int)
    {
        std::unique_lock lock(m_mutex);
        ++m_entered;
        m_changed.notify_all();
        m_changed.wait(lock, [this] { return m_open; });
        ++m_completed;
        if (m_fail) {
            errno = EIO;
            return -1;
        }
        return 0;
    }

    void close()
    {
        std::lock_guard lock(m_mutex);
        m_open = false;
    }
    void open()
    {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_changed.notify_all();
    }
    void failFromNowOn()
    {
        std::lock_guard lock(m_mutex);
        m_fail = true;
    }
    // Waits (bounded) until `count` syncs have started.
    bool waitEntered(int count)
    {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, std::chrono::seconds(10),
                                  [&] { return m_entered >= count; });
    }
    int entered()
    {
        std::lock_guard lock(m_mutex);
        return m_entered;
    }
    int completed()
    {
        std::lock_guard lock(m_mutex);
        return m_completed;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_open = true;
    bool m_fail = false;
    int m_entered = 0;
    int m_completed = 0;
};

QByteArray valueOf(int n)
{
    return QByteArray::number(n);
}

} // namespace

class TestGroupCommit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void storeOutsideGroupCommitIsAlwaysDurable();
    void callbacksRunOnlyAfterTheSync();
    void commitsDuringASyncShareTheNextOne();
    void callbacksRunInRegistrationOrder();
    void callbackOfADestroyedContextIsDropped();
    void failedSyncLatchesErrorsAndRefusesWrites();
    void reopenedStoreSeesEverythingDurable();

private:
    std::unique_ptr<SqliteStore> openStore(bool groupCommit);
    QString dataDir() const { return m_dir->filePath(QStringLiteral("data")); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::shared_ptr<SyncGate> m_gate;
};

std::unique_ptr<SqliteStore> TestGroupCommit::openStore(bool groupCommit)
{
    SqliteStore::Options options;
    options.groupCommit = groupCommit;
    if (groupCommit) {
        options.syncFile = [gate = m_gate](int fd) { return (*gate)(fd); };
    }
    auto store = SqliteStore::open(dataDir(), options);
    if (!store) {
        qWarning("%s", qPrintable(store.error().message));
        return nullptr;
    }
    return std::move(store).value();
}

void TestGroupCommit::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_gate = std::make_shared<SyncGate>();
}

void TestGroupCommit::cleanup()
{
    if (m_gate)
        m_gate->open();
    m_dir.reset();
}

void TestGroupCommit::storeOutsideGroupCommitIsAlwaysDurable()
{
    const auto store = openStore(false);
    QVERIFY(store);
    QVERIFY(!store->groupCommitEnabled());
    QVERIFY(store->markUsed(QStringLiteral("proof"), "p", Now).value());
    QVERIFY(!store->durability().hasUnsyncedCommits());
    bool called = false;
    store->durability().whenDurable(this, [&](Status status) { called = status.ok(); });
    QVERIFY(!called); // never from inside the call
    QTRY_VERIFY(called);
    QCOMPARE(m_gate->entered(), 0);
}

void TestGroupCommit::callbacksRunOnlyAfterTheSync()
{
    const auto store = openStore(true);
    QVERIFY(store);
    QVERIFY(store->groupCommitEnabled());
    m_gate->close();
    QVERIFY(store->markUsed(QStringLiteral("proof"), "p", Now).value());
    QVERIFY(store->durability().hasUnsyncedCommits());
    bool called = false;
    store->durability().whenDurable(this, [&](Status status) { called = status.ok(); });
    QVERIFY(m_gate->waitEntered(1));
    // The sync is held: nothing may be reported durable.
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
    QVERIFY(!called);
    QVERIFY(store->durability().hasUnsyncedCommits());
    m_gate->open();
    QTRY_VERIFY(called);
    QVERIFY(!store->durability().hasUnsyncedCommits());
}

void TestGroupCommit::commitsDuringASyncShareTheNextOne()
{
    const auto store = openStore(true);
    QVERIFY(store);
    m_gate->close();
    QVERIFY(store->markUsed(QStringLiteral("proof"), valueOf(0), Now).value());
    QVERIFY(m_gate->waitEntered(1));
    int durable = 0;
    constexpr int N = 5;
    for (int n = 1; n <= N; ++n) {
        QVERIFY(store->inTransaction([&] {
            return store->markUsed(QStringLiteral("proof"), valueOf(n), Now).ok()
                ? Status(Ok{})
                : Status(makeError(ErrorCode::StorageFailure, QStringLiteral("mark")));
        }));
        store->durability().whenDurable(this, [&](Status status) { durable += status.ok(); });
    }
    QCOMPARE(m_gate->entered(), 1);
    m_gate->open();
    QTRY_COMPARE(durable, N);
    QVERIFY(!store->durability().hasUnsyncedCommits());
    // The first sync covered the first commit, one more covered all five.
    QCOMPARE(m_gate->completed(), 2);
}

void TestGroupCommit::callbacksRunInRegistrationOrder()
{
    const auto store = openStore(true);
    QVERIFY(store);
    QList<int> order;
    m_gate->close();
    QVERIFY(store->markUsed(QStringLiteral("proof"), valueOf(1), Now).value());
    store->durability().whenDurable(this, [&](Status) { order.append(1); });
    QVERIFY(m_gate->waitEntered(1));
    QVERIFY(store->markUsed(QStringLiteral("proof"), valueOf(2), Now).value());
    store->durability().whenDurable(this, [&](Status) { order.append(2); });
    // Nothing new since the last one: still after it.
    store->durability().whenDurable(this, [&](Status) { order.append(3); });
    m_gate->open();
    QTRY_COMPARE(order.size(), 3);
    QCOMPARE(order, (QList<int>{1, 2, 3}));
    // Registered when everything is durable: still queued, and after the rest.
    bool later = false;
    store->durability().whenDurable(this, [&](Status status) { later = status.ok(); });
    QVERIFY(!later);
    QTRY_VERIFY(later);
}

void TestGroupCommit::callbackOfADestroyedContextIsDropped()
{
    const auto store = openStore(true);
    QVERIFY(store);
    m_gate->close();
    QVERIFY(store->markUsed(QStringLiteral("proof"), "p", Now).value());
    auto context = std::make_unique<QObject>();
    bool droppedOneRan = false;
    store->durability().whenDurable(context.get(), [&](Status) { droppedOneRan = true; });
    bool liveOneRan = false;
    store->durability().whenDurable(this, [&](Status) { liveOneRan = true; });
    QVERIFY(m_gate->waitEntered(1));
    context.reset();
    m_gate->open();
    QTRY_VERIFY(liveOneRan);
    QCoreApplication::processEvents();
    QVERIFY(!droppedOneRan);
}

void TestGroupCommit::failedSyncLatchesErrorsAndRefusesWrites()
{
    const auto store = openStore(true);
    QVERIFY(store);
    m_gate->failFromNowOn();
    QVERIFY(store->markUsed(QStringLiteral("proof"), "before", Now).value());
    std::optional<Status> waiting;
    store->durability().whenDurable(this, [&](Status status) { waiting = status; });
    QTRY_VERIFY(waiting.has_value());
    QVERIFY(!waiting->ok());
    QCOMPARE(waiting->error().code, ErrorCode::StorageFailure);
    QVERIFY2(waiting->error().message.contains(QStringLiteral("restart the gateway")),
             qPrintable(waiting->error().message));

    // Later callbacks get the error too, and nothing more is written.
    std::optional<Status> later;
    store->durability().whenDurable(this, [&](Status status) { later = status; });
    QTRY_VERIFY(later.has_value());
    QVERIFY(!later->ok());
    const auto refused = store->markUsed(QStringLiteral("proof"), "after", Now);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::StorageFailure);
    QVERIFY(refused.error().message.contains(QStringLiteral("storage is unavailable")));
    ApprovalRecord approval;
    approval.requestId = QStringLiteral("r1");
    approval.userId = QStringLiteral("alice");
    approval.expiresAt = Now + 300;
    QCOMPARE(store->addApproval(approval).error().code, ErrorCode::StorageFailure);
    QCOMPARE(store->appendAudit(AuditEvent{0, Now, QStringLiteral("k"), {}, {}, {}, {}, {}, {}})
                 .error()
                 .code,
             ErrorCode::StorageFailure);
    const Status transaction = store->inTransaction([] { return Status(Ok{}); });
    QVERIFY(!transaction.ok());
    QCOMPARE(transaction.error().code, ErrorCode::StorageFailure);
    QCOMPARE(m_gate->entered(), 1); // no sync after the failure

    // The database was not touched: another store can still use the value.
    const auto other = openStore(false);
    QVERIFY(other);
    QCOMPARE(other->markUsed(QStringLiteral("proof"), "after", Now).value(), true);
}

void TestGroupCommit::reopenedStoreSeesEverythingDurable()
{
    // The real fdatasync.
    SqliteStore::Options options;
    options.groupCommit = true;
    auto opened = SqliteStore::open(dataDir(), options);
    QVERIFY(opened.ok());
    auto store = std::move(opened).value();
    int durable = 0;
    constexpr int N = 20;
    for (int n = 0; n < N; ++n) {
        QVERIFY(store->inTransaction([&]() -> Status {
            if (const auto used = store->markUsed(QStringLiteral("proof"), valueOf(n), Now); !used)
                return used.error();
            AuditEvent event;
            event.at = Now;
            event.kind = QStringLiteral("approval.approved");
            return store->appendAudit(event);
        }));
        store->durability().whenDurable(this, [&](Status status) { durable += status.ok(); });
    }
    QTRY_COMPARE(durable, N);
    QVERIFY(!store->durability().hasUnsyncedCommits());
    store.reset();

    const auto reopened = openStore(false);
    QVERIFY(reopened);
    for (int n = 0; n < N; ++n)
        QCOMPARE(reopened->markUsed(QStringLiteral("proof"), valueOf(n), Now).value(), false);
    QCOMPARE(reopened->auditEvents().size(), N);
}

QTEST_GUILESS_MAIN(TestGroupCommit)
#include "test_groupcommit.moc"
