#include "app/reconnectbackoff.h"

#include <QTest>

using namespace countersign;

// The reconnection delays: 1 s doubling to 60 s, with +/-20 % jitter, reset
// after a stable connection.
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
};

void TestAppReconnectBackoff::doublesUpToTheCapWithoutJitter()
{
    ReconnectBackoff backoff(BackoffTimings{1'000, 60'000, 0.0});
    QList<int> delays;
    for (int i = 0; i < 9; ++i)
        delays.append(backoff.nextDelayMs());
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
    ReconnectBackoff backoff(BackoffTimings{1'000, 60'000, 0.2}, [random] { return random; });
    QCOMPARE(backoff.nextDelayMs(), expected);
    QCOMPARE(backoff.nextDelayMs(), expected * 2);
}

void TestAppReconnectBackoff::capHoldsWithJitter()
{
    // At the cap, jitter can only shorten the wait: 60 s stays the maximum.
    ReconnectBackoff high(BackoffTimings{1'000, 60'000, 0.2}, [] { return 0.999; });
    ReconnectBackoff low(BackoffTimings{1'000, 60'000, 0.2}, [] { return 0.0; });
    for (int i = 0; i < 7; ++i) {
        (void)high.nextDelayMs();
        (void)low.nextDelayMs();
    }
    QCOMPARE(high.nextDelayMs(), 60'000);
    QCOMPARE(low.nextDelayMs(), 48'000);
}

void TestAppReconnectBackoff::resetStartsOver()
{
    ReconnectBackoff backoff(BackoffTimings{1'000, 60'000, 0.0});
    for (int i = 0; i < 5; ++i)
        (void)backoff.nextDelayMs();
    backoff.reset();
    QCOMPARE(backoff.attempts(), 0);
    QCOMPARE(backoff.nextDelayMs(), 1'000);
}

void TestAppReconnectBackoff::manyFailuresDoNotOverflow()
{
    ReconnectBackoff backoff(BackoffTimings{1'000, 60'000, 0.0});
    int last = 0;
    for (int i = 0; i < 10'000; ++i)
        last = backoff.nextDelayMs();
    QCOMPARE(last, 60'000);
}

void TestAppReconnectBackoff::nonsenseSettingsAreTamed()
{
    // No busy loop from a zero or negative delay, no delay beyond the cap,
    // no negative delay from a jitter over 100 %.
    ReconnectBackoff zero(BackoffTimings{0, -5, 3.0}, [] { return 0.0; });
    QVERIFY(zero.nextDelayMs() >= 0);
    ReconnectBackoff inverted(BackoffTimings{5'000, 1'000, 0.0});
    QCOMPARE(inverted.nextDelayMs(), 5'000);
    QCOMPARE(inverted.nextDelayMs(), 5'000);
}

void TestAppReconnectBackoff::defaultRandomSpreadsDelays()
{
    // Companions that lost the same gateway must not all return together.
    QSet<int> seen;
    for (int i = 0; i < 50; ++i) {
        ReconnectBackoff backoff;
        const int delay = backoff.nextDelayMs();
        QVERIFY(delay >= 800 && delay <= 1'200);
        seen.insert(delay);
    }
    QVERIFY(seen.size() > 10);
}

QTEST_GUILESS_MAIN(TestAppReconnectBackoff)
#include "test_app_reconnectbackoff.moc"
