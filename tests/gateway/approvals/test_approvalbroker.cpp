#include "countingstore.h"
#include "gateway/approvals/approvalbroker.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/otp/totp.h"
#include "tests/support/manualclock.h"
#include "tests/support/samplemessages.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::CountingStore;
using countersign::testing::ManualClock;
using countersign::testing::sampleSarc;

// The approval path's cost and memory (issue 17): each step one commit with
// its audit record, approvals served from memory, expiries on one timer,
// device keys parsed once but never trusted past a revocation.
class TestApprovalBroker : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void createIsOneCommitWithItsRecord();
    void approvalByCodeIsOneCommit();
    void denialIsOneCommit();
    void wrongCodeIsOneCommit();
    void redeemIsOneCommit();
    void auditFailureFailsTheStep();
    void hotPathReadsNoApproval();
    void expiriesInOrderOnOneTimer();
    void revokedDeviceWithCachedKeyIsRefused();
    void restartReloadsPending();

private:
    std::unique_ptr<ApprovalBroker> makeBroker();
    ApprovalRecord create(qint64 timeoutSeconds = 120);
    QByteArray proof(const ApprovalRecord &approval, Decision decision, const QString &code = {});
    std::variant<ApprovalRecord, ProofRejection>
    answer(const ApprovalRecord &approval, Decision decision, const QString &code = {});
    QString code() const { return m_totp->code(m_clock).value(); }
    QString wrongCode() const
    {
        const QString right = code();
        return right == u"000000" ? QStringLiteral("111111") : QStringLiteral("000000");
    }
    QStringList auditKinds() const;

    static inline const QString user = QStringLiteral("alice@example.com");

    ManualClock m_clock{1'800'000'000};
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SqliteStore> m_sqlite;
    std::unique_ptr<CountingStore> m_store;
    std::optional<EcPrivateKey> m_gatewayKey;
    std::optional<EcPrivateKey> m_deviceKey;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::optional<Totp> m_totp;
    DeviceRecord m_device;
    std::unique_ptr<ApprovalBroker> m_broker;
};

void TestApprovalBroker::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto sqlite = SqliteStore::open(m_dir->path());
    QVERIFY(sqlite.ok());
    m_sqlite = std::move(sqlite).value();
    m_store = std::make_unique<CountingStore>(*m_sqlite);
    m_gatewayKey = EcPrivateKey::generate().value();
    m_deviceKey = EcPrivateKey::generate().value();
    m_issuer = std::make_unique<TokenIssuer>(*m_gatewayKey, QStringLiteral("https://gw.example"),
                                             300, m_clock);

    m_device.deviceId = QStringLiteral("device-1");
    m_device.userId = user;
    m_device.name = QStringLiteral("alice-laptop");
    m_device.publicJwk = m_deviceKey->publicKey().toJwk();
    m_device.keyThumbprint = m_deviceKey->publicKey().thumbprint();
    m_device.pairedAt = m_clock.secondsSinceEpoch();
    QVERIFY(m_store->addDevice(m_device).ok());

    const OtpSecret secret = OtpSecret::generate().value();
    TotpEnrollment enrollment;
    enrollment.userId = user;
    enrollment.secret = secret.bytes();
    enrollment.createdAt = m_clock.secondsSinceEpoch();
    QVERIFY(m_store->setTotpEnrollment(enrollment).ok());
    m_totp = Totp::create(secret).value();

    m_broker = makeBroker();
    m_store->reset();
}

void TestApprovalBroker::cleanup()
{
    m_broker.reset();
    m_store.reset();
    m_sqlite.reset();
    m_dir.reset();
}

std::unique_ptr<ApprovalBroker> TestApprovalBroker::makeBroker()
{
    return std::make_unique<ApprovalBroker>(
        *m_store, *m_gatewayKey, QStringLiteral("https://gw.example"), *m_issuer, m_clock);
}

ApprovalRecord TestApprovalBroker::create(qint64 timeoutSeconds)
{
    ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.sarc.subject.id = user;
    spec.timeoutSeconds = timeoutSeconds;
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    auto created = m_broker->create(spec);
    if (!created)
        qWarning() << created.error().message;
    return created.value();
}

QByteArray TestApprovalBroker::proof(const ApprovalRecord &approval, Decision decision,
                                     const QString &code)
{
    ApprovalProof proof;
    proof.requestId = approval.requestId;
    proof.requestHash = approval.requestHash;
    proof.decision = decision;
    if (decision == Decision::Approve) {
        proof.method = ApprovalMethod::Totp;
        proof.evidence = QJsonObject{{QStringLiteral("code"), code}};
    }
    proof.issuedAt = m_clock.secondsSinceEpoch();
    return proof.sign(*m_deviceKey).value();
}

std::variant<ApprovalRecord, ProofRejection>
TestApprovalBroker::answer(const ApprovalRecord &approval, Decision decision, const QString &code)
{
    return m_broker->submitProof(m_device, proof(approval, decision, code));
}

QStringList TestApprovalBroker::auditKinds() const
{
    QStringList kinds;
    for (const AuditEvent &event : m_sqlite->auditEvents())
        kinds.append(event.kind);
    return kinds;
}

void TestApprovalBroker::createIsOneCommitWithItsRecord()
{
    const ApprovalRecord approval = create();
    QCOMPARE(m_store->commits(), 1);
    QCOMPARE(auditKinds(), QStringList{QStringLiteral("approval.requested")});
    QCOMPARE(m_sqlite->approval(approval.requestId), approval);
}

void TestApprovalBroker::approvalByCodeIsOneCommit()
{
    const ApprovalRecord approval = create();
    m_store->reset();
    const auto outcome = answer(approval, Decision::Approve, code());
    QVERIFY(std::holds_alternative<ApprovalRecord>(outcome));
    // The proof's mark, the time step's mark, the resolution and its record.
    QCOMPARE(m_store->commits(), 1);
    QCOMPARE(auditKinds().constLast(), QStringLiteral("approval.approved"));
    // What the broker keeps is what the store holds.
    QCOMPARE(std::get<ApprovalRecord>(outcome), m_sqlite->approval(approval.requestId).value());
    QCOMPARE(m_broker->approval(approval.requestId), m_sqlite->approval(approval.requestId));
}

void TestApprovalBroker::denialIsOneCommit()
{
    const ApprovalRecord approval = create();
    m_store->reset();
    const auto outcome = answer(approval, Decision::Deny);
    QVERIFY(std::holds_alternative<ApprovalRecord>(outcome));
    QCOMPARE(m_store->commits(), 1);
    QCOMPARE(auditKinds().constLast(), QStringLiteral("approval.denied"));
    QCOMPARE(m_broker->approval(approval.requestId), m_sqlite->approval(approval.requestId));
    QCOMPARE(m_sqlite->approval(approval.requestId)->state, ApprovalState::Denied);
}

void TestApprovalBroker::wrongCodeIsOneCommit()
{
    const ApprovalRecord approval = create();
    m_store->reset();
    const auto outcome = answer(approval, Decision::Approve, wrongCode());
    const auto *refused = std::get_if<ProofRejection>(&outcome);
    QVERIFY(refused);
    QCOMPARE(refused->code, ChannelErrorCode::InvalidCode);
    QCOMPARE(refused->attemptsLeft.value_or(-1), ApprovalBroker::maxFailedAttempts - 1);
    // The proof's mark, the count and its record.
    QCOMPARE(m_store->commits(), 1);
    QCOMPARE(auditKinds().constLast(), QStringLiteral("approval.code_rejected"));
    QCOMPARE(m_broker->approval(approval.requestId)->failedAttempts, 1);
    QCOMPARE(m_broker->approval(approval.requestId), m_sqlite->approval(approval.requestId));
}

void TestApprovalBroker::redeemIsOneCommit()
{
    const ApprovalRecord approval = create();
    QVERIFY(std::holds_alternative<ApprovalRecord>(answer(approval, Decision::Approve, code())));
    m_store->reset();
    const auto token = m_broker->redeem(approval.requestId);
    QVERIFY(token.ok());
    QCOMPARE(m_store->commits(), 1);
    QCOMPARE(auditKinds().constLast(), QStringLiteral("token.issued"));
    const auto again = m_broker->redeem(approval.requestId);
    QVERIFY(!again.ok());
    QVERIFY(again.error().message.contains(u"already used"));
}

void TestApprovalBroker::auditFailureFailsTheStep()
{
    // A record that cannot be written fails its step: the caller is told
    // (the store rolls the step back), nothing is announced.
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);
    m_store->failAudit(true);
    ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.sarc.subject.id = user;
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    const auto refused = m_broker->create(spec);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::StorageFailure);
    QCOMPARE(requested.size(), 0);

    m_store->failAudit(false);
    const ApprovalRecord approval = create();
    QSignalSpy resolved(m_broker.get(), &ApprovalBroker::resolved);
    m_store->failAudit(true);
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("storage unavailable")));
    const auto outcome = answer(approval, Decision::Approve, code());
    const auto *rejection = std::get_if<ProofRejection>(&outcome);
    QVERIFY(rejection);
    QCOMPARE(rejection->code, ChannelErrorCode::StorageUnavailable);
    QCOMPARE(resolved.size(), 0);
    QVERIFY(!auditKinds().contains(QStringLiteral("approval.approved")));
}

void TestApprovalBroker::hotPathReadsNoApproval()
{
    const ApprovalRecord approval = create();
    m_store->reset();
    QCOMPARE(m_broker->pending(user).size(), 1);
    QCOMPARE(m_broker->approval(approval.requestId)->state, ApprovalState::Pending);
    QVERIFY(std::holds_alternative<ApprovalRecord>(answer(approval, Decision::Approve, code())));
    QCOMPARE(m_broker->approval(approval.requestId)->state, ApprovalState::Approved);
    QVERIFY(m_broker->redeem(approval.requestId).ok());
    QVERIFY(m_broker->pending(user).isEmpty());
    QCOMPARE(m_store->approvalReads(), 0);
}

void TestApprovalBroker::expiriesInOrderOnOneTimer()
{
    QSignalSpy resolved(m_broker.get(), &ApprovalBroker::resolved);
    const qint64 start = m_clock.secondsSinceEpoch();
    const int armedBefore = m_broker->expiryTimerArmings();
    const ApprovalRecord middle = create(100);
    QCOMPARE(m_broker->nextDeadline().value_or(-1), start + 100);
    const ApprovalRecord first = create(50);
    QCOMPARE(m_broker->nextDeadline().value_or(-1), start + 50);
    // Later than the earliest: the timer is left alone.
    const ApprovalRecord last = create(200);
    const ApprovalRecord alsoLast = create(200);
    QCOMPARE(m_broker->nextDeadline().value_or(-1), start + 50);
    QCOMPARE(m_broker->expiryTimerArmings() - armedBefore, 2);

    m_clock.advance(50);
    m_broker->expireDue();
    QCOMPARE(resolved.size(), 1);
    QCOMPARE(resolved.at(0).at(0).value<ApprovalRecord>().requestId, first.requestId);
    QCOMPARE(resolved.at(0).at(0).value<ApprovalRecord>().state, ApprovalState::Expired);
    QCOMPARE(m_sqlite->approval(first.requestId)->state, ApprovalState::Expired);
    QCOMPARE(m_broker->nextDeadline().value_or(-1), start + 100);
    QCOMPARE(m_broker->pending(user).size(), 3);

    m_clock.advance(200);
    m_broker->expireDue();
    QCOMPARE(resolved.size(), 4);
    QCOMPARE(resolved.at(1).at(0).value<ApprovalRecord>().requestId, middle.requestId);
    const QSet<QString> lastTwo{resolved.at(2).at(0).value<ApprovalRecord>().requestId,
                                resolved.at(3).at(0).value<ApprovalRecord>().requestId};
    QCOMPARE(lastTwo, (QSet<QString>{last.requestId, alsoLast.requestId}));
    QVERIFY(m_broker->pending(user).isEmpty());
    QVERIFY(!m_broker->nextDeadline());
    // Expired ones are answered from the store from now on.
    QCOMPARE(m_broker->approval(last.requestId)->state, ApprovalState::Expired);
}

void TestApprovalBroker::revokedDeviceWithCachedKeyIsRefused()
{
    const ApprovalRecord approval = create();
    // A wrong code: the device's key is now parsed and kept.
    QVERIFY(
        std::holds_alternative<ProofRejection>(answer(approval, Decision::Approve, wrongCode())));
    // Revoked by the command line, in another process: only the store knows.
    QVERIFY(m_sqlite->revokeDevice(m_device.deviceId, m_clock.secondsSinceEpoch()).ok());
    const auto outcome = answer(approval, Decision::Approve, code());
    const auto *refused = std::get_if<ProofRejection>(&outcome);
    QVERIFY(refused);
    QCOMPARE(refused->code, ChannelErrorCode::DeviceRevoked);
    QCOMPARE(m_sqlite->approval(approval.requestId)->state, ApprovalState::Pending);
}

void TestApprovalBroker::restartReloadsPending()
{
    const ApprovalRecord early = create(30);
    const ApprovalRecord late = create(300);
    const ApprovalRecord answered = create(300);
    QVERIFY(std::holds_alternative<ApprovalRecord>(answer(answered, Decision::Deny)));
    m_broker.reset();

    // Down for a minute: the early one expired meanwhile.
    m_clock.advance(60);
    m_broker = makeBroker();
    const QList<ApprovalRecord> pending = m_broker->pending(user);
    QCOMPARE(pending.size(), 1);
    QCOMPARE(pending.constFirst(), late);
    QCOMPARE(m_sqlite->approval(early.requestId)->state, ApprovalState::Expired);
    QCOMPARE(m_broker->nextDeadline().value_or(-1), late.expiresAt);
    // And it is answered from memory as before.
    QVERIFY(std::holds_alternative<ApprovalRecord>(answer(late, Decision::Approve, code())));
    QCOMPARE(m_sqlite->approval(late.requestId)->state, ApprovalState::Approved);
}

QTEST_GUILESS_MAIN(TestApprovalBroker)
#include "test_approvalbroker.moc"
