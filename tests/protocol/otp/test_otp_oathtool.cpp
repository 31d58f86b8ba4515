// Interoperability: our HOTP/TOTP codes must equal those of oathtool (OATH
// Toolkit), an independent implementation that phone apps agree with.

#include "protocol/otp/hotp.h"
#include "protocol/otp/totp.h"
#include "tests/support/toolrunner.h"

#include <QTest>

using namespace countersign;
using countersign::testing::requiredTool;
using countersign::testing::runTool;

namespace {

struct Key {
    const char *name;
    QByteArray bytes;
};

// Fixed keys so that a failure can be reproduced by hand with oathtool.
QList<Key> keys()
{
    QByteArray pattern;
    for (int i = 0; i < 128; ++i) {
        pattern.append(static_cast<char>(i * 151 + 7));
    }
    return {
        {"rfc seed 20", QByteArray("12345678901234567890")},
        {"rfc seed 32", QByteArray("12345678901234567890123456789012")},
        {"rfc seed 64",
         QByteArray("1234567890123456789012345678901234567890123456789012345678901234")},
        {"minimum 16", pattern.left(16)},
        {"maximum 128", pattern},
    };
}

} // namespace

class TestOtpOathtool : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void totpMatchesOathtool_data();
    void totpMatchesOathtool();
    void hotpMatchesOathtool_data();
    void hotpMatchesOathtool();

private:
    // Runs oathtool with the key on stdin (keeping it off the command line)
    // and returns the code it prints.
    QString runOathtool(QStringList arguments, const QByteArray &key);

    QString m_oathtool;
};

void TestOtpOathtool::initTestCase()
{
    m_oathtool = requiredTool(QStringLiteral("oathtool"));
    QVERIFY2(!m_oathtool.isEmpty(), "the `oathtool` command is missing: apt-get install oathtool");
}

QString TestOtpOathtool::runOathtool(QStringList arguments, const QByteArray &key)
{
    arguments << QStringLiteral("-");
    const auto run = runTool(m_oathtool, arguments, QByteArray(key.toHex() + '\n'));
    if (!run.succeeded()) {
        return QStringLiteral("<oathtool failed: ") + QString::fromUtf8(run.err) + QLatin1Char('>');
    }
    return QString::fromLatin1(run.out).trimmed();
}

void TestOtpOathtool::totpMatchesOathtool_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<OtpAlgorithm>("algorithm");
    QTest::addColumn<int>("digits");
    QTest::addColumn<qint64>("period");
    QTest::addColumn<qint64>("t0");
    QTest::addColumn<qint64>("time");

    const struct {
        OtpAlgorithm algorithm;
        const char *name;
    } algorithms[] = {
        {OtpAlgorithm::Sha1, "SHA1"},
        {OtpAlgorithm::Sha256, "SHA256"},
        {OtpAlgorithm::Sha512, "SHA512"},
    };
    const qint64 times[] = {59, 1'111'111'109, 1'700'000'029, 4'102'444'800, 20'000'000'000};
    for (const Key &key : keys()) {
        for (const auto &algorithm : algorithms) {
            for (const qint64 time : times) {
                for (const int digits : {6, 8}) {
                    QTest::addRow("%s %s %d digits at %lld", key.name, algorithm.name, digits, time)
                        << key.bytes << algorithm.algorithm << digits << qint64(30) << qint64(0)
                        << time;
                }
            }
        }
    }
    // Other periods and a non-zero T0.
    const QByteArray seed("12345678901234567890");
    QTest::newRow("60 s period") << seed << OtpAlgorithm::Sha1 << 6 << qint64(60) << qint64(0)
                                 << qint64(1'700'000'000);
    QTest::newRow("1 s period") << seed << OtpAlgorithm::Sha256 << 8 << qint64(1) << qint64(0)
                                << qint64(1'700'000'001);
    QTest::newRow("1 h period") << seed << OtpAlgorithm::Sha512 << 8 << qint64(3600) << qint64(0)
                                << qint64(1'700'000'000);
    QTest::newRow("T0 1000, 60 s period")
        << seed << OtpAlgorithm::Sha1 << 8 << qint64(60) << qint64(1000) << qint64(1'111'111'109);
    QTest::newRow("at T0") << seed << OtpAlgorithm::Sha1 << 6 << qint64(30) << qint64(1'000'000'000)
                           << qint64(1'000'000'000);
}

void TestOtpOathtool::totpMatchesOathtool()
{
    QFETCH(QByteArray, key);
    QFETCH(OtpAlgorithm, algorithm);
    QFETCH(int, digits);
    QFETCH(qint64, period);
    QFETCH(qint64, t0);
    QFETCH(qint64, time);

    auto secret = OtpSecret::fromBytes(key);
    QVERIFY(secret.ok());
    const auto totp = Totp::create(std::move(secret).value(), algorithm, digits, period, t0);
    QVERIFY(totp.ok());
    const auto ours = totp->codeAt(time);
    QVERIFY(ours.ok());

    const QString theirs = runOathtool(
        {QStringLiteral("--totp=") + otpAlgorithmName(algorithm),
         QStringLiteral("--digits=") + QString::number(digits),
         QStringLiteral("--time-step-size=") + QString::number(period) + QLatin1Char('s'),
         QStringLiteral("--start-time=@") + QString::number(t0),
         QStringLiteral("--now=@") + QString::number(time)},
        key);
    QCOMPARE(ours.value(), theirs);
}

void TestOtpOathtool::hotpMatchesOathtool_data()
{
    // oathtool's HOTP mode is HMAC-SHA-1 only, as RFC 4226 defines it.
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<int>("digits");
    QTest::addColumn<quint64>("counter");
    const quint64 counters[] = {
        0, 1, 9, 1'000'000, 0xffff'ffffULL, 0x1'0000'0000ULL, std::numeric_limits<quint64>::max()};
    for (const Key &key : keys()) {
        for (const quint64 counter : counters) {
            for (const int digits : {6, 8}) {
                QTest::addRow("%s %d digits count %llu", key.name, digits, counter)
                    << key.bytes << digits << counter;
            }
        }
    }
}

void TestOtpOathtool::hotpMatchesOathtool()
{
    QFETCH(QByteArray, key);
    QFETCH(int, digits);
    QFETCH(quint64, counter);

    auto secret = OtpSecret::fromBytes(key);
    QVERIFY(secret.ok());
    const auto hotp = Hotp::create(std::move(secret).value(), OtpAlgorithm::Sha1, digits);
    QVERIFY(hotp.ok());
    const auto ours = hotp->code(counter);
    QVERIFY(ours.ok());

    const QString theirs = runOathtool({QStringLiteral("--hotp"),
                                        QStringLiteral("--digits=") + QString::number(digits),
                                        QStringLiteral("--counter=") + QString::number(counter)},
                                       key);
    QCOMPARE(ours.value(), theirs);
}

QTEST_GUILESS_MAIN(TestOtpOathtool)
#include "test_otp_oathtool.moc"
