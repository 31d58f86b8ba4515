#include "../store/rawdatabase.h"
#include "gateway/store/auditheadlogger.h"
#include "gateway/store/retentionpruner.h"
#include "gateway/store/sqlitestore.h"
#include "tests/support/manualclock.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::ManualClock;
using countersign::testing::RawDatabase;

// `countersign-gateway audit export|verify` as an admin runs them against a
// data dir, the chain head in the log, and retention's background pruner.
class TestGatewayAuditCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void exportWritesOneJsonRecordPerLine();
    void verifyPrintsCountAndHead();
    void verifyNamesTheFirstChangedRecord();
    void verifyFindsADeletedRecord();
    void refusesBadInvocations();
    void headIsLoggedAtStartWhenMovedAndAtStop();
    void prunerDeletesOldRecordsInBatches();

private:
    struct Run {
        int exitCode = -1;
        QString out;
        QString err;
    };
    Run run(const QStringList &arguments);
    void append(int count, qint64 at = 1000);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_config;
    std::unique_ptr<SqliteStore> m_store;
};

void TestGatewayAuditCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    const QString dataDir = m_dir->filePath(QStringLiteral("data"));
    auto store = SqliteStore::open(dataDir);
    QVERIFY(store.ok());
    m_store = std::move(store).value();
    m_config = m_dir->filePath(QStringLiteral("gateway.yaml"));
    QFile config(m_config);
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("listen: 127.0.0.1:0\nusers: [alice@example.com]\ndata_dir: " + dataDir.toUtf8()
                 + "\n");
}

void TestGatewayAuditCli::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

TestGatewayAuditCli::Run TestGatewayAuditCli::run(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(COUNTERSIGN_GATEWAY_BINARY), arguments);
    Run result;
    if (!process.waitForFinished(30'000))
        return result;
    result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

void TestGatewayAuditCli::append(int count, qint64 at)
{
    for (int i = 0; i < count; ++i) {
        AuditEvent event;
        event.at = at + i;
        event.kind = QStringLiteral("device.revoked");
        event.userId = QStringLiteral("alice@example.com");
        event.deviceId = QStringLiteral("dev%1").arg(i);
        event.details = QJsonObject{{QStringLiteral("n"), i}};
        QVERIFY(m_store->appendAudit(event).ok());
    }
}

void TestGatewayAuditCli::exportWritesOneJsonRecordPerLine()
{
    append(3);
    const Run all = run(
        {QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--config"), m_config});
    QCOMPARE(all.exitCode, 0);
    const QStringList lines = all.out.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    const QList<AuditEvent> stored = m_store->auditEvents();
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QJsonParseError error{};
        const QJsonObject line = QJsonDocument::fromJson(lines[i].toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(line.value(QStringLiteral("id")).toInteger(), stored[i].id);
        QCOMPARE(line.value(QStringLiteral("device_id")).toString(), stored[i].deviceId);
        QCOMPARE(line.value(QStringLiteral("details")).toObject(), stored[i].details);
        QCOMPARE(line.value(QStringLiteral("hash")).toString(),
                 QString::fromLatin1(stored[i].hash.toHex()));
        QCOMPARE(line.value(QStringLiteral("prev_hash")).toString(),
                 QString::fromLatin1(stored[i].prevHash.toHex()));
    }
    const Run since =
        run({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--since-id"),
             QStringLiteral("2"), QStringLiteral("--config"), m_config});
    QCOMPARE(since.exitCode, 0);
    QCOMPARE(since.out.split(u'\n', Qt::SkipEmptyParts).size(), 1);
}

void TestGatewayAuditCli::verifyPrintsCountAndHead()
{
    append(3);
    const Run verify = run(
        {QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--config"), m_config});
    QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
    QVERIFY(verify.out.contains(u"intact: 3 chained records"));
    const AuditHead head = m_store->auditHead().value();
    QVERIFY(verify.out.contains(
        QStringLiteral("head: id 3 hash %1").arg(QString::fromLatin1(head.hash.toHex()))));
}

void TestGatewayAuditCli::verifyNamesTheFirstChangedRecord()
{
    append(4);
    {
        RawDatabase raw(m_store->databasePath());
        QVERIFY(raw.exec(QStringLiteral("DROP TRIGGER audit_log_no_update")));
        QVERIFY(
            raw.exec(QStringLiteral("UPDATE audit_log SET details = '{\"n\":99}' WHERE id = 2")));
    }
    const Run verify = run(
        {QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--config"), m_config});
    QCOMPARE(verify.exitCode, 1);
    QVERIFY2(verify.out.contains(u"BROKEN at record 2"), qPrintable(verify.out));
    QVERIFY(verify.err.contains(u"first bad record: 2"));
}

void TestGatewayAuditCli::verifyFindsADeletedRecord()
{
    append(4);
    {
        RawDatabase raw(m_store->databasePath());
        QVERIFY(raw.exec(QStringLiteral("DROP TRIGGER audit_log_delete_pruned_only")));
        QVERIFY(raw.exec(QStringLiteral("DELETE FROM audit_log WHERE id = 3")));
    }
    const Run verify = run(
        {QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--config"), m_config});
    QCOMPARE(verify.exitCode, 1);
    QVERIFY2(verify.out.contains(u"BROKEN at record 3: record 3 is missing"),
             qPrintable(verify.out));
}

void TestGatewayAuditCli::refusesBadInvocations()
{
    QCOMPARE(run({QStringLiteral("audit"), QStringLiteral("--config"), m_config}).exitCode, 2);
    QCOMPARE(run({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--since-id"),
                  QStringLiteral("-3"), QStringLiteral("--config"), m_config})
                 .exitCode,
             2);
    QCOMPARE(run({QStringLiteral("audit"), QStringLiteral("verify")}).exitCode, 2); // no config
}

namespace {

// The "audit head:" lines logged while a HeadLines is alive, in order; every
// other message goes on to the handler that was there before.
class HeadLines {
public:
    HeadLines()
    {
        s_lines = &m_lines;
        s_previous = qInstallMessageHandler(&HeadLines::handle);
    }
    ~HeadLines()
    {
        qInstallMessageHandler(s_previous);
        s_lines = nullptr;
    }
    const QStringList &lines() const { return m_lines; }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        if (s_lines && message.startsWith(QStringLiteral("audit head: ")))
            s_lines->append(message);
        else if (s_previous)
            s_previous(type, context, message);
    }

    QStringList m_lines;
    static inline QStringList *s_lines = nullptr;
    static inline QtMessageHandler s_previous = nullptr;
};

} // namespace

void TestGatewayAuditCli::headIsLoggedAtStartWhenMovedAndAtStop()
{
    HeadLines logged;
    append(1);
    AuditHeadLogger logger(*m_store, std::chrono::milliseconds(10));
    const QString first = QStringLiteral("audit head: id 1 hash ")
        + QString::fromLatin1(m_store->auditHead()->hash.toHex());
    logger.start();
    QCOMPARE(logged.lines(), QStringList{first});

    // The timer logs the head once it moved.
    append(1);
    const QString second = QStringLiteral("audit head: id 2 hash ")
        + QString::fromLatin1(m_store->auditHead()->hash.toHex());
    QTRY_COMPARE(logged.lines(), (QStringList{first, second}));

    // A tick that finds the head where it was logs nothing.
    logger.logHead();
    logger.logHead();
    QCOMPARE(logged.lines(), (QStringList{first, second}));

    // Stopping logs the head whatever it is.
    logger.stop();
    QCOMPARE(logged.lines(), (QStringList{first, second, second}));
}

void TestGatewayAuditCli::prunerDeletesOldRecordsInBatches()
{
    ManualClock clock;
    clock.set(100 * 24 * 3600);
    append(7, 1000);                           // long ago
    append(2, clock.secondsSinceEpoch() - 10); // recent
    RetentionPruner::Settings settings;
    settings.batchSize = 3;
    settings.auditRetention = std::chrono::days(90);
    RetentionPruner pruner(*m_store, clock, settings);
    QSignalSpy finished(&pruner, &RetentionPruner::passFinished);
    pruner.start();
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toInt(), 7);
    const QList<AuditEvent> left = m_store->auditEvents();
    QCOMPARE(left.constFirst().id, 8);
    // The pruned ranges are recorded in the chain, which still verifies.
    QCOMPARE(left.constLast().kind, QStringLiteral("audit.pruned"));
    const Run verify = run(
        {QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--config"), m_config});
    QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
}

QTEST_GUILESS_MAIN(TestGatewayAuditCli)
#include "test_gateway_auditcli.moc"
