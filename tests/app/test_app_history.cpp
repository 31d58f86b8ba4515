#include "app/history.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

namespace {

constexpr qint64 start = 1'750'000'000;

HistoryEntry sampleEntry(int n, ApprovalOutcome outcome = ApprovalOutcome::Approved)
{
    HistoryEntry entry;
    entry.time = start + n;
    entry.gatewayId = QStringLiteral("https://gw.example.com");
    entry.gatewayName = QStringLiteral("Example Gateway");
    entry.requestId = QStringLiteral("req-%1").arg(n);
    entry.user = QStringLiteral("alice@example.com");
    entry.agent = QStringLiteral("claude-code");
    entry.action = QStringLiteral("disable_user");
    entry.resource = QStringLiteral("directory/users/bob");
    entry.outcome = outcome;
    if (outcome == ApprovalOutcome::Approved)
        entry.method = ApprovalMethod::Totp;
    return entry;
}

// What the database file holds, read with a connection of the test's own.
class RawDatabase {
public:
    explicit RawDatabase(const QString &path)
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name());
        db.setDatabaseName(path);
        m_open = db.open();
    }
    ~RawDatabase() { QSqlDatabase::removeDatabase(name()); }

    bool isOpen() const { return m_open; }
    QSqlQuery query() const { return QSqlQuery(QSqlDatabase::database(name(), false)); }
    bool exec(const QString &statement) const
    {
        QSqlQuery q = query();
        return q.exec(statement);
    }
    qint64 count() const
    {
        QSqlQuery q = query();
        if (!q.exec(QStringLiteral("SELECT count(*) FROM entries")) || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

private:
    static QString name() { return QStringLiteral("raw"); }
    bool m_open = false;
};

} // namespace

// History: an SQLite database in the app data directory, bounded, private,
// read back strictly.
class TestAppHistory : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void defaultPathIsInTheAppDataDirectory();
    void missingFileIsAnEmptyHistory();
    void appendsAndReadsBack();
    void eachEntryIsOneRow();
    void fileIsPrivate();
    void keepsOnlyTheNewestEntries();
    void skipsRowsThatDoNotReadBack();
    void movesAsideAFileThatIsNotADatabase();
    void refusesANewerSchema();
    void cutsOverlongFields();
    void appendLoadsFirst();
    void reportsUnwritableFile();

private:
    QString path() const { return m_dir.filePath(QStringLiteral("sub/history.sqlite")); }

    QTemporaryDir m_dir;
};

void TestAppHistory::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestAppHistory::init()
{
    QDir(QFileInfo(path()).absolutePath()).removeRecursively();
}

void TestAppHistory::defaultPathIsInTheAppDataDirectory()
{
    const QString path = History::defaultFilePath();
    QVERIFY2(path.endsWith(QStringLiteral("/countersign/Countersign/history.sqlite")),
             qPrintable(path));
    // Test mode: never the person's real data directory.
    QVERIFY2(path.contains(QStringLiteral("qttest")), qPrintable(path));
}

void TestAppHistory::missingFileIsAnEmptyHistory()
{
    History history(path());
    QSignalSpy reloaded(&history, &History::reloaded);
    QVERIFY(history.load().ok());
    QVERIFY(history.entries().isEmpty());
    QCOMPARE(reloaded.count(), 1);
    QVERIFY(!QFile::exists(path()));
}

void TestAppHistory::appendsAndReadsBack()
{
    const HistoryEntry approved = sampleEntry(1);
    HistoryEntry denied = sampleEntry(2, ApprovalOutcome::Denied);
    denied.detail = QStringLiteral("binding_code_mismatch");
    HistoryEntry elsewhere = sampleEntry(3, ApprovalOutcome::Unknown);
    elsewhere.agent = QStringLiteral("agent with \"quotes\", \u00e9 and \U0001F600");
    {
        History history(path());
        QVERIFY(history.load().ok());
        QSignalSpy appended(&history, &History::appended);
        QVERIFY(history.append(approved).ok());
        QVERIFY(history.append(denied).ok());
        QVERIFY(history.append(elsewhere).ok());
        QCOMPARE(appended.count(), 3);
        QCOMPARE(appended.at(1).first().value<HistoryEntry>(), denied);
        QCOMPARE(history.entries(), (QList<HistoryEntry>{approved, denied, elsewhere}));
    }
    History again(path());
    QVERIFY(again.load().ok());
    QCOMPARE(again.entries(), (QList<HistoryEntry>{approved, denied, elsewhere}));
}

void TestAppHistory::eachEntryIsOneRow()
{
    History history(path());
    HistoryEntry entry = sampleEntry(7);
    entry.detail = QStringLiteral("line one\nline two");
    QVERIFY(history.append(entry).ok());
    RawDatabase raw(path());
    QVERIFY(raw.isOpen());
    QSqlQuery query = raw.query();
    QVERIFY(query.exec(QStringLiteral(
        "SELECT time, gateway_id, gateway_name, request_id, user, agent, action, resource,"
        " outcome, method, detail FROM entries")));
    QVERIFY(query.next());
    const QVariantList expected{start + 7,
                                QStringLiteral("https://gw.example.com"),
                                QStringLiteral("Example Gateway"),
                                QStringLiteral("req-7"),
                                QStringLiteral("alice@example.com"),
                                QStringLiteral("claude-code"),
                                QStringLiteral("disable_user"),
                                QStringLiteral("directory/users/bob"),
                                QStringLiteral("approved"),
                                QStringLiteral("totp"),
                                QStringLiteral("line one\nline two")};
    for (int i = 0; i < expected.size(); ++i)
        QCOMPARE(query.value(i).toString(), expected.at(i).toString());
    QVERIFY(!query.next());
}

void TestAppHistory::fileIsPrivate()
{
    History history(path());
    QVERIFY(history.append(sampleEntry(1)).ok());
    // The database and the write-ahead log SQLite keeps beside it.
    for (const QString &file : QStringList{path(), path() + QStringLiteral("-wal")}) {
        QVERIFY2(QFile::exists(file), qPrintable(file));
        const auto permissions = QFile::permissions(file);
        QVERIFY(permissions & QFileDevice::ReadOwner);
        QVERIFY2(!(permissions & (QFileDevice::ReadGroup | QFileDevice::ReadOther)),
                 qPrintable(file));
    }
}

void TestAppHistory::keepsOnlyTheNewestEntries()
{
    History history(path());
    const int total = History::maxEntries + 10;
    for (int i = 0; i < total; ++i)
        QVERIFY(history.append(sampleEntry(i)).ok());
    QCOMPARE(history.entries().size(), History::maxEntries);
    QCOMPARE(history.entries().first().requestId,
             QStringLiteral("req-%1").arg(total - History::maxEntries));
    QCOMPARE(history.entries().last().requestId, QStringLiteral("req-%1").arg(total - 1));
    // The database is bounded too: older rows were deleted as new ones came.
    {
        RawDatabase raw(path());
        QCOMPARE(raw.count(), qint64(History::maxEntries));
    }

    History again(path());
    QVERIFY(again.load().ok());
    QCOMPARE(again.entries(), history.entries());
}

void TestAppHistory::skipsRowsThatDoNotReadBack()
{
    {
        History history(path());
        QVERIFY(history.append(sampleEntry(1)).ok());
        QVERIFY(history.append(sampleEntry(2)).ok());
    }
    {
        // Rows no companion of this version writes: a hand edit, a newer
        // outcome or method name, bytes where text belongs.
        RawDatabase raw(path());
        QVERIFY(raw.isOpen());
        const QString insert = QStringLiteral(
            "INSERT INTO entries (time, gateway_id, gateway_name, request_id, user, agent, action,"
            " resource, outcome, method, detail) VALUES (%1)");
        QVERIFY(raw.exec(insert.arg(
            QStringLiteral("1, 'gw', 'GW', 'req-x', 'u', 'a', 'act', 'res', 'maybe', NULL, ''"))));
        QVERIFY(raw.exec(insert.arg(QStringLiteral(
            "1, 'gw', 'GW', 'req-y', 'u', 'a', 'act', 'res', 'approved', 'sms', ''"))));
        QVERIFY(raw.exec(insert.arg(QStringLiteral(
            "1, 'gw', 'GW', 'req-z', X'00ff', 'a', 'act', 'res', 'denied', NULL, ''"))));
        QVERIFY(raw.exec(insert.arg(QStringLiteral(
            "'noon', 'gw', 'GW', 'req-w', 'u', 'a', 'act', 'res', 'denied', NULL, ''"))));
    }
    History history(path());
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("skipped 4 unreadable rows")));
    QVERIFY(history.load().ok());
    QCOMPARE(history.entries(), (QList<HistoryEntry>{sampleEntry(1), sampleEntry(2)}));
}

void TestAppHistory::movesAsideAFileThatIsNotADatabase()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    const QByteArray text = "{\"v\":1} not a database, but maybe someone's notes\n";
    {
        QFile file(path());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(text.repeated(100));
    }
    History history(path());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("is not a database")));
    QVERIFY(history.append(sampleEntry(1)).ok());
    // Kept, not deleted, and a new history started in its place.
    QVERIFY(!history.movedAsidePath().isEmpty());
    QFile aside(history.movedAsidePath());
    QVERIFY(aside.open(QIODevice::ReadOnly));
    QCOMPARE(aside.readAll(), text.repeated(100));
    History again(path());
    QVERIFY(again.load().ok());
    QCOMPARE(again.entries(), QList<HistoryEntry>{sampleEntry(1)});
}

void TestAppHistory::refusesANewerSchema()
{
    {
        History history(path());
        QVERIFY(history.append(sampleEntry(1)).ok());
    }
    {
        RawDatabase raw(path());
        QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version=%1").arg(History::schemaVersion + 1)));
    }
    History history(path());
    const Status loaded = history.load();
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.error().code, ErrorCode::UnsupportedVersion);
    QVERIFY2(loaded.error().message.contains(QStringLiteral("newer")),
             qPrintable(loaded.error().message));
    // Left as it is for the newer companion.
    RawDatabase raw(path());
    QCOMPARE(raw.count(), 1);
}

void TestAppHistory::cutsOverlongFields()
{
    History history(path());
    HistoryEntry entry = sampleEntry(1);
    entry.resource =
        QString(History::maxFieldLength - 1, QLatin1Char('r')) + QStringLiteral("\U0001F600");
    entry.detail = QString(5000, QLatin1Char('d'));
    QVERIFY(history.append(entry).ok());
    const HistoryEntry kept = history.entries().constFirst();
    QCOMPARE(kept.detail.size(), History::maxFieldLength);
    // Never half a surrogate pair.
    QCOMPARE(kept.resource, QString(History::maxFieldLength - 1, QLatin1Char('r')));
    History again(path());
    QVERIFY(again.load().ok());
    QCOMPARE(again.entries().constFirst(), kept);
}

void TestAppHistory::appendLoadsFirst()
{
    {
        History history(path());
        QVERIFY(history.append(sampleEntry(1)).ok());
    }
    History history(path());
    QVERIFY(history.append(sampleEntry(2)).ok());
    QCOMPARE(history.entries(), (QList<HistoryEntry>{sampleEntry(1), sampleEntry(2)}));
    RawDatabase raw(path());
    QCOMPARE(raw.count(), 2);
}

void TestAppHistory::reportsUnwritableFile()
{
    // The history's place is taken by a directory: nothing can be written,
    // and the entry is still shown for this run.
    QVERIFY(QDir().mkpath(path()));
    History history(path());
    const Status loaded = history.load();
    QVERIFY(!loaded.ok());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("history")));
    const Status appended = history.append(sampleEntry(1));
    QVERIFY(!appended.ok());
    QCOMPARE(appended.error().code, ErrorCode::StorageFailure);
    QCOMPARE(history.entries().size(), 1);
    QVERIFY(QDir().rmdir(path()));
}

QTEST_GUILESS_MAIN(TestAppHistory)
#include "test_app_history.moc"
