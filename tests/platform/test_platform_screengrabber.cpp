#include "platform/qrdecoder.h"
#include "platform/screengrabber.h"
#include "privatesessionbus.h"

#include <memory>
#include <optional>

#include <QDBusContext>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QGuiApplication>
#include <QPainter>
#include <QRasterWindow>
#include <QScreen>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>
#include <qrencode.h>

using namespace countersign;

namespace {

constexpr int timeoutMs = 10'000;

const QString pairingLink = QStringLiteral(
    "countersign://pair?v=1&gw=https%3A%2F%2Fgw.example.com&code=bXktb25lLXRpbWUtY29kZS0xMjM0"
    "&kid=NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs&name=Example%20Gateway");

const QString portalService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString portalPath = QStringLiteral("/org/freedesktop/portal/desktop");

// A QR code drawn by libqrencode (independent of the decoder), dark on white,
// in the middle of a light grey picture of the given size.
QImage pictureWithCode(const QString &text, QSize size)
{
    const QByteArray data = text.toUtf8();
    QRcode *code = QRcode_encodeData(static_cast<int>(data.size()),
                                     reinterpret_cast<const unsigned char *>(data.constData()), 0,
                                     QR_ECLEVEL_M);
    if (!code)
        qFatal("libqrencode could not encode the test text");
    constexpr int scale = 4;
    constexpr int quiet = 4;
    const int side = (code->width + 2 * quiet) * scale;
    QImage picture(size, QImage::Format_RGB32);
    picture.fill(QColor(0xee, 0xee, 0xee));
    QPainter painter(&picture);
    const QPoint origin((size.width() - side) / 2, (size.height() - side) / 2);
    painter.fillRect(QRect(origin, QSize(side, side)), Qt::white);
    for (int y = 0; y < code->width; ++y) {
        for (int x = 0; x < code->width; ++x) {
            if (code->data[y * code->width + x] & 1)
                painter.fillRect(origin.x() + (x + quiet) * scale, origin.y() + (y + quiet) * scale,
                                 scale, scale, Qt::black);
        }
    }
    painter.end();
    QRcode_free(code);
    return picture;
}

// Collects the one answer of ScreenshotSource::grab.
class GrabAnswer {
public:
    ScreenshotSource::Captured captured()
    {
        return [this](const QList<QImage> &images) {
            ++m_calls;
            m_images = images;
        };
    }
    ScreenshotSource::Failed failed()
    {
        return [this](const ScreenshotFailure &failure) {
            ++m_calls;
            m_failure = failure;
        };
    }
    bool wait()
    {
        return QTest::qWaitFor([this] { return m_calls > 0; }, timeoutMs);
    }
    int calls() const { return m_calls; }
    const std::optional<QList<QImage>> &images() const { return m_images; }
    const std::optional<ScreenshotFailure> &failure() const { return m_failure; }
    QString describe() const { return m_failure ? m_failure->message : QString(); }

private:
    int m_calls = 0;
    std::optional<QList<QImage>> m_images;
    std::optional<ScreenshotFailure> m_failure;
};

// A window showing a picture, as the gateway's pairing page would be on the
// screen.
class PictureWindow : public QRasterWindow {
public:
    explicit PictureWindow(QImage picture)
        : m_picture(std::move(picture))
    {
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.drawImage(QPoint(0, 0), m_picture);
    }

private:
    QImage m_picture;
};

// One request of the fake portal: org.freedesktop.portal.Request.Close.
class FakeRequest : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Request")

public:
    bool closed = false;

public Q_SLOTS:
    void Close() { closed = true; }
};

// The Screenshot interface of xdg-desktop-portal as its documentation
// describes it: the call returns the request's object path
// (/org/freedesktop/portal/desktop/request/SENDER/TOKEN), the answer comes as
// that Request's Response signal.
class FakePortal : public QObject, protected QDBusContext {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Screenshot")

public:
    explicit FakePortal(const QDBusConnection &connection)
        : m_connection(connection)
    {
    }

    // What the next Response says; nullopt: no answer until respond().
    std::optional<uint> response = 0;
    QVariantMap results;
    // Answer on another path than the one the token implies (older portals).
    QString handleOverride;

    int calls = 0;
    QString parentWindow;
    QVariantMap options;
    QString requestPath;
    std::unique_ptr<FakeRequest> request;

    void respond(uint code, const QVariantMap &answer)
    {
        QDBusMessage signal = QDBusMessage::createSignal(
            requestPath, QStringLiteral("org.freedesktop.portal.Request"),
            QStringLiteral("Response"));
        signal << code << answer;
        m_connection.send(signal);
    }

public Q_SLOTS:
    QDBusObjectPath Screenshot(const QString &parent, const QVariantMap &callOptions)
    {
        ++calls;
        parentWindow = parent;
        options = callOptions;
        QString sender = message().service();
        sender.remove(0, 1).replace(u'.', u'_');
        requestPath = handleOverride.isEmpty()
            ? QStringLiteral("/org/freedesktop/portal/desktop/request/%1/%2")
                  .arg(sender, callOptions.value(QStringLiteral("handle_token")).toString())
            : handleOverride;
        request = std::make_unique<FakeRequest>();
        m_connection.registerObject(requestPath, request.get(), QDBusConnection::ExportAllSlots);
        if (response) {
            const uint code = *response;
            QTimer::singleShot(0, this, [this, code] { respond(code, results); });
        }
        return QDBusObjectPath(requestPath);
    }

private:
    QDBusConnection m_connection;
};

} // namespace

// ScreenGrabber: QScreen grabs on the offscreen platform (a window with a QR
// code on it), and the portal path against a fake xdg-desktop-portal on a
// private bus (dbus-daemon started by the test).
class TestPlatformScreenGrabber : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void grabsEveryScreen();
    void seesTheCodeOnTheScreen();
    void answersLaterAndOnlyWhileTheContextLives();
    void automaticGrabsScreensOutsideWayland();
    void portalAsksInteractivelyAndReadsTheFile();
    void portalFollowsAnotherRequestPath();
    void portalCancelled();
    void portalFailed();
    void portalAnswersWithoutAUsableFile_data();
    void portalAnswersWithoutAUsableFile();
    void portalIgnoresResponsesFromOthers();
    void portalMissing();
    void waylandSessionWithoutPortalGrabsScreens();
    void waylandSessionWithPortalUsesIt();
    void closesThePortalRequestWhenTheContextGoes();
    void readsPortalResponses();

private:
    void registerPortal();
    QString writePng(const QImage &image, const QString &name);

    test::PrivateSessionBus m_bus;
    QTemporaryDir m_files;
    int m_round = 0;
    std::optional<QDBusConnection> m_client;
    std::optional<QDBusConnection> m_portalConnection;
    std::unique_ptr<FakePortal> m_portal;
};

void TestPlatformScreenGrabber::initTestCase()
{
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("offscreen"));
    QVERIFY(m_files.isValid());
    QVERIFY2(m_bus.start(), "could not start a private dbus-daemon (apt-get install dbus)");
}

void TestPlatformScreenGrabber::init()
{
    ++m_round;
    qunsetenv("XDG_SESSION_TYPE");
    qunsetenv("WAYLAND_DISPLAY");
    m_client = m_bus.connect(QStringLiteral("client-%1").arg(m_round));
    QVERIFY(m_client->isConnected());
    m_portalConnection = m_bus.connect(QStringLiteral("portal-%1").arg(m_round));
    QVERIFY(m_portalConnection->isConnected());
    m_portal = std::make_unique<FakePortal>(*m_portalConnection);
}

void TestPlatformScreenGrabber::cleanup()
{
    m_portalConnection->unregisterService(portalService);
    m_portalConnection->unregisterObject(portalPath);
    if (!m_portal->requestPath.isEmpty())
        m_portalConnection->unregisterObject(m_portal->requestPath);
    m_portal.reset();
    m_portalConnection.reset();
    m_client.reset();
}

void TestPlatformScreenGrabber::registerPortal()
{
    QVERIFY(m_portalConnection->registerObject(portalPath, m_portal.get(),
                                               QDBusConnection::ExportAllSlots));
    QVERIFY(m_portalConnection->registerService(portalService));
}

QString TestPlatformScreenGrabber::writePng(const QImage &image, const QString &name)
{
    const QString path = m_files.filePath(name);
    if (!image.save(path, "PNG"))
        return {};
    return path;
}

void TestPlatformScreenGrabber::grabsEveryScreen()
{
    ScreenGrabber grabber(ScreenGrabber::Method::Screens, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    const QList<QScreen *> screens = QGuiApplication::screens();
    QCOMPARE(answer.images()->size(), screens.size());
    for (qsizetype i = 0; i < screens.size(); ++i) {
        const QSize expected = screens.at(i)->geometry().size() * screens.at(i)->devicePixelRatio();
        QCOMPARE(answer.images()->at(i).size(), expected);
    }
}

void TestPlatformScreenGrabber::seesTheCodeOnTheScreen()
{
    QScreen *screen = QGuiApplication::primaryScreen();
    PictureWindow window(pictureWithCode(pairingLink, screen->geometry().size()));
    window.setGeometry(screen->geometry());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    ScreenGrabber grabber(ScreenGrabber::Method::Screens, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(QrDecoder::decode(answer.images()->at(0)), QStringList{pairingLink});
}

void TestPlatformScreenGrabber::answersLaterAndOnlyWhileTheContextLives()
{
    ScreenGrabber grabber(ScreenGrabber::Method::Screens, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QCOMPARE(answer.calls(), 0);
    QVERIFY(answer.wait());
    QCOMPARE(answer.calls(), 1);

    GrabAnswer abandoned;
    auto context = std::make_unique<QObject>();
    grabber.grab(context.get(), abandoned.captured(), abandoned.failed());
    context.reset();
    // A later grab's answer shows that the abandoned one had its turn.
    GrabAnswer after;
    grabber.grab(this, after.captured(), after.failed());
    QVERIFY(after.wait());
    QCOMPARE(abandoned.calls(), 0);
}

void TestPlatformScreenGrabber::automaticGrabsScreensOutsideWayland()
{
    registerPortal(); // there, but not for X11 or offscreen
    ScreenGrabber grabber(ScreenGrabber::Method::Automatic, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(answer.images()->size(), QGuiApplication::screens().size());
    QCOMPARE(m_portal->calls, 0);
}

void TestPlatformScreenGrabber::portalAsksInteractivelyAndReadsTheFile()
{
    const QImage shot = pictureWithCode(pairingLink, QSize(640, 480));
    const QString file = writePng(shot, QStringLiteral("screenshot.png"));
    QVERIFY(!file.isEmpty());
    m_portal->results.insert(QStringLiteral("uri"), QUrl::fromLocalFile(file).toString());
    registerPortal();

    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QCOMPARE(answer.calls(), 0);
    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(answer.images()->size(), 1);
    QCOMPARE(answer.images()->at(0).size(), QSize(640, 480));
    QCOMPARE(QrDecoder::decode(answer.images()->at(0)), QStringList{pairingLink});

    QCOMPARE(m_portal->calls, 1);
    QCOMPARE(m_portal->parentWindow, QString());
    QCOMPARE(m_portal->options.value(QStringLiteral("interactive")), QVariant(true));
    const QString token = m_portal->options.value(QStringLiteral("handle_token")).toString();
    QVERIFY(!token.isEmpty());
    QVERIFY(m_portal->requestPath.endsWith(QStringLiteral("/") + token));
    QVERIFY(!m_portal->request->closed);
    QCOMPARE(answer.calls(), 1);

    // Every request has its own token.
    GrabAnswer second;
    grabber.grab(this, second.captured(), second.failed());
    QVERIFY(second.wait());
    QVERIFY(second.images());
    QVERIFY(m_portal->options.value(QStringLiteral("handle_token")).toString() != token);
}

void TestPlatformScreenGrabber::portalFollowsAnotherRequestPath()
{
    const QString file =
        writePng(pictureWithCode(pairingLink, QSize(320, 200)), QStringLiteral("older.png"));
    m_portal->results.insert(QStringLiteral("uri"), QUrl::fromLocalFile(file).toString());
    m_portal->response.reset();
    m_portal->handleOverride = QStringLiteral("/org/freedesktop/portal/desktop/request/legacy/7");
    registerPortal();

    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QTRY_COMPARE_WITH_TIMEOUT(m_portal->calls, 1, timeoutMs);
    // The grabber listens on that path only once the call's answer is in, and
    // nothing outside shows when that is: answer until it is heard (it
    // takes the first and stops listening).
    QVERIFY(QTest::qWaitFor(
        [&] {
            m_portal->respond(0, m_portal->results);
            return answer.calls() > 0;
        },
        timeoutMs));
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(answer.images()->at(0).size(), QSize(320, 200));
}

void TestPlatformScreenGrabber::portalCancelled()
{
    m_portal->response = 1;
    registerPortal();
    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY(answer.failure());
    QCOMPARE(answer.failure()->kind, ScreenshotFailure::Kind::Cancelled);
    QVERIFY(!answer.failure()->message.isEmpty());
}

void TestPlatformScreenGrabber::portalFailed()
{
    m_portal->response = 2;
    registerPortal();
    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY(answer.failure());
    QCOMPARE(answer.failure()->kind, ScreenshotFailure::Kind::Failed);
}

void TestPlatformScreenGrabber::portalAnswersWithoutAUsableFile_data()
{
    QTest::addColumn<QVariantMap>("results");
    QTest::newRow("no uri") << QVariantMap();
    QTest::newRow("remote uri") << QVariantMap{
        {QStringLiteral("uri"), QStringLiteral("https://example.com/screenshot.png")}};
    QTest::newRow("uri not text") << QVariantMap{{QStringLiteral("uri"), 42}};
    QTest::newRow("missing file") << QVariantMap{
        {QStringLiteral("uri"), QStringLiteral("file:///nonexistent/countersign/shot.png")}};
    QTest::newRow("not an image") << QVariantMap{
        {QStringLiteral("uri"),
         QUrl::fromLocalFile(QCoreApplication::applicationFilePath()).toString()}};
}

void TestPlatformScreenGrabber::portalAnswersWithoutAUsableFile()
{
    QFETCH(QVariantMap, results);
    m_portal->results = results;
    registerPortal();
    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY(answer.failure());
    QCOMPARE(answer.failure()->kind, ScreenshotFailure::Kind::Failed);
    QVERIFY(!answer.failure()->message.isEmpty());
}

void TestPlatformScreenGrabber::portalIgnoresResponsesFromOthers()
{
    const QString real =
        writePng(pictureWithCode(pairingLink, QSize(400, 300)), QStringLiteral("real.png"));
    const QString forged =
        writePng(pictureWithCode(QStringLiteral("countersign://pair?forged"), QSize(500, 500)),
                 QStringLiteral("forged.png"));
    m_portal->response.reset();
    registerPortal();

    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QTRY_COMPARE_WITH_TIMEOUT(m_portal->calls, 1, timeoutMs);

    // Someone else on the bus answers first, on the right path.
    QDBusConnection intruder = m_bus.connect(QStringLiteral("intruder-%1").arg(m_round));
    QDBusMessage forgedResponse = QDBusMessage::createSignal(
        m_portal->requestPath, QStringLiteral("org.freedesktop.portal.Request"),
        QStringLiteral("Response"));
    forgedResponse << 0u
                   << QVariantMap{{QStringLiteral("uri"), QUrl::fromLocalFile(forged).toString()}};
    QVERIFY(intruder.send(forgedResponse));
    m_portal->respond(0, {{QStringLiteral("uri"), QUrl::fromLocalFile(real).toString()}});

    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(answer.images()->at(0).size(), QSize(400, 300));
    QCOMPARE(answer.calls(), 1);
}

void TestPlatformScreenGrabber::portalMissing()
{
    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY(answer.failure());
    QCOMPARE(answer.failure()->kind, ScreenshotFailure::Kind::Unavailable);
    QVERIFY(!answer.failure()->message.isEmpty());
}

void TestPlatformScreenGrabber::waylandSessionWithoutPortalGrabsScreens()
{
    // An X11 client in a Wayland session (XWayland) asks the portal first;
    // with none there it grabs what it can see.
    qputenv("XDG_SESSION_TYPE", "wayland");
    ScreenGrabber grabber(ScreenGrabber::Method::Automatic, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(answer.images()->size(), QGuiApplication::screens().size());
}

void TestPlatformScreenGrabber::waylandSessionWithPortalUsesIt()
{
    const QString file =
        writePng(pictureWithCode(pairingLink, QSize(300, 300)), QStringLiteral("wayland.png"));
    m_portal->results.insert(QStringLiteral("uri"), QUrl::fromLocalFile(file).toString());
    registerPortal();
    qputenv("WAYLAND_DISPLAY", "wayland-0");
    ScreenGrabber grabber(ScreenGrabber::Method::Automatic, *m_client);
    GrabAnswer answer;
    grabber.grab(this, answer.captured(), answer.failed());
    QVERIFY(answer.wait());
    QVERIFY2(answer.images(), qPrintable(answer.describe()));
    QCOMPARE(answer.images()->at(0).size(), QSize(300, 300));
    QCOMPARE(m_portal->calls, 1);
}

void TestPlatformScreenGrabber::closesThePortalRequestWhenTheContextGoes()
{
    m_portal->response.reset(); // the person has the dialog open
    registerPortal();
    ScreenGrabber grabber(ScreenGrabber::Method::Portal, *m_client);
    GrabAnswer answer;
    auto context = std::make_unique<QObject>();
    grabber.grab(context.get(), answer.captured(), answer.failed());
    QTRY_COMPARE_WITH_TIMEOUT(m_portal->calls, 1, timeoutMs);
    context.reset();
    QTRY_VERIFY_WITH_TIMEOUT(m_portal->request->closed, timeoutMs);
    // A response now reaches nobody.
    m_portal->respond(1, {});
    GrabAnswer after;
    grabber.grab(this, after.captured(), after.failed());
    QTRY_COMPARE_WITH_TIMEOUT(m_portal->calls, 2, timeoutMs);
    m_portal->respond(1, {});
    QVERIFY(after.wait());
    QCOMPARE(answer.calls(), 0);
}

void TestPlatformScreenGrabber::readsPortalResponses()
{
    const auto ok = ScreenGrabber::readPortalResponse(
        0, {{QStringLiteral("uri"), QStringLiteral("file:///tmp/Screenshot%20one.png")}});
    QCOMPARE(std::get<QString>(ok), QStringLiteral("/tmp/Screenshot one.png"));
    const auto cancelled = ScreenGrabber::readPortalResponse(1, {});
    QCOMPARE(std::get<ScreenshotFailure>(cancelled).kind, ScreenshotFailure::Kind::Cancelled);
    const auto other = ScreenGrabber::readPortalResponse(2, {});
    QCOMPARE(std::get<ScreenshotFailure>(other).kind, ScreenshotFailure::Kind::Failed);
    const auto unknownCode = ScreenGrabber::readPortalResponse(
        7, {{QStringLiteral("uri"), QStringLiteral("file:///tmp/x.png")}});
    QCOMPARE(std::get<ScreenshotFailure>(unknownCode).kind, ScreenshotFailure::Kind::Failed);
    const auto relative =
        ScreenGrabber::readPortalResponse(0, {{QStringLiteral("uri"), QStringLiteral("x.png")}});
    QVERIFY(std::holds_alternative<ScreenshotFailure>(relative));
}

QTEST_MAIN(TestPlatformScreenGrabber)
#include "test_platform_screengrabber.moc"
