#include "protocol/otp/otpsecret.h"

#include <QTest>

using namespace countersign;

class TestOtpSecret : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void acceptsSizesFrom128BitsTo128Bytes_data();
    void acceptsSizesFrom128BitsTo128Bytes();
    void rejectsSizesOutsideTheRange_data();
    void rejectsSizesOutsideTheRange();
    void readsBase32();
    void reportsBase32ErrorsAsSuch();
    void writesUnpaddedUpperCaseBase32();
    void generatesFreshSecretsOfTheRequestedSize();
    void refusesToGenerateWeakSecrets();
};

void TestOtpSecret::acceptsSizesFrom128BitsTo128Bytes_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("minimum (RFC 4226 R6)") << 16;
    QTest::newRow("SHA1 seed") << 20;
    QTest::newRow("SHA256 seed") << 32;
    QTest::newRow("SHA512 seed") << 64;
    QTest::newRow("maximum") << 128;
}

void TestOtpSecret::acceptsSizesFrom128BitsTo128Bytes()
{
    QFETCH(int, size);
    const QByteArray bytes(size, 'k');
    const auto secret = OtpSecret::fromBytes(bytes);
    QVERIFY(secret.ok());
    QCOMPARE(secret->bytes(), bytes);
}

void TestOtpSecret::rejectsSizesOutsideTheRange_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("empty") << 0;
    QTest::newRow("80 bits") << 10;
    QTest::newRow("one byte short") << 15;
    QTest::newRow("one byte over") << 129;
}

void TestOtpSecret::rejectsSizesOutsideTheRange()
{
    QFETCH(int, size);
    const auto secret = OtpSecret::fromBytes(QByteArray(size, 'k'));
    QVERIFY(!secret.ok());
    QCOMPARE(secret.error().code, ErrorCode::InvalidField);
    QVERIFY(secret.error().message.contains(QString::number(size)));
}

void TestOtpSecret::readsBase32()
{
    const auto secret = OtpSecret::fromBase32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq");
    QVERIFY(secret.ok());
    QCOMPARE(secret->bytes(), QByteArray("12345678901234567890"));
}

void TestOtpSecret::reportsBase32ErrorsAsSuch()
{
    const auto malformed = OtpSecret::fromBase32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
    QVERIFY(!malformed.ok());
    QCOMPARE(malformed.error().code, ErrorCode::MalformedBase32);

    // JBSWY3DPEHPK3PXP is the 10-byte key of the Key-Uri-Format example.
    const auto tooShort = OtpSecret::fromBase32("JBSWY3DPEHPK3PXP");
    QVERIFY(!tooShort.ok());
    QCOMPARE(tooShort.error().code, ErrorCode::InvalidField);
}

void TestOtpSecret::writesUnpaddedUpperCaseBase32()
{
    const auto secret = OtpSecret::fromBytes(QByteArray(16, '\xff'));
    QVERIFY(secret.ok());
    QCOMPARE(secret->toBase32(), QByteArray("77777777777777777777777774"));
}

void TestOtpSecret::generatesFreshSecretsOfTheRequestedSize()
{
    const auto first = OtpSecret::generate();
    const auto second = OtpSecret::generate();
    QVERIFY(first.ok());
    QVERIFY(second.ok());
    QCOMPARE(first->bytes().size(), OtpSecret::kDefaultSize);
    QCOMPARE(OtpSecret::kDefaultSize, 20);
    QVERIFY(first->bytes() != second->bytes());

    const auto large = OtpSecret::generate(64);
    QVERIFY(large.ok());
    QCOMPARE(large->bytes().size(), 64);
}

void TestOtpSecret::refusesToGenerateWeakSecrets()
{
    const auto weak = OtpSecret::generate(10);
    QVERIFY(!weak.ok());
    QCOMPARE(weak.error().code, ErrorCode::InvalidField);
    QVERIFY(!OtpSecret::generate(129).ok());
}

QTEST_APPLESS_MAIN(TestOtpSecret)
#include "test_otpsecret.moc"
