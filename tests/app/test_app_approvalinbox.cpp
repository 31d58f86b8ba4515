#include "app/approvalinbox.h"
#include "app/gatewayclient.h"
#include "tests/support/manualclock.h"
#include "tests/support/samplemessages.h"

#include <QSignalSpy>
#include <QTest>

using namespace countersign;
using namespace countersign::testing;

namespace {

const QString gatewayA = QStringLiteral("https://a.example.com");
const QString gatewayB = QStringLiteral("https://b.example.com");

// A request as a client hands it over: really signed and really verified.
VerifiedApprovalRequest makeRequest(const Clock &clock, const QString &gatewayId,
                                    const QString &requestId, qint64 lifetime = 120)
{
    static const EcPrivateKey key = EcPrivateKey::generate().value();
    ApprovalRequest request = sampleRequest(clock.secondsSinceEpoch());
    request.gatewayId = gatewayId;
    request.requestId = requestId;
    request.expiresAt = request.issuedAt + lifetime;
    const QByteArray compact = request.sign(key).value();
    return verifyApprovalRequest(compact, key.publicKey(), gatewayId, clock).value();
}

} // namespace

// The approvals waiting for the person, across gateways.
class TestAppApprovalInbox : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void addsAndCounts();
    void keysByGatewayAndRequest();
    void ignoresDuplicatesAndExpired();
    void removesWithOutcome();
    void expiresByTheRequestsOwnTime();
    void expiryTimerFires();
    void removesAGatewaysEntries();
    void clientEntriesLeaveWithTheClient();
    void slotsMayChangeTheInboxWhileItRemoves();
};

void TestAppApprovalInbox::initTestCase()
{
    qRegisterMetaType<ApprovalOutcome>();
    qRegisterMetaType<PendingApproval>();
}

void TestAppApprovalInbox::addsAndCounts()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    QSignalSpy added(&inbox, &ApprovalInbox::added);
    QSignalSpy counts(&inbox, &ApprovalInbox::countChanged);
    QVERIFY(
        inbox.add(QStringLiteral("Gateway A"), makeRequest(clock, gatewayA, QStringLiteral("r1"))));
    clock.advance(5);
    QVERIFY(
        inbox.add(QStringLiteral("Gateway A"), makeRequest(clock, gatewayA, QStringLiteral("r2"))));
    QCOMPARE(inbox.count(), 2);
    QCOMPARE(counts.size(), 2);
    QCOMPARE(counts.last().first().toInt(), 2);
    const auto first = added.first().first().value<PendingApproval>();
    QCOMPARE(first.gatewayName, QStringLiteral("Gateway A"));
    QCOMPARE(first.gatewayId(), gatewayA);
    QCOMPARE(first.requestId(), QStringLiteral("r1"));
    QCOMPARE(first.receivedAt, clock.secondsSinceEpoch() - 5);
    const auto pending = inbox.pending();
    QCOMPARE(pending.size(), 2);
    QCOMPARE(pending.at(0).requestId(), QStringLiteral("r1"));
    QCOMPARE(pending.at(1).requestId(), QStringLiteral("r2"));
}

void TestAppApprovalInbox::keysByGatewayAndRequest()
{
    // Request ids are unique per gateway only: the same id from two gateways
    // is two requests.
    ManualClock clock;
    ApprovalInbox inbox(clock);
    QVERIFY(inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r1"))));
    QVERIFY(inbox.add(QStringLiteral("B"), makeRequest(clock, gatewayB, QStringLiteral("r1"))));
    QCOMPARE(inbox.count(), 2);
    QVERIFY(inbox.remove(gatewayB, QStringLiteral("r1"), ApprovalOutcome::Approved));
    QCOMPARE(inbox.count(), 1);
    QVERIFY(inbox.find(gatewayA, QStringLiteral("r1")));
    QVERIFY(!inbox.find(gatewayB, QStringLiteral("r1")));
}

void TestAppApprovalInbox::ignoresDuplicatesAndExpired()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    QSignalSpy counts(&inbox, &ApprovalInbox::countChanged);
    const auto request = makeRequest(clock, gatewayA, QStringLiteral("r1"), 30);
    QVERIFY(inbox.add(QStringLiteral("A"), request));
    QVERIFY(!inbox.add(QStringLiteral("A"), request));
    const auto late = makeRequest(clock, gatewayA, QStringLiteral("r2"), 30);
    clock.advance(30); // exp == now: expired, as verifyApprovalRequest has it
    QVERIFY(!inbox.add(QStringLiteral("A"), late));
    QCOMPARE(counts.size(), 1);
}

void TestAppApprovalInbox::removesWithOutcome()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    QSignalSpy removed(&inbox, &ApprovalInbox::removed);
    QSignalSpy counts(&inbox, &ApprovalInbox::countChanged);
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r1")));
    QVERIFY(!inbox.remove(gatewayA, QStringLiteral("nope"), ApprovalOutcome::Denied));
    QVERIFY(inbox.remove(gatewayA, QStringLiteral("r1"), ApprovalOutcome::Denied));
    QVERIFY(!inbox.remove(gatewayA, QStringLiteral("r1"), ApprovalOutcome::Denied));
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.first().at(0).toString(), gatewayA);
    QCOMPARE(removed.first().at(1).toString(), QStringLiteral("r1"));
    QCOMPARE(removed.first().at(2).value<ApprovalOutcome>(), ApprovalOutcome::Denied);
    QCOMPARE(counts.last().first().toInt(), 0);
}

void TestAppApprovalInbox::expiresByTheRequestsOwnTime()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    QSignalSpy removed(&inbox, &ApprovalInbox::removed);
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("short"), 30));
    inbox.add(QStringLiteral("B"), makeRequest(clock, gatewayB, QStringLiteral("long"), 300));
    clock.advance(29);
    inbox.expireDue();
    QCOMPARE(inbox.count(), 2);
    clock.advance(1);
    inbox.expireDue();
    QCOMPARE(inbox.count(), 1);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.first().at(1).toString(), QStringLiteral("short"));
    QCOMPARE(removed.first().at(2).value<ApprovalOutcome>(), ApprovalOutcome::Expired);
    QVERIFY(inbox.find(gatewayB, QStringLiteral("long")));
}

void TestAppApprovalInbox::expiryTimerFires()
{
    // The inbox schedules itself for the soonest "exp" (one second here):
    // nobody has to call expireDue().
    ManualClock clock;
    ApprovalInbox inbox(clock);
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r1"), 1));
    clock.advance(1);
    QTRY_COMPARE_WITH_TIMEOUT(inbox.count(), 0, 5'000);
}

void TestAppApprovalInbox::removesAGatewaysEntries()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    QSignalSpy removed(&inbox, &ApprovalInbox::removed);
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r1")));
    inbox.add(QStringLiteral("B"), makeRequest(clock, gatewayB, QStringLiteral("r2")));
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r3")));
    inbox.removeGateway(gatewayA);
    QCOMPARE(inbox.count(), 1);
    QCOMPARE(inbox.pending().first().gatewayId(), gatewayB);
    QCOMPARE(removed.size(), 2);
    for (const auto &args : std::as_const(removed))
        QCOMPARE(args.at(2).value<ApprovalOutcome>(), ApprovalOutcome::Unknown);
}

void TestAppApprovalInbox::clientEntriesLeaveWithTheClient()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    GatewayProfile profile;
    profile.gatewayId = gatewayA;
    profile.name = QStringLiteral("A");
    profile.baseUrl = QUrl(gatewayA);
    profile.deviceId = QStringLiteral("dev_1");
    profile.userId = QStringLiteral("alice@example.com");
    profile.gatewayKey = EcPrivateKey::generate().value().publicKey().toJwk();
    auto client = std::make_unique<GatewayClient>(profile, EcPrivateKey::generate().value(), clock);
    inbox.addClient(client.get());
    // Entries of that gateway added some other way go with it too.
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r1")));
    inbox.add(QStringLiteral("B"), makeRequest(clock, gatewayB, QStringLiteral("r2")));
    client.reset();
    QCOMPARE(inbox.count(), 1);
    QCOMPARE(inbox.pending().first().gatewayId(), gatewayB);

    auto other = std::make_unique<GatewayClient>(profile, EcPrivateKey::generate().value(), clock);
    inbox.addClient(other.get());
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r3")));
    inbox.removeClient(other.get());
    QCOMPARE(inbox.count(), 1);
}

void TestAppApprovalInbox::slotsMayChangeTheInboxWhileItRemoves()
{
    ManualClock clock;
    ApprovalInbox inbox(clock);
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r1"), 10));
    inbox.add(QStringLiteral("A"), makeRequest(clock, gatewayA, QStringLiteral("r2"), 10));
    inbox.add(QStringLiteral("B"), makeRequest(clock, gatewayB, QStringLiteral("r3"), 10));
    // A dialog closing on the first removal also dismisses another entry.
    connect(&inbox, &ApprovalInbox::removed, this,
            [&inbox] { inbox.remove(gatewayB, QStringLiteral("r3"), ApprovalOutcome::Cancelled); });
    clock.advance(10);
    inbox.expireDue();
    QCOMPARE(inbox.count(), 0);
}

QTEST_GUILESS_MAIN(TestAppApprovalInbox)
#include "test_app_approvalinbox.moc"
