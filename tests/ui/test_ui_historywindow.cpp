#include "app/history.h"
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
    QCOMPARE(cell(window, 0, HistoryWindowModel::DecisionColumn), QStringLiteral("Cancelled"));
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
             QStringLiteral("Closed elsewhere"));
    const auto *model = window.view()->model();
    QCOMPARE(model->data(model->index(0, HistoryWindowModel::DecisionColumn), Qt::ToolTipRole)
                 .toString(),
             QStringLiteral("Closed elsewhere: binding_code_mismatch"));
}

void TestUiHistoryWindow::screenshot()
{
    const QList<HistoryEntry> entries{
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
    };
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
