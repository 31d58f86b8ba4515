#include "app/pairinglinkfinder.h"

#include <QTest>

using namespace countersign;

namespace {

QString linkNamed(const QString &name)
{
    return PairingLink::create(
               PairingLink::Fields{QUrl(QStringLiteral("https://gw.example.com")),
                                   QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                   QStringLiteral("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
                                   {},
                                   name})
        .value()
        .toString();
}

} // namespace

// Which pairing link a QR scan yields, and why a scan yields none.
class TestAppPairingLinkFinder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void findsTheOneLink();
    void findsTheLinkAmongOtherCodes();
    void countsTheSameLinkOnce();
    void refusesEmptyScan();
    void refusesForeignCode();
    void refusesSeveralForeignCodes();
    void refusesTwoDifferentLinks();
};

void TestAppPairingLinkFinder::findsTheOneLink()
{
    const auto found = PairingLinkFinder::fromDecodedTexts({linkNamed(QStringLiteral("One"))});
    QVERIFY(found.ok());
    QCOMPARE(found->displayName(), QStringLiteral("One"));
}

void TestAppPairingLinkFinder::findsTheLinkAmongOtherCodes()
{
    const auto found = PairingLinkFinder::fromDecodedTexts(
        {QStringLiteral("https://example.com/menu"), linkNamed(QStringLiteral("One")),
         QStringLiteral("WIFI:S:guest;T:WPA;P:secret;;")});
    QVERIFY(found.ok());
    QCOMPARE(found->displayName(), QStringLiteral("One"));
}

void TestAppPairingLinkFinder::countsTheSameLinkOnce()
{
    // Surrounding whitespace does not make another link.
    const QString link = linkNamed(QStringLiteral("One"));
    const auto found =
        PairingLinkFinder::fromDecodedTexts({link, QStringLiteral("  ") + link + u'\n'});
    QVERIFY(found.ok());
}

void TestAppPairingLinkFinder::refusesEmptyScan()
{
    const auto found = PairingLinkFinder::fromDecodedTexts({});
    QVERIFY(!found.ok());
    QCOMPARE(found.error().code, ErrorCode::MalformedLink);
    QCOMPARE(found.error().message, QStringLiteral("no QR code was found in the image"));
}

void TestAppPairingLinkFinder::refusesForeignCode()
{
    const auto found =
        PairingLinkFinder::fromDecodedTexts({QStringLiteral("https://example.com/menu")});
    QVERIFY(!found.ok());
    QVERIFY2(found.error().message.startsWith(u"the QR code is not a Countersign pairing link ("),
             qPrintable(found.error().message));
    // Said once, not "…pairing link (not a pairing link: …)".
    QVERIFY2(!found.error().message.contains(u"(not a pairing link"),
             qPrintable(found.error().message));
}

void TestAppPairingLinkFinder::refusesSeveralForeignCodes()
{
    const auto found = PairingLinkFinder::fromDecodedTexts(
        {QStringLiteral("hello"), QStringLiteral("countersign://pair?v=2")});
    QVERIFY(!found.ok());
    QCOMPARE(found.error().message,
             QStringLiteral("none of the 2 QR codes in the image is a Countersign pairing link"));
}

void TestAppPairingLinkFinder::refusesTwoDifferentLinks()
{
    // Guessing could pair with the wrong gateway: the person must choose.
    const auto found = PairingLinkFinder::fromDecodedTexts(
        {linkNamed(QStringLiteral("One")), linkNamed(QStringLiteral("Two"))});
    QVERIFY(!found.ok());
    QVERIFY2(found.error().message.startsWith(u"the image holds 2 different pairing links"),
             qPrintable(found.error().message));
}

QTEST_GUILESS_MAIN(TestAppPairingLinkFinder)
#include "test_app_pairinglinkfinder.moc"
