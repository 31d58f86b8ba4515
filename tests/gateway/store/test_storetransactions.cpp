// Store::inTransaction on SqliteStore (one transaction, nested calls as
// savepoints, the audit chain's head rolled back with the rows) and the
// prepared-statement cache.

#include "gateway/store/auditverifier.h"
#include "gateway/store/sqlitestore.h"
#include "gateway/store/statementcache.h"

#include <QCryptographicHash>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

namespace {

constexpr qint64 Now = 1'800'000'000;

ApprovalRecord sampleApproval(const QString &requestId)
{
    ApprovalRecord approval;
    approval.requestId = requestId;
    approval.userId = QStringLiteral("alice");
    approval.requestJws = "eyJhbGciOiJFUzI1NiJ9.e30." + requestId.toUtf8();
    approval.requestHash =
        QCryptographicHash::hash(approval.requestJws, QCryptographicHash::Sha256);
    approval.methods = {ApprovalMethod::Passkey, ApprovalMethod::Totp};
    approval.upstream = QStringLiteral("https://mcp.example.com");
    approval.createdAt = Now;
    approval.expiresAt = Now + 300;
    return approval;
}

AuditEvent sampleAudit(const QString &kind, const QString &requestId)
{
    AuditEvent event;
    event.at = Now;
    event.kind = kind;
    event.userId = QStringLiteral("alice");
    event.requestId = requestId;
    return event;
}

Error bodyFailed()
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("the step failed"));
}

} // namespace

class TestStoreTransactions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void commitsSeveralMethodsAsOneTransaction();
    void bodyErrorRollsBackEverythingAndTheAuditHead();
    void innerFailureUndoesOnlyItsOwnWrites();
    void nestedTransactionsCommitWithTheOutermost();
    void auditChainContinuesAfterARolledBackInnerAppend();

    void statementsArePreparedOnce();
    void statementInUseIsNotResetUnderItsCaller();

private:
    std::unique_ptr<SqliteStore> openStore() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SqliteStore> m_store;
};

std::unique_ptr<SqliteStore> TestStoreTransactions::openStore() const
{
    auto store = SqliteStore::open(m_dir->filePath(QStringLiteral("data")));
    if (!store) {
        qWarning("%s", qPrintable(store.error().message));
        return nullptr;
    }
    return std::move(store).value();
}

void TestStoreTransactions::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = openStore();
    QVERIFY(m_store);
}

void TestStoreTransactions::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void TestStoreTransactions::commitsSeveralMethodsAsOneTransaction()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("r1"))));
    const auto other = openStore();
    QVERIFY(other);

    bool unseenInside = false;
    const Status step = m_store->inTransaction([&]() -> Status {
        const auto proof = m_store->markUsed(QStringLiteral("proof"), "p1", Now + 600);
        if (!proof || !proof.value())
            return bodyFailed();
        const auto totp = m_store->markUsed(QStringLiteral("totp-step"), "alice:1", Now + 600);
        if (!totp || !totp.value())
            return bodyFailed();
        if (const Status resolved =
                m_store->resolveApproval(QStringLiteral("r1"), ApprovalState::Approved,
                                         ApprovalMethod::Totp, QStringLiteral("d1"), Now + 1, {});
            !resolved)
            return resolved;
        if (const Status audited = m_store->appendAudit(
                sampleAudit(QStringLiteral("approval.approved"), QStringLiteral("r1")));
            !audited)
            return audited;
        // Another connection sees none of it before the commit.
        unseenInside = other->approval(QStringLiteral("r1"))->state == ApprovalState::Pending
            && other->auditEvents().isEmpty();
        return Ok{};
    });
    QVERIFY2(step.ok(), step.ok() ? "" : qPrintable(step.error().message));
    QVERIFY(unseenInside);

    QCOMPARE(other->approval(QStringLiteral("r1"))->state, ApprovalState::Approved);
    QCOMPARE(other->markUsed(QStringLiteral("proof"), "p1", Now + 600).value(), false);
    QCOMPARE(other->markUsed(QStringLiteral("totp-step"), "alice:1", Now + 600).value(), false);
    QCOMPARE(other->auditEvents().size(), 1);
    const auto verified = verifyAuditLog(*other);
    QVERIFY(verified.ok());
    QVERIFY(verified->intact());
    QCOMPARE(verified->checked, 1);
}

void TestStoreTransactions::bodyErrorRollsBackEverythingAndTheAuditHead()
{
    QVERIFY(m_store->appendAudit(sampleAudit(QStringLiteral("gateway.started"), {})));
    const Status step = m_store->inTransaction([&]() -> Status {
        if (!m_store->addApproval(sampleApproval(QStringLiteral("r1"))))
            return Ok{};
        if (!m_store->markUsed(QStringLiteral("proof"), "p1", Now + 600))
            return Ok{};
        if (!m_store->appendAudit(
                sampleAudit(QStringLiteral("approval.requested"), QStringLiteral("r1"))))
            return Ok{};
        return bodyFailed();
    });
    QVERIFY(!step.ok());
    QCOMPARE(step.error().message, QStringLiteral("the step failed"));

    const auto other = openStore();
    QVERIFY(!other->approval(QStringLiteral("r1")));
    QCOMPARE(other->markUsed(QStringLiteral("proof"), "p1", Now + 600).value(), true);
    QCOMPARE(other->auditEvents().size(), 1);

    // The next record follows the last committed one, not the rolled back one.
    QVERIFY(m_store->appendAudit(
        sampleAudit(QStringLiteral("approval.requested"), QStringLiteral("r2"))));
    const QList<AuditEvent> events = other->auditEvents();
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(1).id, 2);
    QCOMPARE(events.at(1).prevHash, events.at(0).hash);
    const auto verified = verifyAuditLog(*other);
    QVERIFY(verified.ok());
    QVERIFY2(verified->intact(), qPrintable(verified->problem));
    QCOMPARE(verified->checked, 2);
}

void TestStoreTransactions::innerFailureUndoesOnlyItsOwnWrites()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("done"))));
    QVERIFY(m_store->resolveApproval(QStringLiteral("done"), ApprovalState::Denied, std::nullopt,
                                     QStringLiteral("d1"), Now, {}));
    const Status step = m_store->inTransaction([&]() -> Status {
        if (const Status added = m_store->addApproval(sampleApproval(QStringLiteral("r1"))); !added)
            return added;
        // Fails (not pending any more): undoes nothing but its own work.
        if (m_store->resolveApproval(QStringLiteral("done"), ApprovalState::Approved,
                                     ApprovalMethod::Totp, QStringLiteral("d1"), Now, {}))
            return bodyFailed();
        // A duplicate fails alone.
        if (m_store->addApproval(sampleApproval(QStringLiteral("r1"))))
            return bodyFailed();
        // An inner transaction that wrote, then failed: its writes go.
        const Status inner = m_store->inTransaction([&]() -> Status {
            if (!m_store->markUsed(QStringLiteral("proof"), "inner", Now + 600))
                return Ok{};
            if (!m_store->appendAudit(sampleAudit(QStringLiteral("inner"), QStringLiteral("r1"))))
                return Ok{};
            return bodyFailed();
        });
        if (inner)
            return bodyFailed();
        return m_store->appendAudit(sampleAudit(QStringLiteral("outer"), QStringLiteral("r1")));
    });
    QVERIFY2(step.ok(), step.ok() ? "" : qPrintable(step.error().message));

    const auto other = openStore();
    QCOMPARE(other->approval(QStringLiteral("r1"))->state, ApprovalState::Pending);
    QCOMPARE(other->approval(QStringLiteral("done"))->state, ApprovalState::Denied);
    QCOMPARE(other->markUsed(QStringLiteral("proof"), "inner", Now + 600).value(), true);
    const QList<AuditEvent> events = other->auditEvents();
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.at(0).kind, QStringLiteral("outer"));
    const auto verified = verifyAuditLog(*other);
    QVERIFY(verified.ok());
    QVERIFY2(verified->intact(), qPrintable(verified->problem));
}

void TestStoreTransactions::nestedTransactionsCommitWithTheOutermost()
{
    const auto other = openStore();
    bool unseenAfterInner = false;
    const Status step = m_store->inTransaction([&]() -> Status {
        const Status inner = m_store->inTransaction([&]() -> Status {
            return m_store->inTransaction([&]() -> Status {
                return m_store->addApproval(sampleApproval(QStringLiteral("r1")));
            });
        });
        if (!inner)
            return inner;
        unseenAfterInner = !other->approval(QStringLiteral("r1")).has_value();
        return m_store->appendAudit(
            sampleAudit(QStringLiteral("approval.requested"), QStringLiteral("r1")));
    });
    QVERIFY(step.ok());
    QVERIFY(unseenAfterInner);
    QVERIFY(other->approval(QStringLiteral("r1")));
    QCOMPARE(other->auditEvents().size(), 1);

    // And the store works on its own afterwards (no transaction left open).
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("r2"))));
    QVERIFY(other->approval(QStringLiteral("r2")));
}

void TestStoreTransactions::auditChainContinuesAfterARolledBackInnerAppend()
{
    const Status step = m_store->inTransaction([&]() -> Status {
        if (const Status first = m_store->appendAudit(sampleAudit(QStringLiteral("a"), {})); !first)
            return first;
        const Status inner = m_store->inTransaction([&]() -> Status {
            if (!m_store->appendAudit(sampleAudit(QStringLiteral("b"), {})))
                return Ok{};
            return bodyFailed();
        });
        if (inner)
            return bodyFailed();
        return m_store->appendAudit(sampleAudit(QStringLiteral("c"), {}));
    });
    QVERIFY(step.ok());
    const QList<AuditEvent> events = m_store->auditEvents();
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(1).kind, QStringLiteral("c"));
    QCOMPARE(events.at(1).id, 2);
    const auto verified = verifyAuditLog(*m_store);
    QVERIFY(verified.ok());
    QVERIFY2(verified->intact(), qPrintable(verified->problem));
}

void TestStoreTransactions::statementsArePreparedOnce()
{
    QVERIFY(m_store->addApproval(sampleApproval(QStringLiteral("r1"))));
    QVERIFY(m_store->approval(QStringLiteral("r1")));
    QVERIFY(m_store->markUsed(QStringLiteral("proof"), "p0", Now).ok());
    QVERIFY(m_store->appendAudit(sampleAudit(QStringLiteral("a"), {})));
    const quint64 warm = m_store->statementPreparations();
    for (int i = 1; i <= 20; ++i) {
        QVERIFY(m_store->approval(QStringLiteral("r1")));
        QVERIFY(m_store->markUsed(QStringLiteral("proof"), QByteArray::number(i), Now).ok());
        QVERIFY(m_store->appendAudit(sampleAudit(QStringLiteral("a"), {})));
        QVERIFY(m_store->inTransaction(
            [&] { return m_store->addApproval(sampleApproval(QStringLiteral("x%1").arg(i))); }));
    }
    // Only the transaction's own statements (BEGIN, SAVEPOINT, ...) and
    // the first use of each are new.
    QVERIFY2(m_store->statementPreparations() - warm <= 4,
             qPrintable(QString::number(m_store->statementPreparations() - warm)));
}

void TestStoreTransactions::statementInUseIsNotResetUnderItsCaller()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("cache"));
    {
        db.setDatabaseName(QStringLiteral(":memory:"));
        QVERIFY(db.open());
        StatementCache cache(db);
        {
            StatementCache::Lease create(cache);
            QVERIFY(
                create.run(QStringLiteral("CREATE TABLE t (v INTEGER)"), {}, QStringLiteral("t")));
        }
        for (int v = 1; v <= 3; ++v) {
            StatementCache::Lease insert(cache);
            QVERIFY(insert.run(QStringLiteral("INSERT INTO t (v) VALUES (?)"), {v},
                               QStringLiteral("insert")));
        }
        const QString select = QStringLiteral("SELECT v FROM t WHERE v >= ? ORDER BY v");
        {
            StatementCache::Lease outer(cache);
            QVERIFY(outer.run(select, {1}, QStringLiteral("outer")));
            QList<int> seen;
            while (outer.next()) {
                seen.append(outer.value(0).toInt());
                // The same text while the outer one still steps: its own statement.
                StatementCache::Lease inner(cache);
                QVERIFY(inner.run(select, {3}, QStringLiteral("inner")));
                QVERIFY(inner.next());
                QCOMPARE(inner.value(0).toInt(), 3);
            }
            QCOMPARE(seen, (QList<int>{1, 2, 3}));
        }
        QCOMPARE(cache.size(), std::size_t{3});
        cache.clear();
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("cache"));
}

QTEST_GUILESS_MAIN(TestStoreTransactions)
#include "test_storetransactions.moc"
