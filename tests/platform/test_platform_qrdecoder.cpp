#include "app/pairinglinkfinder.h"
#include "platform/qrdecoder.h"

#include <QPainter>
#include <QRandomGenerator>
#include <QTest>
#include <QTransform>
#include <qrencode.h>

using namespace countersign;

namespace {

const QString pairingLink = QStringLiteral(
    "countersign://pair?v=1&gw=https%3A%2F%2Fgw.example.com&code=bXktb25lLXRpbWUtY29kZS0xMjM0"
    "&kid=NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs&name=Example%20Gateway");

// A QR code drawn from libqrencode's modules (an encoder independent of the
// decoder under test): `scale` pixels per module, a quiet zone of `quiet`
// modules, dark on light unless inverted.
QImage render(const QString &text, int scale, int quiet = 4, bool inverted = false)
{
    const QByteArray data = text.toUtf8();
    QRcode *code = QRcode_encodeData(static_cast<int>(data.size()),
                                     reinterpret_cast<const unsigned char *>(data.constData()), 0,
                                     QR_ECLEVEL_M);
    if (!code)
        qFatal("libqrencode could not encode the test text");
    const int side = (code->width + 2 * quiet) * scale;
    const uchar light = inverted ? 0x20 : 0xff;
    const uchar dark = inverted ? 0xf0 : 0x00;
    QImage image(side, side, QImage::Format_Grayscale8);
    image.fill(light);
    for (int y = 0; y < code->width; ++y) {
        for (int x = 0; x < code->width; ++x) {
            if (!(code->data[y * code->width + x] & 1))
                continue;
            for (int dy = 0; dy < scale; ++dy) {
                uchar *line = image.scanLine((y + quiet) * scale + dy);
                for (int dx = 0; dx < scale; ++dx)
                    line[(x + quiet) * scale + dx] = dark;
            }
        }
    }
    QRcode_free(code);
    return image;
}

// Flips a share of the pixels to black or white, deterministically.
void addNoise(QImage &image, double share, quint32 seed)
{
    QRandomGenerator random(seed);
    const auto pixels = static_cast<qint64>(share * image.width() * image.height());
    for (qint64 i = 0; i < pixels; ++i) {
        const int x = random.bounded(image.width());
        const int y = random.bounded(image.height());
        image.setPixelColor(x, y, random.bounded(2) ? Qt::white : Qt::black);
    }
}

} // namespace

// QrDecoder (ZXing) on codes drawn by libqrencode, as they reach the
// companion: exact and scaled, noisy, inside a busy screenshot, inverted,
// transparent, rotated, several at once, and none at all.
class TestPlatformQrDecoder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void decodesAtScales_data();
    void decodesAtScales();
    void decodesThroughNoise();
    void decodesInsideAScreenshot();
    void decodesSmoothlyResizedCode();
    void decodesInvertedCode();
    void decodesOnTransparentBackground();
    void decodesRotatedCode();
    void returnsEveryCodeOnce();
    void decodesOversizedImage();
    void findsNothingWithoutCode_data();
    void findsNothingWithoutCode();
    void pairingLinkFromScanNamesWhatIsWrong();
};

void TestPlatformQrDecoder::decodesAtScales_data()
{
    QTest::addColumn<int>("scale");
    QTest::addColumn<int>("quiet");
    QTest::newRow("2 px per module") << 2 << 4;
    QTest::newRow("4 px per module") << 4 << 4;
    QTest::newRow("8 px per module") << 8 << 4;
    QTest::newRow("small quiet zone") << 6 << 1;
}

void TestPlatformQrDecoder::decodesAtScales()
{
    QFETCH(int, scale);
    QFETCH(int, quiet);
    QCOMPARE(QrDecoder::decode(render(pairingLink, scale, quiet)), QStringList{pairingLink});
}

void TestPlatformQrDecoder::decodesThroughNoise()
{
    // A camera-like picture: every pixel off by up to 70 grey levels, and a
    // few dead pixels on top.
    QImage image = render(pairingLink, 6);
    QRandomGenerator random(42);
    for (int y = 0; y < image.height(); ++y) {
        uchar *line = image.scanLine(y);
        for (int x = 0; x < image.width(); ++x)
            line[x] = static_cast<uchar>(qBound(0, line[x] + random.bounded(-70, 71), 255));
    }
    image = image.convertToFormat(QImage::Format_RGB32);
    addNoise(image, 0.005, 43);
    QCOMPARE(QrDecoder::decode(image), QStringList{pairingLink});
}

void TestPlatformQrDecoder::decodesInsideAScreenshot()
{
    // A desktop-like picture: a coloured background, windows, and the code
    // in one of them, off-centre.
    QImage screen(1600, 1000, QImage::Format_RGB32);
    screen.fill(QColor(0x2e, 0x34, 0x40));
    QPainter painter(&screen);
    QRandomGenerator random(7);
    for (int i = 0; i < 40; ++i) {
        painter.fillRect(
            random.bounded(1500), random.bounded(900), 20 + random.bounded(300),
            10 + random.bounded(200),
            QColor::fromRgb(random.bounded(256), random.bounded(256), random.bounded(256)));
    }
    painter.fillRect(900, 300, 560, 560, Qt::white);
    painter.drawImage(930, 330, render(pairingLink, 4));
    painter.end();
    QCOMPARE(QrDecoder::decode(screen), QStringList{pairingLink});
}

void TestPlatformQrDecoder::decodesSmoothlyResizedCode()
{
    // A HiDPI screen grab or a photo: modules are not whole pixels.
    const QImage code = render(pairingLink, 4);
    const QImage resized = code.scaled(code.width() * 3 / 2, code.height() * 3 / 2,
                                       Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    QCOMPARE(QrDecoder::decode(resized), QStringList{pairingLink});
}

void TestPlatformQrDecoder::decodesInvertedCode()
{
    // Light modules on dark ground: a dark theme, or the gateway's terminal
    // code on a light-background terminal.
    QCOMPARE(QrDecoder::decode(render(pairingLink, 4, 4, true)), QStringList{pairingLink});
}

void TestPlatformQrDecoder::decodesOnTransparentBackground()
{
    // Black modules on a fully transparent background, as a PNG with alpha
    // or a copied image may come: converted naively, it is black on black.
    const QImage code = render(pairingLink, 4);
    QImage transparent(code.size(), QImage::Format_ARGB32);
    for (int y = 0; y < code.height(); ++y) {
        for (int x = 0; x < code.width(); ++x) {
            transparent.setPixel(
                x, y, qGray(code.pixel(x, y)) < 128 ? qRgba(0, 0, 0, 255) : qRgba(0, 0, 0, 0));
        }
    }
    QCOMPARE(QrDecoder::decode(transparent), QStringList{pairingLink});
}

void TestPlatformQrDecoder::decodesRotatedCode()
{
    const QImage rotated = render(pairingLink, 4).transformed(QTransform().rotate(90));
    QCOMPARE(QrDecoder::decode(rotated), QStringList{pairingLink});
}

void TestPlatformQrDecoder::returnsEveryCodeOnce()
{
    const QString other = QStringLiteral("https://example.com/not-a-pairing-link");
    const QImage first = render(pairingLink, 4);
    const QImage second = render(other, 4);
    QImage both(first.width() + second.width() + 40, first.height() * 2 + 40,
                QImage::Format_Grayscale8);
    both.fill(0xff);
    QPainter painter(&both);
    painter.drawImage(0, 0, first);
    painter.drawImage(first.width() + 40, 0, second);
    painter.drawImage(0, first.height() + 40, first); // the same code twice
    painter.end();
    const QStringList texts = QrDecoder::decode(both);
    QCOMPARE(texts.size(), 2);
    QVERIFY(texts.contains(pairingLink));
    QVERIFY(texts.contains(other));
}

void TestPlatformQrDecoder::decodesOversizedImage()
{
    // Wider than QrDecoder::maxSide: scaled down first, the big code survives.
    const QImage code = render(pairingLink, 10);
    QImage wide(QrDecoder::maxSide + 800, code.height() + 100, QImage::Format_Grayscale8);
    wide.fill(0xff);
    QPainter painter(&wide);
    painter.drawImage(wide.width() / 2, 50, code);
    painter.end();
    QCOMPARE(QrDecoder::decode(wide), QStringList{pairingLink});
}

void TestPlatformQrDecoder::findsNothingWithoutCode_data()
{
    QTest::addColumn<QImage>("image");
    QImage blank(400, 300, QImage::Format_RGB32);
    blank.fill(Qt::white);
    QImage noise(400, 300, QImage::Format_RGB32);
    noise.fill(Qt::gray);
    addNoise(noise, 0.5, 3);
    QTest::newRow("null") << QImage();
    QTest::newRow("blank") << blank;
    QTest::newRow("noise") << noise;
    QTest::newRow("one pixel") << QImage(1, 1, QImage::Format_Mono);
}

void TestPlatformQrDecoder::findsNothingWithoutCode()
{
    QFETCH(QImage, image);
    QVERIFY(QrDecoder::decode(image).isEmpty());
}

void TestPlatformQrDecoder::pairingLinkFromScanNamesWhatIsWrong()
{
    // What the pairing dialog does with a scan: the decoded texts go through
    // PairingLinkFinder, which says why an image does not pair.
    const auto found =
        PairingLinkFinder::fromDecodedTexts(QrDecoder::decode(render(pairingLink, 4)));
    QVERIFY(found.ok());
    QCOMPARE(found->displayName(), QStringLiteral("Example Gateway"));

    QImage blank(200, 200, QImage::Format_RGB32);
    blank.fill(Qt::white);
    const auto none = PairingLinkFinder::fromDecodedTexts(QrDecoder::decode(blank));
    QVERIFY(!none.ok());
    QCOMPARE(none.error().message, QStringLiteral("no QR code was found in the image"));

    const auto foreign = PairingLinkFinder::fromDecodedTexts(
        QrDecoder::decode(render(QStringLiteral("https://example.com/menu"), 4)));
    QVERIFY(!foreign.ok());
    QVERIFY2(foreign.error().message.startsWith(u"the QR code is not a Countersign pairing link"),
             qPrintable(foreign.error().message));
}

QTEST_GUILESS_MAIN(TestPlatformQrDecoder)
#include "test_platform_qrdecoder.moc"
