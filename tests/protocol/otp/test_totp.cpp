#include "protocol/otp/totp.h"
#include "tests/support/manualclock.h"

#include <QTest>

using namespace countersign;
using countersign::testing::ManualClock;

namespace {

// RFC 6238 Appendix A seeds: each algorithm has its own (STANDARDS.md 5.2).
QByteArray rfc6238Seed(OtpAlgorithm algorithm)
{
    switch (algorithm) {
    case OtpAlgorithm::Sha1:
        return QByteArray("12345678901234567890");
    case OtpAlgorithm::Sha256:
        return QByteArray("12345678901234567890123456789012");
    case OtpAlgorithm::Sha512:
        return QByteArray("1234567890123456789012345678901234567890123456789012345678901234");
    }
    return {};
}

Totp makeTotp(OtpAlgorithm algorithm = OtpAlgorithm::Sha1, int digits = 6, qint64 period = 30,
              qint64 t0 = 0)
{
    auto secret = OtpSecret::fromBytes(rfc6238Seed(algorithm));
    Q_ASSERT(secret.ok());
    auto totp = Totp::create(std::move(secret).value(), algorithm, digits, period, t0);
    Q_ASSERT(totp.ok());
    return std::move(totp).value();
}

} // namespace

class TestTotp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesRfc6238AppendixB_data();
    void matchesRfc6238AppendixB();
    void countsStepsFromT0();
    void refusesTimesBeforeT0();
    void countsDownToTheNextCode();
    void verifyAcceptsCodesWithinTheWindow_data();
    void verifyAcceptsCodesWithinTheWindow();
    void verifyRefusesCodesOutsideTheWindow_data();
    void verifyRefusesCodesOutsideTheWindow();
    void verifyDoesNotLookBeforeTheFirstStep();
    void verifyRefusesMalformedCodes_data();
    void verifyRefusesMalformedCodes();
    void verifyRefusesUnreasonableWindows_data();
    void verifyRefusesUnreasonableWindows();
    void rejectsInvalidParameters_data();
    void rejectsInvalidParameters();
};

void TestTotp::matchesRfc6238AppendixB_data()
{
    QTest::addColumn<OtpAlgorithm>("algorithm");
    QTest::addColumn<qint64>("time");
    QTest::addColumn<qint64>("step");
    QTest::addColumn<QString>("code");
    struct Row {
        qint64 time;
        qint64 step;
        const char *sha1;
        const char *sha256;
        const char *sha512;
    };
    const Row rows[] = {
        {59, 0x1, "94287082", "46119246", "90693936"},
        {1111111109, 0x23523EC, "07081804", "68084774", "25091201"},
        {1111111111, 0x23523ED, "14050471", "67062674", "99943326"},
        {1234567890, 0x273EF07, "89005924", "91819424", "93441116"},
        {2000000000, 0x3F940AA, "69279037", "90698825", "38618901"},
        {20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"},
    };
    for (const Row &row : rows) {
        QTest::addRow("SHA1 at %lld", row.time)
            << OtpAlgorithm::Sha1 << row.time << row.step << QString::fromLatin1(row.sha1);
        QTest::addRow("SHA256 at %lld", row.time)
            << OtpAlgorithm::Sha256 << row.time << row.step << QString::fromLatin1(row.sha256);
        QTest::addRow("SHA512 at %lld", row.time)
            << OtpAlgorithm::Sha512 << row.time << row.step << QString::fromLatin1(row.sha512);
    }
}

void TestTotp::matchesRfc6238AppendixB()
{
    QFETCH(OtpAlgorithm, algorithm);
    QFETCH(qint64, time);
    QFETCH(qint64, step);
    QFETCH(QString, code);
    const Totp totp = makeTotp(algorithm, 8);
    const ManualClock clock(time);

    const auto computedStep = totp.stepAt(time);
    QVERIFY(computedStep.ok());
    QCOMPARE(computedStep.value(), step);
    const auto generated = totp.code(clock);
    QVERIFY(generated.ok());
    QCOMPARE(generated.value(), code);

    const auto matched = totp.verify(code, clock);
    QVERIFY(matched.ok());
    QCOMPARE(matched.value(), step);
}

void TestTotp::countsStepsFromT0()
{
    const qint64 t0 = 1'000'000;
    const Totp shifted = makeTotp(OtpAlgorithm::Sha1, 8, 30, t0);
    const auto step = shifted.stepAt(t0 + 59);
    QVERIFY(step.ok());
    QCOMPARE(step.value(), 1);
    const auto code = shifted.codeAt(t0 + 59);
    QVERIFY(code.ok());
    QCOMPARE(code.value(), QStringLiteral("94287082")); // the RFC's code for T = 1

    const Totp minute = makeTotp(OtpAlgorithm::Sha1, 8, 60);
    QCOMPARE(minute.stepAt(1111111109).value(), 1111111109 / 60);
}

void TestTotp::refusesTimesBeforeT0()
{
    const Totp totp = makeTotp(OtpAlgorithm::Sha1, 6, 30, 1000);
    const ManualClock clock(999);
    const auto code = totp.code(clock);
    QVERIFY(!code.ok());
    QCOMPARE(code.error().code, ErrorCode::NotYetValid);
    const auto matched = totp.verify(u"123456", clock);
    QVERIFY(!matched.ok());
    QCOMPARE(matched.error().code, ErrorCode::NotYetValid);
}

void TestTotp::countsDownToTheNextCode()
{
    const Totp totp = makeTotp();
    ManualClock clock(1'700'000'000); // 20 s into a step
    QCOMPARE(totp.secondsRemaining(clock), qint64(10));
    clock.set(1'700'000'009);
    QCOMPARE(totp.secondsRemaining(clock), qint64(1));
    clock.set(1'700'000'010); // a new step starts
    QCOMPARE(totp.secondsRemaining(clock), qint64(30));
}

void TestTotp::verifyAcceptsCodesWithinTheWindow_data()
{
    QTest::addColumn<int>("window");
    QTest::addColumn<qint64>("offset");
    QTest::newRow("current step, window 0") << 0 << qint64(0);
    QTest::newRow("current step") << 1 << qint64(0);
    QTest::newRow("previous step") << 1 << qint64(-1);
    QTest::newRow("next step") << 1 << qint64(1);
    QTest::newRow("two back, window 2") << 2 << qint64(-2);
    QTest::newRow("two ahead, window 2") << 2 << qint64(2);
}

void TestTotp::verifyAcceptsCodesWithinTheWindow()
{
    QFETCH(int, window);
    QFETCH(qint64, offset);
    const Totp totp = makeTotp(OtpAlgorithm::Sha256, 8);
    const ManualClock clock(1111111111); // RFC step 0x23523ED
    const qint64 current = 0x23523ED;
    const auto code = totp.codeAt((current + offset) * 30);
    QVERIFY(code.ok());

    const auto matched = totp.verify(code.value(), clock, window);
    QVERIFY2(matched.ok(), qPrintable(matched.ok() ? QString() : matched.error().message));
    QCOMPARE(matched.value(), current + offset);
}

void TestTotp::verifyRefusesCodesOutsideTheWindow_data()
{
    QTest::addColumn<int>("window");
    QTest::addColumn<qint64>("offset");
    QTest::newRow("previous step, window 0") << 0 << qint64(-1);
    QTest::newRow("next step, window 0") << 0 << qint64(1);
    QTest::newRow("two back") << 1 << qint64(-2);
    QTest::newRow("two ahead") << 1 << qint64(2);
    QTest::newRow("three back, window 2") << 2 << qint64(-3);
    QTest::newRow("far away") << 1 << qint64(-1000);
}

void TestTotp::verifyRefusesCodesOutsideTheWindow()
{
    QFETCH(int, window);
    QFETCH(qint64, offset);
    const Totp totp = makeTotp(OtpAlgorithm::Sha256, 8);
    const ManualClock clock(1111111111);
    const qint64 current = 0x23523ED;
    const auto code = totp.codeAt((current + offset) * 30);
    QVERIFY(code.ok());
    // Guard the test itself: a code that happened to repeat within the window
    // would make the refusal below impossible.
    for (qint64 near = current - window; near <= current + window; ++near) {
        QVERIFY(totp.codeAt(near * 30).value() != code.value());
    }

    const auto matched = totp.verify(code.value(), clock, window);
    QVERIFY(!matched.ok());
    QCOMPARE(matched.error().code, ErrorCode::BadSignature);
}

void TestTotp::verifyDoesNotLookBeforeTheFirstStep()
{
    const Totp totp = makeTotp(OtpAlgorithm::Sha1, 8);
    const ManualClock clock(10);                       // step 0
    const auto next = totp.verify(u"94287082", clock); // the RFC's code for step 1
    QVERIFY(next.ok());
    QCOMPARE(next.value(), 1);
    const auto current = totp.verify(totp.codeAt(0).value(), clock, Totp::kMaximumWindow);
    QVERIFY(current.ok());
    QCOMPARE(current.value(), 0);
}

void TestTotp::verifyRefusesMalformedCodes_data()
{
    QTest::addColumn<QString>("code");
    QTest::newRow("empty") << QString();
    QTest::newRow("six digits of an eight-digit code") << QStringLiteral("081804");
    QTest::newRow("too long") << QStringLiteral("070818040");
    QTest::newRow("letters") << QStringLiteral("07O81804");
    QTest::newRow("trailing space") << QStringLiteral("07081804 ");
    QTest::newRow("separated") << QStringLiteral("0708-1804");
    QTest::newRow("superscript digit") << QStringLiteral(u"0708180\u2074");
}

void TestTotp::verifyRefusesMalformedCodes()
{
    QFETCH(QString, code);
    const Totp totp = makeTotp(OtpAlgorithm::Sha1, 8);
    const ManualClock clock(1111111109);
    const auto matched = totp.verify(code, clock);
    QVERIFY(!matched.ok());
    QCOMPARE(matched.error().code, ErrorCode::InvalidField);
}

void TestTotp::verifyRefusesUnreasonableWindows_data()
{
    QTest::addColumn<int>("window");
    QTest::newRow("negative") << -1;
    QTest::newRow("too wide") << Totp::kMaximumWindow + 1;
}

void TestTotp::verifyRefusesUnreasonableWindows()
{
    QFETCH(int, window);
    const Totp totp = makeTotp(OtpAlgorithm::Sha1, 8);
    const ManualClock clock(1111111109);
    const auto matched = totp.verify(u"07081804", clock, window);
    QVERIFY(!matched.ok());
    QCOMPARE(matched.error().code, ErrorCode::InvalidField);
}

void TestTotp::rejectsInvalidParameters_data()
{
    QTest::addColumn<int>("digits");
    QTest::addColumn<qint64>("period");
    QTest::addColumn<qint64>("t0");
    QTest::newRow("zero period") << 6 << qint64(0) << qint64(0);
    QTest::newRow("negative period") << 6 << qint64(-30) << qint64(0);
    QTest::newRow("period over an hour") << 6 << Totp::kMaximumPeriod + 1 << qint64(0);
    QTest::newRow("negative T0") << 6 << qint64(30) << qint64(-1);
    QTest::newRow("7 digits") << 7 << qint64(30) << qint64(0);
}

void TestTotp::rejectsInvalidParameters()
{
    QFETCH(int, digits);
    QFETCH(qint64, period);
    QFETCH(qint64, t0);
    auto secret = OtpSecret::fromBytes(rfc6238Seed(OtpAlgorithm::Sha1));
    QVERIFY(secret.ok());
    const auto totp = Totp::create(secret.value(), OtpAlgorithm::Sha1, digits, period, t0);
    QVERIFY(!totp.ok());
    QCOMPARE(totp.error().code, ErrorCode::InvalidField);
}

QTEST_APPLESS_MAIN(TestTotp)
#include "test_totp.moc"
