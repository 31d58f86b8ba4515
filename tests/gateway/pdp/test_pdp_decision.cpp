#include "gateway/pdp/accessdecision.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using std::chrono::seconds;

// Decisions as AuthZEN responses, and reading responses from an external
// PDP back, failing closed (Obligations Profile: an obligation the PEP cannot
// fulfil makes the response a deny).
class TestPdpDecision : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void allowIsDecisionTrue();
    void denyCarriesReasons();
    void stepUpCarriesTheObligation();
    void roundTrips_data();
    void roundTrips();
    void readsForeignResponses_data();
    void readsForeignResponses();
    void amrMapping();
};

namespace {

QJsonObject object(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

void TestPdpDecision::allowIsDecisionTrue()
{
    QCOMPARE(AccessDecision::allow(QStringLiteral("r")).toAuthzenJson(),
             object(R"({"decision":true})"));
}

void TestPdpDecision::denyCarriesReasons()
{
    const QJsonObject json =
        AccessDecision::deny(QStringLiteral("Not allowed."), QStringLiteral("r")).toAuthzenJson();
    QCOMPARE(json, object(R"({"decision":false,"context":{"reason":"policy_denied",
        "reason_user":{"403":"Not allowed."},"reason_admin":{"403":"rule r"}}})"));
}

void TestPdpDecision::stepUpCarriesTheObligation()
{
    const QJsonObject json =
        AccessDecision::stepUp({ApprovalMethod::Passkey, ApprovalMethod::Totp}, seconds(120), {},
                               QStringLiteral("disable-user"))
            .toAuthzenJson();
    QCOMPARE(json, object(R"({"decision": false, "context": {
        "obligations": [{"id": "disable-user-step-up", "type": "step-up",
            "properties": {"acr_value": "urn:countersign:acr:approval",
                           "amr_values": ["hwk","otp"]}}],
        "reason": "approval_required",
        "countersign": {"methods": ["passkey","totp"], "timeout": 120}}})"));
    // Without a timeout the gateway default applies, so none is sent.
    const QJsonObject noTimeout = AccessDecision::stepUp({ApprovalMethod::Totp}, std::nullopt,
                                                         QStringLiteral("Why"), QStringLiteral("r"))
                                      .toAuthzenJson();
    const QJsonObject context = noTimeout.value(QStringLiteral("context")).toObject();
    QCOMPARE(context.value(QStringLiteral("countersign")).toObject(),
             object(R"({"methods":["totp"]})"));
    QCOMPARE(context.value(QStringLiteral("reason_user")).toObject(), object(R"({"403":"Why"})"));
}

void TestPdpDecision::roundTrips_data()
{
    QTest::addColumn<AccessDecision>("decision");
    QTest::newRow("allow") << AccessDecision::allow();
    QTest::newRow("deny") << AccessDecision::deny(QStringLiteral("No."));
    QTest::newRow("step-up both") << AccessDecision::stepUp(
        {ApprovalMethod::Passkey, ApprovalMethod::Totp}, seconds(120), QStringLiteral("Approve?"),
        QStringLiteral("rule-1"));
    QTest::newRow("step-up totp, no timeout")
        << AccessDecision::stepUp({ApprovalMethod::Totp}, std::nullopt, {}, QStringLiteral("r"));
    QTest::newRow("step-up passkey with user verification") << AccessDecision::stepUp(
        {ApprovalMethod::Passkey}, std::nullopt, {}, QStringLiteral("r"), true);
}

void TestPdpDecision::roundTrips()
{
    QFETCH(AccessDecision, decision);
    const QByteArray wire = QJsonDocument(decision.toAuthzenJson()).toJson();
    QCOMPARE(AccessDecision::fromAuthzenResponse(wire), decision);
}

void TestPdpDecision::readsForeignResponses_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<AccessDecision::Effect>("effect");
    QTest::addColumn<QString>("reason"); // contained in the decision's reason

    using E = AccessDecision::Effect;
    QTest::newRow("plain allow") << QByteArray(R"({"decision":true})") << E::Allow << QString();
    QTest::newRow("allow with context")
        << QByteArray(R"({"decision":true,"context":{"id":"x"}})") << E::Allow << QString();
    QTest::newRow("plain deny") << QByteArray(R"({"decision":false})") << E::Deny
                                << QStringLiteral("denied by the policy decision point");
    QTest::newRow("deny with user reason")
        << QByteArray(R"({"decision":false,"context":{"reason_user":{"403":"Nope"}}})") << E::Deny
        << QStringLiteral("Nope");
    QTest::newRow("spec step-up without our acr")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:com:example:loa:3","amr_values":["mfa"]}}]}})")
        << E::Deny << QStringLiteral("authentication level");
    QTest::newRow("step-up from amr only")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval","amr_values":["otp","pwd"]}}]}})")
        << E::StepUp << QString();
    QTest::newRow("step-up without usable amr")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval","amr_values":["pwd"]}}]}})")
        << E::Deny << QStringLiteral("no method");
    QTest::newRow("step-up on a permit is still a step-up")
        << QByteArray(R"({"decision":true,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval"}}]}})")
        << E::StepUp << QString();
    QTest::newRow("unknown obligation type")
        << QByteArray(R"({"decision":true,"context":{"obligations":[{"type":"notification","id":"o",
            "properties":{}}]}})")
        << E::Deny << QStringLiteral("cannot fulfil: notification");
    QTest::newRow("two obligations") << QByteArray(R"({"decision":false,"context":{"obligations":[
            {"type":"step-up","id":"a","properties":{"acr_value":"urn:countersign:acr:approval"}},
            {"type":"step-up","id":"b","properties":{"acr_value":"urn:countersign:acr:approval"}}]}})")
                                     << E::Deny << QStringLiteral("more obligations");
    QTest::newRow("empty obligations allow")
        << QByteArray(R"({"decision":true,"context":{"obligations":[]}})") << E::Allow << QString();
    QTest::newRow("not json") << QByteArray("<html>") << E::Deny
                              << QStringLiteral("not valid JSON");
    QTest::newRow("not an object")
        << QByteArray("[true]") << E::Deny << QStringLiteral("not a JSON object");
    QTest::newRow("duplicate decision") << QByteArray(R"({"decision":false,"decision":true})")
                                        << E::Deny << QStringLiteral("twice");
    QTest::newRow("decision missing")
        << QByteArray(R"({"allowed":true})") << E::Deny << QStringLiteral("decision is missing");
    QTest::newRow("decision is a string")
        << QByteArray(R"({"decision":"true"})") << E::Deny << QStringLiteral("not a boolean");
    QTest::newRow("context not object") << QByteArray(R"({"decision":true,"context":[]})")
                                        << E::Deny << QStringLiteral("context is not an object");
    QTest::newRow("obligations not array")
        << QByteArray(R"({"decision":true,"context":{"obligations":{}}})") << E::Deny
        << QStringLiteral("not an array");
    QTest::newRow("obligation without type")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"id":"o"}]}})") << E::Deny
        << QStringLiteral("lacks");
    QTest::newRow("step-up without properties") << QByteArray(
        R"({"decision":false,"context":{"obligations":[{"id":"o","type":"step-up"}]}})")
                                                << E::Deny << QStringLiteral("properties");
    QTest::newRow("unknown countersign method")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval"}}],
            "countersign":{"methods":["sms"]}}})")
        << E::Deny << QStringLiteral("unknown method");
    QTest::newRow("timeout out of range")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval"}}],
            "countersign":{"timeout":5}}})")
        << E::Deny << QStringLiteral("timeout");
    QTest::newRow("user verification of an unknown level")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval"}}],
            "countersign":{"user_verification":"always"}}})")
        << E::Deny << QStringLiteral("user_verification");
    QTest::newRow("user verification without passkey")
        << QByteArray(R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"o",
            "properties":{"acr_value":"urn:countersign:acr:approval"}}],
            "countersign":{"methods":["totp"],"user_verification":"required"}}})")
        << E::Deny << QStringLiteral("user verification");
}

void TestPdpDecision::readsForeignResponses()
{
    QFETCH(QByteArray, body);
    QFETCH(AccessDecision::Effect, effect);
    QFETCH(QString, reason);
    const AccessDecision decision = AccessDecision::fromAuthzenResponse(body);
    QCOMPARE(decision.effect, effect);
    QVERIFY2(decision.reason.contains(reason), qPrintable(decision.reason));
    if (decision.isStepUp())
        QVERIFY(!decision.methods.isEmpty());
}

void TestPdpDecision::amrMapping()
{
    QCOMPARE(amrValue(ApprovalMethod::Passkey), QStringLiteral("hwk"));
    QCOMPARE(amrValue(ApprovalMethod::Totp), QStringLiteral("otp"));
    QCOMPARE(methodFromAmr(u"hwk"), std::optional(ApprovalMethod::Passkey));
    QCOMPARE(methodFromAmr(u"otp"), std::optional(ApprovalMethod::Totp));
    QCOMPARE(methodFromAmr(u"pwd"), std::nullopt);
    const AccessDecision fromAmr = AccessDecision::fromAuthzenResponse(
        R"({"decision":false,"context":{"obligations":[{"type":"step-up","id":"x-step-up",
            "properties":{"acr_value":"urn:countersign:acr:approval","amr_values":["otp"]}}]}})");
    QCOMPARE(fromAmr.methods, QList<ApprovalMethod>{ApprovalMethod::Totp});
    QCOMPARE(fromAmr.ruleName, QStringLiteral("x"));
    QVERIFY(!fromAmr.timeout);
}

QTEST_APPLESS_MAIN(TestPdpDecision)
#include "test_pdp_decision.moc"
