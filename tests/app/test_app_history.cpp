#include "app/history.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSignalSpy>
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

QList<QByteArray> fileLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = file.readAll().split('\n');
    if (!lines.isEmpty() && lines.constLast().isEmpty())
        lines.removeLast();
    return lines;
}

} // namespace

// History: JSON lines in the app data directory, bounded, read back strictly.
class TestAppHistory : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void defaultPathIsInTheAppDataDirectory();
    void missingFileIsAnEmptyHistory();
    void appendsAndReadsBack();
    void eachEntryIsOneJsonLine();
    void fileIsPrivate();
    void keepsOnlyTheNewestEntries();
    void skipsLinesThatDoNotReadBack();
    void decodeRefusesWhatEncodeNeverWrites_data();
    void decodeRefusesWhatEncodeNeverWrites();
    void cutsOverlongFields();
    void appendLoadsFirst();
    void reportsUnwritableFile();

private:
    QString path() const { return m_dir.filePath(QStringLiteral("sub/history.jsonl")); }

    QTemporaryDir m_dir;
};

void TestAppHistory::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestAppHistory::init()
{
    QFile::remove(path());
}

void TestAppHistory::defaultPathIsInTheAppDataDirectory()
{
    const QString path = History::defaultFilePath();
    QVERIFY2(path.endsWith(QStringLiteral("/countersign/Countersign/history.jsonl")),
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

void TestAppHistory::eachEntryIsOneJsonLine()
{
    History history(path());
    HistoryEntry entry = sampleEntry(7);
    entry.detail = QStringLiteral("line one\nline two");
    QVERIFY(history.append(entry).ok());
    const auto lines = fileLines(path());
    QCOMPARE(lines.size(), 1);
    QCOMPARE(
        lines.first(),
        QByteArray(R"({"action":"disable_user","agent":"claude-code","detail":"line one\nline )"
                   R"(two","gateway_id":"https://gw.example.com","gateway_name":"Example )"
                   R"(Gateway","method":"totp","outcome":"approved","request_id":"req-7",)"
                   R"("resource":"directory/users/bob","time":"2025-06-15T15:06:47Z",)"
                   R"("user":"alice@example.com","v":1})"));
}

void TestAppHistory::fileIsPrivate()
{
    History history(path());
    QVERIFY(history.append(sampleEntry(1)).ok());
    const auto permissions = QFile::permissions(path());
    QVERIFY(permissions & QFileDevice::ReadOwner);
    QVERIFY(!(permissions & (QFileDevice::ReadGroup | QFileDevice::ReadOther)));
}

void TestAppHistory::keepsOnlyTheNewestEntries()
{
    History history(path());
    const int total = History::maxEntries + History::compactionSlack + 10;
    for (int i = 0; i < total; ++i)
        QVERIFY(history.append(sampleEntry(i)).ok());
    QCOMPARE(history.entries().size(), History::maxEntries);
    QCOMPARE(history.entries().first().requestId,
             QStringLiteral("req-%1").arg(total - History::maxEntries));
    QCOMPARE(history.entries().last().requestId, QStringLiteral("req-%1").arg(total - 1));
    // The file was compacted once it passed the slack: bounded too.
    const auto lines = fileLines(path());
    QVERIFY2(lines.size() <= History::maxEntries + History::compactionSlack,
             qPrintable(QString::number(lines.size())));
    QVERIFY(QFile::permissions(path()) & QFileDevice::ReadOwner);
    QVERIFY(!(QFile::permissions(path()) & QFileDevice::ReadOther));

    History again(path());
    QVERIFY(again.load().ok());
    QCOMPARE(again.entries(), history.entries());
}

void TestAppHistory::skipsLinesThatDoNotReadBack()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QFile file(path());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(History::encode(sampleEntry(1)) + '\n');
    file.write("not json\n");
    file.write("\n");
    file.write(R"({"v":2,"time":"2025-06-15T15:06:47Z"})"
               "\n");
    file.write(QByteArray(History::maxLineBytes + 10, 'x') + '\n');
    file.write(History::encode(sampleEntry(2)) + '\n');
    // A crash in the middle of the last write.
    file.write(History::encode(sampleEntry(3)).left(40));
    file.close();

    History history(path());
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("skipped 4 unreadable lines")));
    QVERIFY(history.load().ok());
    QCOMPARE(history.entries(), (QList<HistoryEntry>{sampleEntry(1), sampleEntry(2)}));
}

void TestAppHistory::decodeRefusesWhatEncodeNeverWrites_data()
{
    QTest::addColumn<QByteArray>("line");
    const QByteArray good = History::encode(sampleEntry(1));
    QVERIFY(History::decode(good).ok());
    QTest::newRow("unknown member") << QByteArray(good).replace("\"v\":1", "\"v\":1,\"x\":\"y\"");
    QTest::newRow("duplicate member")
        << QByteArray(good).replace("\"v\":1", "\"v\":1,\"user\":\"mallory\"");
    QTest::newRow("unknown outcome") << QByteArray(good).replace("approved", "maybe");
    QTest::newRow("unknown method") << QByteArray(good).replace("totp", "sms");
    QTest::newRow("local time") << QByteArray(good).replace(":41Z\"", ":41+02:00\"");
    QTest::newRow("number for text") << QByteArray(good).replace("\"req-1\"", "42");
    QTest::newRow("no request id") << QByteArray(good).replace("\"req-1\"", "\"\"");
    QTest::newRow("array") << QByteArray("[1,2]");
}

void TestAppHistory::decodeRefusesWhatEncodeNeverWrites()
{
    QFETCH(QByteArray, line);
    QVERIFY2(!History::decode(line).ok(), line.constData());
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
    QCOMPARE(fileLines(path()).size(), 2);
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
