#include "gateway/pairing/qrcode.h"
#include "qrdecoder.h"

#include <sys/stat.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::decodeQrCode;

namespace {

// What `countersign-gateway pair` shows (docs/protocol.md section 2.1).
const QByteArray pairingLink =
    "countersign://pair?v=1&gw=https%3A%2F%2Fgw.example.com&code=q8mW1n0bQ2pX4yZ7aB9cDe"
    "&kid=NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs&spki=8Zb0Ut1cgJq2cVq3sM5m0aZr1rZbXk2w"
    "Q0n4Zr7aXc0&name=Example%20Gateway";

// The terminal rendering read back as a picture, four pixels per module:
// ink (the glyphs' filled halves) is light, as on a dark-background
// terminal, and blank halves are dark.
QImage renderTerminalText(const QString &text, int pixelsPerModule)
{
    const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
    const int columns = static_cast<int>(lines.first().size());
    const int rows = static_cast<int>(lines.size()) * 2;
    QImage image(columns * pixelsPerModule, rows * pixelsPerModule, QImage::Format_Grayscale8);
    image.fill(0);
    for (int line = 0; line < lines.size(); ++line) {
        for (int column = 0; column < columns; ++column) {
            const char16_t glyph = lines.at(line).at(column).unicode();
            const bool upper = glyph == 0x2588 || glyph == 0x2580;
            const bool lower = glyph == 0x2588 || glyph == 0x2584;
            for (int half = 0; half < 2; ++half) {
                if (half == 0 ? !upper : !lower) {
                    continue;
                }
                for (int dy = 0; dy < pixelsPerModule; ++dy) {
                    uchar *row = image.scanLine((line * 2 + half) * pixelsPerModule + dy);
                    std::fill_n(row + column * pixelsPerModule, pixelsPerModule, uchar(255));
                }
            }
        }
    }
    return image;
}

} // namespace

class TestQrCode : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void encodesPairingLink();
    void terminalTextHasExpectedShape_data();
    void terminalTextHasExpectedShape();
    void terminalTextScansOnDarkTerminal();
    void pngDecodesToTheSameText_data();
    void pngDecodesToTheSameText();
    void pngReplacesAnExistingFile();
    void pngIsPrivateWhateverTheUmask();
    void pngReplacesAWorldReadableFileWithAPrivateOne();
    void pngRefusesToWriteThroughASymlink();
    void encodesTheLongestAcceptedText();
    void refusesTextOverTheLimit();
    void refusesEmptyText();
    void unwritablePngPathIsAnError();
    void refusesBadPngParameters();

private:
    QTemporaryDir m_dir;
    std::optional<QrCode> m_code;
};

void TestQrCode::initTestCase()
{
    QVERIFY(m_dir.isValid());
    auto code = QrCode::encode(pairingLink);
    QVERIFY2(code.ok(), code.ok() ? "" : qPrintable(code.error().message));
    m_code = code.value();
}

void TestQrCode::encodesPairingLink()
{
    QVERIFY(m_code->size() > 20);
    // Versions are 21 + 4k modules wide.
    QCOMPARE((m_code->size() - 21) % 4, 0);
    // Finder patterns: dark 7x7 rings in three corners, light separators.
    for (const auto &[x, y] :
         {std::pair{0, 0}, std::pair{m_code->size() - 7, 0}, std::pair{0, m_code->size() - 7}}) {
        QVERIFY(m_code->isDark(x, y));
        QVERIFY(m_code->isDark(x + 6, y + 6));
        QVERIFY(!m_code->isDark(x + 1, y + 1));
        QVERIFY(m_code->isDark(x + 3, y + 3));
    }
    QVERIFY(!m_code->isDark(7, 7));
    QVERIFY(!m_code->isDark(-1, 0));
    QVERIFY(!m_code->isDark(0, m_code->size()));
}

void TestQrCode::terminalTextHasExpectedShape_data()
{
    QTest::addColumn<int>("quietZone");
    QTest::newRow("default") << 2;
    QTest::newRow("none") << 0;
    QTest::newRow("odd") << 1;
    QTest::newRow("wide") << 4;
}

void TestQrCode::terminalTextHasExpectedShape()
{
    QFETCH(int, quietZone);
    const QString text = m_code->toTerminalText(quietZone);
    const int side = m_code->size() + 2 * quietZone;
    QVERIFY(text.endsWith(u'\n'));
    const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), (side + 1) / 2);
    QCOMPARE(text.count(u'\n'), (side + 1) / 2);
    for (const QString &line : lines) {
        QCOMPARE(line.size(), side);
        for (const QChar c : line) {
            QVERIFY2(c == u' ' || c == QChar(0x2580) || c == QChar(0x2584) || c == QChar(0x2588),
                     qPrintable(QStringLiteral("unexpected U+%1").arg(c.unicode(), 4, 16)));
        }
    }
    if (quietZone >= 2) {
        // The quiet zone is ink (light on a dark terminal) all round.
        QCOMPARE(lines.first(), QString(side, QChar(0x2588)));
    }
    // Module (0,0) is dark, so it is blank: the top-left finder corner.
    const QChar corner = lines.at(quietZone / 2).at(quietZone);
    QVERIFY(quietZone % 2 == 0 ? corner == u' ' || corner == QChar(0x2584)
                               : corner == QChar(0x2580) || corner == u' ');
}

void TestQrCode::terminalTextScansOnDarkTerminal()
{
    const QImage image = renderTerminalText(m_code->toTerminalText(), 4);
    const auto decoded = decodeQrCode(image);
    QVERIFY(decoded.valid);
    QCOMPARE(decoded.text, QString::fromLatin1(pairingLink));
}

void TestQrCode::pngDecodesToTheSameText_data()
{
    QTest::addColumn<int>("scale");
    QTest::addColumn<int>("quietZone");
    QTest::newRow("default") << 8 << 4;
    QTest::newRow("small") << 3 << 4;
    QTest::newRow("narrow quiet zone") << 5 << 2;
}

void TestQrCode::pngDecodesToTheSameText()
{
    QFETCH(int, scale);
    QFETCH(int, quietZone);
    const QString path = m_dir.filePath(QStringLiteral("pair-%1-%2.png").arg(scale).arg(quietZone));
    const Status written = m_code->writePng(path, scale, quietZone);
    QVERIFY2(written.ok(), written.ok() ? "" : qPrintable(written.error().message));

    QImage image;
    QVERIFY(image.load(path, "PNG"));
    const int side = (m_code->size() + 2 * quietZone) * scale;
    QCOMPARE(image.width(), side);
    QCOMPARE(image.height(), side);
    QVERIFY(image.isGrayscale());
    // Pixel-exact against the modules: corners of the quiet zone white, the
    // first finder module black.
    QCOMPARE(qGray(image.pixel(0, 0)), 255);
    QCOMPARE(qGray(image.pixel(side - 1, side - 1)), 255);
    QCOMPARE(qGray(image.pixel(quietZone * scale, quietZone * scale)), 0);

    const auto decoded = decodeQrCode(image);
    QVERIFY(decoded.valid);
    QCOMPARE(decoded.text, QString::fromLatin1(pairingLink));
    QCOMPARE(decoded.errorCorrectionLevel, QStringLiteral("M"));
}

void TestQrCode::pngReplacesAnExistingFile()
{
    const QString path = m_dir.filePath(QStringLiteral("replace.png"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not a png");
    }
    QVERIFY(m_code->writePng(path).ok());
    QImage image;
    QVERIFY(image.load(path, "PNG"));
    QCOMPARE(decodeQrCode(image).text, QString::fromLatin1(pairingLink));
    // No temporary files are left behind.
    QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("replace.png*")}, QDir::Files).size(), 1);
}

namespace {

mode_t fileMode(const QString &path)
{
    struct stat info {};
    if (::lstat(QFile::encodeName(path).constData(), &info) != 0) {
        return 0;
    }
    return info.st_mode & 07777;
}

// Restores the umask when the test ends, however it ends.
class UmaskGuard {
public:
    explicit UmaskGuard(mode_t mask)
        : m_old(::umask(mask))
    {
    }
    ~UmaskGuard() { ::umask(m_old); }
    UmaskGuard(const UmaskGuard &) = delete;
    UmaskGuard &operator=(const UmaskGuard &) = delete;

private:
    mode_t m_old;
};

} // namespace

void TestQrCode::pngIsPrivateWhateverTheUmask()
{
    // `totp enroll --png` puts the TOTP seed in this file: with the usual
    // umask 022 it used to come out -rw-r--r--.
    const UmaskGuard umask(022);
    const QString path = m_dir.filePath(QStringLiteral("seed.png"));
    QVERIFY(m_code->writePng(path).ok());
    QCOMPARE(fileMode(path), mode_t(0600));
}

void TestQrCode::pngReplacesAWorldReadableFileWithAPrivateOne()
{
    const UmaskGuard umask(022);
    const QString path = m_dir.filePath(QStringLiteral("old-seed.png"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("old");
    }
    QVERIFY(::chmod(QFile::encodeName(path).constData(), 0644) == 0);
    QVERIFY(m_code->writePng(path).ok());
    QCOMPARE(fileMode(path), mode_t(0600));
    QImage image;
    QVERIFY(image.load(path, "PNG"));
}

void TestQrCode::pngRefusesToWriteThroughASymlink()
{
    const QString victim = m_dir.filePath(QStringLiteral("victim.txt"));
    {
        QFile file(victim);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("keep me");
    }
    const QString link = m_dir.filePath(QStringLiteral("link.png"));
    QVERIFY(QFile::link(victim, link));
    const Status written = m_code->writePng(link);
    QVERIFY(!written.ok());
    QCOMPARE(written.error().code, ErrorCode::StorageFailure);
    QVERIFY2(written.error().message.contains(QStringLiteral("symbolic link")),
             qPrintable(written.error().message));
    QFile file(victim);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("keep me"));
    QVERIFY(QFileInfo(link).isSymLink());
    QCOMPARE(QDir(m_dir.path())
                 .entryList({QStringLiteral("link.png*")}, QDir::Files | QDir::System)
                 .size(),
             1);
}

void TestQrCode::encodesTheLongestAcceptedText()
{
    QByteArray text = "countersign://pair?v=1&name=";
    text += QByteArray(QrCode::maxTextBytes - text.size(), 'x');
    QCOMPARE(text.size(), QrCode::maxTextBytes);
    const auto code = QrCode::encode(text);
    QVERIFY2(code.ok(), code.ok() ? "" : qPrintable(code.error().message));
    QVERIFY(code->size() <= 177);
    const QString path = m_dir.filePath(QStringLiteral("longest.png"));
    QVERIFY(code->writePng(path, 4).ok());
    QImage image;
    QVERIFY(image.load(path, "PNG"));
    QCOMPARE(decodeQrCode(image).text, QString::fromLatin1(text));
}

void TestQrCode::refusesTextOverTheLimit()
{
    const auto code = QrCode::encode(QByteArray(QrCode::maxTextBytes + 1, 'a'));
    QVERIFY(!code.ok());
    QCOMPARE(code.error().code, ErrorCode::InputTooLarge);
}

void TestQrCode::refusesEmptyText()
{
    const auto code = QrCode::encode({});
    QVERIFY(!code.ok());
    QCOMPARE(code.error().code, ErrorCode::InvalidField);
}

void TestQrCode::unwritablePngPathIsAnError()
{
    const QString missingDir = m_dir.filePath(QStringLiteral("no/such/dir/pair.png"));
    Status written = m_code->writePng(missingDir);
    QVERIFY(!written.ok());
    QCOMPARE(written.error().code, ErrorCode::StorageFailure);
    QVERIFY2(written.error().message.contains(missingDir), qPrintable(written.error().message));

    // A directory where the file should be.
    written = m_code->writePng(m_dir.path());
    QVERIFY(!written.ok());
    QCOMPARE(written.error().code, ErrorCode::StorageFailure);
}

void TestQrCode::refusesBadPngParameters()
{
    const QString path = m_dir.filePath(QStringLiteral("bad.png"));
    QCOMPARE(m_code->writePng(path, 0).error().code, ErrorCode::InvalidField);
    QCOMPARE(m_code->writePng(path, 8, -1).error().code, ErrorCode::InvalidField);
    QCOMPARE(m_code->writePng(path, 1000).error().code, ErrorCode::InvalidField);
    QVERIFY(!QFile::exists(path));
}

QTEST_GUILESS_MAIN(TestQrCode)
#include "test_qrcode.moc"
