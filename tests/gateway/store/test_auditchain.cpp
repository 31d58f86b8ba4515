#include "gateway/store/auditchain.h"
#include "gateway/store/auditverifier.h"
#include "gateway/store/migrations.h"
#include "gateway/store/sqlitestore.h"
#include "rawdatabase.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::RawDatabase;

// The audit log as a hash chain (issue 16): every record commits to the one
// before it, `audit verify` finds a changed or deleted record by its id, and
// retention deletes only below a recorded prune point.
class TestAuditChain : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void recordsAreChainedFromGenesis();
    void changedRecordIsFoundAtItsId();
    void deletedMiddleRecordIsFound();
    void twoStoresOnOneFileKeepOneChain();
    void databaseRefusesUnchainedOrOutOfOrderRows();
    void pruneKeepsTheRestVerifiable();
    void deleteAbovePrunePointIsRefused();
    void recordsBeforeSchemaFourStayUnchained();
    void finishedApprovalsArePruned();
    void loneSurrogatesDoNotStopARecord();

private:
    void append(int count, qint64 at = 1000);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SqliteStore> m_store;
};

void TestAuditChain::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto store = SqliteStore::open(m_dir->path());
    QVERIFY2(store.ok(), store.ok() ? "" : qPrintable(store.error().message));
    m_store = std::move(store).value();
}

void TestAuditChain::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void TestAuditChain::append(int count, qint64 at)
{
    for (int i = 0; i < count; ++i) {
        AuditEvent event;
        event.at = at + i;
        event.kind = QStringLiteral("test.event");
        event.userId = QStringLiteral("alice@example.com");
        event.details =
            QJsonObject{{QStringLiteral("n"), i},
                        {QStringLiteral("text"), QString::fromUtf8("\xc3\xa9 \xf0\x9f\x94\x91")}};
        QVERIFY(m_store->appendAudit(event).ok());
    }
}

void TestAuditChain::recordsAreChainedFromGenesis()
{
    append(3);
    const QList<AuditEvent> events = m_store->auditEvents();
    QCOMPARE(events.size(), 3);
    QCOMPARE(events[0].id, 1);
    QCOMPARE(events[0].prevHash, auditGenesisHash());
    for (qsizetype i = 0; i < events.size(); ++i) {
        if (i > 0) {
            QCOMPARE(events[i].id, events[i - 1].id + 1);
            QCOMPARE(events[i].prevHash, events[i - 1].hash);
        }
        QCOMPARE(events[i].hash, auditRecordHash(events[i].prevHash, events[i]).value());
    }
    const auto verified = verifyAuditLog(*m_store);
    QVERIFY(verified.ok());
    QVERIFY(verified->intact());
    QCOMPARE(verified->checked, 3);
    QCOMPARE(verified->head, (AuditHead{3, events[2].hash}));
    QCOMPARE(m_store->auditHead().value(), verified->head);
}

void TestAuditChain::changedRecordIsFoundAtItsId()
{
    append(4);
    RawDatabase raw(m_store->databasePath());
    QVERIFY(raw.exec(QStringLiteral("DROP TRIGGER audit_log_no_update")));
    QVERIFY(raw.exec(QStringLiteral("UPDATE audit_log SET user_id = 'mallory' WHERE id = 2")));
    const auto verified = verifyAuditLog(*m_store);
    QVERIFY(verified.ok());
    QVERIFY(!verified->intact());
    QCOMPARE(*verified->badId, 2);
    QCOMPARE(verified->checked, 1);
    QVERIFY(verified->problem.contains(u"changed"));
}

void TestAuditChain::deletedMiddleRecordIsFound()
{
    append(4);
    RawDatabase raw(m_store->databasePath());
    QVERIFY(raw.exec(QStringLiteral("DROP TRIGGER audit_log_delete_pruned_only")));
    QVERIFY(raw.exec(QStringLiteral("DELETE FROM audit_log WHERE id = 3")));
    const auto verified = verifyAuditLog(*m_store);
    QVERIFY(verified.ok());
    QCOMPARE(verified->badId, std::optional<qint64>(3));
    QVERIFY(verified->problem.contains(u"missing"));
}

void TestAuditChain::twoStoresOnOneFileKeepOneChain()
{
    // serve and the CLI share the file; each caches the head it wrote.
    auto other = SqliteStore::open(m_dir->path());
    QVERIFY(other.ok());
    AuditEvent event;
    event.at = 5;
    event.kind = QStringLiteral("test.event");
    for (int i = 0; i < 3; ++i) {
        QVERIFY(m_store->appendAudit(event).ok());
        QVERIFY(other.value()->appendAudit(event).ok());
    }
    const auto verified = verifyAuditLog(*m_store);
    QVERIFY(verified.ok());
    QVERIFY2(verified->intact(), qPrintable(verified->problem));
    QCOMPARE(verified->checked, 6);
}

void TestAuditChain::databaseRefusesUnchainedOrOutOfOrderRows()
{
    append(2);
    RawDatabase raw(m_store->databasePath());
    // No hash: refused.
    QVERIFY(!raw.exec(QStringLiteral("INSERT INTO audit_log (at, kind, user_id, request_id,"
                                     " device_id, details) VALUES (1, 'x', '', '', '', '{}')")));
    // Behind the head (id 1 was taken, and deleting it is refused).
    QVERIFY(!raw.exec(QStringLiteral("INSERT INTO audit_log VALUES (1, 1, 'x', '', '', '', '{}',"
                                     " zeroblob(32), zeroblob(32))")));
    QCOMPARE(m_store->auditEvents().size(), 2);
}

void TestAuditChain::pruneKeepsTheRestVerifiable()
{
    append(5, 100); // at 100..104
    const auto pruned = m_store->pruneAudit(103, 1000, 200);
    QVERIFY(pruned.ok());
    QCOMPARE(pruned.value(), 3);
    const QList<AuditEvent> events = m_store->auditEvents();
    QCOMPARE(events.constFirst().id, 4);
    QCOMPARE(events.constLast().kind, QStringLiteral("audit.pruned"));
    QCOMPARE(m_store->auditAnchor()->id, 3);
    const auto verified = verifyAuditLog(*m_store);
    QVERIFY(verified.ok());
    QVERIFY2(verified->intact(), qPrintable(verified->problem));
    QCOMPARE(verified->checked, 3); // 4, 5 and the audit.pruned record

    // A batch limit leaves the rest for the next run.
    append(3, 300);
    QCOMPARE(m_store->pruneAudit(1000, 2, 400).value(), 2);
    QVERIFY(verifyAuditLog(*m_store)->intact());
}

void TestAuditChain::deleteAbovePrunePointIsRefused()
{
    append(4, 100);
    QCOMPARE(m_store->pruneAudit(102, 1000, 200).value(), 2);
    RawDatabase raw(m_store->databasePath());
    QVERIFY(!raw.exec(QStringLiteral("DELETE FROM audit_log WHERE id = 3")));
    QVERIFY(!raw.exec(QStringLiteral("DELETE FROM audit_prunes")));
    QVERIFY(!raw.exec(QStringLiteral("UPDATE audit_prunes SET through_id = 99")));
    QCOMPARE(m_store->auditEvents().constFirst().id, 3);
}

void TestAuditChain::recordsBeforeSchemaFourStayUnchained()
{
    m_store.reset();
    QTemporaryDir dir;
    const QString path = QDir(dir.path()).filePath(SqliteStore::databaseFileName());
    {
        // A database as version 2 left it, with two audit records.
        RawDatabase raw(path);
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER PRIMARY KEY"
                                        " NOT NULL, description TEXT NOT NULL,"
                                        " applied_at INTEGER NOT NULL) STRICT")));
        for (int step = 0; step < 2; ++step) {
            for (const QString &statement : Migrations::steps().at(step).statements)
                QVERIFY2(raw.exec(statement), qPrintable(statement));
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO schema_version VALUES (?, 'v', 0)"),
                             {step + 1}));
        }
        for (int i = 0; i < 2; ++i) {
            QVERIFY(raw.exec(QStringLiteral("INSERT INTO audit_log (at, kind, user_id, request_id,"
                                            " device_id, details)"
                                            " VALUES (1, 'old', '', '', '', '{}')")));
        }
    }
    auto store = SqliteStore::open(dir.path());
    QVERIFY2(store.ok(), store.ok() ? "" : qPrintable(store.error().message));
    AuditEvent event;
    event.at = 2;
    event.kind = QStringLiteral("new");
    QVERIFY(store.value()->appendAudit(event).ok());
    const QList<AuditEvent> events = store.value()->auditEvents();
    QCOMPARE(events.size(), 3);
    QVERIFY(events[0].hash.isEmpty());
    QCOMPARE(events[2].id, 3);
    QCOMPARE(events[2].prevHash, auditGenesisHash());
    const auto verified = verifyAuditLog(*store.value());
    QVERIFY(verified.ok());
    QVERIFY(verified->intact());
    QCOMPARE(verified->unchained, 2);
    QCOMPARE(verified->anchor.id, 2);
    QCOMPARE(verified->checked, 1);
}

void TestAuditChain::finishedApprovalsArePruned()
{
    ApprovalRecord approval;
    approval.requestId = QStringLiteral("old");
    approval.userId = QStringLiteral("alice@example.com");
    approval.requestJws = "x";
    approval.requestHash = QByteArray(32, 'h');
    approval.methods = {ApprovalMethod::Totp};
    approval.argumentsHash = QByteArray(32, 'a');
    approval.createdAt = 10;
    approval.expiresAt = 20;
    QVERIFY(m_store->addApproval(approval).ok());
    ApprovalRecord pending = approval;
    pending.requestId = QStringLiteral("pending");
    QVERIFY(m_store->addApproval(pending).ok());
    QVERIFY(m_store
                ->resolveApproval(QStringLiteral("old"), ApprovalState::Denied, std::nullopt, {},
                                  15, QStringLiteral("no"))
                .ok());
    QCOMPARE(m_store->pruneApprovals(21, 100).value(), 1);
    QVERIFY(!m_store->approval(QStringLiteral("old")));
    QVERIFY(m_store->approval(QStringLiteral("pending"))); // pending is never pruned
}

void TestAuditChain::loneSurrogatesDoNotStopARecord()
{
    // An agent's tool name or an upstream's message cut in a surrogate pair
    // must not make the record (and so the call) fail: it is stored as the
    // UTF-8 round trip, the surrogate replaced.
    const QString broken = QStringLiteral("tool") + QChar(0xD800);
    AuditEvent event;
    event.at = 1;
    event.kind = QStringLiteral("mcp.decided");
    event.userId = broken;
    event.details = QJsonObject{{QStringLiteral("action"), broken}};
    QVERIFY(m_store->appendAudit(event).ok());
    const AuditEvent stored = m_store->auditEvents().constFirst();
    QVERIFY(!stored.details.value(QStringLiteral("action")).toString().contains(QChar(0xD800)));
    QVERIFY(verifyAuditLog(*m_store)->intact());
}

QTEST_GUILESS_MAIN(TestAuditChain)
#include "test_auditchain.moc"
