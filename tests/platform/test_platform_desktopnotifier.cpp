#include "app/appid.h"
#include "platform/desktopnotifier.h"
#include "privatesessionbus.h"

#include <memory>

#include <QDBusContext>
#include <QDBusMessage>
#include <QSignalSpy>
#include <QTest>

using namespace countersign;

namespace {

constexpr int timeoutMs = 10'000;

const QString serviceName = QStringLiteral("org.freedesktop.Notifications");
const QString objectPath = QStringLiteral("/org/freedesktop/Notifications");

// A notification service as the freedesktop specification describes it
// (Notify, CloseNotification, GetCapabilities; ActionInvoked and
// NotificationClosed), recording every call.
class FakeNotifications : public QObject, protected QDBusContext {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")

public:
    struct Call {
        QString appName;
        uint replacesId = 0;
        QString appIcon;
        QString summary;
        QString body;
        QStringList actions;
        QVariantMap hints;
        int expireTimeout = 0;
        uint returnedId = 0;
    };

    QList<Call> calls;
    QList<uint> closed;
    QStringList capabilities{QStringLiteral("actions"), QStringLiteral("body")};
    bool failNotify = false;

public Q_SLOTS:
    QStringList GetCapabilities() { return capabilities; }

    uint Notify(const QString &appName, uint replacesId, const QString &appIcon,
                const QString &summary, const QString &body, const QStringList &actions,
                const QVariantMap &hints, int expireTimeout)
    {
        if (failNotify) {
            sendErrorReply(QDBusError::Failed, QStringLiteral("the fake refuses"));
            return 0;
        }
        const uint id = replacesId != 0 ? replacesId : m_nextId++;
        calls.append(
            {appName, replacesId, appIcon, summary, body, actions, hints, expireTimeout, id});
        return id;
    }

    void CloseNotification(uint id)
    {
        closed.append(id);
        Q_EMIT NotificationClosed(id, 3);
    }

Q_SIGNALS:
    void ActionInvoked(uint id, const QString &actionKey);
    void NotificationClosed(uint id, uint reason);

private:
    uint m_nextId = 41;
};

// What ui/ would plug in: the tray's balloon messages.
class FakeFallback : public Notifier {
    Q_OBJECT

public:
    using Notifier::Notifier;

    void notify(const QString &title, const QString &body, const QString &id) override
    {
        shown.append({title, body, id});
    }
    void close(const QString &id) override { closedIds.append(id); }

    QList<QStringList> shown;
    QStringList closedIds;
};

} // namespace

// DesktopNotifier against a fake org.freedesktop.Notifications on a private
// bus (dbus-daemon started by the test, no service activation): what Notify
// receives, what a click does, escaping, replacing, closing, and the
// fallback when no service answers.
class TestPlatformDesktopNotifier : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void notifiesWithOnlyTheDefaultAction();
    void clickOpensAndNothingElse();
    void ignoresClicksReportedByOthers();
    void escapesTheBodyWhereTheServiceReadsMarkup();
    void sendsThePlainBodyWhereItDoesNot();
    void replacesTheNotificationOfTheSameId();
    void closesWhenTheRequestResolves();
    void closesOneStillOnItsWay();
    void forgetsNotificationsTheServiceClosed();
    void withdrawsItsNotificationsWhenDestroyed();
    void fallsBackWhenNoServiceRuns();
    void fallsBackWhenTheServiceFails();
    void fallsBackWithoutABus();
    void dropsWithoutServiceOrFallback();

private:
    void registerFake();
    // Notifies and waits until the service has shown it; its id there.
    uint notifyAndWait(DesktopNotifier &notifier, const QString &id);

    test::PrivateSessionBus m_bus;
    int m_round = 0;
    std::optional<QDBusConnection> m_client;
    std::optional<QDBusConnection> m_serviceConnection;
    std::unique_ptr<FakeNotifications> m_fake;
    std::unique_ptr<FakeFallback> m_fallback;
};

void TestPlatformDesktopNotifier::initTestCase()
{
    QVERIFY2(m_bus.start(), "could not start a private dbus-daemon (apt-get install dbus)");
}

void TestPlatformDesktopNotifier::init()
{
    ++m_round;
    m_client = m_bus.connect(QStringLiteral("client-%1").arg(m_round));
    QVERIFY(m_client->isConnected());
    m_fake = std::make_unique<FakeNotifications>();
    m_fallback = std::make_unique<FakeFallback>();
}

void TestPlatformDesktopNotifier::cleanup()
{
    if (m_serviceConnection) {
        m_serviceConnection->unregisterService(serviceName);
        m_serviceConnection->unregisterObject(objectPath);
        m_serviceConnection.reset();
    }
    m_fake.reset();
    m_fallback.reset();
    m_client.reset();
}

void TestPlatformDesktopNotifier::registerFake()
{
    m_serviceConnection = m_bus.connect(QStringLiteral("service-%1").arg(m_round));
    QVERIFY(m_serviceConnection->isConnected());
    QVERIFY(m_serviceConnection->registerObject(objectPath, m_fake.get(),
                                                QDBusConnection::ExportAllSlots
                                                    | QDBusConnection::ExportAllSignals));
    QVERIFY(m_serviceConnection->registerService(serviceName));
}

uint TestPlatformDesktopNotifier::notifyAndWait(DesktopNotifier &notifier, const QString &id)
{
    const qsizetype before = m_fake->calls.size();
    notifier.notify(QStringLiteral("Approve a request"), QStringLiteral("body of ") + id, id);
    if (!QTest::qWaitFor([&] { return m_fake->calls.size() > before; }, timeoutMs))
        return 0;
    return m_fake->calls.constLast().returnedId;
}

void TestPlatformDesktopNotifier::notifiesWithOnlyTheDefaultAction()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    notifier.notify(QStringLiteral("alice wants to disable a user"),
                    QStringLiteral("directory: disable_user bob"), QStringLiteral("gw1/42"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->calls.size(), 1, timeoutMs);
    const FakeNotifications::Call call = m_fake->calls.at(0);
    QCOMPARE(call.appName, AppId::applicationName());
    QCOMPARE(call.appIcon, AppId::id());
    QCOMPARE(call.summary, QStringLiteral("alice wants to disable a user"));
    QCOMPARE(call.body, QStringLiteral("directory: disable_user bob"));
    QCOMPARE(call.replacesId, 0u);
    QCOMPARE(call.expireTimeout, -1);
    // Actions come as key, label pairs: one pair, the click. Nothing that
    // approves.
    QCOMPARE(call.actions.size(), 2);
    QCOMPARE(call.actions.at(0), QStringLiteral("default"));
    QVERIFY(!call.actions.at(1).isEmpty());
    for (const QString &action : call.actions)
        QVERIFY2(!action.contains(QStringLiteral("approve"), Qt::CaseInsensitive),
                 qPrintable(action));
    QCOMPARE(call.hints.value(QStringLiteral("desktop-entry")).toString(), AppId::id());
    QCOMPARE(call.hints.value(QStringLiteral("urgency")).toInt(), 1);
    QVERIFY(m_fallback->shown.isEmpty());
}

void TestPlatformDesktopNotifier::clickOpensAndNothingElse()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    QSignalSpy activated(&notifier, &Notifier::activated);
    const uint first = notifyAndWait(notifier, QStringLiteral("gw1/1"));
    const uint second = notifyAndWait(notifier, QStringLiteral("gw2/7"));
    QVERIFY(first != 0 && second != 0 && first != second);

    // Keys that were never offered, and ids that are not ours, do nothing.
    Q_EMIT m_fake->ActionInvoked(first, QStringLiteral("approve"));
    Q_EMIT m_fake->ActionInvoked(999, QStringLiteral("default"));
    Q_EMIT m_fake->ActionInvoked(second, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs);
    QCOMPARE(activated.at(0).at(0).toString(), QStringLiteral("gw2/7"));

    Q_EMIT m_fake->ActionInvoked(first, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 2, timeoutMs);
    QCOMPARE(activated.at(1).at(0).toString(), QStringLiteral("gw1/1"));
    QVERIFY(m_fake->closed.isEmpty());
}

void TestPlatformDesktopNotifier::ignoresClicksReportedByOthers()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    QSignalSpy activated(&notifier, &Notifier::activated);
    const uint shown = notifyAndWait(notifier, QStringLiteral("gw1/1"));

    // Another program on the bus sends the service's signal.
    QDBusConnection intruder = m_bus.connect(QStringLiteral("intruder-%1").arg(m_round));
    QDBusMessage forged =
        QDBusMessage::createSignal(objectPath, serviceName, QStringLiteral("ActionInvoked"));
    forged << shown << QStringLiteral("default");
    QVERIFY(intruder.send(forged));
    // The service's own click, sent afterwards, is the only one heard.
    Q_EMIT m_fake->ActionInvoked(shown, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs);
    const uint next = notifyAndWait(notifier, QStringLiteral("gw1/2"));
    Q_EMIT m_fake->ActionInvoked(next, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 2, timeoutMs);
    QCOMPARE(activated.at(0).at(0).toString(), QStringLiteral("gw1/1"));
    QCOMPARE(activated.at(1).at(0).toString(), QStringLiteral("gw1/2"));
}

void TestPlatformDesktopNotifier::escapesTheBodyWhereTheServiceReadsMarkup()
{
    m_fake->capabilities.append(QStringLiteral("body-markup"));
    m_fake->capabilities.append(QStringLiteral("body-hyperlinks"));
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    notifier.notify(QStringLiteral("<b>title</b>"),
                    QStringLiteral("<a href=\"https://evil.example\">click</a> & <b>more</b>"),
                    QStringLiteral("gw1/1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->calls.size(), 1, timeoutMs);
    QCOMPARE(m_fake->calls.at(0).body,
             QStringLiteral("&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt; "
                            "&amp; &lt;b&gt;more&lt;/b&gt;"));
    // The summary is plain text by the specification.
    QCOMPARE(m_fake->calls.at(0).summary, QStringLiteral("<b>title</b>"));
}

void TestPlatformDesktopNotifier::sendsThePlainBodyWhereItDoesNot()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    notifier.notify(QStringLiteral("t"), QStringLiteral("a < b & c"), QStringLiteral("gw1/1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->calls.size(), 1, timeoutMs);
    QCOMPARE(m_fake->calls.at(0).body, QStringLiteral("a < b & c"));
}

void TestPlatformDesktopNotifier::replacesTheNotificationOfTheSameId()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    const uint first = notifyAndWait(notifier, QStringLiteral("gw1/1"));
    QVERIFY(first != 0);
    // The answer must be in before the second call can name it.
    QSignalSpy activated(&notifier, &Notifier::activated);
    Q_EMIT m_fake->ActionInvoked(first, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs);

    const uint again = notifyAndWait(notifier, QStringLiteral("gw1/1"));
    QCOMPARE(m_fake->calls.at(1).replacesId, first);
    QCOMPARE(again, first);
    const uint other = notifyAndWait(notifier, QStringLiteral("gw1/2"));
    QCOMPARE(m_fake->calls.at(2).replacesId, 0u);
    QVERIFY(other != first);
}

void TestPlatformDesktopNotifier::closesWhenTheRequestResolves()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    QSignalSpy activated(&notifier, &Notifier::activated);
    const uint shown = notifyAndWait(notifier, QStringLiteral("gw1/1"));
    Q_EMIT m_fake->ActionInvoked(shown, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs); // the answer is in

    notifier.close(QStringLiteral("gw1/1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->closed, QList<uint>{shown}, timeoutMs);
    // Gone: a late click on it opens nothing.
    Q_EMIT m_fake->ActionInvoked(shown, QStringLiteral("default"));
    notifier.close(QStringLiteral("unknown"));
    const uint next = notifyAndWait(notifier, QStringLiteral("gw1/2"));
    Q_EMIT m_fake->ActionInvoked(next, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 2, timeoutMs);
    QCOMPARE(activated.at(1).at(0).toString(), QStringLiteral("gw1/2"));
}

void TestPlatformDesktopNotifier::closesOneStillOnItsWay()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    // Resolved before the service even answered Notify.
    notifier.notify(QStringLiteral("t"), QStringLiteral("first"), QStringLiteral("gw1/1"));
    notifier.close(QStringLiteral("gw1/1"));
    notifier.notify(QStringLiteral("t"), QStringLiteral("second"), QStringLiteral("gw1/2"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->calls.size(), 1, timeoutMs);
    // The first never reached the service (it waited for the capabilities).
    QCOMPARE(m_fake->calls.at(0).body, QStringLiteral("second"));

    const uint third = notifyAndWait(notifier, QStringLiteral("gw1/3"));
    QCOMPARE(m_fake->calls.size(), 2);
    notifier.close(QStringLiteral("gw1/3"));
    QTRY_VERIFY_WITH_TIMEOUT(m_fake->closed.contains(third), timeoutMs);
    // One on its way when closed: closed as soon as the service names it.
    notifier.notify(QStringLiteral("t"), QStringLiteral("b"), QStringLiteral("gw1/4"));
    notifier.close(QStringLiteral("gw1/4"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->calls.size(), 3, timeoutMs);
    const uint fourth = m_fake->calls.at(2).returnedId;
    QTRY_VERIFY_WITH_TIMEOUT(m_fake->closed.contains(fourth), timeoutMs);
}

void TestPlatformDesktopNotifier::forgetsNotificationsTheServiceClosed()
{
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    QSignalSpy activated(&notifier, &Notifier::activated);
    const uint shown = notifyAndWait(notifier, QStringLiteral("gw1/1"));
    Q_EMIT m_fake->NotificationClosed(shown, 2); // dismissed by the person
    Q_EMIT m_fake->ActionInvoked(shown, QStringLiteral("default"));
    // A later one still works, so the click above has been seen by now.
    const uint next = notifyAndWait(notifier, QStringLiteral("gw1/2"));
    QCOMPARE(m_fake->calls.at(1).replacesId, 0u);
    Q_EMIT m_fake->ActionInvoked(next, QStringLiteral("default"));
    QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs);
    QCOMPARE(activated.at(0).at(0).toString(), QStringLiteral("gw1/2"));
}

void TestPlatformDesktopNotifier::withdrawsItsNotificationsWhenDestroyed()
{
    registerFake();
    uint first = 0;
    uint second = 0;
    {
        DesktopNotifier notifier(*m_client, m_fallback.get());
        first = notifyAndWait(notifier, QStringLiteral("gw1/1"));
        second = notifyAndWait(notifier, QStringLiteral("gw1/2"));
        QSignalSpy activated(&notifier, &Notifier::activated);
        Q_EMIT m_fake->ActionInvoked(second, QStringLiteral("default"));
        QTRY_COMPARE_WITH_TIMEOUT(activated.size(), 1, timeoutMs);
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->closed.size(), 2, timeoutMs);
    QVERIFY(m_fake->closed.contains(first));
    QVERIFY(m_fake->closed.contains(second));
}

void TestPlatformDesktopNotifier::fallsBackWhenNoServiceRuns()
{
    // Nobody owns org.freedesktop.Notifications on this bus, and nothing can
    // be activated.
    DesktopNotifier notifier(*m_client, m_fallback.get());
    QSignalSpy activated(&notifier, &Notifier::activated);
    notifier.notify(QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("gw1/1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fallback->shown.size(), 1, timeoutMs);
    QCOMPARE(
        m_fallback->shown.at(0),
        (QStringList{QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("gw1/1")}));
    // The fallback's click is passed on; so is closing.
    Q_EMIT m_fallback->activated(QStringLiteral("gw1/1"));
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.at(0).at(0).toString(), QStringLiteral("gw1/1"));
    notifier.close(QStringLiteral("gw1/1"));
    QCOMPARE(m_fallback->closedIds, QStringList{QStringLiteral("gw1/1")});

    // A service that appears later is used from then on.
    registerFake();
    notifier.notify(QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("gw1/2"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->calls.size(), 1, timeoutMs);
    QCOMPARE(m_fallback->shown.size(), 1);
}

void TestPlatformDesktopNotifier::fallsBackWhenTheServiceFails()
{
    m_fake->failNotify = true;
    registerFake();
    DesktopNotifier notifier(*m_client, m_fallback.get());
    notifier.notify(QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("gw1/1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fallback->shown.size(), 1, timeoutMs);
    QCOMPARE(m_fallback->shown.at(0).at(2), QStringLiteral("gw1/1"));
}

void TestPlatformDesktopNotifier::fallsBackWithoutABus()
{
    const QDBusConnection nowhere =
        QDBusConnection::connectToBus(QStringLiteral("unix:path=/nonexistent/countersign-test-bus"),
                                      QStringLiteral("nowhere-%1").arg(m_round));
    QVERIFY(!nowhere.isConnected());
    DesktopNotifier notifier(nowhere, m_fallback.get());
    notifier.notify(QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("gw1/1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_fallback->shown.size(), 1, timeoutMs);
    QDBusConnection::disconnectFromBus(QStringLiteral("nowhere-%1").arg(m_round));
}

void TestPlatformDesktopNotifier::dropsWithoutServiceOrFallback()
{
    const QString name = QStringLiteral("nowhere-drop-%1").arg(m_round);
    {
        const QDBusConnection nowhere = QDBusConnection::connectToBus(
            QStringLiteral("unix:path=/nonexistent/countersign-test-bus"), name);
        DesktopNotifier notifier(nowhere, nullptr);
        QSignalSpy activated(&notifier, &Notifier::activated);
        // Nothing can show it: it is logged and dropped (the test fails if
        // that message does not come).
        QTest::ignoreMessage(QtWarningMsg, "no way to show a notification; dropped \"gw1/1\"");
        notifier.notify(QStringLiteral("title"), QStringLiteral("body"), QStringLiteral("gw1/1"));
        notifier.close(QStringLiteral("gw1/1"));
        QCOMPARE(activated.size(), 0);
    }
    QDBusConnection::disconnectFromBus(name);
}

QTEST_GUILESS_MAIN(TestPlatformDesktopNotifier)
#include "test_platform_desktopnotifier.moc"
