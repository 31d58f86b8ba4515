#include "gateway/edge/httpmessage.h"
#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/entitydirectory.h"
#include "gateway/pdp/evaluationfastpath.h"
#include "gateway/pdp/pdpendpoints.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/strictjson.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>
#include <QUrl>

using namespace countersign;
using namespace countersign::gateway;

// EvaluationFastPath (Boost.JSON, matching on the parsed text, responses
// serialised at load) against the reference path it stands in for
// (parseStrictJsonObject, AccessRequest::fromJson, PolicyDecisionPoint::
// evaluate, toAuthzenJson): for every request the two must give the same
// answer byte for byte, and for every request the reference refuses the
// fast path must step aside (so the error is the reference's own).
class TestPdpFastPath : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void wellFormedRequestsTakeTheFastPath_data();
    void wellFormedRequestsTakeTheFastPath();
    void sameAnswerAsTheReference_data();
    void sameAnswerAsTheReference();
    void mutatedRequestsKeepTheirAnswer();
    void batchesKeepTheirAnswer_data();
    void batchesKeepTheirAnswer();
    void responsesAreSerialisedOnceAndFollowThePolicy();
    void conditionsAreLeftToTheReference_data();
    void conditionsAreLeftToTheReference();

private:
    void addRows(bool wellFormedOnly);
    QList<QByteArray> m_fixtures;
};

namespace {

// Every kind of condition and effect (as tests/fuzz/fuzz_authzen.cpp), and
// non-ASCII text in patterns, keys and values.
const QByteArray richPolicyYaml = R"(rules:
  - name: read
    match: {action: "get_*", resource_type: tool}
    effect: allow
  - name: own-user
    match:
      action: disable_user
      subject_id: "*@example.com"
      subject: {agent: "claude-*"}
      arguments: {user_id: "u-??"}
    effect: step_up
    methods: [passkey, totp]
    timeout: 55s
    user_verification: required
    reason: Disabling a user needs your approval.
  - name: unicode
    match:
      action: "übersetze_?"
      subject: {"grüße": "h?llo*"}
      arguments: {"ziel": "*😀"}
    effect: allow
  - name: flags
    match:
      action: "flag_*"
      arguments: {force: "true", note: "null", count: "5"}
    effect: deny
    reason: "No flags \"here\" — ever."
  - name: totp-only
    match: {resource_id: "directory/*"}
    effect: step_up
    methods: [totp]
  - name: rest
    match: {action: "*", subject_id: "?*"}
    effect: deny
)";

// `when:` conditions, directory attributes included: the fast path answers
// requests decided by a rule before the first rule with conditions, and
// leaves every other one to the reference path.
const QByteArray conditionPolicyYaml = R"(rules:
  - name: read
    match: {action: "get_*"}
    effect: allow
  - name: admins-disable
    match: {action: "disable_*"}
    when:
      - subject.attributes.roles contains "admin"
      - resource.properties.arguments.user_id != subject.id
    effect: allow
  - name: large
    when:
      - resource.properties.arguments.amount > 1000
    effect: step_up
  - name: rest
    match: {action: "*"}
    effect: deny
)";

std::shared_ptr<const EntityDirectory> conditionDirectory()
{
    auto directory = std::make_shared<EntityDirectory>();
    directory->addSubject(
        {QStringLiteral("user"), QStringLiteral("alice@example.com"),
         QJsonObject{{QStringLiteral("roles"), QJsonArray{QStringLiteral("admin")}}}});
    return directory;
}

Policy policyOf(const QByteArray &yaml)
{
    auto policy = Policy::parse(yaml, QStringLiteral("policy.yaml"));
    Q_ASSERT(policy.ok());
    return policy.value();
}

Policy demoPolicy()
{
    auto policy = Policy::load(QStringLiteral(COUNTERSIGN_DEMO_POLICY));
    Q_ASSERT(policy.ok());
    return policy.value();
}

// The reference: what PdpEndpoints::evaluation answered before the fast
// path, as (status, body).
QPair<int, QByteArray> reference(const PolicyDecisionPoint &pdp, const QByteArray &body)
{
    const auto error = [](const QString &message) {
        return qMakePair(400,
                         QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                                    QStringLiteral("malformed_request")},
                                                   {QStringLiteral("message"), message}})
                             .toJson(QJsonDocument::Compact));
    };
    auto object = parseStrictJsonObject(body, QStringLiteral("request body"));
    if (!object)
        return error(object.error().message);
    auto request = AccessRequest::fromJson(object.value());
    if (!request)
        return error(request.error().message);
    return qMakePair(200,
                     QJsonDocument(pdp.evaluate(request.value()).toAuthzenJson())
                         .toJson(QJsonDocument::Compact));
}

// What PdpEndpoints::evaluations answered before the fast path.
QPair<int, QByteArray> batchReference(const PolicyDecisionPoint &pdp, const QByteArray &body)
{
    const auto error = [](const QString &message) {
        return qMakePair(400,
                         QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                                    QStringLiteral("malformed_request")},
                                                   {QStringLiteral("message"), message}})
                             .toJson(QJsonDocument::Compact));
    };
    const auto compact = [](const QJsonObject &object) -> QByteArray {
        return QJsonDocument(object).toJson(QJsonDocument::Compact);
    };
    auto object = parseStrictJsonObject(body, QStringLiteral("request body"));
    if (!object)
        return error(object.error().message);
    const auto batch = AccessEvaluationsRequest::fromJson(object.value());
    if (!batch)
        return error(batch.error().message);
    if (batch->single)
        return qMakePair(200,
                         compact(pdp.evaluate(batch->evaluations.front().value()).toAuthzenJson()));
    QJsonArray results;
    for (const Result<AccessRequest> &item : batch->evaluations) {
        QJsonObject result;
        bool decision = false;
        if (item) {
            const AccessDecision answer = pdp.evaluate(item.value());
            result = answer.toAuthzenJson();
            decision = answer.isAllow();
        } else {
            result = QJsonObject{
                {QStringLiteral("decision"), false},
                {QStringLiteral("context"),
                 QJsonObject{{QStringLiteral("error"),
                              QJsonObject{{QStringLiteral("status"), 400},
                                          {QStringLiteral("message"), item.error().message}}}}}};
        }
        results.append(result);
        if ((batch->semantic == EvaluationsSemantic::DenyOnFirstDeny && !decision)
            || (batch->semantic == EvaluationsSemantic::PermitOnFirstPermit && decision)) {
            break;
        }
    }
    return qMakePair(200, compact(QJsonObject{{QStringLiteral("evaluations"), results}}));
}

QPair<int, QByteArray> batchEndpoint(const PolicyDecisionPoint &pdp, const QByteArray &body)
{
    const PdpEndpoints endpoints(pdp, QUrl(QStringLiteral("https://pdp.example")));
    HttpRequest request;
    request.body = body;
    const HttpResponse response = endpoints.evaluations(request);
    return qMakePair(response.status, response.body);
}

QPair<int, QByteArray> endpoint(const PolicyDecisionPoint &pdp, const QByteArray &body)
{
    const PdpEndpoints endpoints(pdp, QUrl(QStringLiteral("https://pdp.example")));
    HttpRequest request;
    request.body = body;
    const HttpResponse response = endpoints.evaluation(request);
    return qMakePair(response.status, response.body);
}

QByteArray call(const QByteArray &action, const QByteArray &subjectProperties = "{}",
                const QByteArray &arguments = "{}", const QByteArray &extra = {})
{
    return R"({"subject":{"type":"user","id":"alice@example.com","properties":)" + subjectProperties
        + R"(},"action":{"name":")" + action
        + R"("},"resource":{"type":"tool","id":"directory/x","properties":{"arguments":)"
        + arguments + "}}" + extra + "}";
}

} // namespace

void TestPdpFastPath::initTestCase()
{
    // The AuthZEN request fixtures of the repository (the fuzz corpus).
    const QDir corpus(QStringLiteral(COUNTERSIGN_AUTHZEN_CORPUS));
    const QStringList names = corpus.entryList(QDir::Files, QDir::Name);
    QVERIFY(!names.isEmpty());
    for (const QString &name : names) {
        QFile file(corpus.filePath(name));
        QVERIFY(file.open(QIODevice::ReadOnly));
        m_fixtures.append(file.readAll());
    }
}

void TestPdpFastPath::addRows(bool wellFormedOnly)
{
    QTest::addColumn<QByteArray>("body");
    const auto row = [](const char *name, const QByteArray &body) { QTest::newRow(name) << body; };
    // Well-formed: every effect and condition, non-ASCII, unusual but valid.
    row("allow", call("get_user"));
    row("step-up with every condition",
        call("disable_user", R"({"agent":"claude-code"})", R"({"user_id":"u-42"})"));
    row("step-up argument misses",
        call("disable_user", R"({"agent":"claude-code"})", R"({"user_id":"u-421"})"));
    row("unicode matches",
        call("übersetze_x", R"({"grüße":"hallo welt"})", R"({"ziel":"nach 😀"})"));
    row("unicode escapes match",
        call("\\u00fcbersetze_\\ud83d\\ude00", R"({"gr\u00fc\u00dfe":"hallo"})",
             R"({"ziel":"\ud83d\ude00"})"));
    row("unicode ? is one code point, not two units",
        call("übersetze_😀", R"({"grüße":"hallo"})", R"({"ziel":"😀"})"));
    row("unicode misses", call("übersetze_xy", R"({"grüße":"hallo"})", R"({"ziel":"😀"})"));
    row("flags as strings", call("flag_it", "{}", R"({"force":"true","note":"null","count":"5"})"));
    row("flags as JSON values", call("flag_it", "{}", R"({"force":true,"note":null,"count":5})"));
    row("number 5.0", call("flag_it", "{}", R"({"force":true,"note":null,"count":5.0})"));
    row("number 5e0", call("flag_it", "{}", R"({"force":true,"note":null,"count":5e0})"));
    row("array value",
        call("disable_user", R"({"agent":["claude-code"]})", R"({"user_id":"u-42"})"));
    row("object value", call("disable_user", R"({"agent":{"a":1}})", R"({"user_id":"u-42"})"));
    row("arguments not an object",
        R"({"subject":{"type":"user","id":"a@example.com","properties":{"agent":"claude-x"}},)"
        R"("action":{"name":"disable_user"},"resource":{"type":"tool","id":"x","properties":)"
        R"({"arguments":[1]}}})");
    row("no properties",
        R"({"subject":{"type":"user","id":"a"},"action":{"name":"zzz"},)"
        R"("resource":{"type":"tool","id":"directory/q"}})");
    row("context and unknown members",
        call("get_user", "{}", "{}", R"(,"context":{"x":[1,2,{"y":null}]},"extra":1e300)"));
    row("string of 1024 characters", call(QByteArray(1024, 'a')));
    row("1024 characters, non-BMP",
        call(QByteArray("get_") + QByteArray(510, 'a') + QByteArray("😀").repeated(255)));
    row("whitespace", "  \n" + call("get_user") + "\t\r\n ");
    row("NUL escape", call("get\\u0000user"));
    row("replacement character",
        call("übersetze_\xEF\xBF\xBD", R"({"grüße":"hallo"})", R"({"ziel":"😀"})"));
    row("big integer",
        call("flag_it", "{}", R"({"force":true,"note":null,"count":18446744073709551616})"));
    if (wellFormedOnly)
        return;
    // Malformed, or beyond what the fast path reads: the reference answers.
    row("empty", "");
    row("not JSON", "hello");
    row("array", "[1]");
    row("truncated", call("get_user").chopped(1));
    row("trailing garbage", call("get_user") + "x");
    row("two objects", call("get_user") + call("get_user"));
    row("byte-order mark", "\xEF\xBB\xBF" + call("get_user"));
    row("duplicate top-level member", call("get_user", "{}", "{}", R"(,"action":{"name":"x"})"));
    row("duplicate nested member", call("get_user", R"({"a":1,"a":2})"));
    row("duplicate in context", call("get_user", "{}", "{}", R"(,"context":{"k":1,"k":1})"));
    row("escaped quote and colon in a key", call("get_user", R"({"a\":":1,"b":"\\"})"));
    row("lone high surrogate", call("get_\\ud800"));
    row("lone low surrogate", call("get_\\udc00"));
    row("invalid UTF-8", call("get_\xff"));
    row("overlong UTF-8", call("get_\xC0\xAF"));
    row("encoded surrogate", call("get_\xED\xA0\x80"));
    row("raw control character", call("get_\x01user"));
    row("infinite number", call("get_user", "{}", "{}", R"(,"context":{"n":1e400})"));
    row("comment", call("get_user") + "/* no */");
    row("trailing comma",
        R"({"subject":{"type":"u","id":"a"},)"
        R"("action":{"name":"x"},"resource":{"type":"t","id":"r"},})");
    row("single quotes", "{'subject':1}");
    row("missing subject", R"({"action":{"name":"x"},"resource":{"type":"t","id":"r"}})");
    row("subject not an object",
        R"({"subject":"alice","action":{"name":"x"},)"
        R"("resource":{"type":"t","id":"r"}})");
    row("missing action", R"({"subject":{"type":"u","id":"a"},"resource":{"type":"t","id":"r"}})");
    row("missing resource", R"({"subject":{"type":"u","id":"a"},"action":{"name":"x"}})");
    row("type not a string",
        R"({"subject":{"type":1,"id":"a"},"action":{"name":"x"},)"
        R"("resource":{"type":"t","id":"r"}})");
    row("empty id",
        R"({"subject":{"type":"u","id":""},"action":{"name":"x"},)"
        R"("resource":{"type":"t","id":"r"}})");
    row("id of 1025 characters", call(QByteArray(1025, 'a')));
    row("1025 characters, non-BMP",
        call(QByteArray("get_") + QByteArray(511, 'a') + QByteArray("😀").repeated(255)));
    row("properties not an object", call("get_user", "[]"));
    row("action properties not an object",
        R"({"subject":{"type":"u","id":"a"},"action":{"name":"x","properties":1},)"
        R"("resource":{"type":"t","id":"r"}})");
    row("context not an object", call("get_user", "{}", "{}", R"(,"context":[])"));
    row("deep nesting",
        call("get_user", "{}", "{}",
             ",\"context\":{\"d\":" + QByteArray(40, '[') + QByteArray(40, ']') + "}"));
    row("very deep nesting",
        call("get_user", "{}", "{}",
             ",\"context\":{\"d\":" + QByteArray(2000, '[') + QByteArray(2000, ']') + "}"));
    row("number -0", call("flag_it", "{}", R"({"force":true,"note":null,"count":-0})"));
}

void TestPdpFastPath::wellFormedRequestsTakeTheFastPath_data()
{
    addRows(true);
}

// The fast path must answer (not step aside) for ordinary requests whose
// rules compare only strings, booleans and null: otherwise it is no faster.
void TestPdpFastPath::wellFormedRequestsTakeTheFastPath()
{
    QFETCH(QByteArray, body);
    const PolicyDecisionPoint pdp(policyOf(richPolicyYaml));
    const auto expected = reference(pdp, body);
    QCOMPARE(expected.first, 200);
    const auto fast = EvaluationFastPath(pdp).evaluate(body);
    const QByteArray tag = QTest::currentDataTag();
    const bool comparesANumberOrStructure = tag.contains("number") || tag.contains("JSON values")
        || tag.contains("integer") || tag.contains("array value") || tag.contains("object value");
    if (comparesANumberOrStructure) {
        QVERIFY(!fast.has_value());
    } else {
        QVERIFY(fast.has_value());
        QCOMPARE(*fast, expected.second);
    }
}

void TestPdpFastPath::sameAnswerAsTheReference_data()
{
    addRows(false);
}

void TestPdpFastPath::sameAnswerAsTheReference()
{
    QFETCH(QByteArray, body);
    for (const Policy &policy : {policyOf(richPolicyYaml), demoPolicy(), Policy()}) {
        const PolicyDecisionPoint pdp(policy);
        const auto expected = reference(pdp, body);
        QCOMPARE(endpoint(pdp, body), expected);
        const auto fast = EvaluationFastPath(pdp).evaluate(body);
        if (expected.first != 200)
            QVERIFY2(!fast.has_value(), "the fast path answered a request the reference refuses");
        else if (fast)
            QCOMPARE(*fast, expected.second);
    }
}

// The fixtures, then each of them cut short and with bytes changed (fixed
// seed): whatever the bytes, both paths answer alike.
void TestPdpFastPath::mutatedRequestsKeepTheirAnswer()
{
    const PolicyDecisionPoint rich(policyOf(richPolicyYaml));
    const PolicyDecisionPoint demo(demoPolicy());
    PolicyDecisionPoint conditions(policyOf(conditionPolicyYaml));
    conditions.setDirectory(conditionDirectory());
    const PolicyDecisionPoint &withConditions = conditions;
    QList<QByteArray> inputs = m_fixtures;
    inputs.append(call("disable_user", R"({"agent":"claude-code"})", R"({"user_id":"u-42"})"));
    inputs.append(call("übersetze_x", R"({"grüße":"hallo"})", R"({"ziel":"😀"})"));
    QRandomGenerator random(17);
    const QByteArray alphabet = R"({}[]":,\ 0aeu-.tfn)";
    int answeredFast = 0;
    for (const QByteArray &input : std::as_const(inputs)) {
        QList<QByteArray> variants{input};
        for (qsizetype cut = 0; cut < input.size(); cut += 7)
            variants.append(input.left(cut));
        for (int i = 0; i < 300; ++i) {
            QByteArray changed = input;
            const int edits = 1 + random.bounded(3);
            for (int e = 0; e < edits && !changed.isEmpty(); ++e) {
                const auto at = random.bounded(int(changed.size()));
                changed[at] = alphabet[random.bounded(int(alphabet.size()))];
            }
            variants.append(changed);
        }
        for (const QByteArray &body : std::as_const(variants)) {
            for (const PolicyDecisionPoint *pdp : {&rich, &demo, &withConditions}) {
                const auto expected = reference(*pdp, body);
                const auto fast = EvaluationFastPath(*pdp).evaluate(body);
                if (fast) {
                    ++answeredFast;
                    QCOMPARE(expected.first, 200);
                    QCOMPARE(*fast, expected.second);
                }
                const auto batchExpected = batchReference(*pdp, body);
                if (const auto batch = EvaluationFastPath(*pdp).evaluateBatch(body)) {
                    ++answeredFast;
                    QCOMPARE(batchExpected.first, 200);
                    QCOMPARE(*batch, batchExpected.second);
                }
            }
        }
    }
    QVERIFY(answeredFast > 0);
}

void TestPdpFastPath::batchesKeepTheirAnswer_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("fast"); // the fast path answers it
    const QByteArray subject = R"("subject":{"type":"user","id":"alice@example.com",)"
                               R"("properties":{"agent":"claude-code"}})";
    const QByteArray resource = R"("resource":{"type":"tool","id":"directory/x",)"
                                R"("properties":{"arguments":{"user_id":"u-42"}}})";
    const auto item = [](const char *action) -> QByteArray {
        return QByteArray(R"({"action":{"name":")") + action + R"("}})";
    };
    const QByteArray three =
        item("get_user") + "," + item("delete_user") + "," + item("disable_user");
    const auto batch = [&](const QByteArray &items, const QByteArray &options = {}) -> QByteArray {
        return "{" + subject + "," + resource + R"(,"evaluations":[)" + items + "]" + options + "}";
    };
    QTest::newRow("execute all") << batch(three) << true;
    QTest::newRow("deny on first deny")
        << batch(three, R"(,"options":{"evaluations_semantic":"deny_on_first_deny"})") << true;
    QTest::newRow("permit on first permit")
        << batch(three, R"(,"options":{"evaluations_semantic":"permit_on_first_permit"})") << true;
    QTest::newRow("explicit execute all")
        << batch(three, R"(,"options":{"evaluations_semantic":"execute_all","x":1})") << true;
    QTest::newRow("no items is single")
        << "{" + subject + "," + resource + R"(,"action":{"name":"get_user"}})" << true;
    QTest::newRow("empty items is single")
        << "{" + subject + "," + resource + R"(,"action":{"name":"disable_user"},"evaluations":[]})"
        << true;
    QTest::newRow("item overrides a default")
        << batch(R"({"action":{"name":"get_user"},"subject":{"type":"u","id":"bob@x"}})") << true;
    QTest::newRow("100 items") << batch(QByteArray(item("get_user") + ",").repeated(99) + item("x"))
                               << true;
    QTest::newRow("101 items") << batch(QByteArray(item("get_user") + ",").repeated(100)
                                        + item("x"))
                               << false;
    QTest::newRow("unknown semantic")
        << batch(three, R"(,"options":{"evaluations_semantic":"first"})") << false;
    QTest::newRow("semantic not a string")
        << batch(three, R"(,"options":{"evaluations_semantic":1})") << false;
    QTest::newRow("options not an object") << batch(three, R"(,"options":[])") << false;
    QTest::newRow("evaluations not an array")
        << "{" + subject + "," + resource + R"(,"evaluations":{}})" << false;
    QTest::newRow("item not an object") << batch(item("get_user") + ",1") << false;
    QTest::newRow("item missing action") << batch(item("get_user") + R"(,{"x":1})") << false;
    QTest::newRow("broken default")
        << QByteArray(R"({"subject":{"type":"u"},"evaluations":[{"action":{"name":"x"}}]})")
        << false;
    QTest::newRow("duplicate member in an item")
        << batch(R"({"action":{"name":"a","name":"b"}})") << false;
    QTest::newRow("not JSON") << QByteArray("{") << false;
}

void TestPdpFastPath::batchesKeepTheirAnswer()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, fast);
    for (const Policy &policy : {policyOf(richPolicyYaml), demoPolicy()}) {
        const PolicyDecisionPoint pdp(policy);
        const auto expected = batchReference(pdp, body);
        QCOMPARE(batchEndpoint(pdp, body), expected);
        const auto answer = EvaluationFastPath(pdp).evaluateBatch(body);
        QCOMPARE(answer.has_value(), fast);
        if (answer)
            QCOMPARE(*answer, expected.second);
    }
}

void TestPdpFastPath::responsesAreSerialisedOnceAndFollowThePolicy()
{
    PolicyDecisionPoint pdp(policyOf(richPolicyYaml));
    const QByteArray body = call("get_user");
    QCOMPARE(*EvaluationFastPath(pdp).evaluate(body), QByteArray(R"({"decision":true})"));
    // A new policy brings its own responses.
    pdp.setPolicy(policyOf("rules:\n  - name: no\n    effect: deny\n    reason: Nope.\n"));
    const auto denied = EvaluationFastPath(pdp).evaluate(body);
    QVERIFY(denied.has_value());
    QCOMPARE(*denied, reference(pdp, body).second);
    QVERIFY(denied->contains("Nope."));
    QVERIFY(denied->contains("rule no"));
}

void TestPdpFastPath::conditionsAreLeftToTheReference_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("fast"); // the fast path answers it
    QTest::addColumn<bool>("allowed");
    const QByteArray bob = R"({"type":"user","id":"bob@example.com"})";
    const auto batchOf = [](const QByteArray &first, const QByteArray &second) -> QByteArray {
        const QByteArray subject = R"("subject":{"type":"user","id":"alice@example.com"})";
        return "{" + subject + R"(,"evaluations":[)" + first + "," + second + "]}";
    };
    QTest::newRow("decided before any condition") << call("get_user") << true << true;
    QTest::newRow("admin from the directory")
        << call("disable_user", "{}", R"({"user_id":"u-1"})") << false << true;
    QTest::newRow("not on oneself")
        << call("disable_user", "{}", R"({"user_id":"alice@example.com"})") << false << false;
    QTest::newRow("unknown subject")
        << QByteArray(call("disable_user", "{}", R"({"user_id":"u-1"})"))
               .replace(R"({"type":"user","id":"alice@example.com","properties":{}})", bob)
        << false << false;
    QTest::newRow("number comparison")
        << call("delete_user", "{}", R"({"amount":5000})") << false << false;
    QTest::newRow("batch with a condition")
        << batchOf(R"({"action":{"name":"get_user"},"resource":{"type":"tool","id":"x"}})",
                   R"({"action":{"name":"disable_user"},"resource":{"type":"tool","id":"x",)"
                   R"("properties":{"arguments":{"user_id":"u-1"}}}})")
        << false << false;
}

void TestPdpFastPath::conditionsAreLeftToTheReference()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, fast);
    QFETCH(bool, allowed);
    PolicyDecisionPoint pdp(policyOf(conditionPolicyYaml));
    pdp.setDirectory(conditionDirectory());
    if (body.contains("evaluations")) {
        const auto expected = batchReference(pdp, body);
        QCOMPARE(expected.first, 200);
        QCOMPARE(batchEndpoint(pdp, body), expected);
        const auto answer = EvaluationFastPath(pdp).evaluateBatch(body);
        QCOMPARE(answer.has_value(), fast);
        QVERIFY(expected.second.contains(R"({"decision":true})"));
        return;
    }
    const auto expected = reference(pdp, body);
    QCOMPARE(expected.first, 200);
    QCOMPARE(endpoint(pdp, body), expected);
    const auto answer = EvaluationFastPath(pdp).evaluate(body);
    QCOMPARE(answer.has_value(), fast);
    if (answer)
        QCOMPARE(*answer, expected.second);
    QCOMPARE(expected.second.startsWith(R"({"decision":true)"), allowed);
}

QTEST_GUILESS_MAIN(TestPdpFastPath)
#include "test_pdp_fastpath.moc"
