#include "protocol/otp/hotp.h"

#include <QTest>

using namespace countersign;

namespace {

Hotp rfc4226Hotp(int digits = 6)
{
    auto secret = OtpSecret::fromBytes("12345678901234567890");
    Q_ASSERT(secret.ok());
    auto hotp = Hotp::create(std::move(secret).value(), OtpAlgorithm::Sha1, digits);
    Q_ASSERT(hotp.ok());
    return std::move(hotp).value();
}

} // namespace

class TestHotp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesRfc4226AppendixD_data();
    void matchesRfc4226AppendixD();
    void producesEightDigitCodesFromTheSameTruncation_data();
    void producesEightDigitCodesFromTheSameTruncation();
    void verifyRefusesTheCodeOfAnotherCounter();
    void verifyRefusesMalformedCodes_data();
    void verifyRefusesMalformedCodes();
    void rejectsUnsupportedDigitCounts_data();
    void rejectsUnsupportedDigitCounts();
};

void TestHotp::matchesRfc4226AppendixD_data()
{
    QTest::addColumn<quint64>("counter");
    QTest::addColumn<QString>("code");
    const char *codes[] = {"755224", "287082", "359152", "969429", "338314",
                           "254676", "287922", "162583", "399871", "520489"};
    for (quint64 counter = 0; counter < 10; ++counter) {
        QTest::addRow("count %llu", counter) << counter << QString::fromLatin1(codes[counter]);
    }
}

void TestHotp::matchesRfc4226AppendixD()
{
    QFETCH(quint64, counter);
    QFETCH(QString, code);
    const Hotp hotp = rfc4226Hotp();
    const auto generated = hotp.code(counter);
    QVERIFY(generated.ok());
    QCOMPARE(generated.value(), code);
    QVERIFY(hotp.verify(code, counter).ok());
}

void TestHotp::producesEightDigitCodesFromTheSameTruncation_data()
{
    // The "decimal" column of RFC 4226 Appendix D, modulo 10^8; counts 2 and
    // 7 check that short values are zero-padded.
    QTest::addColumn<quint64>("counter");
    QTest::addColumn<QString>("code");
    QTest::newRow("count 0") << quint64(0) << QStringLiteral("84755224");
    QTest::newRow("count 2") << quint64(2) << QStringLiteral("37359152");
    QTest::newRow("count 7") << quint64(7) << QStringLiteral("82162583");
    QTest::newRow("count 9") << quint64(9) << QStringLiteral("45520489");
}

void TestHotp::producesEightDigitCodesFromTheSameTruncation()
{
    QFETCH(quint64, counter);
    QFETCH(QString, code);
    const auto generated = rfc4226Hotp(8).code(counter);
    QVERIFY(generated.ok());
    QCOMPARE(generated.value(), code);
}

void TestHotp::verifyRefusesTheCodeOfAnotherCounter()
{
    const Hotp hotp = rfc4226Hotp();
    const auto refused = hotp.verify(u"287082", 0); // the code for count 1
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::BadSignature);
}

void TestHotp::verifyRefusesMalformedCodes_data()
{
    QTest::addColumn<QString>("code");
    QTest::newRow("empty") << QString();
    QTest::newRow("too short") << QStringLiteral("75522");
    QTest::newRow("too long") << QStringLiteral("7552240");
    QTest::newRow("right code plus newline") << QStringLiteral("755224\n");
    QTest::newRow("leading space") << QStringLiteral(" 755224");
    QTest::newRow("letter") << QStringLiteral("75522a");
    QTest::newRow("sign") << QStringLiteral("+55224");
    QTest::newRow("arabic-indic digits") << QStringLiteral(u"\u0667\u0665\u0665\u0662\u0662\u0664");
    QTest::newRow("fullwidth digits") << QStringLiteral(u"\uff17\uff15\uff15\uff12\uff12\uff14");
    QTest::newRow("nul") << QString(QChar(u'\0')).repeated(6);
}

void TestHotp::verifyRefusesMalformedCodes()
{
    QFETCH(QString, code);
    const auto refused = rfc4226Hotp().verify(code, 0);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::InvalidField);
}

void TestHotp::rejectsUnsupportedDigitCounts_data()
{
    QTest::addColumn<int>("digits");
    for (const int digits : {-6, 0, 1, 5, 7, 9, 10}) {
        QTest::addRow("%d digits", digits) << digits;
    }
}

void TestHotp::rejectsUnsupportedDigitCounts()
{
    QFETCH(int, digits);
    auto secret = OtpSecret::fromBytes("12345678901234567890");
    QVERIFY(secret.ok());
    const auto hotp = Hotp::create(secret.value(), OtpAlgorithm::Sha1, digits);
    QVERIFY(!hotp.ok());
    QCOMPARE(hotp.error().code, ErrorCode::InvalidField);
}

QTEST_APPLESS_MAIN(TestHotp)
#include "test_hotp.moc"
