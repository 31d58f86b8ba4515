#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/entitydirectory.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The `when:` conditions of the policy language (condition.h): every
// operator on every kind of path, attributes from the directory, groups,
// unknown attributes, step-up rules with conditions, and the load-time error
// of every mistake with its file and line.
class TestPolicyConditions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void operators_data();
    void operators();
    void directoryAttributes();
    void userSubjectTypes();
    void userSubjectTypesInTheConfigSection();
    void unknownNeverAllows();
    void stepUpWithCondition();
    void matchAndWhenTogether();
    void errorsNameFileAndLine_data();
    void errorsNameFileAndLine();
};

namespace {

// The request every operator row is decided on.
const char *requestJson = R"({
  "subject": {"type": "user", "id": "alice@example.com",
              "properties": {"agent": "claude-code", "team": {"name": "ops", "size": 4}}},
  "action": {"name": "transfer", "properties": {"channel": "api"}},
  "resource": {"type": "account", "id": "acct-7",
               "properties": {"ownerID": "alice@example.com", "owner": "alice@example.com",
                              "tags": ["finance", "eu"], "archived": false, "note": null,
                              "arguments": {"amount": 1500, "currency": "EUR"}}},
  "context": {"ip": "10.0.0.8", "hour": 14, "risk": {"score": 0.25}}
})";

AccessRequest request(const char *json = requestJson)
{
    auto parsed = AccessRequest::fromJson(QJsonDocument::fromJson(QByteArray(json)).object());
    Q_ASSERT(parsed.ok());
    return parsed.value();
}

// A one-rule policy allowing when the condition holds.
Result<Policy> policyWhen(const QByteArray &condition)
{
    return Policy::parse("rules:\n  - name: r\n    when:\n      - " + condition
                             + "\n    effect: allow\n",
                         QStringLiteral("p.yaml"));
}

std::shared_ptr<const EntityDirectory> directory()
{
    auto entities = std::make_shared<EntityDirectory>();
    entities->addSubject(
        {QStringLiteral("user"), QStringLiteral("alice@example.com"),
         QJsonObject{{QStringLiteral("email"), QStringLiteral("alice@example.com")},
                     {QStringLiteral("roles"),
                      QJsonArray{QStringLiteral("editor"), QStringLiteral("admin")}},
                     {QStringLiteral("limits"), QJsonObject{{QStringLiteral("transfer"), 1000}}}}});
    entities->addResource(
        {QStringLiteral("account"), QStringLiteral("acct-7"),
         QJsonObject{{QStringLiteral("department"), QStringLiteral("ops")},
                     {QStringLiteral("owner"), QStringLiteral("alice@example.com")}}});
    return entities;
}

} // namespace

void TestPolicyConditions::operators_data()
{
    QTest::addColumn<QByteArray>("condition");
    QTest::addColumn<bool>("holds");

    // Equality on every root, nested paths, attribute against attribute.
    QTest::newRow("subject.type ==") << QByteArray("subject.type == \"user\"") << true;
    QTest::newRow("subject.id ==") << QByteArray("subject.id == \"alice@example.com\"") << true;
    QTest::newRow("subject.id == other") << QByteArray("subject.id == \"bob\"") << false;
    QTest::newRow("action.name !=") << QByteArray("action.name != \"read\"") << true;
    QTest::newRow("action.properties")
        << QByteArray("action.properties.channel == \"api\"") << true;
    QTest::newRow("resource.type") << QByteArray("resource.type == \"account\"") << true;
    QTest::newRow("resource.id") << QByteArray("resource.id == \"acct-8\"") << false;
    QTest::newRow("subject.properties nested")
        << QByteArray("subject.properties.team.name == \"ops\"") << true;
    QTest::newRow("resource.properties (not only arguments)")
        << QByteArray("resource.properties.archived == false") << true;
    QTest::newRow("null equals null") << QByteArray("resource.properties.note == null") << true;
    QTest::newRow("context nested") << QByteArray("context.risk.score == 0.25") << true;
    QTest::newRow("numbers by value") << QByteArray("context.hour == 14.0") << true;
    QTest::newRow("no conversion between kinds") << QByteArray("context.hour == \"14\"") << false;
    QTest::newRow("ownerID == subject.id")
        << QByteArray("resource.properties.ownerID == subject.id") << true;
    QTest::newRow("owner != subject.id")
        << QByteArray("resource.properties.owner != subject.id") << false;
    // Numbers.
    QTest::newRow("amount > 1000")
        << QByteArray("resource.properties.arguments.amount > 1000") << true;
    QTest::newRow("amount >= 1500")
        << QByteArray("resource.properties.arguments.amount >= 1500") << true;
    QTest::newRow("amount < 1500")
        << QByteArray("resource.properties.arguments.amount < 1500") << false;
    QTest::newRow("amount <= 1500")
        << QByteArray("resource.properties.arguments.amount <= 1500") << true;
    QTest::newRow("hour < team size")
        << QByteArray("context.hour < subject.properties.team.size") << false;
    // Lists.
    QTest::newRow("in list") << QByteArray("action.name in [\"transfer\", \"refund\"]") << true;
    QTest::newRow("not in list") << QByteArray("context.ip in [\"10.0.0.1\"]") << false;
    QTest::newRow("in numbers") << QByteArray("context.hour in [9, 14, 17]") << true;
    QTest::newRow("in a list attribute")
        << QByteArray("\"eu\" in resource.properties.tags") << false; // left must be a path
    QTest::newRow("contains") << QByteArray("resource.properties.tags contains \"eu\"") << true;
    QTest::newRow("contains not") << QByteArray("resource.properties.tags contains \"us\"")
                                  << false;
    QTest::newRow("contains_any") << QByteArray(
        "resource.properties.tags contains_any [\"us\", \"finance\"]")
                                  << true;
    QTest::newRow("contains_any none")
        << QByteArray("resource.properties.tags contains_any [\"us\", \"apac\"]") << false;
    // Globs.
    QTest::newRow("matches") << QByteArray("subject.id matches \"*@example.com\"") << true;
    QTest::newRow("matches not") << QByteArray("context.ip matches \"192.168.*\"") << false;
    // Presence.
    QTest::newRow("exists") << QByteArray("context.ip exists") << true;
    QTest::newRow("exists null") << QByteArray("resource.properties.note exists") << true;
    QTest::newRow("exists not") << QByteArray("context.device exists") << false;
    QTest::newRow("absent") << QByteArray("context.device absent") << true;
    QTest::newRow("absent not") << QByteArray("context.ip absent") << false;
    // Groups.
    QTest::newRow("any_of") << QByteArray("any_of: [\"context.hour < 9\", \"context.hour > 13\"]")
                            << true;
    QTest::newRow("any_of none") << QByteArray(
        "any_of: [\"context.hour < 9\", \"context.hour > 17\"]")
                                 << false;
    QTest::newRow("all_of") << QByteArray("all_of: [\"context.hour > 9\", \"context.hour < 17\"]")
                            << true;
    QTest::newRow("all_of one false")
        << QByteArray("all_of: [\"context.hour > 9\", \"context.hour > 17\"]") << false;
    QTest::newRow("not") << QByteArray("not: \"resource.properties.archived == true\"") << true;
    QTest::newRow("not true") << QByteArray("not: \"context.ip exists\"") << false;
}

void TestPolicyConditions::operators()
{
    QFETCH(QByteArray, condition);
    QFETCH(bool, holds);
    if (condition.startsWith('"')) {
        // A literal on the left is not a condition: it is refused at load.
        QVERIFY(!policyWhen(condition).ok());
        return;
    }
    const auto policy = policyWhen(condition);
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QCOMPARE(policy->firstMatch(request()) != nullptr, holds);
}

// subject.attributes.* and resource.attributes.* come from the directory
// (looked up by type and id), through PolicyDecisionPoint::evaluate.
void TestPolicyConditions::directoryAttributes()
{
    const auto policy = Policy::parse(R"(rules:
  - name: own-department
    when:
      - subject.attributes.roles contains "admin"
      - resource.attributes.department == subject.properties.team.name
      - resource.attributes.owner == subject.attributes.email
      - resource.properties.arguments.amount > subject.attributes.limits.transfer
    effect: allow
)",
                                      QStringLiteral("p.yaml"));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    PolicyDecisionPoint pdp(policy.value());
    // Without a directory there are no attributes: nothing holds.
    QVERIFY(pdp.evaluate(request()).isDeny());
    pdp.setDirectory(directory());
    QVERIFY(pdp.evaluate(request()).isAllow());
    // Another subject id: not in the directory, no attributes.
    AccessRequest stranger = request();
    stranger.subject.id = QStringLiteral("mallory@example.com");
    QVERIFY(pdp.evaluate(stranger).isDeny());
    // The same id with another type is another subject.
    AccessRequest service = request();
    service.subject.type = QStringLiteral("service");
    QVERIFY(pdp.evaluate(service).isDeny());
    // An unknown resource has no attributes either.
    AccessRequest otherAccount = request();
    otherAccount.resource.id = QStringLiteral("acct-8");
    QVERIFY(pdp.evaluate(otherAccount).isDeny());
    // Policy::firstMatch without a directory reads no attributes.
    QVERIFY(!policy->firstMatch(request()));
    QVERIFY(policy->firstMatch(request(), &pdp.directory()));
}

// user_subject_types: subjects of these types are looked up among the users
// too; other types (and "identity" without it) are not.
void TestPolicyConditions::userSubjectTypes()
{
    const QByteArray rules =
        "rules:\n  - name: admins\n    when:\n      - subject.attributes.roles contains "
        "\"admin\"\n    effect: allow\n";
    AccessRequest identity = request();
    identity.subject.type = QStringLiteral("identity");

    const auto byDefault = Policy::parse(rules, QStringLiteral("p.yaml"));
    QVERIFY(byDefault.ok());
    QVERIFY(byDefault->userSubjectTypes().isEmpty());
    PolicyDecisionPoint pdp(byDefault.value());
    pdp.setDirectory(directory());
    QVERIFY(pdp.evaluate(request()).isAllow());
    QVERIFY(pdp.evaluate(identity).isDeny());

    const auto mapped =
        Policy::parse("user_subject_types: [identity]\n" + rules, QStringLiteral("p.yaml"));
    QVERIFY2(mapped.ok(), qPrintable(mapped.ok() ? QString() : mapped.error().message));
    pdp.setPolicy(mapped.value());
    QVERIFY(pdp.evaluate(identity).isAllow());
    QVERIFY(pdp.evaluate(request()).isAllow()); // "user" subjects always are users
}

// Inline rules in gateway.yaml take user_subject_types beside them; with
// `file:` it belongs in the policy file.
void TestPolicyConditions::userSubjectTypesInTheConfigSection()
{
    const auto inlined = Policy::fromConfigSection(
        "user_subject_types: [identity]\nrules:\n  - name: a\n    effect: allow\n", 30,
        QStringLiteral("gateway.yaml"));
    QVERIFY2(inlined.ok(), qPrintable(inlined.ok() ? QString() : inlined.error().message));
    QCOMPARE(inlined->userSubjectTypes(), QStringList{QStringLiteral("identity")});

    const auto withFile = Policy::fromConfigSection(
        "file: policy.yaml\nuser_subject_types: [identity]\n", 30, QStringLiteral("gateway.yaml"));
    QVERIFY(!withFile.ok());
    QVERIFY2(withFile.error().message.startsWith(
                 QStringLiteral("gateway.yaml:31: policy.user_subject_types: belongs in the "
                                "policy file")),
             qPrintable(withFile.error().message));
}

// An absent attribute makes a condition unknown: never true, not even under
// `not` or with !=, so a missing attribute never allows.
void TestPolicyConditions::unknownNeverAllows()
{
    for (const QByteArray &condition :
         {QByteArray("context.missing != \"x\""), QByteArray("not: \"context.missing == 1\""),
          QByteArray("not: \"context.missing > 1\""),
          QByteArray("any_of: [\"context.missing == 1\", \"context.other == 2\"]"),
          QByteArray("resource.properties.tags > 1"),                // a list is not a number
          QByteArray("context.ip contains \"10\""),                  // a string is not a list
          QByteArray("context.hour matches \"1*\""),                 // a number is not a string
          QByteArray("subject.attributes.roles contains \"admin\""), // no directory
          QByteArray("resource.properties.owner == context.missing")}) {
        const auto policy = policyWhen(condition);
        QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
        QVERIFY2(!policy->firstMatch(request()), condition.constData());
    }
    // not(unknown) inside any_of with a true branch: the true branch decides.
    const auto policy =
        policyWhen("any_of: [\"not: context.missing == 1\", \"context.ip exists\"]");
    QVERIFY(!policy.ok()); // a group item is a condition string or a group mapping
}

// Step-up rules keep their obligations and can use every matcher.
void TestPolicyConditions::stepUpWithCondition()
{
    const auto policy = Policy::parse(R"(rules:
  - name: large-transfers
    match:
      action: transfer
    when:
      - resource.properties.arguments.amount > 1000
    effect: step_up
    methods: [passkey]
    reason: Transfers over 1000 need your approval.
  - name: transfers
    match:
      action: transfer
    effect: allow
)",
                                      QStringLiteral("p.yaml"));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    const PolicyDecisionPoint pdp(policy.value());
    const AccessDecision large = pdp.evaluate(request());
    QVERIFY(large.isStepUp());
    QCOMPARE(large.ruleName, QStringLiteral("large-transfers"));
    QCOMPARE(large.methods, QList<ApprovalMethod>{ApprovalMethod::Passkey});
    const QJsonObject obligation =
        large.toAuthzenJson()[QStringLiteral("context")][QStringLiteral("obligations")][0]
            .toObject();
    QCOMPARE(obligation[QStringLiteral("type")].toString(), QStringLiteral("step-up"));

    AccessRequest small = request();
    QJsonObject properties = small.resource.properties;
    properties[QStringLiteral("arguments")] = QJsonObject{
        {QStringLiteral("amount"), 20}, {QStringLiteral("currency"), QStringLiteral("EUR")}};
    small.resource.properties = properties;
    QVERIFY(pdp.evaluate(small).isAllow());
}

// match: keys and when: conditions both have to hold.
void TestPolicyConditions::matchAndWhenTogether()
{
    const auto policy = Policy::parse(R"(rules:
  - name: r
    match:
      action: "trans*"
    when:
      - context.hour >= 9
    effect: allow
)",
                                      QStringLiteral("p.yaml"));
    QVERIFY(policy.ok());
    QVERIFY(policy->firstMatch(request()));
    AccessRequest other = request();
    other.action.name = QStringLiteral("refund");
    QVERIFY(!policy->firstMatch(other));
    AccessRequest early = request();
    early.context[QStringLiteral("hour")] = 7;
    QVERIFY(!policy->firstMatch(early));
}

void TestPolicyConditions::errorsNameFileAndLine_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // the message starts with this
    const auto rule = [](const QByteArray &when) -> QByteArray {
        return "rules:\n  - name: a\n    when:\n" + when + "    effect: allow\n";
    };
    QTest::newRow("when not a list") << rule("      context.ip: exists\n")
                                     << QStringLiteral("p.yaml:4: rules[0].when: expected a list "
                                                       "of 1 to 32 conditions");
    QTest::newRow("when empty") << QByteArray("rules:\n  - name: a\n    when: []\n    effect: "
                                              "allow\n")
                                << QStringLiteral("p.yaml:3: rules[0].when: expected a list");
    QTest::newRow("unknown root") << rule("      - user.id == \"a\"\n")
                                  << QStringLiteral("p.yaml:4: rules[0].when[0]: \"user.id\": "
                                                    "unknown root \"user\"");
    QTest::newRow("unknown subject field")
        << rule("      - subject.email == \"a\"\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: \"subject.email\": subject has type, id, "
                          "properties.* and attributes.*");
    QTest::newRow("unknown action field") << rule("      - action.id == \"a\"\n")
                                          << QStringLiteral("p.yaml:4: rules[0].when[0]: "
                                                            "\"action.id\": action has name");
    QTest::newRow("member of a string") << rule("      - subject.id.domain == \"a\"\n")
                                        << QStringLiteral("p.yaml:4: rules[0].when[0]: "
                                                          "\"subject.id.domain\": subject.id is a "
                                                          "string");
    QTest::newRow("bad path character") << rule("      - context.a*b == 1\n")
                                        << QStringLiteral("p.yaml:4: rules[0].when[0]: "
                                                          "\"context.a*b\" is not an attribute "
                                                          "path");
    QTest::newRow("empty path segment") << rule("      - context..a == 1\n")
                                        << QStringLiteral("p.yaml:4: rules[0].when[0]: "
                                                          "\"context..a\" is not an attribute");
    QTest::newRow("too deep") << rule("      - context.a.b.c.d.e.f.g.h.i == 1\n")
                              << QStringLiteral("p.yaml:4: rules[0].when[0]: "
                                                "\"context.a.b.c.d.e.f.g.h.i\" is deeper than 8");
    QTest::newRow("no operator") << rule("      - context.ip\n")
                                 << QStringLiteral("p.yaml:4: rules[0].when[0]: \"context.ip\" "
                                                   "needs an operator");
    QTest::newRow("unknown operator") << rule("      - context.ip =~ \"10.*\"\n")
                                      << QStringLiteral("p.yaml:4: rules[0].when[0]: \"=~\" is "
                                                        "not an operator (expected ==, !=");
    QTest::newRow("single =") << rule("      - context.ip = \"1\"\n")
                              << QStringLiteral("p.yaml:4: rules[0].when[0]: \"=\" is not an "
                                                "operator");
    QTest::newRow("missing operand") << rule("      - context.ip ==\n")
                                     << QStringLiteral("p.yaml:4: rules[0].when[0]: the operator "
                                                       "needs an operand");
    QTest::newRow("unquoted string") << rule("      - subject.attributes.roles contains admin\n")
                                     << QStringLiteral("p.yaml:4: rules[0].when[0]: \"admin\": "
                                                       "unknown root \"admin\"");
    QTest::newRow("not JSON") << rule("      - context.ip == 'x'\n")
                              << QStringLiteral("p.yaml:4: rules[0].when[0]: 'x' is not a value");
    QTest::newRow("two values") << rule("      - context.ip == \"a\" \"b\"\n")
                                << QStringLiteral("p.yaml:4: rules[0].when[0]: \"a\" \"b\" is not "
                                                  "a value");
    QTest::newRow("exists with operand") << rule("      - context.ip exists 1\n")
                                         << QStringLiteral("p.yaml:4: rules[0].when[0]: exists "
                                                           "and absent take no operand");
    QTest::newRow("exists on a string field")
        << rule("      - subject.id exists\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: subject.id is always present");
    QTest::newRow("string field vs number")
        << rule("      - subject.id == 5\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: subject.id is a string and never equals "
                          "a number");
    QTest::newRow("number compare on string field")
        << rule("      - resource.id < 5\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: < compares numbers, but resource.id is a "
                          "string");
    QTest::newRow("number compare with string operand")
        << rule("      - context.hour > \"9\"\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: compares numbers, but the operand is a "
                          "string");
    QTest::newRow("number compare with string path")
        << rule("      - context.hour > subject.id\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: > compares numbers, but subject.id is a "
                          "string");
    QTest::newRow("in without a list") << rule("      - context.ip in \"10.0.0.1\"\n")
                                       << QStringLiteral("p.yaml:4: rules[0].when[0]: in needs a "
                                                         "list of 1 to 256 values, found a string");
    QTest::newRow("in empty list") << rule("      - context.ip in []\n")
                                   << QStringLiteral("p.yaml:4: rules[0].when[0]: in needs a list "
                                                     "of 1 to 256 values, found an empty list");
    QTest::newRow("in a string field") << rule("      - context.ip in subject.id\n")
                                       << QStringLiteral("p.yaml:4: rules[0].when[0]: in needs a "
                                                         "list, but subject.id is a string");
    QTest::newRow("string field in numbers")
        << rule("      - action.name in [\"a\", 2]\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: action.name is a string and never equals "
                          "a number in the list");
    QTest::newRow("contains on a string field")
        << rule("      - subject.id contains \"@\"\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: subject.id is a string, not a list");
    QTest::newRow("contains_any without a list")
        << rule("      - context.tags contains_any \"a\"\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: contains_any needs a list");
    QTest::newRow("matches without a glob")
        << rule("      - context.ip matches 10\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: matches needs a non-empty glob");
    QTest::newRow("matches a path") << rule("      - context.ip matches subject.id\n")
                                    << QStringLiteral("p.yaml:4: rules[0].when[0]: matches needs");
    QTest::newRow("unknown group") << rule("      - one_of: [\"context.ip exists\"]\n")
                                   << QStringLiteral("p.yaml:4: rules[0].when[0].one_of: unknown "
                                                     "key");
    QTest::newRow("two groups in one item")
        << rule("      - {any_of: [\"context.ip exists\"], not: \"context.ip exists\"}\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0]: expected a condition");
    QTest::newRow("group item error names its place")
        << rule("      - any_of:\n          - context.ip exists\n          - context.ip ~ 1\n")
        << QStringLiteral("p.yaml:6: rules[0].when[0].any_of[1]: \"~\" is not an operator");
    QTest::newRow("not of a list")
        << rule("      - not: [\"context.ip exists\"]\n")
        << QStringLiteral("p.yaml:4: rules[0].when[0].not: expected a condition");
    QTest::newRow("groups too deep")
        << rule("      - not:\n          not:\n            not:\n              not: "
                "\"context.ip exists\"\n")
        << QStringLiteral("p.yaml:7: rules[0].when[0].not.not.not: groups nest at most 3 deep");
    QTest::newRow("user_subject_types not a list")
        << QByteArray("user_subject_types: identity\nrules:\n  - name: a\n    effect: allow\n")
        << QStringLiteral("p.yaml:1: user_subject_types: expected a list of 1 to 32 subject "
                          "types");
    QTest::newRow("user_subject_types empty")
        << QByteArray("user_subject_types: []\nrules:\n  - name: a\n    effect: allow\n")
        << QStringLiteral("p.yaml:1: user_subject_types: expected a list of 1 to 32 subject "
                          "types, found 0 entries");
    QTest::newRow("user_subject_types repeated")
        << QByteArray("user_subject_types: [a, a]\nrules:\n  - name: a\n    effect: allow\n")
        << QStringLiteral("p.yaml:1: user_subject_types[1]: \"a\" is listed twice");
}

void TestPolicyConditions::errorsNameFileAndLine()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto policy = Policy::parse(yaml, QStringLiteral("p.yaml"));
    QVERIFY2(!policy.ok(), "the policy was accepted");
    QCOMPARE(policy.error().code, ErrorCode::ConfigError);
    QVERIFY2(policy.error().message.startsWith(expected), qPrintable(policy.error().message));
}

QTEST_GUILESS_MAIN(TestPolicyConditions)
#include "test_pdp_conditions.moc"
