#include "protocol/otp/base32.h"

#include <QTest>

using namespace countersign;

class TestBase32 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void encodesRfc4648Vectors_data();
    void encodesRfc4648Vectors();
    void decodesAnyCaseWithOrWithoutPadding_data();
    void decodesAnyCaseWithOrWithoutPadding();
    void roundTripsEveryLength();
    void rejectsMalformedText_data();
    void rejectsMalformedText();
    void rejectsTextOverTheSizeLimit();
};

void TestBase32::encodesRfc4648Vectors_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("padded");
    QTest::addColumn<QByteArray>("unpadded");
    // RFC 4648 section 10.
    QTest::newRow("empty") << QByteArray() << QByteArray() << QByteArray();
    QTest::newRow("f") << QByteArray("f") << QByteArray("MY======") << QByteArray("MY");
    QTest::newRow("fo") << QByteArray("fo") << QByteArray("MZXQ====") << QByteArray("MZXQ");
    QTest::newRow("foo") << QByteArray("foo") << QByteArray("MZXW6===") << QByteArray("MZXW6");
    QTest::newRow("foob") << QByteArray("foob") << QByteArray("MZXW6YQ=") << QByteArray("MZXW6YQ");
    QTest::newRow("fooba") << QByteArray("fooba") << QByteArray("MZXW6YTB")
                           << QByteArray("MZXW6YTB");
    QTest::newRow("foobar") << QByteArray("foobar") << QByteArray("MZXW6YTBOI======")
                            << QByteArray("MZXW6YTBOI");
    // STANDARDS.md 5.3: the RFC 4226 test key.
    QTest::newRow("rfc 4226 key") << QByteArray("12345678901234567890")
                                  << QByteArray("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
                                  << QByteArray("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    QTest::newRow("all bits set") << QByteArray::fromHex("ffffffffff") << QByteArray("77777777")
                                  << QByteArray("77777777");
}

void TestBase32::encodesRfc4648Vectors()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, padded);
    QFETCH(QByteArray, unpadded);
    QCOMPARE(base32Encode(raw), unpadded);
    QCOMPARE(base32Encode(raw, Base32Padding::Include), padded);
    for (const QByteArray &text : {padded, unpadded}) {
        const auto decoded = base32Decode(text);
        QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
        QCOMPARE(decoded.value(), raw);
    }
}

void TestBase32::decodesAnyCaseWithOrWithoutPadding_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("lower case") << QByteArray("mzxw6ytboi") << QByteArray("foobar");
    QTest::newRow("mixed case") << QByteArray("MzXw6YtBoI") << QByteArray("foobar");
    QTest::newRow("lower case padded") << QByteArray("mzxw6===") << QByteArray("foo");
}

void TestBase32::decodesAnyCaseWithOrWithoutPadding()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, raw);
    const auto decoded = base32Decode(text);
    QVERIFY(decoded.ok());
    QCOMPARE(decoded.value(), raw);
}

void TestBase32::roundTripsEveryLength()
{
    QByteArray data;
    for (int length = 0; length < 70; ++length) {
        for (const auto padding : {Base32Padding::Omit, Base32Padding::Include}) {
            const QByteArray encoded = base32Encode(data, padding);
            QCOMPARE(encoded.size() % 8 == 0, padding == Base32Padding::Include || length % 5 == 0);
            const auto decoded = base32Decode(encoded);
            QVERIFY2(decoded.ok(), encoded.constData());
            QCOMPARE(decoded.value(), data);
        }
        data.append(static_cast<char>(length * 37 + 11));
    }
}

void TestBase32::rejectsMalformedText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("messagePart");
    QTest::newRow("space") << QByteArray("MZXW 6YTB") << QStringLiteral("alphabet");
    QTest::newRow("newline") << QByteArray("MZXW6\nYTB") << QStringLiteral("alphabet");
    QTest::newRow("trailing newline") << QByteArray("MZXW6YTB\n") << QStringLiteral("alphabet");
    QTest::newRow("dash separator") << QByteArray("MZXW-6YTB") << QStringLiteral("alphabet");
    QTest::newRow("digit 0") << QByteArray("MZXW06YT") << QStringLiteral("alphabet");
    QTest::newRow("digit 1") << QByteArray("MZXW16YT") << QStringLiteral("alphabet");
    QTest::newRow("digit 8") << QByteArray("MZXW86YT") << QStringLiteral("alphabet");
    QTest::newRow("nul byte") << QByteArray("MZ\0W6YTB", 8) << QStringLiteral("alphabet");
    QTest::newRow("non-ascii") << QByteArray("MZXW6YT\xc3\x89") << QStringLiteral("alphabet");
    QTest::newRow("padding in the middle")
        << QByteArray("MY======MY======") << QStringLiteral("before the end");
    QTest::newRow("padding inside a group") << QByteArray("MZ=XW6==") << QStringLiteral("before");
    QTest::newRow("too little padding") << QByteArray("MY=====") << QStringLiteral("padding");
    QTest::newRow("too much padding") << QByteArray("MZXW6YTB=") << QStringLiteral("padding");
    QTest::newRow("padding after a full group")
        << QByteArray("MZXW6YTB========") << QStringLiteral("padding");
    QTest::newRow("only padding") << QByteArray("========") << QStringLiteral("padding");
    QTest::newRow("impossible length 1") << QByteArray("M") << QStringLiteral("length");
    QTest::newRow("impossible length 3") << QByteArray("MZX") << QStringLiteral("length");
    QTest::newRow("impossible length 6") << QByteArray("MZXW6Y") << QStringLiteral("length");
    QTest::newRow("impossible length 9") << QByteArray("MZXW6YTBO") << QStringLiteral("length");
    QTest::newRow("impossible length, padded")
        << QByteArray("M=======") << QStringLiteral("length");
    QTest::newRow("non-zero trailing bits, 1 byte")
        << QByteArray("MZ") << QStringLiteral("canonical");
    QTest::newRow("non-zero trailing bits, 2 bytes")
        << QByteArray("MZXR") << QStringLiteral("canonical");
    QTest::newRow("non-zero trailing bits, 3 bytes")
        << QByteArray("MZXW7") << QStringLiteral("canonical");
    QTest::newRow("non-zero trailing bits, 4 bytes")
        << QByteArray("MZXW6YR") << QStringLiteral("canonical");
    QTest::newRow("non-zero trailing bits, padded")
        << QByteArray("MZ======") << QStringLiteral("canonical");
}

void TestBase32::rejectsMalformedText()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, messagePart);
    const auto decoded = base32Decode(text);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, ErrorCode::MalformedBase32);
    QVERIFY2(decoded.error().message.contains(messagePart), qPrintable(decoded.error().message));
}

void TestBase32::rejectsTextOverTheSizeLimit()
{
    const QByteArray atLimit(kBase32MaxTextLength, 'A');
    QVERIFY(base32Decode(atLimit).ok());
    const auto tooLarge = base32Decode(QByteArray(atLimit + QByteArray(8, 'A')));
    QVERIFY(!tooLarge.ok());
    QCOMPARE(tooLarge.error().code, ErrorCode::InputTooLarge);
}

QTEST_APPLESS_MAIN(TestBase32)
#include "test_base32.moc"
