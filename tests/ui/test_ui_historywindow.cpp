#include "app/history.h"
#include "protocol/messages/approvalproof.h"
#include "ui/historywindow.h"
#include "ui/historywindowmodel.h"

#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

namespace {

constexpr qint64 start = 1'750'000'000;

HistoryEntry entry(int n, const QString &agent, const QString &action, ApprovalOutcome outcome)
{
    HistoryEntry entry;
    entry.time = start + n * 600;
    entry.gatewayId = QStringLiteral("https://gw.example.com");
    entry.gatewayName = QStringLiteral("Example Gateway");
    entry.requestId = QStringLiteral("req-%1").arg(n);
    entry.user = QStringLiteral("alice@example.com");
    entry.agent = agent;
    entry.action = action;
    entry.resource = QStringLiteral("directory/users/user%1").arg(n);
    entry.outcome = outcome;
    if (outcome == ApprovalOutcome::Approved)
        entry.method = ApprovalMethod::Totp;
    return entry;
}

} // namespace

class TestUiHistoryWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void emptyHistorySaysSo();
    void newestFirst();
    void filterMatchesAnyColumn();
    void followsTheHistory();
    void remoteTextIsShownSafely();
    void outcomesInWords_data();
    void outcomesInWords();
    void requestIdsAreShortened();
    void resourceColumnNeverCollapses();
    void escapeClosesTheWindow();
    void screenshot();

private:
    QString cell(const HistoryWindow &window, int row, int column) const
    {
        const auto *model = window.view()->model();
        return model->data(model->index(row, column)).toString();
    }

    QTemporaryDir m_dir;
    std::unique_ptr<History> m_history;
};

void TestUiHistoryWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestUiHistoryWindow::init()
{
    QFile::remove(m_dir.filePath(QStringLiteral("history.jsonl")));
    m_history = std::make_unique<History>(m_dir.filePath(QStringLiteral("history.jsonl")));
    QVERIFY(m_history->load().ok());
}

void TestUiHistoryWindow::emptyHistorySaysSo()
{
    HistoryWindow window(*m_history);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("emptyLabel"))->isVisible());
    QVERIFY(!window.view()->isVisible());
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("countLabel"))->text(),
             QStringLiteral("0 decisions"));
}

void TestUiHistoryWindow::newestFirst()
{
    QVERIFY(m_history
                ->append(entry(1, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
                               ApprovalOutcome::Approved))
                .ok());
    QVERIFY(m_history
                ->append(entry(2, QStringLiteral("copilot"), QStringLiteral("delete_branch"),
                               ApprovalOutcome::Denied))
                .ok());
    QVERIFY(m_history
                ->append(entry(3, QStringLiteral("claude-code"), QStringLiteral("reset_mfa"),
                               ApprovalOutcome::Expired))
                .ok());
    HistoryWindow window(*m_history);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.visibleCount(), 3);
    QCOMPARE(cell(window, 0, HistoryWindowModel::RequestColumn), QStringLiteral("req-3"));
    QCOMPARE(cell(window, 2, HistoryWindowModel::RequestColumn), QStringLiteral("req-1"));
    QCOMPARE(cell(window, 0, HistoryWindowModel::DecisionColumn), QStringLiteral("Expired"));
    QCOMPARE(cell(window, 1, HistoryWindowModel::DecisionColumn), QStringLiteral("Denied"));
    QCOMPARE(cell(window, 2, HistoryWindowModel::MethodColumn),
             QStringLiteral("Authenticator code"));
    QCOMPARE(cell(window, 1, HistoryWindowModel::MethodColumn), QString());
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("countLabel"))->text(),
             QStringLiteral("3 decisions"));
    // Sorting by another column and back.
    window.view()->sortByColumn(HistoryWindowModel::AgentColumn, Qt::AscendingOrder);
    QCOMPARE(cell(window, 2, HistoryWindowModel::AgentColumn), QStringLiteral("copilot"));
    window.view()->sortByColumn(HistoryWindowModel::WhenColumn, Qt::DescendingOrder);
    QCOMPARE(cell(window, 0, HistoryWindowModel::RequestColumn), QStringLiteral("req-3"));
}

void TestUiHistoryWindow::filterMatchesAnyColumn()
{
    for (int i = 1; i <= 6; ++i) {
        QVERIFY(
            m_history
                ->append(entry(i, i % 2 ? QStringLiteral("claude-code") : QStringLiteral("copilot"),
                               i % 3 ? QStringLiteral("disable_user") : QStringLiteral("reset_mfa"),
                               i == 4 ? ApprovalOutcome::Denied : ApprovalOutcome::Approved))
                .ok());
    }
    HistoryWindow window(*m_history);
    window.show();
    auto *filter = window.findChild<QLineEdit *>(QStringLiteral("filterEdit"));
    auto *count = window.findChild<QLabel *>(QStringLiteral("countLabel"));
    QTest::keyClicks(filter, QStringLiteral("COPILOT"));
    QCOMPARE(window.visibleCount(), 3);
    QCOMPARE(count->text(), QStringLiteral("3 of 6"));
    filter->clear();
    QTest::keyClicks(filter, QStringLiteral("reset_mfa"));
    QCOMPARE(window.visibleCount(), 2);
    filter->setText(QStringLiteral("denied"));
    QCOMPARE(window.visibleCount(), 1);
    QCOMPARE(cell(window, 0, HistoryWindowModel::RequestColumn), QStringLiteral("req-4"));
    filter->setText(QStringLiteral("user5"));
    QCOMPARE(window.visibleCount(), 1);
    filter->setText(QStringLiteral("nothing like this"));
    QCOMPARE(window.visibleCount(), 0);
    filter->clear();
    QCOMPARE(window.visibleCount(), 6);
    QCOMPARE(count->text(), QStringLiteral("6 decisions"));
}

void TestUiHistoryWindow::followsTheHistory()
{
    HistoryWindow window(*m_history);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(m_history
                ->append(entry(1, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
                               ApprovalOutcome::Approved))
                .ok());
    QVERIFY(window.view()->isVisible());
    QCOMPARE(window.visibleCount(), 1);
    QVERIFY(m_history
                ->append(entry(2, QStringLiteral("copilot"), QStringLiteral("delete_branch"),
                               ApprovalOutcome::Cancelled))
                .ok());
    QCOMPARE(cell(window, 0, HistoryWindowModel::RequestColumn), QStringLiteral("req-2"));
    QCOMPARE(cell(window, 0, HistoryWindowModel::DecisionColumn),
             QStringLiteral("Cancelled by the gateway"));
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("countLabel"))->text(),
             QStringLiteral("2 decisions"));
}

void TestUiHistoryWindow::remoteTextIsShownSafely()
{
    HistoryEntry hostile = entry(1, QStringLiteral("<b>bot</b>\u202Etxt.exe"),
                                 QStringLiteral("line\nbreak"), ApprovalOutcome::Unknown);
    hostile.detail = QStringLiteral("binding_code_mismatch");
    QVERIFY(m_history->append(hostile).ok());
    HistoryWindow window(*m_history);
    QCOMPARE(cell(window, 0, HistoryWindowModel::AgentColumn),
             QStringLiteral("<b>bot</b>\\u{202E}txt.exe"));
    QCOMPARE(cell(window, 0, HistoryWindowModel::ActionColumn), QStringLiteral("line\\nbreak"));
    QCOMPARE(cell(window, 0, HistoryWindowModel::DecisionColumn),
             QStringLiteral("Decided on another device or withdrawn"));
    const auto *model = window.view()->model();
    QVERIFY(model->data(model->index(0, HistoryWindowModel::DecisionColumn), Qt::ToolTipRole)
                .toString()
                .startsWith(u"Countersign did not learn how it ended"));

    // A deny reason is the person's text, and shown as text.
    HistoryEntry denied =
        entry(2, QStringLiteral("bot"), QStringLiteral("act"), ApprovalOutcome::Denied);
    denied.detail = QStringLiteral("<i>no</i>\u202E");
    QVERIFY(m_history->append(denied).ok());
    QCOMPARE(cell(window, 0, HistoryWindowModel::DecisionColumn),
             QStringLiteral("Denied: <i>no</i>\\u{202E}"));
}

void TestUiHistoryWindow::outcomesInWords_data()
{
    QTest::addColumn<int>("outcome");
    QTest::addColumn<int>("method"); // -1: none
    QTest::addColumn<QString>("detail");
    QTest::addColumn<QString>("words");
    const int none = -1;
    QTest::newRow("approved-totp")
        << int(ApprovalOutcome::Approved) << int(ApprovalMethod::Totp) << QString()
        << QStringLiteral("Approved with authenticator code");
    QTest::newRow("approved-passkey")
        << int(ApprovalOutcome::Approved) << int(ApprovalMethod::Passkey) << QString()
        << QStringLiteral("Approved with security key");
    QTest::newRow("approved-elsewhere") << int(ApprovalOutcome::Approved) << none << QString()
                                        << QStringLiteral("Approved on another device");
    QTest::newRow("denied-reason")
        << int(ApprovalOutcome::Denied) << none << QStringLiteral("  not during\nthe freeze ")
        << QStringLiteral("Denied: not during the freeze");
    QTest::newRow("denied-mismatch")
        << int(ApprovalOutcome::Denied) << none << QString(ApprovalProof::bindingCodeMismatchReason)
        << QStringLiteral("Denied: the code you picked did not match");
    QTest::newRow("denied") << int(ApprovalOutcome::Denied) << none << QString()
                            << QStringLiteral("Denied");
    QTest::newRow("expired") << int(ApprovalOutcome::Expired) << none << QString()
                             << QStringLiteral("Expired");
    QTest::newRow("cancelled") << int(ApprovalOutcome::Cancelled) << none << QString()
                               << QStringLiteral("Cancelled by the gateway");
    QTest::newRow("unknown") << int(ApprovalOutcome::Unknown) << none << QString()
                             << QStringLiteral("Decided on another device or withdrawn");
}

void TestUiHistoryWindow::outcomesInWords()
{
    QFETCH(int, outcome);
    QFETCH(int, method);
    QFETCH(QString, detail);
    QFETCH(QString, words);
    HistoryEntry e = entry(1, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
                           static_cast<ApprovalOutcome>(outcome));
    e.method = method < 0 ? std::nullopt : std::optional(static_cast<ApprovalMethod>(method));
    e.detail = detail;
    QVERIFY(m_history->append(e).ok());
    HistoryWindow window(*m_history);
    QCOMPARE(cell(window, 0, HistoryWindowModel::DecisionColumn), words);
    // The filter finds it by its words.
    window.setFilterText(words.left(12));
    QCOMPARE(window.visibleCount(), 1);
}

void TestUiHistoryWindow::requestIdsAreShortened()
{
    HistoryEntry e = entry(1, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
                           ApprovalOutcome::Approved);
    e.requestId = QStringLiteral("3f9c1a7e5d2b4c8e9a0f1b2c3d4eb20d");
    QVERIFY(m_history->append(e).ok());
    HistoryWindow window(*m_history);
    QCOMPARE(cell(window, 0, HistoryWindowModel::RequestColumn),
             QStringLiteral("3f9c1a7e\u2026b20d"));
    const auto *model = window.view()->model();
    const auto index = model->index(0, HistoryWindowModel::RequestColumn);
    QCOMPARE(model->data(index, Qt::ToolTipRole).toString(),
             QStringLiteral("Request 3f9c1a7e5d2b4c8e9a0f1b2c3d4eb20d"));
    // The filter matches the whole id, also a part that is not shown.
    window.setFilterText(QStringLiteral("4c8e9a0f"));
    QCOMPARE(window.visibleCount(), 1);
    // Short ids stay whole.
    QCOMPARE(HistoryWindowModel::shortId(QStringLiteral("req-1")), QStringLiteral("req-1"));
}

void TestUiHistoryWindow::resourceColumnNeverCollapses()
{
    for (int i = 1; i <= 3; ++i) {
        HistoryEntry e =
            entry(i, QStringLiteral("a-rather-long-agent-name-%1").arg(i),
                  QStringLiteral("an_action_with_a_long_name"), ApprovalOutcome::Denied);
        e.detail = QStringLiteral("a long reason that the person typed when denying it");
        e.gatewayName = QStringLiteral("The production gateway of the example company");
        e.resource = QStringLiteral("directory/users/") + QString(60, u'x') + QString::number(i);
        QVERIFY(m_history->append(e).ok());
    }
    HistoryWindow window(*m_history);
    window.resize(1120, 520);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTableView *view = window.view();
    QVERIFY(window.minimumResourceWidth() > 0);
    QTRY_VERIFY(view->columnWidth(HistoryWindowModel::ResourceColumn)
                >= window.minimumResourceWidth());
    // Narrow: the other columns do not squeeze it, the table scrolls instead.
    window.resize(520, 400);
    QTRY_COMPARE(window.width(), 520);
    QTRY_VERIFY(view->columnWidth(HistoryWindowModel::ResourceColumn)
                >= window.minimumResourceWidth());
    // Wide: it takes what the others leave.
    window.resize(2400, 520);
    QTRY_COMPARE(window.width(), 2400);
    int others = 0;
    for (int column = 0; column < HistoryWindowModel::ColumnCount; ++column) {
        if (column != HistoryWindowModel::ResourceColumn)
            others += view->columnWidth(column);
    }
    QTRY_COMPARE(view->columnWidth(HistoryWindowModel::ResourceColumn),
                 view->viewport()->width() - others);
    // Long values are cut in the middle, where paths and ids differ least.
    QCOMPARE(view->textElideMode(), Qt::ElideMiddle);
}

void TestUiHistoryWindow::escapeClosesTheWindow()
{
    QVERIFY(m_history
                ->append(entry(1, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
                               ApprovalOutcome::Approved))
                .ok());
    HistoryWindow window(*m_history);
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    auto *filter = window.findChild<QLineEdit *>(QStringLiteral("filterEdit"));
    // In the filter with text, Escape clears it first.
    filter->setFocus();
    QTest::keyClicks(filter, QStringLiteral("claude"));
    QTest::keyClick(filter, Qt::Key_Escape);
    QVERIFY(filter->text().isEmpty());
    QVERIFY(window.isVisible());
    // Then, and from the table, it closes the window.
    QTest::keyClick(filter, Qt::Key_Escape);
    QVERIFY(!window.isVisible());
    window.show();
    window.view()->setFocus();
    QTest::keyClick(window.view(), Qt::Key_Escape);
    QVERIFY(!window.isVisible());
}

void TestUiHistoryWindow::screenshot()
{
    QList<HistoryEntry> entries{
        entry(1, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
              ApprovalOutcome::Approved),
        entry(2, QStringLiteral("copilot"), QStringLiteral("delete_branch"),
              ApprovalOutcome::Denied),
        entry(3, QStringLiteral("claude-code"), QStringLiteral("reset_mfa"),
              ApprovalOutcome::Expired),
        entry(4, QStringLiteral("cursor"), QStringLiteral("rotate_api_key"),
              ApprovalOutcome::Approved),
        entry(5, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
              ApprovalOutcome::Cancelled),
        entry(6, QStringLiteral("copilot"), QStringLiteral("merge_pull_request"),
              ApprovalOutcome::Unknown),
        entry(7, QStringLiteral("claude-code"), QStringLiteral("disable_user"),
              ApprovalOutcome::Denied),
        entry(8, QStringLiteral("copilot"), QStringLiteral("delete_branch"),
              ApprovalOutcome::Approved),
    };
    entries[1].detail = QStringLiteral("not during the release freeze");
    entries[6].detail = QString(ApprovalProof::bindingCodeMismatchReason);
    entries[7].method = std::nullopt; // approved on another device
    entries[3].method = ApprovalMethod::Passkey;
    entries[4].requestId = QStringLiteral("3f9c1a7e5d2b4c8e9a0f1b2c3d4eb20d");
    entries[5].resource = QStringLiteral("github/countersign/countersign/pulls/1432/merge");
    for (const HistoryEntry &e : entries)
        QVERIFY(m_history->append(e).ok());
    HistoryWindow window(*m_history);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString dir = qEnvironmentVariable("COUNTERSIGN_SCREENSHOT_DIR", QDir::currentPath());
    QVERIFY(QDir().mkpath(dir));
    const QString path = QDir(dir).filePath(QStringLiteral("historywindow.png"));
    QVERIFY2(window.grab().save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
    window.setFilterText(QStringLiteral("claude"));
    const QString filtered = QDir(dir).filePath(QStringLiteral("historywindow-filtered.png"));
    QVERIFY2(window.grab().save(filtered), qPrintable(filtered));
    qInfo("screenshot: %s", qPrintable(filtered));
}

QTEST_MAIN(TestUiHistoryWindow)
#include "test_ui_historywindow.moc"
