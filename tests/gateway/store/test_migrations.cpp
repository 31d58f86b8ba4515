#include "gateway/store/migrations.h"
#include "gateway/store/sqlitestore.h"
#include "rawdatabase.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::RawDatabase;

namespace {

QStringList tableNames(RawDatabase &raw)
{
    QStringList names;
    if (!raw.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table'"
                                 " AND name NOT LIKE 'sqlite_%' ORDER BY name")))
        return names;
    while (raw.query().next())
        names.append(raw.query().value(0).toString());
    return names;
}

} // namespace

class TestMigrations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void stepsAreNumberedInOrder();
    void freshDatabaseGetsLatestVersion();
    void reopeningIsNoOp();
    void refusesNewerSchema();
    void newerSchemaIsLeftUntouched();
    void upgradesVersionOneKeepingApprovals();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_dataDir;
    QString m_dbPath;
};

void TestMigrations::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_dataDir = m_dir->path();
    m_dbPath = QDir(m_dataDir).filePath(SqliteStore::databaseFileName());
}

void TestMigrations::stepsAreNumberedInOrder()
{
    const QList<Migration> &steps = Migrations::steps();
    QVERIFY(!steps.isEmpty());
    for (qsizetype i = 0; i < steps.size(); ++i) {
        QCOMPARE(steps[i].version, int(i + 1));
        QVERIFY(!steps[i].statements.isEmpty());
        QVERIFY(!steps[i].description.isEmpty());
    }
    QCOMPARE(Migrations::latestVersion(), steps.constLast().version);
}

void TestMigrations::freshDatabaseGetsLatestVersion()
{
    QVERIFY(SqliteStore::open(m_dataDir).ok());
    RawDatabase raw(m_dbPath);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(),
             Migrations::latestVersion());
    QCOMPARE(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(),
             int(Migrations::steps().size()));
    const QStringList tables = tableNames(raw);
    for (const char *expected :
         {"approvals", "audit_log", "devices", "pairing_offers", "passkey_users", "passkeys",
          "schema_version", "totp_enrollments", "used_values"}) {
        QVERIFY2(tables.contains(QLatin1String(expected)), expected);
    }
}

void TestMigrations::reopeningIsNoOp()
{
    {
        auto store = SqliteStore::open(m_dataDir);
        QVERIFY(store.ok());
        AuditEvent event;
        event.at = 1;
        event.kind = QStringLiteral("gateway.started");
        QVERIFY(store.value()->appendAudit(event).ok());
    }
    QString schemaBefore;
    qint64 appliedBefore = 0;
    {
        RawDatabase raw(m_dbPath);
        schemaBefore = raw.scalar(QStringLiteral("SELECT group_concat(sql, ';') FROM"
                                                 " (SELECT sql FROM sqlite_master ORDER BY name)"))
                           .toString();
        appliedBefore =
            raw.scalar(QStringLiteral("SELECT MAX(applied_at) FROM schema_version")).toLongLong();
    }
    auto again = SqliteStore::open(m_dataDir);
    QVERIFY2(again.ok(), again.ok() ? "" : qPrintable(again.error().message));
    QCOMPARE(again.value()->auditEvents().size(), 1);

    RawDatabase raw(m_dbPath);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM schema_version")).toInt(),
             int(Migrations::steps().size()));
    QCOMPARE(raw.scalar(QStringLiteral("SELECT MAX(applied_at) FROM schema_version")).toLongLong(),
             appliedBefore);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT group_concat(sql, ';') FROM"
                                       " (SELECT sql FROM sqlite_master ORDER BY name)"))
                 .toString(),
             schemaBefore);
}

void TestMigrations::refusesNewerSchema()
{
    QVERIFY(SqliteStore::open(m_dataDir).ok());
    const int newer = Migrations::latestVersion() + 1;
    {
        RawDatabase raw(m_dbPath);
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO schema_version (version, description,"
                                        " applied_at) VALUES (?, 'from the future', 0)"),
                         {newer}));
    }
    const auto store = SqliteStore::open(m_dataDir);
    QVERIFY(!store.ok());
    QCOMPARE(store.error().code, ErrorCode::UnsupportedVersion);
    QCOMPARE(store.error().message,
             QStringLiteral("database schema version %1 is newer than this gateway supports (%2);"
                            " upgrade countersign-gateway")
                 .arg(newer)
                 .arg(Migrations::latestVersion()));
}

void TestMigrations::newerSchemaIsLeftUntouched()
{
    // A database from a newer gateway whose tables this build does not know
    // must not get this build's tables added to it.
    {
        RawDatabase raw(m_dbPath);
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER PRIMARY KEY"
                                        " NOT NULL, description TEXT NOT NULL,"
                                        " applied_at INTEGER NOT NULL)")));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO schema_version VALUES (?, 'future', 0)"),
                         {Migrations::latestVersion() + 5}));
    }
    QVERIFY(!SqliteStore::open(m_dataDir).ok());
    RawDatabase raw(m_dbPath);
    QCOMPARE(tableNames(raw), QStringList{QStringLiteral("schema_version")});
}

void TestMigrations::upgradesVersionOneKeepingApprovals()
{
    // A database as the first release left it, with a pending approval.
    {
        RawDatabase raw(m_dbPath);
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER PRIMARY KEY"
                                        " NOT NULL, description TEXT NOT NULL,"
                                        " applied_at INTEGER NOT NULL) STRICT")));
        for (const QString &statement : Migrations::steps().constFirst().statements)
            QVERIFY2(raw.exec(statement), qPrintable(statement));
        QVERIFY(raw.exec(QStringLiteral("INSERT INTO schema_version VALUES (1, 'v1', 0)")));
        QVERIFY(raw.exec(QStringLiteral(
            "INSERT INTO approvals (request_id, user_id, request_jws, request_hash, methods,"
            " upstream, arguments_hash, created_at, expires_at, state)"
            " VALUES ('req_1', 'alice', X'00', X'00', 'passkey,totp', '', X'00', 1, 9, "
            "'pending')")));
    }
    auto store = SqliteStore::open(m_dataDir);
    QVERIFY2(store.ok(), store.ok() ? "" : qPrintable(store.error().message));
    const auto approval = store.value()->approval(QStringLiteral("req_1"));
    QVERIFY(approval);
    QCOMPARE(approval->methods,
             (QList<ApprovalMethod>{ApprovalMethod::Passkey, ApprovalMethod::Totp}));
    QVERIFY(!approval->userVerificationRequired);
    QVERIFY(!approval->userVerified);
    QVERIFY(store.value()->passkeys(QStringLiteral("alice")).isEmpty());
    // Migration 3: who raised an old approval is unknown, so the admin API
    // does not hand out its token.
    QCOMPARE(approval->origin, ApprovalOrigin::Unknown);
    QVERIFY(approval->agent.isEmpty());
    QVERIFY(approval->dedupeKey.isEmpty());
    RawDatabase raw(m_dbPath);
    QCOMPARE(raw.scalar(QStringLiteral("SELECT MAX(version) FROM schema_version")).toInt(),
             Migrations::latestVersion());
}

QTEST_GUILESS_MAIN(TestMigrations)
#include "test_migrations.moc"
