#include "../store/faultystore.h"
#include "gateway/approvals/totpchecker.h"
#include "gateway/mcp/mcpaudit.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/otp/totp.h"
#include "tests/support/manualclock.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::FaultyStore;
using countersign::testing::ManualClock;

// The precise cases of "fail closed" (issue 16) with a Store that fails the
// writes a test names: what McpAudit and TotpChecker report to their callers.
// test_gateway_auditfailclosed shows what agents and companions then see.
class TestMcpAuditFailure : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void decidedReportsAFailedWrite();
    void finishedReportsAFailedWrite();
    void decidedRecordsTheArgumentsHash();
    void totpCodeWhoseUseCannotBeRecordedIsNotValid();

private:
    ToolCall sampleCall() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<FaultyStore> m_faulty;
    ManualClock m_clock;
};

void TestMcpAuditFailure::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto store = SqliteStore::open(m_dir->path());
    QVERIFY(store.ok());
    m_store = std::move(store).value();
    m_faulty = std::make_unique<FaultyStore>(*m_store);
    m_clock.set(1'800'000'000);
}

void TestMcpAuditFailure::cleanup()
{
    m_faulty.reset();
    m_store.reset();
    m_dir.reset();
}

ToolCall TestMcpAuditFailure::sampleCall() const
{
    ToolCall call;
    call.sessionId = QStringLiteral("s1");
    call.userId = QStringLiteral("alice@example.com");
    call.agentName = QStringLiteral("claude");
    call.tool = QStringLiteral("list_users");
    call.arguments = QJsonObject{{QStringLiteral("limit"), 10}};
    return call;
}

void TestMcpAuditFailure::decidedReportsAFailedWrite()
{
    McpAudit audit(*m_faulty, m_clock);
    AccessDecision allow;
    allow.effect = AccessDecision::Effect::Allow;
    m_faulty->fail(FaultyStore::Write::Audit);
    QTest::ignoreMessage(
        QtCriticalMsg,
        QRegularExpression(QStringLiteral("audit log write failed for mcp.decided.*disk")));
    const Status decided = audit.decided(sampleCall(), allow);
    QVERIFY(!decided);
    QCOMPARE(decided.error().code, ErrorCode::StorageFailure);
    QVERIFY(m_store->auditEvents().isEmpty());
}

void TestMcpAuditFailure::finishedReportsAFailedWrite()
{
    McpAudit audit(*m_faulty, m_clock);
    AccessDecision deny;
    m_faulty->fail(FaultyStore::Write::Audit);
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("audit log write failed for mcp.call")));
    QVERIFY(!audit.finished(sampleCall(), deny, QStringLiteral("denied_by_policy")));
    m_faulty->heal();
    QVERIFY(audit.finished(sampleCall(), deny, QStringLiteral("denied_by_policy")));
    QCOMPARE(m_store->auditEvents().size(), 1);
}

void TestMcpAuditFailure::decidedRecordsTheArgumentsHash()
{
    McpAudit audit(*m_faulty, m_clock);
    AccessDecision allow;
    allow.effect = AccessDecision::Effect::Allow;
    allow.ruleName = QStringLiteral("reads");
    QVERIFY(audit.decided(sampleCall(), allow).ok());
    const AuditEvent event = m_store->auditEvents().constFirst();
    QCOMPARE(event.kind, QStringLiteral("mcp.decided"));
    QCOMPARE(event.at, m_clock.secondsSinceEpoch());
    QCOMPARE(event.details.value(QStringLiteral("decision")).toString(), QStringLiteral("allow"));
    QCOMPARE(event.details.value(QStringLiteral("rule")).toString(), QStringLiteral("reads"));
    // base64url of SHA-256 over {"limit":10}: 43 characters.
    QCOMPARE(event.details.value(QStringLiteral("arguments_hash")).toString().size(), 43);
}

void TestMcpAuditFailure::totpCodeWhoseUseCannotBeRecordedIsNotValid()
{
    TotpEnrollment enrollment;
    enrollment.userId = QStringLiteral("alice@example.com");
    enrollment.secret = QByteArray(20, 'k');
    enrollment.createdAt = 1;
    QVERIFY(m_store->setTotpEnrollment(enrollment).ok());
    const auto totp = Totp::create(OtpSecret::fromBytes(enrollment.secret).value());
    QVERIFY(totp.ok());
    const QString code = totp->code(m_clock).value();
    TotpChecker checker(*m_faulty, m_clock);
    m_faulty->fail(FaultyStore::Write::MarkUsed);
    // Not "reused": the code was never used; the gateway could not record it.
    QCOMPARE(checker.check(enrollment.userId, code), TotpChecker::Outcome::StorageUnavailable);
    m_faulty->heal();
    QCOMPARE(checker.check(enrollment.userId, code), TotpChecker::Outcome::Valid);
    QCOMPARE(checker.check(enrollment.userId, code), TotpChecker::Outcome::Reused);
}

QTEST_GUILESS_MAIN(TestMcpAuditFailure)
#include "test_mcp_auditfailure.moc"
