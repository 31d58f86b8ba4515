#include "app/appid.h"
#include "ui/fallbackwindow.h"
#include "ui/statusicons.h"
#include "ui/trayicon.h"
#include "ui/trayiconnotifier.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

namespace {

TrayPendingItem item(int n, const QString &agent = QStringLiteral("claude-code"))
{
    return TrayPendingItem{QStringLiteral("https://gw.example.com"),
                           QStringLiteral("req-%1").arg(n), QStringLiteral("Example Gateway"),
                           agent, QStringLiteral("disable_user")};
}

TrayIconState connectedWith(int pending)
{
    TrayIconState state;
    state.pairedGateways = 1;
    state.connectedGateways = 1;
    for (int i = 1; i <= pending; ++i)
        state.pending.append(item(i));
    return state;
}

// The menu as a person reads it: separators as "-", disabled entries in [],
// hidden entries left out.
QStringList menuLines(const QMenu &menu)
{
    QStringList lines;
    for (const QAction *action : menu.actions()) {
        if (!action->isVisible())
            continue;
        if (action->isSeparator())
            lines.append(QStringLiteral("-"));
        else if (!action->isEnabled())
            lines.append(u'[' + action->text() + u']');
        else
            lines.append(action->text());
    }
    return lines;
}

QAction *actionNamed(const QMenu &menu, const QString &name, int index = 0)
{
    int seen = 0;
    for (QAction *action : menu.actions()) {
        if (action->objectName() == name && seen++ == index)
            return action;
    }
    return nullptr;
}

QImage rendered(const QIcon &icon, int size = 22)
{
    return icon.pixmap(QSize(size, size)).toImage().convertToFormat(QImage::Format_ARGB32);
}

int opaquePixels(const QImage &image)
{
    int count = 0;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            if (qAlpha(image.pixel(x, y)) > 128)
                ++count;
        }
    }
    return count;
}

} // namespace

// The tray adapter and its fallback window, on the offscreen platform (which
// has no tray, like GNOME without the AppIndicator extension).
class TestUiTrayIcon : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void everyIconRendersFromSvg();
    void statusTexts_data();
    void statusTexts();
    void toolTipHasCountsOnly();
    void menuWithoutPending();
    void menuListsEachPendingRequest();
    void menuEntriesOpenTheirRequest();
    void menuIsBoundedWithMoreEntry();
    void remoteTextIsEscaped();
    void menuActionsEmitIntents();
    void iconFollowsTheState();
    void clickingTheIconOpensTheOldestRequest();
    void noTrayMeansFallbackWindow();
    void fallbackWindowExplainsOnce();
    void fallbackWindowHasTheSameStateAndActions();
    void fallbackWindowCloseDoesNotQuit();
    void notifierNeedsAVisibleTray();
    void statusNamesTheGateways();
    void reconnectNowWhileAGatewayIsOffline();
    void iconCountsTheWaitingRequests();
    void quitAsksWhileRequestsWait();
    void screenshots();

private:
    void saveScreenshot(QWidget &widget, const QString &fileName);

    QTemporaryDir m_settingsDir;
};

void TestUiTrayIcon::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QVERIFY2(!QSystemTrayIcon::isSystemTrayAvailable(), "offscreen has no tray");
}

void TestUiTrayIcon::init()
{
    QSettings(AppId::organizationName(), AppId::applicationName()).clear();
}

void TestUiTrayIcon::everyIconRendersFromSvg()
{
    const QList<StatusIconKind> kinds{StatusIconKind::Offline, StatusIconKind::Connected,
                                      StatusIconKind::Pending};
    const QList<StatusIconStyle> styles{StatusIconStyle::Colour, StatusIconStyle::OnDarkPanel,
                                        StatusIconStyle::OnLightPanel};
    QSet<QByteArray> distinct;
    for (StatusIconKind kind : kinds) {
        for (StatusIconStyle style : styles) {
            const QString path = StatusIcons::iconPath(kind, style);
            QVERIFY2(QFile::exists(path), qPrintable(path));
            const QIcon icon = StatusIcons::icon(kind, style);
            QVERIFY2(!icon.isNull(), qPrintable(path));
            QCOMPARE(icon.isMask(), style != StatusIconStyle::Colour);
            // Drawn by the SVG engine at any size: something visible at a
            // small panel size and at a HiDPI one.
            for (int size : {16, 22, 64}) {
                const QImage image = rendered(icon, size);
                QCOMPARE(image.size(), QSize(size, size));
                QVERIFY2(opaquePixels(image) > size * size / 8, qPrintable(path));
            }
            const QImage image = rendered(icon, 32);
            distinct.insert(
                QByteArray(reinterpret_cast<const char *>(image.constBits()), image.sizeInBytes()));
        }
    }
    QCOMPARE(distinct.size(), 9); // every state and style looks different
    QVERIFY(QFile::exists(StatusIcons::appIconPath()));
    QVERIFY(opaquePixels(rendered(QIcon(StatusIcons::appIconPath()), 128)) > 128 * 128 / 3);
    QVERIFY(!StatusIcons::appIcon().isNull());
}

void TestUiTrayIcon::statusTexts_data()
{
    QTest::addColumn<int>("paired");
    QTest::addColumn<int>("connected");
    QTest::addColumn<int>("pending");
    QTest::addColumn<QString>("status");
    QTest::addColumn<StatusIconKind>("kind");
    QTest::newRow("not paired") << 0 << 0 << 0 << QStringLiteral("No gateway paired yet")
                                << StatusIconKind::Offline;
    QTest::newRow("offline") << 1 << 0 << 0
                             << QStringLiteral("Offline: the gateway is not reachable")
                             << StatusIconKind::Offline;
    QTest::newRow("all offline") << 2 << 0 << 0
                                 << QStringLiteral("Offline: no gateway is reachable")
                                 << StatusIconKind::Offline;
    QTest::newRow("connected") << 1 << 1 << 0 << QStringLiteral("Connected")
                               << StatusIconKind::Connected;
    QTest::newRow("all connected")
        << 3 << 3 << 0 << QStringLiteral("Connected to 3 gateways") << StatusIconKind::Connected;
    QTest::newRow("some connected")
        << 3 << 2 << 0 << QStringLiteral("2 of 3 gateways connected") << StatusIconKind::Connected;
    QTest::newRow("pending") << 1 << 1 << 2 << QStringLiteral("Connected")
                             << StatusIconKind::Pending;
    // Requests stay readable while offline; the badge still says so.
    QTest::newRow("pending offline")
        << 1 << 0 << 1 << QStringLiteral("Offline: the gateway is not reachable")
        << StatusIconKind::Pending;
}

void TestUiTrayIcon::statusTexts()
{
    QFETCH(int, paired);
    QFETCH(int, connected);
    QFETCH(int, pending);
    QFETCH(QString, status);
    QFETCH(StatusIconKind, kind);
    TrayIconState state;
    state.pairedGateways = paired;
    state.connectedGateways = connected;
    for (int i = 0; i < pending; ++i)
        state.pending.append(item(i));
    QCOMPARE(state.statusText(), status);
    QCOMPARE(state.iconKind(), kind);
}

void TestUiTrayIcon::toolTipHasCountsOnly()
{
    TrayIconState state = connectedWith(0);
    QCOMPARE(state.toolTip(), QStringLiteral("Countersign\nConnected"));
    state.pending.append(item(1, QStringLiteral("<b>evil</b>")));
    QCOMPARE(state.toolTip(), QStringLiteral("Countersign\n1 approval waiting\nConnected"));
    state.pending.append(item(2));
    QCOMPARE(state.toolTip(), QStringLiteral("Countersign\n2 approvals waiting\nConnected"));

    TrayIcon tray;
    tray.setState(state);
    QCOMPARE(tray.systemTrayIcon()->toolTip(), state.toolTip());
}

void TestUiTrayIcon::menuWithoutPending()
{
    TrayIcon tray;
    QCOMPARE(menuLines(*tray.menu()),
             (QStringList{QStringLiteral("[No gateway paired yet]"), QStringLiteral("-"),
                          QStringLiteral("&History"), QStringLiteral("&Pair a gateway…"),
                          QStringLiteral("&Settings…"), QStringLiteral("-"),
                          QStringLiteral("&Quit Countersign")}));
    tray.setState(connectedWith(0));
    QCOMPARE(menuLines(*tray.menu()).first(), QStringLiteral("[Connected]"));
    QCOMPARE(menuLines(*tray.menu()).size(), 7);
}

void TestUiTrayIcon::menuListsEachPendingRequest()
{
    TrayIcon tray;
    tray.setState(connectedWith(2));
    const QString entry = QStringLiteral("claude-code wants to run disable_user (Example Gateway)");
    QCOMPARE(
        menuLines(*tray.menu()),
        (QStringList{QStringLiteral("[2 approvals waiting]"), entry, entry,
                     QStringLiteral("[Connected]"), QStringLiteral("-"), QStringLiteral("&History"),
                     QStringLiteral("&Pair a gateway…"), QStringLiteral("&Settings…"),
                     QStringLiteral("-"), QStringLiteral("&Quit Countersign")}));
    // A new state replaces the entries rather than adding to them.
    tray.setState(connectedWith(1));
    QCOMPARE(menuLines(*tray.menu()).first(), QStringLiteral("[1 approval waiting]"));
    QCOMPARE(menuLines(*tray.menu()).count(entry), 1);
    tray.setState(connectedWith(0));
    QCOMPARE(menuLines(*tray.menu()).count(entry), 0);
    QCOMPARE(menuLines(*tray.menu()).size(), 7);
}

void TestUiTrayIcon::menuEntriesOpenTheirRequest()
{
    TrayIcon tray;
    tray.setState(connectedWith(3));
    QSignalSpy opened(&tray, &TrayIcon::openApproval);
    QAction *second = actionNamed(*tray.menu(), QStringLiteral("pendingAction"), 1);
    QVERIFY(second);
    second->trigger();
    QCOMPARE(opened.count(), 1);
    QCOMPARE(opened.first().at(0).toString(), QStringLiteral("https://gw.example.com"));
    QCOMPARE(opened.first().at(1).toString(), QStringLiteral("req-2"));

    // Through the keyboard, as a person in the open menu.
    tray.menu()->popup(QPoint(40, 40));
    QVERIFY(QTest::qWaitForWindowExposed(tray.menu()));
    tray.menu()->setActiveAction(actionNamed(*tray.menu(), QStringLiteral("pendingAction"), 2));
    QTest::keyClick(tray.menu(), Qt::Key_Return);
    QTRY_COMPARE(opened.count(), 2);
    QCOMPARE(opened.last().at(1).toString(), QStringLiteral("req-3"));
    QTRY_VERIFY(!tray.menu()->isVisible());
}

void TestUiTrayIcon::menuIsBoundedWithMoreEntry()
{
    TrayIcon tray;
    tray.setState(connectedWith(TrayIcon::maxMenuItems + 3));
    int listed = 0;
    for (const QAction *action : tray.menu()->actions())
        listed += action->objectName() == QStringLiteral("pendingAction");
    QCOMPARE(listed, TrayIcon::maxMenuItems);
    QAction *more = actionNamed(*tray.menu(), QStringLiteral("morePendingAction"));
    QVERIFY(more);
    QCOMPARE(more->text(), QStringLiteral("3 more waiting…"));
    QSignalSpy opened(&tray, &TrayIcon::openApproval);
    more->trigger();
    QCOMPARE(opened.first().at(1).toString(),
             QStringLiteral("req-%1").arg(TrayIcon::maxMenuItems + 1));
    QCOMPARE(menuLines(*tray.menu()).first(),
             QStringLiteral("[%1 approvals waiting]").arg(TrayIcon::maxMenuItems + 3));
}

void TestUiTrayIcon::remoteTextIsEscaped()
{
    TrayIcon tray;
    TrayIconState state = connectedWith(0);
    state.pending.append(item(1, QStringLiteral("R&D bot \u202Eexe.txt")));
    state.pending.append(item(2, QString(300, QLatin1Char('a'))));
    tray.setState(state);
    QAction *first = actionNamed(*tray.menu(), QStringLiteral("pendingAction"), 0);
    // '&' is not a mnemonic, the override is a visible escape.
    QCOMPARE(first->text(),
             QStringLiteral("R&&D bot \\u{202E}exe.txt wants to run disable_user "
                            "(Example Gateway)"));
    QAction *second = actionNamed(*tray.menu(), QStringLiteral("pendingAction"), 1);
    QVERIFY(second->text().size() <= 80);
    QVERIFY(second->text().endsWith(u'…'));
}

void TestUiTrayIcon::menuActionsEmitIntents()
{
    TrayIcon tray;
    QSignalSpy history(&tray, &TrayIcon::openHistory);
    QSignalSpy pairing(&tray, &TrayIcon::openPairing);
    QSignalSpy settings(&tray, &TrayIcon::openSettings);
    QSignalSpy quit(&tray, &TrayIcon::quit);
    actionNamed(*tray.menu(), QStringLiteral("historyAction"))->trigger();
    actionNamed(*tray.menu(), QStringLiteral("pairAction"))->trigger();
    actionNamed(*tray.menu(), QStringLiteral("settingsAction"))->trigger();
    QCOMPARE(quit.count(), 0);
    actionNamed(*tray.menu(), QStringLiteral("quitAction"))->trigger();
    QCOMPARE(history.count(), 1);
    QCOMPARE(pairing.count(), 1);
    QCOMPARE(settings.count(), 1);
    QCOMPARE(quit.count(), 1);
}

void TestUiTrayIcon::iconFollowsTheState()
{
    TrayIcon tray;
    const auto shows = [&tray](StatusIconKind kind, StatusIconStyle style) {
        return rendered(tray.systemTrayIcon()->icon()) == rendered(StatusIcons::icon(kind, style));
    };
    QVERIFY(shows(StatusIconKind::Offline, StatusIconStyle::Colour));
    tray.setState(connectedWith(0));
    QVERIFY(shows(StatusIconKind::Connected, StatusIconStyle::Colour));
    tray.setState(connectedWith(1));
    const auto showsPending = [&tray](int waiting, StatusIconStyle style) {
        return rendered(tray.systemTrayIcon()->icon())
            == rendered(StatusIcons::pendingIcon(waiting, style));
    };
    QVERIFY(showsPending(1, StatusIconStyle::Colour));
    tray.setIconStyle(StatusIconStyle::OnDarkPanel);
    QVERIFY(showsPending(1, StatusIconStyle::OnDarkPanel));
    QVERIFY(!showsPending(1, StatusIconStyle::Colour));
    tray.setState(TrayIconState{});
    QVERIFY(shows(StatusIconKind::Offline, StatusIconStyle::OnDarkPanel));
}

void TestUiTrayIcon::clickingTheIconOpensTheOldestRequest()
{
    TrayIcon tray;
    tray.setState(connectedWith(2));
    QSignalSpy opened(&tray, &TrayIcon::openApproval);
    Q_EMIT tray.systemTrayIcon()->activated(QSystemTrayIcon::Trigger);
    QCOMPARE(opened.count(), 1);
    QCOMPARE(opened.first().at(1).toString(), QStringLiteral("req-1"));
    // The context click is the desktop's business (it shows the menu).
    Q_EMIT tray.systemTrayIcon()->activated(QSystemTrayIcon::Context);
    QCOMPARE(opened.count(), 1);

    // Nothing waiting: the click shows the menu.
    tray.setState(connectedWith(0));
    Q_EMIT tray.systemTrayIcon()->activated(QSystemTrayIcon::Trigger);
    QVERIFY(QTest::qWaitForWindowExposed(tray.menu()));
    QCOMPARE(opened.count(), 1);
    tray.menu()->close();
}

void TestUiTrayIcon::noTrayMeansFallbackWindow()
{
    TrayIcon tray;
    tray.setState(connectedWith(1));
    QVERIFY(!tray.fallbackWindow());
    tray.show();
    QVERIFY(tray.fallbackWindow());
    QVERIFY(QTest::qWaitForWindowExposed(tray.fallbackWindow()));
    QVERIFY(tray.isShowingFallbackWindow());
    QVERIFY(!tray.systemTrayIcon()->isVisible());
    // State set later reaches the window too.
    tray.setState(connectedWith(3));
    auto *list = tray.fallbackWindow()->findChild<QListWidget *>(QStringLiteral("pendingList"));
    QCOMPARE(list->count(), 3);
}

void TestUiTrayIcon::fallbackWindowExplainsOnce()
{
    QVERIFY(!FallbackWindow::hasExplained());
    {
        TrayIcon tray;
        tray.show(TrayIcon::Presence::Window);
        FallbackWindow *window = tray.fallbackWindow();
        QVERIFY(QTest::qWaitForWindowExposed(window));
        auto *explanation = window->findChild<QWidget *>(QStringLiteral("explanation"));
        QVERIFY(explanation->isVisible());
        const auto *text = window->findChild<QLabel *>(QStringLiteral("explanationText"));
        QVERIFY(text->text().contains(QStringLiteral("no tray icons")));
        QVERIFY(text->text().contains(QStringLiteral("AppIndicator")));
        QVERIFY(FallbackWindow::hasExplained());
        QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("gotItButton")),
                          Qt::LeftButton);
        QVERIFY(!explanation->isVisible());
    }
    // Remembered under the app id.
    QVERIFY(QSettings(AppId::organizationName(), AppId::applicationName())
                .value(QStringLiteral("fallbackWindow/explained"))
                .toBool());
    TrayIcon again;
    again.show(TrayIcon::Presence::Window);
    QVERIFY(QTest::qWaitForWindowExposed(again.fallbackWindow()));
    QVERIFY(
        !again.fallbackWindow()->findChild<QWidget *>(QStringLiteral("explanation"))->isVisible());
}

void TestUiTrayIcon::fallbackWindowHasTheSameStateAndActions()
{
    TrayIcon tray;
    tray.show(TrayIcon::Presence::Window);
    FallbackWindow *window = tray.fallbackWindow();
    QVERIFY(QTest::qWaitForWindowExposed(window));
    const auto *status = window->findChild<QLabel *>(QStringLiteral("statusLabel"));
    auto *list = window->findChild<QListWidget *>(QStringLiteral("pendingList"));
    auto *empty = window->findChild<QLabel *>(QStringLiteral("emptyLabel"));
    auto *open = window->findChild<QPushButton *>(QStringLiteral("openButton"));
    QCOMPARE(status->text(), QStringLiteral("No gateway paired yet"));
    QVERIFY(empty->isVisible());
    QVERIFY(!list->isVisible());
    QVERIFY(!open->isEnabled());
    // Reconnect now, as in the menu, while a paired gateway is offline.
    auto *reconnect = window->findChild<QPushButton *>(QStringLiteral("reconnectButton"));
    QVERIFY(reconnect && !reconnect->isVisible());
    TrayIconState offline;
    offline.pairedGateways = 1;
    offline.gateways = {TrayGatewayItem{QStringLiteral("Example Gateway"), false}};
    tray.setState(offline);
    QCOMPARE(status->text(), QStringLiteral("Offline: Example Gateway is not reachable"));
    QVERIFY(reconnect->isVisible());
    QSignalSpy reconnects(&tray, &TrayIcon::reconnectNow);
    QTest::mouseClick(reconnect, Qt::LeftButton);
    QCOMPARE(reconnects.count(), 1);

    tray.setState(connectedWith(2));
    QCOMPARE(status->text(), QStringLiteral("Connected"));
    QVERIFY(!empty->isVisible());
    QVERIFY(list->isVisible());
    QCOMPARE(list->count(), 2);
    QCOMPARE(list->item(0)->text(),
             QStringLiteral("claude-code wants to run disable_user (Example Gateway)"));
    QCOMPARE(window->windowTitle(), QStringLiteral("(2) Countersign"));

    QSignalSpy opened(&tray, &TrayIcon::openApproval);
    // The first is selected: Open opens it.
    QVERIFY(open->isEnabled());
    QTest::mouseClick(open, Qt::LeftButton);
    QCOMPARE(opened.count(), 1);
    QCOMPARE(opened.last().at(1).toString(), QStringLiteral("req-1"));
    // Keyboard: down to the second, Enter.
    list->setFocus();
    QTest::keyClick(list, Qt::Key_Down);
    QTest::keyClick(list, Qt::Key_Return);
    QCOMPARE(opened.count(), 2);
    QCOMPARE(opened.last().at(1).toString(), QStringLiteral("req-2"));
    // The selection survives a refresh of the same requests.
    tray.setState(connectedWith(3));
    QCOMPARE(list->currentRow(), 1);

    QSignalSpy history(&tray, &TrayIcon::openHistory);
    QSignalSpy pairing(&tray, &TrayIcon::openPairing);
    QSignalSpy settings(&tray, &TrayIcon::openSettings);
    QSignalSpy quit(&tray, &TrayIcon::quit);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("historyButton")),
                      Qt::LeftButton);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("pairButton")),
                      Qt::LeftButton);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("settingsButton")),
                      Qt::LeftButton);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("quitButton")),
                      Qt::LeftButton);
    // Requests wait: Quit asks first, as from the menu.
    auto *confirmation = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
    QVERIFY(confirmation);
    QCOMPARE(quit.count(), 0);
    QTest::mouseClick(confirmation->findChild<QPushButton *>(QStringLiteral("quitAnywayButton")),
                      Qt::LeftButton);
    QCOMPARE(history.count(), 1);
    QCOMPARE(pairing.count(), 1);
    QCOMPARE(settings.count(), 1);
    QCOMPARE(quit.count(), 1);
    // No button is default: Enter in the window never acts by itself.
    for (const QPushButton *button : window->findChildren<QPushButton *>()) {
        QVERIFY(!button->isDefault());
        QVERIFY(!button->autoDefault());
    }
}

void TestUiTrayIcon::fallbackWindowCloseDoesNotQuit()
{
    TrayIcon tray;
    tray.show(TrayIcon::Presence::Window);
    FallbackWindow *window = tray.fallbackWindow();
    QVERIFY(QTest::qWaitForWindowExposed(window));
    QSignalSpy quit(&tray, &TrayIcon::quit);
    QVERIFY(!window->close()); // refused: minimized instead
    QTRY_VERIFY(window->isMinimized());
    QCOMPARE(quit.count(), 0);
    window->present();
    QTRY_VERIFY(!window->isMinimized());
}

void TestUiTrayIcon::notifierNeedsAVisibleTray()
{
    TrayIcon tray;
    TrayIconNotifier notifier(tray);
    QSignalSpy activated(&notifier, &Notifier::activated);
    notifier.notify(QStringLiteral("Approval needed"), QStringLiteral("body"),
                    QStringLiteral("gw/req-1"));
    QVERIFY(!tray.showMessage(QStringLiteral("t"), QStringLiteral("b")));
    // Nothing was shown, so a click (if any) names nothing.
    Q_EMIT tray.systemTrayIcon()->messageClicked();
    QCOMPARE(activated.count(), 0);
}

void TestUiTrayIcon::saveScreenshot(QWidget &widget, const QString &fileName)
{
    const QString dir = qEnvironmentVariable("COUNTERSIGN_SCREENSHOT_DIR", QDir::currentPath());
    QVERIFY(QDir().mkpath(dir));
    const QString path = QDir(dir).filePath(fileName);
    QVERIFY2(widget.grab().save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
}

void TestUiTrayIcon::statusNamesTheGateways()
{
    TrayIconState state;
    state.pairedGateways = 1;
    state.connectedGateways = 1;
    state.gateways = {TrayGatewayItem{QStringLiteral("Example Gateway"), true}};
    QCOMPARE(state.statusText(), QStringLiteral("Connected to Example Gateway"));
    state.connectedGateways = 0;
    state.gateways.first().online = false;
    QCOMPARE(state.statusText(), QStringLiteral("Offline: Example Gateway is not reachable"));

    state.pairedGateways = 3;
    state.connectedGateways = 1;
    state.gateways = {TrayGatewayItem{QStringLiteral("Lab"), false},
                      TrayGatewayItem{QStringLiteral("Prod"), true},
                      TrayGatewayItem{QStringLiteral("Evil\u202Eman"), false}};
    QCOMPARE(state.statusText(),
             QStringLiteral("Offline: Lab, Evil\\u{202E}man (1 of 3 connected)"));
    // The tooltip stays with counts (some trays read it as markup).
    QVERIFY(!state.toolTip().contains(QStringLiteral("Lab")));
    QVERIFY(state.toolTip().contains(QStringLiteral("1 of 3 gateways connected")));

    TrayIcon tray;
    state.pairedGateways = 1;
    state.connectedGateways = 1;
    state.gateways = {TrayGatewayItem{QStringLiteral("R&D"), true}};
    tray.setState(state);
    // '&' stays a character, not a mnemonic.
    QCOMPARE(menuLines(*tray.menu()).first(), QStringLiteral("[Connected to R&&D]"));
}

void TestUiTrayIcon::reconnectNowWhileAGatewayIsOffline()
{
    TrayIcon tray;
    QSignalSpy reconnect(&tray, &TrayIcon::reconnectNow);
    QAction *action = actionNamed(*tray.menu(), QStringLiteral("reconnectAction"));
    QVERIFY(action);
    QVERIFY(!action->isVisible()); // nothing paired: nothing to reconnect

    TrayIconState offline;
    offline.pairedGateways = 1;
    offline.gateways = {TrayGatewayItem{QStringLiteral("Example Gateway"), false}};
    tray.setState(offline);
    QVERIFY(action->isVisible());
    QCOMPARE(menuLines(*tray.menu()).mid(0, 2),
             (QStringList{QStringLiteral("[Offline: Example Gateway is not reachable]"),
                          QStringLiteral("&Reconnect now")}));
    action->trigger();
    QCOMPARE(reconnect.count(), 1);

    // With requests waiting it sits under the connection line.
    offline.pending = {item(1)};
    tray.setState(offline);
    const QStringList lines = menuLines(*tray.menu());
    QCOMPARE(lines.indexOf(QStringLiteral("&Reconnect now")),
             lines.indexOf(QStringLiteral("[Offline: Example Gateway is not reachable]")) + 1);

    tray.setState(connectedWith(0));
    QVERIFY(!action->isVisible());
}

void TestUiTrayIcon::iconCountsTheWaitingRequests()
{
    QCOMPARE(StatusIcons::badgeText(1), QStringLiteral("1"));
    QCOMPARE(StatusIcons::badgeText(9), QStringLiteral("9"));
    QCOMPARE(StatusIcons::badgeText(10), QStringLiteral("9+"));
    QCOMPARE(StatusIcons::badgeText(250), QStringLiteral("9+"));
    for (const int size : {16, 22, 32, 48}) {
        const QImage one = rendered(StatusIcons::pendingIcon(1), size);
        const QImage three = rendered(StatusIcons::pendingIcon(3), size);
        const QImage plain = rendered(StatusIcons::icon(StatusIconKind::Pending), size);
        QCOMPARE(one.size(), QSize(size, size));
        // The number is drawn: each count looks different, and unlike the
        // plain icon.
        QVERIFY(one != three);
        QVERIFY(one != plain);
        // The badge is the red disc at the lower right.
        const QColor badge = one.pixelColor(size - size / 8 - 1, size - size / 4);
        QVERIFY2(badge.red() > 150 && badge.green() < 90,
                 qPrintable(QStringLiteral("%1 at %2 px").arg(badge.name()).arg(size)));
    }
    TrayIcon tray;
    tray.setState(connectedWith(3));
    QCOMPARE(rendered(tray.systemTrayIcon()->icon()), rendered(StatusIcons::pendingIcon(3)));
}

void TestUiTrayIcon::quitAsksWhileRequestsWait()
{
    TrayIcon tray;
    QSignalSpy quit(&tray, &TrayIcon::quit);
    // Nothing waits: Quit quits.
    tray.setState(connectedWith(0));
    actionNamed(*tray.menu(), QStringLiteral("quitAction"))->trigger();
    QCOMPARE(quit.count(), 1);

    tray.setState(connectedWith(2));
    actionNamed(*tray.menu(), QStringLiteral("quitAction"))->trigger();
    QCOMPARE(quit.count(), 1);
    auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
    QVERIFY(box);
    QCOMPARE(box->objectName(), QStringLiteral("quitConfirmation"));
    QVERIFY(box->text().contains(QStringLiteral("2 approval requests")));
    QVERIFY(box->informativeText().contains(QStringLiteral("pending")));
    // Enter and Escape keep it running.
    QCOMPARE(box->defaultButton(), box->button(QMessageBox::Cancel));
    QTest::keyClick(box, Qt::Key_Return);
    QTRY_VERIFY(!QApplication::activeModalWidget());
    QCOMPARE(quit.count(), 1);
    actionNamed(*tray.menu(), QStringLiteral("quitAction"))->trigger();
    box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
    QVERIFY(box);
    QTest::keyClick(box, Qt::Key_Escape);
    QTRY_VERIFY(!QApplication::activeModalWidget());
    QCOMPARE(quit.count(), 1);
    // Quit Anyway quits.
    actionNamed(*tray.menu(), QStringLiteral("quitAction"))->trigger();
    box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
    QVERIFY(box);
    QTest::mouseClick(box->findChild<QPushButton *>(QStringLiteral("quitAnywayButton")),
                      Qt::LeftButton);
    QCOMPARE(quit.count(), 2);
}

void TestUiTrayIcon::screenshots()
{
    TrayIconState state;
    state.pairedGateways = 2;
    state.connectedGateways = 1;
    state.pending = {TrayPendingItem{QStringLiteral("gw1"), QStringLiteral("r1"),
                                     QStringLiteral("Example Gateway"),
                                     QStringLiteral("claude-code"), QStringLiteral("disable_user")},
                     TrayPendingItem{QStringLiteral("gw2"), QStringLiteral("r2"),
                                     QStringLiteral("Staging"), QStringLiteral("copilot"),
                                     QStringLiteral("delete_branch")}};
    {
        TrayIcon tray;
        tray.setState(state);
        tray.show(TrayIcon::Presence::Window);
        QVERIFY(QTest::qWaitForWindowExposed(tray.fallbackWindow()));
        saveScreenshot(*tray.fallbackWindow(), QStringLiteral("fallbackwindow-first-run.png"));
        tray.menu()->popup(QPoint(20, 20));
        QVERIFY(QTest::qWaitForWindowExposed(tray.menu()));
        saveScreenshot(*tray.menu(), QStringLiteral("traymenu.png"));
        tray.menu()->close();
    }
    {
        TrayIcon tray;
        TrayIconState idle;
        idle.pairedGateways = 1;
        idle.connectedGateways = 1;
        tray.setState(idle);
        tray.show(TrayIcon::Presence::Window);
        QVERIFY(QTest::qWaitForWindowExposed(tray.fallbackWindow()));
        saveScreenshot(*tray.fallbackWindow(), QStringLiteral("fallbackwindow-idle.png"));
    }
}

QTEST_MAIN(TestUiTrayIcon)
#include "test_ui_trayicon.moc"
