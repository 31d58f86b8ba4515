#include "app/reconnectbackoff.h"

#include <QTest>

using namespace countersign;

// The reconnection delays: 1 s doubling to 60 s, with +/-20 % jitter, reset
// after a stable connection.
namespace {

// The next delay in milliseconds, as the tests compare it.
int delayOf(ReconnectBackoff &backoff)
{
    return static_cast<int>(backoff.nextDelay().count());
}

} // namespace

class TestAppReconnectBackoff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void doublesUpToTheCapWithoutJitter();
    void jitterStaysWithinItsBand_data();
    void jitterStaysWithinItsBand();
    void capHoldsWithJitter();
    void resetStartsOver();
    void manyFailuresDoNotOverflow();
    void nonsenseSettingsAreTamed();
    void defaultRandomSpreadsDelays();
    void defaultsReachAReturningGatewayWithinFiveSeconds();
};

void TestAppReconnectBackoff::doublesUpToTheCapWithoutJitter()
{
    ReconnectBackoff backoff(
        BackoffTimings{std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000), 0.0});
    QList<int> delays;
    for (int i = 0; i < 9; ++i)
        delays.append(delayOf(backoff));
    QCOMPARE(delays,
             (QList<int>{1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 60'000, 60'000, 60'000}));
    QCOMPARE(backoff.attempts(), 9);
}

void TestAppReconnectBackoff::jitterStaysWithinItsBand_data()
{
    QTest::addColumn<double>("random");
    QTest::addColumn<int>("expected");
    QTest::newRow("lowest") << 0.0 << 800;
    QTest::newRow("middle") << 0.5 << 1'000;
    QTest::newRow("highest") << 0.999999 << 1'200;
}

void TestAppReconnectBackoff::jitterStaysWithinItsBand()
{
    QFETCH(double, random);
    QFETCH(int, expected);
    ReconnectBackoff backoff(
        BackoffTimings{std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000), 0.2},
        [random] { return random; });
    QCOMPARE(delayOf(backoff), expected);
    QCOMPARE(delayOf(backoff), expected * 2);
}

void TestAppReconnectBackoff::capHoldsWithJitter()
{
    // At the cap, jitter can only shorten the wait: 60 s stays the maximum.
    ReconnectBackoff high(
        BackoffTimings{std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000), 0.2},
        [] { return 0.999; });
    ReconnectBackoff low(
        BackoffTimings{std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000), 0.2},
        [] { return 0.0; });
    for (int i = 0; i < 7; ++i) {
        (void)high.nextDelay();
        (void)low.nextDelay();
    }
    QCOMPARE(delayOf(high), 60'000);
    QCOMPARE(delayOf(low), 48'000);
}

void TestAppReconnectBackoff::defaultsReachAReturningGatewayWithinFiveSeconds()
{
    // However long the gateway was down, the next attempt is at most 5 s
    // away, and never a busy loop.
    ReconnectBackoff backoff(BackoffTimings{}, [] { return 0.999999; });
    QCOMPARE(BackoffTimings{}.maximum, std::chrono::milliseconds(5'000));
    for (int i = 0; i < 50; ++i) {
        const int delay = delayOf(backoff);
        QVERIFY2(delay > 0 && delay <= 5'000, qPrintable(QString::number(delay)));
    }
    QCOMPARE(delayOf(backoff), 5'000);
}

void TestAppReconnectBackoff::resetStartsOver()
{
    ReconnectBackoff backoff(
        BackoffTimings{std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000), 0.0});
    for (int i = 0; i < 5; ++i)
        (void)backoff.nextDelay();
    backoff.reset();
    QCOMPARE(backoff.attempts(), 0);
    QCOMPARE(delayOf(backoff), 1'000);
}

void TestAppReconnectBackoff::manyFailuresDoNotOverflow()
{
    ReconnectBackoff backoff(
        BackoffTimings{std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000), 0.0});
    int last = 0;
    for (int i = 0; i < 10'000; ++i)
        last = delayOf(backoff);
    QCOMPARE(last, 60'000);
}

void TestAppReconnectBackoff::nonsenseSettingsAreTamed()
{
    // No busy loop from a zero or negative delay, no delay beyond the cap,
    // no negative delay from a jitter over 100 %.
    ReconnectBackoff zero(
        BackoffTimings{std::chrono::milliseconds(0), std::chrono::milliseconds(-5), 3.0},
        [] { return 0.0; });
    QVERIFY(delayOf(zero) >= 0);
    ReconnectBackoff inverted(
        BackoffTimings{std::chrono::milliseconds(5'000), std::chrono::milliseconds(1'000), 0.0});
    QCOMPARE(delayOf(inverted), 5'000);
    QCOMPARE(delayOf(inverted), 5'000);
}

void TestAppReconnectBackoff::defaultRandomSpreadsDelays()
{
    // Companions that lost the same gateway must not all return together.
    QSet<int> seen;
    for (int i = 0; i < 50; ++i) {
        ReconnectBackoff backoff;
        const int delay = delayOf(backoff);
        QVERIFY(delay >= 800 && delay <= 1'200);
        seen.insert(delay);
    }
    QVERIFY(seen.size() > 10);
}

QTEST_GUILESS_MAIN(TestAppReconnectBackoff)
#include "test_app_reconnectbackoff.moc"
