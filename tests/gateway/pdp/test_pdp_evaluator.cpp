#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using std::chrono::seconds;

// The embedded PDP: first match wins, default deny, and the demo policy.
class TestPdpEvaluator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emptyPolicyDeniesEverything();
    void effectsBecomeDecisions();
    void firstMatchWins();
    void setPolicyReplacesRules();
    void demoPolicy_data();
    void demoPolicy();
};

namespace {

AccessRequest toolCall(const QString &tool, const QString &agent = QStringLiteral("claude-code"))
{
    AccessRequest call;
    call.subject = {QStringLiteral("user"), QStringLiteral("alice@example.com"),
                    QJsonObject{{QStringLiteral("agent"), agent}}};
    call.action = {tool, {}};
    call.resource = {QStringLiteral("tool"), QStringLiteral("directory/") + tool, {}};
    return call;
}

Policy parsed(const QByteArray &yaml)
{
    auto policy = Policy::parse(yaml, QStringLiteral("test.yaml"));
    if (!policy.ok())
        qFatal("%s", qPrintable(policy.error().message));
    return policy.value();
}

} // namespace

void TestPdpEvaluator::emptyPolicyDeniesEverything()
{
    const PolicyDecisionPoint pdp;
    const AccessDecision decision = pdp.evaluate(toolCall(QStringLiteral("list_users")));
    QVERIFY(decision.isDeny());
    QVERIFY(decision.ruleName.isEmpty());
    QVERIFY(!decision.reason.isEmpty());
}

void TestPdpEvaluator::effectsBecomeDecisions()
{
    const PolicyDecisionPoint pdp(parsed(R"(rules:
  - name: a
    match: {action: allowed}
    effect: allow
  - name: d
    match: {action: denied}
    effect: deny
    reason: Never.
  - name: d2
    match: {action: denied2}
    effect: deny
  - name: s
    match: {action: stepped}
    effect: step_up
    methods: [passkey]
    timeout: 45s
    reason: Ask first.
  - name: uv
    match: {action: verified}
    effect: step_up
    methods: [passkey]
    user_verification: required
)"));
    QCOMPARE(pdp.evaluate(toolCall(QStringLiteral("allowed"))),
             AccessDecision::allow(QStringLiteral("a")));
    QCOMPARE(pdp.evaluate(toolCall(QStringLiteral("denied"))),
             AccessDecision::deny(QStringLiteral("Never."), QStringLiteral("d")));
    const AccessDecision noReason = pdp.evaluate(toolCall(QStringLiteral("denied2")));
    QVERIFY(noReason.isDeny());
    QCOMPARE(noReason.ruleName, QStringLiteral("d2"));
    QVERIFY(noReason.reason.contains(QStringLiteral("d2")));
    QCOMPARE(pdp.evaluate(toolCall(QStringLiteral("stepped"))),
             AccessDecision::stepUp({ApprovalMethod::Passkey}, seconds(45),
                                    QStringLiteral("Ask first."), QStringLiteral("s")));
    // The demand reaches the decision, which the step-up copies to the approval.
    const AccessDecision verified = pdp.evaluate(toolCall(QStringLiteral("verified")));
    QVERIFY(verified.isStepUp());
    QVERIFY(verified.userVerificationRequired);
    QVERIFY(!pdp.evaluate(toolCall(QStringLiteral("stepped"))).userVerificationRequired);
    const AccessDecision fallthrough = pdp.evaluate(toolCall(QStringLiteral("other")));
    QVERIFY(fallthrough.isDeny());
    QVERIFY(fallthrough.ruleName.isEmpty());
}

void TestPdpEvaluator::firstMatchWins()
{
    const PolicyDecisionPoint pdp(parsed(R"(rules:
  - name: untrusted-agent
    match: {subject: {agent: "cursor-*"}}
    effect: deny
  - name: step-up-writes
    match: {action: "set_*"}
    effect: step_up
  - name: allow-all
    effect: allow
)"));
    QCOMPARE(pdp.evaluate(toolCall(QStringLiteral("set_x"))).ruleName,
             QStringLiteral("step-up-writes"));
    QCOMPARE(pdp.evaluate(toolCall(QStringLiteral("get_x"))).ruleName, QStringLiteral("allow-all"));
    const AccessDecision cursor =
        pdp.evaluate(toolCall(QStringLiteral("set_x"), QStringLiteral("cursor-1")));
    QVERIFY(cursor.isDeny());
    QCOMPARE(cursor.ruleName, QStringLiteral("untrusted-agent"));
}

void TestPdpEvaluator::setPolicyReplacesRules()
{
    PolicyDecisionPoint pdp(parsed("rules: [{name: a, effect: allow}]"));
    QVERIFY(pdp.evaluate(toolCall(QStringLiteral("x"))).isAllow());
    pdp.setPolicy(parsed("rules: [{name: d, effect: deny}]"));
    QVERIFY(pdp.evaluate(toolCall(QStringLiteral("x"))).isDeny());
    QCOMPARE(pdp.policy().rules().first().name, QStringLiteral("d"));
}

void TestPdpEvaluator::demoPolicy_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QString>("agent");
    QTest::addColumn<AccessDecision::Effect>("effect");
    using E = AccessDecision::Effect;
    QTest::newRow("list_users") << QStringLiteral("list_users") << QStringLiteral("claude-code")
                                << E::Allow;
    QTest::newRow("get_user, other agent")
        << QStringLiteral("get_user") << QStringLiteral("some-other-agent") << E::Allow;
    QTest::newRow("disable_user") << QStringLiteral("disable_user") << QStringLiteral("claude-code")
                                  << E::StepUp;
    QTest::newRow("enable_user") << QStringLiteral("enable_user") << QStringLiteral("cursor")
                                 << E::StepUp;
    QTest::newRow("delete_user") << QStringLiteral("delete_user") << QStringLiteral("claude-code")
                                 << E::Deny;
    QTest::newRow("lookalike") << QStringLiteral("unable_user") << QStringLiteral("claude-code")
                               << E::Deny;
    QTest::newRow("case differs") << QStringLiteral("List_Users") << QStringLiteral("claude-code")
                                  << E::Deny;
}

void TestPdpEvaluator::demoPolicy()
{
    QFETCH(QString, tool);
    QFETCH(QString, agent);
    QFETCH(AccessDecision::Effect, effect);
    const auto policy = Policy::load(QStringLiteral(COUNTERSIGN_DEMO_POLICY));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    const PolicyDecisionPoint pdp(policy.value());
    const AccessDecision decision = pdp.evaluate(toolCall(tool, agent));
    QCOMPARE(decision.effect, effect);
    if (decision.isStepUp()) {
        QCOMPARE(decision.methods,
                 (QList<ApprovalMethod>{ApprovalMethod::Passkey, ApprovalMethod::Totp}));
        QCOMPARE(decision.timeout, std::optional(seconds(55)));
        QVERIFY(!decision.reason.isEmpty());
    }
    if (decision.isDeny())
        QVERIFY(!decision.reason.isEmpty());
}

QTEST_APPLESS_MAIN(TestPdpEvaluator)
#include "test_pdp_evaluator.moc"
