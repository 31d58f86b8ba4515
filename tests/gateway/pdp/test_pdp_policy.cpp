#include "gateway/config/gatewayconfig.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policy.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The policy language: every rule key, strictness, and errors that name the
// file and line.
class TestPdpPolicy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesEveryKey();
    void defaultsForStepUp();
    void matchKeys_data();
    void matchKeys();
    void firstMatchWinsAndNoMatchIsNull();
    void errorsNameFileAndLine_data();
    void errorsNameFileAndLine();
    void loadsFromFile();
    void loadReportsMissingFile();
    void configSectionInlineRules();
    void configSectionFile();
    void configSectionErrors_data();
    void configSectionErrors();
    void readsGatewayConfigReservedSection();
};

namespace {

AccessRequest request(const char *json)
{
    auto parsed = AccessRequest::fromJson(QJsonDocument::fromJson(QByteArray(json)).object());
    Q_ASSERT(parsed.ok());
    return parsed.value();
}

// A typical MCP tools/call as the gateway will map it.
AccessRequest toolCall(const QString &tool, const QJsonObject &arguments = {},
                       const QString &agent = QStringLiteral("claude-code"))
{
    AccessRequest call;
    call.subject = {QStringLiteral("user"), QStringLiteral("alice@example.com"),
                    QJsonObject{{QStringLiteral("agent"), agent}}};
    call.action = {tool, {}};
    call.resource = {QStringLiteral("tool"), QStringLiteral("directory/") + tool,
                     QJsonObject{{QStringLiteral("arguments"), arguments}}};
    return call;
}

} // namespace

void TestPdpPolicy::parsesEveryKey()
{
    const auto policy = Policy::parse(R"(rules:
  - name: all-keys
    match:
      action: "disable_*"
      resource_type: tool
      resource_id: "directory/*"
      subject_id: "*@example.com"
      subject:
        agent: "claude-*"
      arguments:
        user_id: "u-*"
    effect: step_up
    methods: [totp]
    timeout: 2m
    reason: Needs a person.
)",
                                      QStringLiteral("policy.yaml"));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QCOMPARE(policy->sourceName(), QStringLiteral("policy.yaml"));
    QCOMPARE(policy->rules().size(), 1);
    const PolicyRule &rule = policy->rules().first();
    QCOMPARE(rule.name, QStringLiteral("all-keys"));
    QCOMPARE(rule.line, 2);
    QCOMPARE(rule.action->pattern(), QStringLiteral("disable_*"));
    QCOMPARE(*rule.resourceType, QStringLiteral("tool"));
    QCOMPARE(rule.resourceId->pattern(), QStringLiteral("directory/*"));
    QCOMPARE(rule.subjectId->pattern(), QStringLiteral("*@example.com"));
    QCOMPARE(rule.subjectProperties.size(), 1);
    QCOMPARE(rule.subjectProperties.first().first, QStringLiteral("agent"));
    QCOMPARE(rule.arguments.size(), 1);
    QCOMPARE(rule.effect, PolicyRule::Effect::StepUp);
    QCOMPARE(rule.methods, QList<ApprovalMethod>{ApprovalMethod::Totp});
    QCOMPARE(rule.timeout, std::optional(std::chrono::seconds(120)));
    QCOMPARE(rule.reason, QStringLiteral("Needs a person."));

    QVERIFY(
        rule.matches(toolCall(QStringLiteral("disable_user"),
                              QJsonObject{{QStringLiteral("user_id"), QStringLiteral("u-1")}})));
}

void TestPdpPolicy::defaultsForStepUp()
{
    const auto policy = Policy::parse("rules: [{name: s, effect: step_up}]", QStringLiteral("p"));
    QVERIFY(policy.ok());
    const PolicyRule &rule = policy->rules().first();
    QCOMPARE(rule.methods, (QList<ApprovalMethod>{ApprovalMethod::Passkey, ApprovalMethod::Totp}));
    QVERIFY(!rule.timeout);
    QVERIFY(!rule.userVerificationRequired);
    const auto uv = Policy::parse(
        "rules: [{name: s, effect: step_up, methods: [passkey], user_verification: required}]",
        QStringLiteral("p"));
    QVERIFY2(uv.ok(), qPrintable(uv.ok() ? QString() : uv.error().message));
    QVERIFY(uv->rules().first().userVerificationRequired);
    // A rule without match matches every call.
    QVERIFY(rule.matches(toolCall(QStringLiteral("anything"))));
}

void TestPdpPolicy::matchKeys_data()
{
    QTest::addColumn<QByteArray>("match");
    QTest::addColumn<QByteArray>("call");
    QTest::addColumn<bool>("expected");

    const QByteArray base = R"({"subject":{"type":"user","id":"alice@example.com",
        "properties":{"agent":"claude-code","level":3,"trusted":true}},
        "action":{"name":"disable_user"},
        "resource":{"type":"tool","id":"directory/disable_user",
        "properties":{"arguments":{"user_id":"u-42","count":5,"force":false,"ratio":1.5,
                                   "tags":["a"],"note":null}}}})";
    QTest::newRow("action glob") << QByteArray("action: \"disable_*\"") << base << true;
    QTest::newRow("action glob miss") << QByteArray("action: \"enable_*\"") << base << false;
    QTest::newRow("resource_type") << QByteArray("resource_type: tool") << base << true;
    QTest::newRow("resource_type is exact") << QByteArray("resource_type: too") << base << false;
    QTest::newRow("resource_type is case-sensitive")
        << QByteArray("resource_type: Tool") << base << false;
    QTest::newRow("resource_id glob") << QByteArray("resource_id: \"directory/*\"") << base << true;
    QTest::newRow("resource_id miss") << QByteArray("resource_id: \"files/*\"") << base << false;
    QTest::newRow("subject_id glob") << QByteArray("subject_id: \"*@example.com\"") << base << true;
    QTest::newRow("subject_id miss") << QByteArray("subject_id: \"bob@*\"") << base << false;
    QTest::newRow("subject property")
        << QByteArray("subject: {agent: \"claude-*\"}") << base << true;
    QTest::newRow("subject property miss")
        << QByteArray("subject: {agent: \"cursor-*\"}") << base << false;
    QTest::newRow("subject property number")
        << QByteArray("subject: {level: \"3\"}") << base << true;
    QTest::newRow("subject property bool")
        << QByteArray("subject: {trusted: \"true\"}") << base << true;
    QTest::newRow("absent subject property never matches")
        << QByteArray("subject: {team: \"*\"}") << base << false;
    QTest::newRow("all subject properties must match")
        << QByteArray("subject: {agent: \"claude-*\", level: \"4\"}") << base << false;
    QTest::newRow("argument") << QByteArray("arguments: {user_id: \"u-*\"}") << base << true;
    QTest::newRow("argument miss")
        << QByteArray("arguments: {user_id: \"admin\"}") << base << false;
    QTest::newRow("argument number") << QByteArray("arguments: {count: 5}") << base << true;
    QTest::newRow("argument fraction") << QByteArray("arguments: {ratio: \"1.5\"}") << base << true;
    QTest::newRow("argument bool") << QByteArray("arguments: {force: \"false\"}") << base << true;
    QTest::newRow("argument null") << QByteArray("arguments: {note: \"null\"}") << base << true;
    QTest::newRow("argument array as JSON")
        << QByteArray(R"(arguments: {tags: '["a"]'})") << base << true;
    QTest::newRow("absent argument never matches")
        << QByteArray("arguments: {reason: \"*\"}") << base << false;
    QTest::newRow("arguments without arguments object")
        << QByteArray("arguments: {user_id: \"*\"}")
        << QByteArray(R"({"subject":{"type":"user","id":"a"},"action":{"name":"x"},
                          "resource":{"type":"tool","id":"x"}})")
        << false;
    QTest::newRow("every key must hold")
        << QByteArray("{action: \"disable_*\", resource_type: tool, subject_id: \"bob\"}") << base
        << false;
    QTest::newRow("empty match matches all") << QByteArray("{}") << base << true;
}

void TestPdpPolicy::matchKeys()
{
    QFETCH(QByteArray, match);
    QFETCH(QByteArray, call);
    QFETCH(bool, expected);
    QByteArray yaml = "rules:\n  - name: r\n    effect: allow\n    match:\n";
    for (const QByteArray &line : match.split('\n'))
        yaml += "      " + line + "\n";
    if (match.startsWith('{'))
        yaml = "rules:\n  - name: r\n    effect: allow\n    match: " + match + "\n";
    const auto policy = Policy::parse(yaml, QStringLiteral("p"));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QCOMPARE(policy->rules().first().matches(request(call.constData())), expected);
}

void TestPdpPolicy::firstMatchWinsAndNoMatchIsNull()
{
    const auto policy = Policy::parse(R"(rules:
  - name: deny-bob
    match: {subject_id: "bob@*"}
    effect: deny
  - name: allow-reads
    match: {action: "get_*"}
    effect: allow
  - name: step-up-all-get-user
    match: {action: get_user}
    effect: step_up
)",
                                      QStringLiteral("p"));
    QVERIFY(policy.ok());
    AccessRequest call = toolCall(QStringLiteral("get_user"));
    QCOMPARE(policy->firstMatch(call)->name, QStringLiteral("allow-reads"));
    call.subject.id = QStringLiteral("bob@example.com");
    QCOMPARE(policy->firstMatch(call)->name, QStringLiteral("deny-bob"));
    QCOMPARE(policy->firstMatch(toolCall(QStringLiteral("delete_user"))), nullptr);
    QCOMPARE(Policy().firstMatch(call), nullptr);
}

void TestPdpPolicy::errorsNameFileAndLine_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // the message starts with this

    QTest::newRow("empty file") << QByteArray("")
                                << QStringLiteral("p.yaml:1: rules: at least one");
    QTest::newRow("no rules key") << QByteArray("# nothing\nother: 1\n")
                                  << QStringLiteral("p.yaml:2: other: unknown key");
    QTest::newRow("rules empty") << QByteArray("rules: []\n")
                                 << QStringLiteral("p.yaml:1: rules: at least one rule");
    QTest::newRow("rules null") << QByteArray("rules:\n")
                                << QStringLiteral("p.yaml:1: rules: at least one rule");
    QTest::newRow("rules not a list")
        << QByteArray("rules: {name: a}\n") << QStringLiteral("p.yaml:1: rules: expected a list");
    QTest::newRow("rule not a mapping") << QByteArray("rules:\n  - allow\n")
                                        << QStringLiteral("p.yaml:2: rules[0]: expected a rule");
    QTest::newRow("unknown rule key")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    efect: deny\n")
        << QStringLiteral("p.yaml:4: rules[0].efect: unknown key");
    QTest::newRow("repeated rule key")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    effect: deny\n")
        << QStringLiteral("p.yaml:4: rules[0].effect: is given more than once");
    QTest::newRow("missing name") << QByteArray("rules:\n  - effect: allow\n")
                                  << QStringLiteral("p.yaml:2: rules[0].name: is required");
    QTest::newRow("bad name") << QByteArray("rules:\n  - name: has space\n    effect: allow\n")
                              << QStringLiteral("p.yaml:2: rules[0].name: \"has space\" is not a "
                                                "rule name");
    QTest::newRow("duplicate name")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n  - name: a\n    effect: deny\n")
        << QStringLiteral("p.yaml:4: rules[1].name: \"a\" is already the name of the rule on line "
                          "2");
    QTest::newRow("missing effect") << QByteArray("rules:\n  - name: a\n")
                                    << QStringLiteral("p.yaml:2: rules[0].effect: is required");
    QTest::newRow("bad effect") << QByteArray("rules:\n  - name: a\n    effect: permit\n")
                                << QStringLiteral("p.yaml:3: rules[0].effect: \"permit\" is not "
                                                  "an effect");
    QTest::newRow("effect is a list") << QByteArray("rules:\n  - name: a\n    effect: [allow]\n")
                                      << QStringLiteral("p.yaml:3: rules[0].effect: expected a "
                                                        "single value");
    QTest::newRow("unknown match key")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      tool: x\n")
        << QStringLiteral("p.yaml:5: rules[0].match.tool: unknown key");
    QTest::newRow("match not a mapping")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match: list_users\n")
        << QStringLiteral("p.yaml:4: rules[0].match: expected a mapping");
    QTest::newRow("empty glob")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      action: \"\"\n")
        << QStringLiteral("p.yaml:5: rules[0].match.action: an empty pattern");
    QTest::newRow("glob is a list")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      action: [a, b]\n")
        << QStringLiteral("p.yaml:5: rules[0].match.action: expected a single value");
    QTest::newRow("arguments not a mapping")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      arguments: x\n")
        << QStringLiteral("p.yaml:5: rules[0].match.arguments: expected a mapping");
    QTest::newRow("argument glob not a value")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      arguments:\n"
                      "        id: {a: 1}\n")
        << QStringLiteral("p.yaml:6: rules[0].match.arguments.id: expected a single value");
    QTest::newRow("repeated argument")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      arguments:\n"
                      "        id: x\n        id: y\n")
        << QStringLiteral("p.yaml:7: rules[0].match.arguments.id: is given more than once");
    QTest::newRow("subject property null")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    match:\n      subject:\n"
                      "        agent:\n")
        << QStringLiteral("p.yaml:6: rules[0].match.subject.agent: needs a value");
    QTest::newRow("methods on allow")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    methods: [totp]\n")
        << QStringLiteral("p.yaml:4: rules[0].methods: only applies to effect step_up");
    QTest::newRow("timeout on deny")
        << QByteArray("rules:\n  - name: a\n    effect: deny\n    timeout: 30s\n")
        << QStringLiteral("p.yaml:4: rules[0].timeout: only applies to effect step_up");
    QTest::newRow("unknown method")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    methods: [passkey, sms]\n")
        << QStringLiteral("p.yaml:4: rules[0].methods[1]: \"sms\" is not a method");
    QTest::newRow("repeated method")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    methods: [totp, totp]\n")
        << QStringLiteral("p.yaml:4: rules[0].methods[1]: \"totp\" is listed twice");
    QTest::newRow("empty methods")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    methods: []\n")
        << QStringLiteral("p.yaml:4: rules[0].methods: expected a non-empty list");
    QTest::newRow("user_verification on allow")
        << QByteArray("rules:\n  - name: a\n    effect: allow\n    user_verification: required\n")
        << QStringLiteral("p.yaml:4: rules[0].user_verification: only applies to effect step_up");
    QTest::newRow("user_verification unknown level")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    user_verification: always\n")
        << QStringLiteral("p.yaml:4: rules[0].user_verification: \"always\" is not a level "
                          "(expected required or preferred)");
    QTest::newRow("user_verification without passkey")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    methods: [totp]\n"
                      "    user_verification: required\n")
        << QStringLiteral("p.yaml:5: rules[0].user_verification: required needs passkey among the "
                          "methods");
    QTest::newRow("timeout too short")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    timeout: 5s\n")
        << QStringLiteral("p.yaml:4: rules[0].timeout: \"5s\" is below the minimum 10s");
    QTest::newRow("timeout too long")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    timeout: 2h\n")
        << QStringLiteral("p.yaml:4: rules[0].timeout: \"2h\" is above the maximum 1h");
    QTest::newRow("timeout not a duration")
        << QByteArray("rules:\n  - name: a\n    effect: step_up\n    timeout: soon\n")
        << QStringLiteral("p.yaml:4: rules[0].timeout: \"soon\" is not a duration");
    QTest::newRow("reason with control characters")
        << QByteArray("rules:\n  - name: a\n    effect: deny\n    reason: \"a\\u202Eb\"\n")
        << QStringLiteral("p.yaml:4: rules[0].reason: must be at most");
    QTest::newRow("syntax error") << QByteArray("rules:\n  - name: [a\n")
                                  << QStringLiteral("p.yaml:3: ");
    QTest::newRow("two documents")
        << QByteArray("rules: [{name: a, effect: allow}]\n---\nrules: []\n")
        << QStringLiteral("p.yaml:3: the file holds more than one YAML document");
}

void TestPdpPolicy::errorsNameFileAndLine()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto policy = Policy::parse(yaml, QStringLiteral("p.yaml"));
    QVERIFY(!policy.ok());
    QCOMPARE(policy.error().code, ErrorCode::ConfigError);
    QVERIFY2(policy.error().message.startsWith(expected), qPrintable(policy.error().message));
}

void TestPdpPolicy::loadsFromFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("policy.yaml"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("rules:\n  - name: a\n    effect: allow\n  - name: b\n    effect: bogus\n");
    file.close();
    const auto policy = Policy::load(path);
    QVERIFY(!policy.ok());
    QCOMPARE(policy.error().message.left(path.size() + 3), path + QStringLiteral(":5:"));
}

void TestPdpPolicy::loadReportsMissingFile()
{
    const auto policy = Policy::load(QStringLiteral("/nonexistent/policy.yaml"));
    QVERIFY(!policy.ok());
    QVERIFY(
        policy.error().message.startsWith(QStringLiteral("cannot read /nonexistent/policy.yaml")));
}

void TestPdpPolicy::configSectionInlineRules()
{
    // As GatewayConfig keeps it: the section's value re-emitted by yaml-cpp
    // and the line of its first key in gateway.yaml.
    const QByteArray section = "rules:\n  - name: a\n    effect: allow\n  - name: b\n"
                               "    effect: step_up\n    timeout: 30s\n";
    const auto policy = Policy::fromConfigSection(section, 40, QStringLiteral("/etc/gw.yaml"));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QCOMPARE(policy->rules().size(), 2);
    QCOMPARE(policy->rules().at(1).line, 43);
    QCOMPARE(policy->sourceName(), QStringLiteral("/etc/gw.yaml"));

    const auto broken = Policy::fromConfigSection("rules:\n  - name: a\n    effect: maybe\n", 40,
                                                  QStringLiteral("/etc/gw.yaml"));
    QVERIFY(!broken.ok());
    QVERIFY2(broken.error().message.startsWith(
                 QStringLiteral("/etc/gw.yaml:42: policy.rules[0].effect: \"maybe\"")),
             qPrintable(broken.error().message));
}

void TestPdpPolicy::configSectionFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("conf")));
    QFile file(dir.filePath(QStringLiteral("conf/rules.yaml")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("rules:\n  - name: only\n    effect: deny\n");
    file.close();
    const QString configPath = dir.filePath(QStringLiteral("gateway.yaml"));
    const auto policy = Policy::fromConfigSection("file: conf/rules.yaml\n", 7, configPath);
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QCOMPARE(policy->rules().first().name, QStringLiteral("only"));
    QCOMPARE(policy->sourceName(), dir.filePath(QStringLiteral("conf/rules.yaml")));
}

void TestPdpPolicy::configSectionErrors_data()
{
    QTest::addColumn<QByteArray>("section");
    QTest::addColumn<QString>("expected");
    QTest::newRow("both") << QByteArray("file: p.yaml\nrules: []\n")
                          << QStringLiteral("gw.yaml:10: policy: give either file");
    QTest::newRow("neither") << QByteArray("{}\n")
                             << QStringLiteral("gw.yaml:10: policy: give either file");
    QTest::newRow("unknown key") << QByteArray("path: p.yaml\n")
                                 << QStringLiteral("gw.yaml:10: policy.path: unknown key");
    QTest::newRow("missing file") << QByteArray("file: missing.yaml\n")
                                  << QStringLiteral("cannot read ");
    QTest::newRow("empty rules") << QByteArray("rules: []\n")
                                 << QStringLiteral("gw.yaml:10: policy.rules: at least one rule");
}

void TestPdpPolicy::configSectionErrors()
{
    QFETCH(QByteArray, section);
    QFETCH(QString, expected);
    const auto policy = Policy::fromConfigSection(section, 10, QStringLiteral("gw.yaml"));
    QVERIFY(!policy.ok());
    QVERIFY2(policy.error().message.startsWith(expected), qPrintable(policy.error().message));
}

void TestPdpPolicy::readsGatewayConfigReservedSection()
{
    // What the wiring will do: GatewayConfig keeps `policy:` as YAML text
    // with its line, and Policy reads it with errors on gateway.yaml's lines.
    const QByteArray good = "users: [alice@example.com]\n"
                            "policy:\n"
                            "  rules:\n"
                            "    - name: reads\n"
                            "      match: {action: \"get_*\"}\n"
                            "      effect: allow\n"
                            "    - name: writes\n"
                            "      effect: step_up\n";
    const auto config = GatewayConfig::parse(good, QStringLiteral("/etc/gateway.yaml"));
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    const auto section = config->reserved.value(QStringLiteral("policy"));
    const auto policy =
        Policy::fromConfigSection(section.yaml, section.line, QStringLiteral("/etc/gateway.yaml"));
    QVERIFY2(policy.ok(), qPrintable(policy.ok() ? QString() : policy.error().message));
    QCOMPARE(policy->rules().size(), 2);
    QCOMPARE(policy->rules().at(1).line, 7);

    QByteArray bad = good;
    bad.replace("effect: step_up", "effect: stepup");
    const auto badConfig = GatewayConfig::parse(bad, QStringLiteral("/etc/gateway.yaml"));
    QVERIFY(badConfig.ok());
    const auto badSection = badConfig->reserved.value(QStringLiteral("policy"));
    const auto refused = Policy::fromConfigSection(badSection.yaml, badSection.line,
                                                   QStringLiteral("/etc/gateway.yaml"));
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.startsWith(
                 QStringLiteral("/etc/gateway.yaml:8: policy.rules[1].effect: \"stepup\"")),
             qPrintable(refused.error().message));
}

QTEST_APPLESS_MAIN(TestPdpPolicy)
#include "test_pdp_policy.moc"
