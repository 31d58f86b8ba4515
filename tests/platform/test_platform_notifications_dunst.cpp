#include "platform/desktopnotifier.h"
#include "privatesessionbus.h"

#include <optional>

#include <QDBusConnectionInterface>
#include <QDBusInterface>
#include <QDBusReply>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace countersign;

namespace {

constexpr int timeoutMs = 15'000;
const QString serviceName = QStringLiteral("org.freedesktop.Notifications");
const QString objectPath = QStringLiteral("/org/freedesktop/Notifications");
// dunst's own control interface (what dunstctl calls).
const QString dunstInterface = QStringLiteral("org.dunstproject.cmd0");

} // namespace

// DesktopNotifier against a real notification daemon: dunst (Debian package
// dunst), on an X server (the test runs under xvfb-run) and a private
// session bus. It checks what the fake service of
// test_platform_desktopnotifier cannot: that a real daemon shows our
// notification, hands a click on it back as "open this request", and takes
// it down when the request no longer needs the person.
class TestPlatformNotificationsDunst : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void aRealDaemonShowsItAndTakesItDown();
    void clickingItOpensTheRequest();

private:
    int displayed();

    test::PrivateSessionBus m_bus;
    QProcess m_dunst;
    std::optional<QDBusConnection> m_connection;
};

void TestPlatformNotificationsDunst::initTestCase()
{
    const QString dunst = QStandardPaths::findExecutable(QStringLiteral("dunst"));
    QVERIFY2(!dunst.isEmpty(), "dunst is not installed: apt-get install dunst");
    QVERIFY2(!qEnvironmentVariableIsEmpty("DISPLAY"),
             "dunst needs an X server: run this test under xvfb-run");
    QVERIFY2(m_bus.start(), "could not start a private dbus-daemon (apt-get install dbus)");
    m_connection = m_bus.connect(QStringLiteral("notifications-dunst"));
    QVERIFY(m_connection->isConnected());

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_bus.address());
    // No user configuration: dunst's built-in defaults.
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), QStringLiteral("/nonexistent"));
    m_dunst.setProcessEnvironment(environment);
    m_dunst.setProcessChannelMode(QProcess::ForwardedChannels);
    m_dunst.start(dunst, {});
    QVERIFY2(m_dunst.waitForStarted(timeoutMs), qPrintable(m_dunst.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(m_connection->interface()->isServiceRegistered(serviceName),
                             timeoutMs);
}

void TestPlatformNotificationsDunst::cleanupTestCase()
{
    if (m_dunst.state() != QProcess::NotRunning) {
        m_dunst.terminate();
        if (!m_dunst.waitForFinished(5'000))
            m_dunst.kill();
        m_dunst.waitForFinished(5'000);
    }
}

int TestPlatformNotificationsDunst::displayed()
{
    QDBusInterface properties(serviceName, objectPath,
                              QStringLiteral("org.freedesktop.DBus.Properties"), *m_connection);
    const QDBusReply<QDBusVariant> reply =
        properties.call(QStringLiteral("Get"), dunstInterface, QStringLiteral("displayedLength"));
    if (!reply.isValid())
        return -1;
    return reply.value().variant().toInt();
}

void TestPlatformNotificationsDunst::aRealDaemonShowsItAndTakesItDown()
{
    DesktopNotifier notifier(*m_connection, nullptr);
    QCOMPARE(displayed(), 0);
    notifier.notify(QStringLiteral("claude-code wants to run disable_user"),
                    QStringLiteral("directory/disable_user for alice@example.com"),
                    QStringLiteral("https://gw.example.com\nreq-1"));
    QTRY_COMPARE_WITH_TIMEOUT(displayed(), 1, timeoutMs);
    // The same request again replaces it rather than stacking a second.
    notifier.notify(QStringLiteral("claude-code wants to run disable_user"),
                    QStringLiteral("directory/disable_user for alice@example.com"),
                    QStringLiteral("https://gw.example.com\nreq-1"));
    QVERIFY(QTest::qWaitFor([&] { return displayed() == 1; }, 1'000));
    QCOMPARE(displayed(), 1);
    // The person switched to the dialog (or it was answered): it goes.
    notifier.close(QStringLiteral("https://gw.example.com\nreq-1"));
    QTRY_COMPARE_WITH_TIMEOUT(displayed(), 0, timeoutMs);
}

void TestPlatformNotificationsDunst::clickingItOpensTheRequest()
{
    DesktopNotifier notifier(*m_connection, nullptr);
    QSignalSpy activated(&notifier, &Notifier::activated);
    const QString id = QStringLiteral("https://gw.example.com\nreq-2");
    notifier.notify(QStringLiteral("claude-code wants to run delete_repo"),
                    QStringLiteral("acme/app for bob@example.com"), id);
    QTRY_COMPARE_WITH_TIMEOUT(displayed(), 1, timeoutMs);
    // What a click does in dunst (dunstctl action 0): the default action.
    QDBusInterface control(serviceName, objectPath, dunstInterface, *m_connection);
    const QDBusMessage clicked =
        control.call(QStringLiteral("NotificationAction"), QVariant::fromValue(0U));
    QVERIFY2(clicked.type() == QDBusMessage::ReplyMessage, qPrintable(clicked.errorMessage()));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs);
    QCOMPARE(activated.first().first().toString(), id);
}

QTEST_GUILESS_MAIN(TestPlatformNotificationsDunst)
#include "test_platform_notifications_dunst.moc"
