// SqliteStore benchmarks: what each store call on the approval path costs
// the gateway's thread, and one approval step (the proof's single-use marks,
// the resolution and its audit record) as one transaction.
//
// Argument 0 runs on tmpfs (/dev/shm), so SQLite and Qt SQL dominate rather
// than the disk; argument 1 runs on disk ($COUNTERSIGN_BENCH_DISK_DIR, else
// /var/tmp), where every commit of a store outside group commit waits for
// fdatasync. Argument 2 (where given) is tmpfs in group-commit mode: commits
// do not wait, a sync thread makes them durable.

#include "gateway/store/sqlitestore.h"

#include <memory>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <benchmark/benchmark.h>

using namespace countersign;
using namespace countersign::gateway;

namespace {

enum Medium : int { Tmpfs = 0, Disk = 1, TmpfsGroupCommit = 2 };

QString baseDirectory(Medium medium)
{
    if (medium == Disk) {
        const QByteArray configured = qgetenv("COUNTERSIGN_BENCH_DISK_DIR");
        return configured.isEmpty() ? QStringLiteral("/var/tmp")
                                    : QString::fromLocal8Bit(configured);
    }
    return QStringLiteral("/dev/shm");
}

void ensureApplication()
{
    if (QCoreApplication::instance())
        return;
    static int argc = 1;
    static char name[] = "bench_store";
    static char *argv[] = {name, nullptr};
    static QCoreApplication application(argc, argv);
    // Opening a store logs each migration; not what a benchmark reports.
    QLoggingCategory::setFilterRules(QStringLiteral("countersign.*.info=false"));
}

// A fresh store in a temporary directory on the medium the benchmark names.
class StoreFixture {
public:
    explicit StoreFixture(benchmark::State &state)
        : m_medium(static_cast<Medium>(state.range(0)))
        , m_dir(baseDirectory(m_medium) + QStringLiteral("/countersign-bench-XXXXXX"))
    {
        ensureApplication();
        state.SetLabel(m_medium == Disk ? "disk" : m_medium == Tmpfs ? "tmpfs" : "tmpfs+group");
        if (!m_dir.isValid()) {
            state.SkipWithError("cannot create the temporary directory");
            return;
        }
        SqliteStore::Options options;
        options.groupCommit = m_medium == TmpfsGroupCommit;
        auto store = SqliteStore::open(m_dir.path(), options);
        if (!store) {
            state.SkipWithError(store.error().message.toStdString().c_str());
            return;
        }
        m_store = std::move(store).value();
    }

    SqliteStore *store() const { return m_store.get(); }

private:
    Medium m_medium;
    QTemporaryDir m_dir;
    std::unique_ptr<SqliteStore> m_store;
};

constexpr qint64 Now = 1'800'000'000;

ApprovalRecord sampleApproval(qint64 n)
{
    ApprovalRecord approval;
    approval.requestId = QStringLiteral("req-%1").arg(n, 12, 10, QLatin1Char('0'));
    approval.userId = QStringLiteral("user-%1").arg(n % 100);
    approval.requestJws = QByteArray(600, 'j');
    approval.requestHash = QByteArray(32, 'h');
    approval.methods = {ApprovalMethod::Totp, ApprovalMethod::Passkey};
    approval.upstream = QStringLiteral("https://upstream.example");
    approval.argumentsHash = QByteArray(32, 'a');
    approval.createdAt = Now;
    approval.expiresAt = Now + 300;
    approval.agent = QStringLiteral("agent");
    approval.origin = ApprovalOrigin::McpProxy;
    return approval;
}

AuditEvent sampleAudit(qint64 n)
{
    AuditEvent event;
    event.at = Now;
    event.kind = QStringLiteral("approval.approved");
    event.userId = QStringLiteral("user-%1").arg(n % 100);
    event.requestId = QStringLiteral("req-%1").arg(n);
    event.deviceId = QStringLiteral("device-1");
    event.details = QJsonObject{{QStringLiteral("method"), QStringLiteral("proof")}};
    return event;
}

QByteArray valueOf(qint64 n)
{
    return QByteArray::number(n).rightJustified(32, '0');
}

void BM_StoreAddApproval(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    qint64 n = 0;
    for (auto _ : state) {
        if (!fixture.store()->addApproval(sampleApproval(n++)))
            state.SkipWithError("addApproval failed");
    }
}

void BM_StoreReadApproval(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    for (qint64 n = 0; n < 1000; ++n) {
        if (!fixture.store()->addApproval(sampleApproval(n)))
            return state.SkipWithError("addApproval failed");
    }
    const QString id = sampleApproval(500).requestId;
    for (auto _ : state) {
        auto approval = fixture.store()->approval(id);
        benchmark::DoNotOptimize(approval);
    }
}

// 100 outstanding among 1,000 resolved ones, as in the load.
void BM_StorePendingApprovals(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    for (qint64 n = 0; n < 1100; ++n) {
        if (!fixture.store()->addApproval(sampleApproval(n)))
            return state.SkipWithError("addApproval failed");
        if (n >= 100
            && !fixture.store()->resolveApproval(sampleApproval(n).requestId, ApprovalState::Denied,
                                                 std::nullopt, QStringLiteral("device-1"), Now, {}))
            return state.SkipWithError("resolveApproval failed");
    }
    for (auto _ : state) {
        auto pending = fixture.store()->pendingApprovals({}, Now);
        benchmark::DoNotOptimize(pending);
    }
}

void BM_StoreMarkUsed(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    qint64 n = 0;
    const QString kind = QStringLiteral("proof");
    for (auto _ : state) {
        if (!fixture.store()->markUsed(kind, valueOf(n++), Now + 600))
            state.SkipWithError("markUsed failed");
    }
}

void BM_StoreResolveApproval(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    qint64 n = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const ApprovalRecord approval = sampleApproval(n++);
        const Status added = fixture.store()->addApproval(approval);
        state.ResumeTiming();
        if (!added)
            return state.SkipWithError("addApproval failed");
        if (!fixture.store()->resolveApproval(approval.requestId, ApprovalState::Approved,
                                              ApprovalMethod::Totp, QStringLiteral("device-1"),
                                              Now + 1, {}))
            state.SkipWithError("resolveApproval failed");
    }
}

void BM_StoreAppendAudit(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    qint64 n = 0;
    for (auto _ : state) {
        if (!fixture.store()->appendAudit(sampleAudit(n++)))
            state.SkipWithError("appendAudit failed");
    }
}

// The approval path's proof step: the proof's and the TOTP step's
// single-use marks, the resolution and its audit record, one transaction.
void BM_StoreApprovalStep(benchmark::State &state)
{
    StoreFixture fixture(state);
    if (!fixture.store())
        return;
    SqliteStore &store = *fixture.store();
    qint64 n = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const ApprovalRecord approval = sampleApproval(n++);
        const Status added = store.addApproval(approval);
        state.ResumeTiming();
        if (!added)
            return state.SkipWithError("addApproval failed");
        const Status step = store.inTransaction([&]() -> Status {
            if (auto used = store.markUsed(QStringLiteral("proof"), valueOf(n), Now + 600);
                !used || !used.value())
                return makeError(ErrorCode::StorageFailure, QStringLiteral("proof"));
            if (auto used = store.markUsed(QStringLiteral("totp-step"), valueOf(n), Now + 600);
                !used || !used.value())
                return makeError(ErrorCode::StorageFailure, QStringLiteral("step"));
            if (const Status resolved = store.resolveApproval(
                    approval.requestId, ApprovalState::Approved, ApprovalMethod::Totp,
                    QStringLiteral("device-1"), Now + 1, {});
                !resolved)
                return resolved;
            return store.appendAudit(sampleAudit(n));
        });
        if (!step)
            state.SkipWithError(step.error().message.toStdString().c_str());
    }
}

} // namespace

BENCHMARK(BM_StoreAddApproval)->Arg(Tmpfs)->Arg(Disk)->Arg(TmpfsGroupCommit);
BENCHMARK(BM_StoreReadApproval)->Arg(Tmpfs);
BENCHMARK(BM_StorePendingApprovals)->Arg(Tmpfs);
BENCHMARK(BM_StoreMarkUsed)->Arg(Tmpfs)->Arg(Disk)->Arg(TmpfsGroupCommit);
BENCHMARK(BM_StoreResolveApproval)->Arg(Tmpfs)->Arg(Disk)->Arg(TmpfsGroupCommit);
BENCHMARK(BM_StoreAppendAudit)->Arg(Tmpfs)->Arg(Disk)->Arg(TmpfsGroupCommit);
BENCHMARK(BM_StoreApprovalStep)->Arg(Tmpfs)->Arg(Disk)->Arg(TmpfsGroupCommit);
