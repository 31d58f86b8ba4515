#include "gateway/edge/connectionlimiter.h"

#include <memory>
#include <vector>

#include <QTest>

using namespace countersign::gateway;

namespace {

// A connection that records whether the limiter chose it.
class FakeConnection final : public edge::Closable {
public:
    void closeNow() override { closed = true; }
    bool closed = false;
};

using Connection = std::shared_ptr<FakeConnection>;

Connection evictable(ConnectionLimiter &limiter, const std::string &address)
{
    auto connection = std::make_shared<FakeConnection>();
    ConnectionLimiter::Evictable victim;
    if (limiter.acquire(address, &victim) != ConnectionLimiter::Verdict::Accepted)
        return nullptr;
    limiter.setEvictable(connection.get(), address, connection);
    return connection;
}

} // namespace

class TestConnectionLimiter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void perAddressCapRefusesTheAddressOnly()
    {
        ConnectionLimiter limiter(100, 2);
        ConnectionLimiter::Evictable victim;
        QCOMPARE(limiter.acquire("10.0.0.1", &victim), ConnectionLimiter::Verdict::Accepted);
        QCOMPARE(limiter.acquire("10.0.0.1", &victim), ConnectionLimiter::Verdict::Accepted);
        QCOMPARE(limiter.acquire("10.0.0.1", &victim), ConnectionLimiter::Verdict::OverAddressCap);
        QCOMPARE(limiter.acquire("10.0.0.2", &victim), ConnectionLimiter::Verdict::Accepted);
        limiter.release("10.0.0.1");
        QCOMPARE(limiter.acquire("10.0.0.1", &victim), ConnectionLimiter::Verdict::Accepted);
        QCOMPARE(limiter.open(), 3);
        QVERIFY(victim.expired());
    }

    void atTheCapTheFullestAddressLosesItsOldestIdleConnection()
    {
        ConnectionLimiter limiter(4, 10);
        const Connection attackerOldest = evictable(limiter, "10.0.0.66");
        const Connection attackerYounger = evictable(limiter, "10.0.0.66");
        const Connection attackerYoungest = evictable(limiter, "10.0.0.66");
        const Connection other = evictable(limiter, "10.0.0.7");
        QVERIFY(attackerOldest && attackerYounger && attackerYoungest && other);

        ConnectionLimiter::Evictable victim;
        QCOMPARE(limiter.acquire("10.0.0.8", &victim), ConnectionLimiter::Verdict::Accepted);
        QCOMPARE(victim.lock(), std::shared_ptr<edge::Closable>(attackerOldest));
        // The caller closes it; until it is gone the newcomer is counted
        // over the cap.
        QCOMPARE(limiter.open(), 5);
        limiter.setBusy(attackerOldest.get());
        limiter.release("10.0.0.66");
        QCOMPARE(limiter.open(), 4);

        // Used again: the connection becomes the youngest of its address.
        limiter.setEvictable(attackerYounger.get(), "10.0.0.66", attackerYounger);
        QCOMPARE(limiter.acquire("10.0.0.9", &victim), ConnectionLimiter::Verdict::Accepted);
        QCOMPARE(victim.lock(), std::shared_ptr<edge::Closable>(attackerYoungest));
    }

    void busyConnectionsAreNeverChosen()
    {
        ConnectionLimiter limiter(2, 10);
        const Connection waitingForAnswer = evictable(limiter, "10.0.0.66");
        const Connection authenticated = evictable(limiter, "10.0.0.66");
        limiter.setBusy(waitingForAnswer.get());
        limiter.setBusy(authenticated.get());
        QCOMPARE(limiter.evictableCount(), 0);
        ConnectionLimiter::Evictable victim;
        QCOMPARE(limiter.acquire("10.0.0.8", &victim), ConnectionLimiter::Verdict::OverGlobalCap);
        QVERIFY(victim.expired());
        QCOMPARE(limiter.open(), 2);
    }

    void evictionOvershootIsBounded()
    {
        // Victims that never finish closing: at most evictionSlack
        // newcomers are taken above the cap.
        constexpr int cap = 8;
        ConnectionLimiter limiter(cap, 1000);
        std::vector<Connection> idle;
        for (int i = 0; i < cap + ConnectionLimiter::evictionSlack + 10; ++i) {
            auto connection = std::make_shared<FakeConnection>();
            ConnectionLimiter::Evictable victim;
            if (limiter.acquire("10.0.0.66", &victim) != ConnectionLimiter::Verdict::Accepted)
                continue;
            limiter.setEvictable(connection.get(), "10.0.0.66", connection);
            idle.push_back(connection);
        }
        QCOMPARE(limiter.open(), cap + ConnectionLimiter::evictionSlack);
    }

    void aVanishedConnectionIsNotAVictim()
    {
        ConnectionLimiter limiter(2, 10);
        const Connection idle = evictable(limiter, "10.0.0.7");
        {
            const Connection gone = evictable(limiter, "10.0.0.66");
            QVERIFY(gone);
            // Destroyed, its slot not yet released: the limiter must not
            // hand it out, and looks further.
        }
        ConnectionLimiter::Evictable victim;
        QCOMPARE(limiter.acquire("10.0.0.8", &victim), ConnectionLimiter::Verdict::Accepted);
        QCOMPARE(victim.lock(), std::shared_ptr<edge::Closable>(idle));
        QCOMPARE(limiter.acquire("10.0.0.9", &victim), ConnectionLimiter::Verdict::OverGlobalCap);
    }

    void capFollowsTheOpenFilesLimit()
    {
        QCOMPARE(connectionCapFor(1024), 1024 - 128 - ConnectionLimiter::evictionSlack);
        QCOMPARE(connectionCapFor(65536), 65536 - 128 - ConnectionLimiter::evictionSlack);
        QCOMPARE(connectionCapFor(100), 16);
    }
};

QTEST_GUILESS_MAIN(TestConnectionLimiter)
#include "test_connectionlimiter.moc"
