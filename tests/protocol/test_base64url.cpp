#include "protocol/base64url.h"

#include <QTest>

using namespace countersign;

class TestBase64Url : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void encodesWithoutPadding_data();
    void encodesWithoutPadding();
    void roundTripsEveryLength();
    void rejectsNonCanonicalOrForeignText_data();
    void rejectsNonCanonicalOrForeignText();
};

void TestBase64Url::encodesWithoutPadding_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("encoded");
    // RFC 4648 section 10 vectors, in the URL alphabet and unpadded.
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("f") << QByteArray("f") << QByteArray("Zg");
    QTest::newRow("fo") << QByteArray("fo") << QByteArray("Zm8");
    QTest::newRow("foo") << QByteArray("foo") << QByteArray("Zm9v");
    QTest::newRow("foobar") << QByteArray("foobar") << QByteArray("Zm9vYmFy");
    QTest::newRow("url alphabet") << QByteArray::fromHex("fbff") << QByteArray("-_8");
}

void TestBase64Url::encodesWithoutPadding()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, encoded);
    QCOMPARE(base64UrlEncode(raw), encoded);
    const auto decoded = base64UrlDecode(encoded);
    QVERIFY(decoded.ok());
    QCOMPARE(decoded.value(), raw);
}

void TestBase64Url::roundTripsEveryLength()
{
    QByteArray data;
    for (int length = 0; length < 70; ++length) {
        const auto decoded = base64UrlDecode(base64UrlEncode(data));
        QVERIFY2(decoded.ok(), qPrintable(QString::number(length)));
        QCOMPARE(decoded.value(), data);
        data.append(static_cast<char>(length * 37 + 11));
    }
}

void TestBase64Url::rejectsNonCanonicalOrForeignText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("padding") << QByteArray("Zg==");
    QTest::newRow("standard alphabet plus") << QByteArray("+_8");
    QTest::newRow("standard alphabet slash") << QByteArray("-/8");
    QTest::newRow("whitespace") << QByteArray("Zm9v Zg");
    QTest::newRow("newline") << QByteArray("Zm9v\nZg");
    QTest::newRow("impossible length") << QByteArray("Zm9vY");
    QTest::newRow("non-zero trailing bits, 1 byte") << QByteArray("Zh");
    QTest::newRow("non-zero trailing bits, 2 bytes") << QByteArray("Zm9");
    QTest::newRow("nul byte") << QByteArray("Zm\0v", 4);
    QTest::newRow("non-ascii") << QByteArray("Zm9\xc3\xa9");
}

void TestBase64Url::rejectsNonCanonicalOrForeignText()
{
    QFETCH(QByteArray, text);
    const auto decoded = base64UrlDecode(text);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, ErrorCode::MalformedBase64);
    QVERIFY(!decoded.error().message.isEmpty());
}

QTEST_APPLESS_MAIN(TestBase64Url)
#include "test_base64url.moc"
