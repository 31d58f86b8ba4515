#include "gateway/config/gatewayconfig.h"
#include "gateway/pdp/entitydirectory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// What gateway.yaml tells the embedded PDP's directory (the policy
// information point): users[].attributes, resources: and actions:, with
// their limits and errors naming the file and line.
class TestDirectoryConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void userAttributesKeepTheirKinds();
    void resourcesAndActions();
    void directoryIsBuiltFromTheConfig();
    void scenarioFilesLoad();
    void errorsNameKeyPathAndLine_data();
    void errorsNameKeyPathAndLine();
    void limits();
};

namespace {

Result<GatewayConfig> parse(const QByteArray &yaml)
{
    return GatewayConfig::parse(yaml, QStringLiteral("gw.yaml"));
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

// YAML 1.2 core schema: quoted scalars are strings, plain ones read as null,
// booleans and numbers when they look like them.
void TestDirectoryConfig::userAttributesKeepTheirKinds()
{
    const auto config = parse(R"(users:
  - id: alice@example.com
    attributes:
      email: alice@example.com
      roles: [admin, editor]
      level: 3
      ratio: 0.5
      active: true
      zip: "01234"
      flag: "true"
      none: null
      empty:
      profile:
        team: {name: ops, size: 4}
        tags: [a, 1, false]
  - bob@example.com
)");
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    QCOMPARE(compact(config->users.at(0).attributes),
             QStringLiteral(R"({"active":true,"email":"alice@example.com","empty":null,)"
                            R"("flag":"true","level":3,"none":null,"profile":{"tags":["a",1,)"
                            R"(false],"team":{"name":"ops","size":4}},"ratio":0.5,)"
                            R"("roles":["admin","editor"],"zip":"01234"})"));
    QVERIFY(config->users.at(1).attributes.isEmpty());
}

void TestDirectoryConfig::resourcesAndActions()
{
    const auto config = parse(R"(users: [alice@example.com]
resources:
  - type: record
    id: 101
    attributes: {owner: alice, department: Legal}
  - {type: record, id: "102"}
  - {type: folder, id: "101"}
actions: [view, edit, delete]
)");
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    QCOMPARE(config->resources.size(), 3);
    QCOMPARE(config->resources.at(0).type, QStringLiteral("record"));
    QCOMPARE(config->resources.at(0).id, QStringLiteral("101"));
    QCOMPARE(compact(config->resources.at(0).attributes),
             QStringLiteral(R"({"department":"Legal","owner":"alice"})"));
    QVERIFY(config->resources.at(1).attributes.isEmpty());
    QCOMPARE(
        config->actions,
        (QStringList{QStringLiteral("view"), QStringLiteral("edit"), QStringLiteral("delete")}));
    // Both are optional.
    const auto minimal = parse("users: [alice@example.com]\n");
    QVERIFY(minimal.ok());
    QVERIFY(minimal->resources.isEmpty());
    QVERIFY(minimal->actions.isEmpty());
}

void TestDirectoryConfig::directoryIsBuiltFromTheConfig()
{
    const auto config = parse(R"(users:
  - {id: alice, attributes: {role: manager}}
resources:
  - {type: record, id: "101", attributes: {owner: alice}}
actions: [view]
)");
    QVERIFY(config.ok());
    const EntityDirectory directory = entityDirectoryFromConfig(config.value());
    const DirectoryEntity *alice =
        directory.subject(QStringLiteral("user"), QStringLiteral("alice"));
    QVERIFY(alice);
    QCOMPARE(alice->attributes.value(QStringLiteral("role")).toString(), QStringLiteral("manager"));
    QVERIFY(directory.resource(QStringLiteral("record"), QStringLiteral("101")));
    QVERIFY(!directory.resource(QStringLiteral("record"), QStringLiteral("102")));
    QCOMPARE(directory.actions(), QStringList{QStringLiteral("view")});
}

void TestDirectoryConfig::scenarioFilesLoad()
{
    for (const char *name : {"todo", "api-gateway", "search"}) {
        const auto config =
            GatewayConfig::load(QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES "/%1/gateway.yaml")
                                    .arg(QLatin1StringView(name)));
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    }
}

void TestDirectoryConfig::errorsNameKeyPathAndLine_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // the message starts with this

    QTest::newRow("attributes not a mapping")
        << QByteArray("users:\n  - id: a\n    attributes: [x]\n")
        << QStringLiteral("gw.yaml:3: users[0].attributes: expected a mapping of attribute names");
    QTest::newRow("attributes repeated key")
        << QByteArray("users:\n  - id: a\n    attributes:\n      role: x\n      role: y\n")
        << QStringLiteral("gw.yaml:5: users[0].attributes.role: is given more than once");
    QTest::newRow("attribute number too large")
        << QByteArray("users:\n  - id: a\n    attributes: {n: 123456789012345678901}\n")
        << QStringLiteral("gw.yaml:3: users[0].attributes.n: 123456789012345678901 is beyond "
                          "2^53");
    QTest::newRow("attribute nested too deep")
        << QByteArray("users:\n  - id: a\n    attributes: {a: {b: {c: {d: {e: {f: {g: {h: {i: "
                      "1}}}}}}}}}\n")
        << QStringLiteral("gw.yaml:3: users[0].attributes.a.b.c.d.e.f.g.h: attributes nest at "
                          "most 8");
    QTest::newRow("unknown user key")
        << QByteArray("users:\n  - id: a\n    attribute: {}\n")
        << QStringLiteral("gw.yaml:3: users[0].attribute: unknown key");
    QTest::newRow("resources not a list")
        << QByteArray("users: [a]\nresources: {type: x}\n")
        << QStringLiteral("gw.yaml:2: resources: expected a list of {type, id, attributes}");
    QTest::newRow("resource without type")
        << QByteArray("users: [a]\nresources:\n  - id: \"1\"\n")
        << QStringLiteral("gw.yaml:3: resources[0].type: is required");
    QTest::newRow("resource without id")
        << QByteArray("users: [a]\nresources:\n  - type: record\n")
        << QStringLiteral("gw.yaml:3: resources[0].id: is required");
    QTest::newRow("resource empty id")
        << QByteArray("users: [a]\nresources:\n  - {type: record, id: \"\"}\n")
        << QStringLiteral("gw.yaml:3: resources[0].id: must be 1 to 1024 characters");
    QTest::newRow("resource unknown key")
        << QByteArray("users: [a]\nresources:\n  - {type: record, id: \"1\", owner: a}\n")
        << QStringLiteral("gw.yaml:3: resources[0].owner: unknown key");
    QTest::newRow("resource duplicate")
        << QByteArray("users: [a]\nresources:\n  - {type: record, id: \"1\"}\n  - {type: "
                      "record, id: \"1\"}\n")
        << QStringLiteral("gw.yaml:4: resources[1].id: record \"1\" is already listed as "
                          "resources[0]");
    QTest::newRow("resource attributes not a mapping")
        << QByteArray("users: [a]\nresources:\n  - {type: record, id: \"1\", attributes: x}\n")
        << QStringLiteral("gw.yaml:3: resources[0].attributes: expected a mapping");
    QTest::newRow("actions not a list") << QByteArray("users: [a]\nactions: view\n")
                                        << QStringLiteral("gw.yaml:2: actions: expected a list of "
                                                          "at most 256 action names");
    QTest::newRow("action repeated") << QByteArray("users: [a]\nactions: [view, view]\n")
                                     << QStringLiteral("gw.yaml:2: actions[1]: \"view\" is listed "
                                                       "twice");
    QTest::newRow("action not a string") << QByteArray("users: [a]\nactions: [[view]]\n")
                                         << QStringLiteral("gw.yaml:2: actions[0]: expected a "
                                                           "single value");
}

void TestDirectoryConfig::errorsNameKeyPathAndLine()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    const auto config = parse(yaml);
    QVERIFY2(!config.ok(), "the configuration was accepted");
    QCOMPARE(config.error().code, ErrorCode::ConfigError);
    QVERIFY2(config.error().message.startsWith(expected), qPrintable(config.error().message));
}

// Bounded: a directory is held in memory for the gateway's lifetime.
void TestDirectoryConfig::limits()
{
    QByteArray many = "users:\n  - id: a\n    attributes:\n      list: [";
    for (int i = 0; i < 1000; ++i)
        many += "1, ";
    many += "1]\n";
    const auto tooMany = parse(many);
    QVERIFY(!tooMany.ok());
    QVERIFY2(tooMany.error().message.contains(QStringLiteral("more than 1000 attribute values")),
             qPrintable(tooMany.error().message));

    const auto longString =
        parse("users:\n  - id: a\n    attributes: {s: " + QByteArray(1025, 'x') + "}\n");
    QVERIFY(!longString.ok());
    QVERIFY2(longString.error().message.contains(QStringLiteral("longer than 1024")),
             qPrintable(longString.error().message));

    QByteArray resources = "users: [a]\nresources:\n";
    for (int i = 0; i <= GatewayConfig::maxResources; ++i)
        resources += "  - {type: r, id: \"" + QByteArray::number(i) + "\"}\n";
    const auto tooManyResources = parse(resources);
    QVERIFY(!tooManyResources.ok());
    QVERIFY2(tooManyResources.error().message.startsWith(
                 QStringLiteral("gw.yaml:3: resources: more than 10000 resources")),
             qPrintable(tooManyResources.error().message));
}

QTEST_GUILESS_MAIN(TestDirectoryConfig)
#include "test_directoryconfig.moc"
