#include "platform/urlscheme.h"

#include <QCoreApplication>
#include <QFileOpenEvent>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>

using namespace countersign;

// The countersign:// scheme: how a clicked pairing link reaches the
// companion (a command-line argument on Linux and Windows, a URL open event
// on macOS).
class TestPlatformUrlScheme : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void names();
    void linkInArguments_data();
    void linkInArguments();
    void openEventBecomesALink();
    void otherOpenEventsPassThrough();
};

namespace {
const QString pairingLink =
    QStringLiteral("countersign://pair?v=1&gw=https%3A%2F%2Fgw.example.com&code=abc&kid=xyz");
} // namespace

void TestPlatformUrlScheme::names()
{
    QCOMPARE(UrlScheme::scheme(), QStringLiteral("countersign"));
    // The desktop file's MimeType= entry names the same thing.
    QCOMPARE(UrlScheme::mimeType(), QStringLiteral("x-scheme-handler/countersign"));
}

void TestPlatformUrlScheme::linkInArguments_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");

    // What the desktop file's "Exec=countersign %u" passes.
    QTest::newRow("positional") << QStringList{pairingLink} << pairingLink;
    QTest::newRow("after --minimized")
        << QStringList{QStringLiteral("--minimized"), pairingLink} << pairingLink;
    QTest::newRow("upper-case scheme") << QStringList{QStringLiteral("COUNTERSIGN://pair?v=1")}
                                       << QStringLiteral("COUNTERSIGN://pair?v=1");
    QTest::newRow("--pair LINK") << QStringList{QStringLiteral("--pair"), pairingLink}
                                 << pairingLink;
    QTest::newRow("--pair=LINK") << QStringList{QStringLiteral("--pair=") + pairingLink}
                                 << pairingLink;
    QTest::newRow("--pair takes the next argument as it is")
        << QStringList{QStringLiteral("--pair"), QStringLiteral("not a pairingLink")}
        << QStringLiteral("not a pairingLink");
    QTest::newRow("nothing") << QStringList{} << QString();
    QTest::newRow("--minimized only") << QStringList{QStringLiteral("--minimized")} << QString();
    QTest::newRow("--pair without a value") << QStringList{QStringLiteral("--pair")} << QString();
    QTest::newRow("another scheme")
        << QStringList{QStringLiteral("https://gw.example.com/pair")} << QString();
    QTest::newRow("scheme name without a colon")
        << QStringList{QStringLiteral("countersign")} << QString();
    QTest::newRow("the first pairingLink wins")
        << QStringList{pairingLink, QStringLiteral("countersign://pair?v=2")} << pairingLink;
}

void TestPlatformUrlScheme::linkInArguments()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);
    QCOMPARE(UrlScheme::linkInArguments(arguments), expected);
}

void TestPlatformUrlScheme::openEventBecomesALink()
{
    UrlOpenEvents events;
    QCoreApplication::instance()->installEventFilter(&events);
    QSignalSpy opened(&events, &UrlOpenEvents::linkOpened);

    QFileOpenEvent event{QUrl(pairingLink)};
    QVERIFY(QCoreApplication::sendEvent(QCoreApplication::instance(), &event));
    QCOMPARE(opened.count(), 1);
    QCOMPARE(QUrl(opened.first().first().toString()), QUrl(pairingLink));
}

void TestPlatformUrlScheme::otherOpenEventsPassThrough()
{
    UrlOpenEvents events;
    QCoreApplication::instance()->installEventFilter(&events);
    QSignalSpy opened(&events, &UrlOpenEvents::linkOpened);

    QFileOpenEvent file{QStringLiteral("/tmp/qr.png")};
    QCoreApplication::sendEvent(QCoreApplication::instance(), &file);
    QFileOpenEvent web{QUrl(QStringLiteral("https://example.com"))};
    QCoreApplication::sendEvent(QCoreApplication::instance(), &web);
    QCOMPARE(opened.count(), 0);
}

QTEST_GUILESS_MAIN(TestPlatformUrlScheme)
#include "test_platform_urlscheme.moc"
