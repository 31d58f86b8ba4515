#include "protocol/jsonrpc/mcpheaderparams.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::mcpmodern;

namespace {

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

QJsonObject nested(int depth)
{
    QJsonObject schema{{QStringLiteral("type"), QStringLiteral("string")},
                       {QStringLiteral("x-mcp-header"), QStringLiteral("Deep")}};
    for (int i = 0; i < depth; ++i) {
        schema =
            QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                        {QStringLiteral("properties"), QJsonObject{{QStringLiteral("a"), schema}}}};
    }
    return schema;
}

} // namespace

// x-mcp-header (MCP 2026-07-28, streamable-http "Custom Headers from Tool
// Parameters"): every constraint on a definition, the value at the exact
// path, the encoding, and the server's check of the headers.
class TestMcpHeaderParams : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void theSpecificationsExampleIsValid();
    void nestedPropertiesAreReachable();
    void invalidDefinitionsAreRefusedWithAReason_data();
    void invalidDefinitionsAreRefusedWithAReason();
    void aPropertyNamedLikeTheAnnotationIsNotAnAnnotation();
    void schemasAreBounded();
    void valuesAreEncodedAsTheSpecificationSays_data();
    void valuesAreEncodedAsTheSpecificationSays();
    void absentAndNullValuesSendNoHeader();
    void valuesWithoutAHeaderFormAreProblems();
    void serverAcceptsMatchingHeaders();
    void serverRefusesMissingMalformedAndMismatchedHeaders();
};

void TestMcpHeaderParams::theSpecificationsExampleIsValid()
{
    const HeaderParams read = readHeaderParams(json(R"({
        "type": "object",
        "properties": {
          "region": {"type": "string", "description": "The region", "x-mcp-header": "Region"},
          "query": {"type": "string"}
        },
        "required": ["region", "query"]})"));
    QVERIFY2(read.isValid(), qPrintable(read.problem));
    QCOMPARE(read.params.size(), 1);
    QCOMPARE(read.params.at(0).name, QStringLiteral("Region"));
    QCOMPARE(read.params.at(0).path, QStringList{QStringLiteral("region")});
    QCOMPARE(read.params.at(0).headerName(), QByteArray("Mcp-Param-Region"));

    const HeaderValues values = headerValues(
        read.params, json(R"({"region": "us-west1", "query": "SELECT * FROM users"})"));
    QVERIFY(values.problem.isEmpty());
    QCOMPARE(values.headers.size(), 1);
    QCOMPARE(values.headers.at(0).first, QByteArray("Mcp-Param-Region"));
    QCOMPARE(values.headers.at(0).second, QByteArray("us-west1"));
}

void TestMcpHeaderParams::nestedPropertiesAreReachable()
{
    const HeaderParams read = readHeaderParams(json(R"({
        "type": "object",
        "properties": {
          "target": {"type": "object", "properties": {
              "tenant": {"type": "string", "x-mcp-header": "Tenant"},
              "shard": {"type": ["integer", "null"], "x-mcp-header": "shard"}}},
          "dryRun": {"type": "boolean", "x-mcp-header": "Dry-Run"}
        }})"));
    QVERIFY2(read.isValid(), qPrintable(read.problem));
    QCOMPARE(read.params.size(), 3);
    const HeaderValues values = headerValues(
        read.params,
        json(R"({"target": {"tenant": "acme", "shard": -7}, "dryRun": false, "tenant": "x"})"));
    QVERIFY(values.problem.isEmpty());
    QCOMPARE(values.headers.size(), 3);
    QMap<QByteArray, QByteArray> byName;
    for (const auto &[name, value] : values.headers)
        byName.insert(name, value);
    QCOMPARE(byName.value("Mcp-Param-Tenant"), QByteArray("acme"));
    QCOMPARE(byName.value("Mcp-Param-shard"), QByteArray("-7"));
    QCOMPARE(byName.value("Mcp-Param-Dry-Run"), QByteArray("false"));
}

void TestMcpHeaderParams::invalidDefinitionsAreRefusedWithAReason_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QString>("reason");
    QTest::newRow("empty") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": ""}}})")
                           << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("space") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": "My Region"}}})")
                           << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("CR LF") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": "A\r\nX-Evil: 1"}}})")
                           << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("control") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": "A\u0001"}}})")
                             << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("colon") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": "A:B"}}})")
                           << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("non-ASCII") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": "R\u00e9gion"}}})")
                               << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("not a string") << QByteArray(
        R"({"properties": {"a": {"type": "string", "x-mcp-header": 5}}})")
                                  << QStringLiteral("not a non-empty HTTP token");
    QTest::newRow("duplicate, other case")
        << QByteArray(R"({"properties": {"a": {"type": "string", "x-mcp-header": "Region"},
                                          "b": {"type": "string", "x-mcp-header": "REGION"}}})")
        << QStringLiteral("declared twice");
    QTest::newRow("number") << QByteArray(
        R"({"properties": {"a": {"type": "number", "x-mcp-header": "N"}}})")
                            << QStringLiteral("not integer, string or boolean");
    QTest::newRow("object") << QByteArray(
        R"({"properties": {"a": {"type": "object", "x-mcp-header": "O"}}})")
                            << QStringLiteral("not integer, string or boolean");
    QTest::newRow("array") << QByteArray(
        R"({"properties": {"a": {"type": "array", "x-mcp-header": "A"}}})")
                           << QStringLiteral("not integer, string or boolean");
    QTest::newRow("no type") << QByteArray(R"({"properties": {"a": {"x-mcp-header": "A"}}})")
                             << QStringLiteral("not integer, string or boolean");
    QTest::newRow("two types") << QByteArray(
        R"({"properties": {"a": {"type": ["string", "integer"], "x-mcp-header": "A"}}})")
                               << QStringLiteral("not integer, string or boolean");
    QTest::newRow("root") << QByteArray(R"({"type": "string", "x-mcp-header": "Root"})")
                          << QStringLiteral("not on a property reachable");
    for (const char *keyword : {"oneOf", "anyOf", "allOf"}) {
        QTest::newRow(keyword) << QByteArray(R"({")") + keyword
                + R"(": [{"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}]})"
                               << QStringLiteral("not on a property reachable");
    }
    for (const char *keyword : {"not", "if", "then", "else", "additionalProperties"}) {
        QTest::newRow(keyword) << QByteArray(R"({")") + keyword
                + R"(": {"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}})"
                               << QStringLiteral("not on a property reachable");
    }
    QTest::newRow("items") << QByteArray(R"({"properties": {"list": {"type": "array",
                                "items": {"type": "object", "properties": {
                                  "a": {"type": "string", "x-mcp-header": "A"}}}}}})")
                           << QStringLiteral("not on a property reachable");
    QTest::newRow("$defs via $ref") << QByteArray(R"({"properties": {"a": {"$ref": "#/$defs/r"}},
                          "$defs": {"r": {"type": "string", "x-mcp-header": "R"}}})")
                                    << QStringLiteral("not on a property reachable");
    QTest::newRow("nested under oneOf of a property")
        << QByteArray(
               R"({"properties": {"a": {"oneOf": [{"type": "string", "x-mcp-header": "A"}]}}})")
        << QStringLiteral("not on a property reachable");
}

void TestMcpHeaderParams::invalidDefinitionsAreRefusedWithAReason()
{
    QFETCH(QByteArray, schema);
    QFETCH(QString, reason);
    const QJsonDocument document = QJsonDocument::fromJson(schema);
    QVERIFY(document.isObject());
    const HeaderParams read = readHeaderParams(document.object());
    QVERIFY(!read.isValid());
    QVERIFY2(read.problem.contains(reason), qPrintable(read.problem));
    QVERIFY(read.params.isEmpty());
}

void TestMcpHeaderParams::aPropertyNamedLikeTheAnnotationIsNotAnAnnotation()
{
    const HeaderParams read =
        readHeaderParams(json(R"({"properties": {"x-mcp-header": {"type": "object"}}})"));
    QVERIFY2(read.isValid(), qPrintable(read.problem));
    QVERIFY(read.params.isEmpty());
}

void TestMcpHeaderParams::schemasAreBounded()
{
    // Each nesting is two steps (properties, then the name).
    QVERIFY(readHeaderParams(nested(maxSchemaDepth / 2 - 1)).isValid());
    const HeaderParams deep = readHeaderParams(nested(maxSchemaDepth));
    QVERIFY(!deep.isValid());
    QVERIFY2(deep.problem.contains(QStringLiteral("deeper")), qPrintable(deep.problem));

    QJsonArray wide;
    for (int i = 0; i < maxSchemaNodes + 1; ++i)
        wide.append(QJsonObject{});
    const HeaderParams big = readHeaderParams(QJsonObject{{QStringLiteral("examples"), wide}});
    QVERIFY(!big.isValid());
    QVERIFY2(big.problem.contains(QStringLiteral("nodes")), qPrintable(big.problem));

    QJsonObject properties;
    for (int i = 0; i <= maxHeaderParams; ++i) {
        properties.insert(
            QStringLiteral("p%1").arg(i),
            QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                        {QStringLiteral("x-mcp-header"), QStringLiteral("P%1").arg(i)}});
    }
    const HeaderParams many =
        readHeaderParams(QJsonObject{{QStringLiteral("properties"), properties}});
    QVERIFY(!many.isValid());
    QVERIFY2(many.problem.contains(QStringLiteral("more than")), qPrintable(many.problem));
}

void TestMcpHeaderParams::valuesAreEncodedAsTheSpecificationSays_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("plain") << QJsonValue(QStringLiteral("us-west1")) << QByteArray("us-west1");
    QTest::newRow("non-ASCII") << QJsonValue(QStringLiteral("Hello, \u4e16\u754c"))
                               << QByteArray("=?base64?SGVsbG8sIOS4lueVjA==?=");
    QTest::newRow("padded") << QJsonValue(QStringLiteral(" padded "))
                            << QByteArray("=?base64?IHBhZGRlZCA=?=");
    QTest::newRow("newline") << QJsonValue(QStringLiteral("line1\nline2"))
                             << QByteArray("=?base64?bGluZTEKbGluZTI=?=");
    QTest::newRow("sentinel") << QJsonValue(QStringLiteral("=?base64?literal?="))
                              << QByteArray("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
    QTest::newRow("integer") << QJsonValue(42) << QByteArray("42");
    QTest::newRow("negative integer") << QJsonValue(-7) << QByteArray("-7");
    QTest::newRow("largest safe integer")
        << QJsonValue(9007199254740991.0) << QByteArray("9007199254740991");
    QTest::newRow("smallest safe integer")
        << QJsonValue(-9007199254740991.0) << QByteArray("-9007199254740991");
    QTest::newRow("true") << QJsonValue(true) << QByteArray("true");
    QTest::newRow("false") << QJsonValue(false) << QByteArray("false");
}

void TestMcpHeaderParams::valuesAreEncodedAsTheSpecificationSays()
{
    QFETCH(QJsonValue, value);
    QFETCH(QByteArray, encoded);
    const QList<HeaderParam> params{{QStringLiteral("Val"), {QStringLiteral("v")}}};
    const HeaderValues values = headerValues(params, QJsonObject{{QStringLiteral("v"), value}});
    QVERIFY2(values.problem.isEmpty(), qPrintable(values.problem));
    QCOMPARE(values.headers.size(), 1);
    QCOMPARE(values.headers.at(0).second, encoded);
    // And the server side accepts what the client side sends.
    QCOMPARE(paramHeaderMismatch(params.at(0), QJsonObject{{QStringLiteral("v"), value}}, encoded),
             QString());
}

void TestMcpHeaderParams::absentAndNullValuesSendNoHeader()
{
    const QList<HeaderParam> params{
        {QStringLiteral("A"), {QStringLiteral("a")}},
        {QStringLiteral("B"), {QStringLiteral("o"), QStringLiteral("b")}}};
    QVERIFY(headerValues(params, {}).headers.isEmpty());
    QVERIFY(headerValues(params, json(R"({"a": null, "o": null})")).headers.isEmpty());
    QVERIFY(headerValues(params, json(R"({"o": "not an object"})")).headers.isEmpty());
    QVERIFY(headerValues(params, json(R"({"b": "wrong level"})")).headers.isEmpty());
}

void TestMcpHeaderParams::valuesWithoutAHeaderFormAreProblems()
{
    const QList<HeaderParam> params{{QStringLiteral("V"), {QStringLiteral("v")}}};
    for (const QJsonValue &value :
         {QJsonValue(1.5), QJsonValue(9007199254740992.0), QJsonValue(-9007199254740992.0),
          QJsonValue(QJsonObject{}), QJsonValue(QJsonArray{1})}) {
        const HeaderValues values = headerValues(params, QJsonObject{{QStringLiteral("v"), value}});
        QVERIFY(!values.problem.isEmpty());
        QVERIFY(values.headers.isEmpty());
    }
    const HeaderValues tooLong = headerValues(
        params, QJsonObject{{QStringLiteral("v"), QString(maxHeaderValueBytes + 1, u'x')}});
    QVERIFY(tooLong.problem.contains(QStringLiteral("too long")));
}

void TestMcpHeaderParams::serverAcceptsMatchingHeaders()
{
    const HeaderParam region{QStringLiteral("Region"), {QStringLiteral("region")}};
    const HeaderParam count{QStringLiteral("Count"), {QStringLiteral("count")}};
    const QJsonObject arguments = json(R"({"region": "us-west1", "count": 42})");
    QCOMPARE(paramHeaderMismatch(region, arguments, QByteArray("us-west1")), QString());
    QCOMPARE(paramHeaderMismatch(region, arguments, QByteArray("=?base64?dXMtd2VzdDE=?=")),
             QString());
    // Integers compare numerically.
    QCOMPARE(paramHeaderMismatch(count, arguments, QByteArray("42.0")), QString());
    // Absent or null: no header expected.
    QCOMPARE(paramHeaderMismatch(region, {}, std::nullopt), QString());
    QCOMPARE(paramHeaderMismatch(region, json(R"({"region": null})"), std::nullopt), QString());

    const QList<HeaderParam> both{region, count};
    const QString none = headerParamMismatch(both, arguments, [](const QByteArray &name) {
        return name == "Mcp-Param-Region" ? std::optional<QByteArray>("us-west1")
                                          : std::optional<QByteArray>("42");
    });
    QCOMPARE(none, QString());
}

void TestMcpHeaderParams::serverRefusesMissingMalformedAndMismatchedHeaders()
{
    const HeaderParam region{QStringLiteral("Region"), {QStringLiteral("region")}};
    const HeaderParam flag{QStringLiteral("Flag"), {QStringLiteral("flag")}};
    const QJsonObject arguments = json(R"({"region": "us-west1", "flag": true})");
    QVERIFY(paramHeaderMismatch(region, arguments, std::nullopt).contains(u"is required"));
    QVERIFY(
        paramHeaderMismatch(region, arguments, QByteArray("eu-west1")).contains(u"does not match"));
    QVERIFY(
        paramHeaderMismatch(region, arguments, QByteArray("US-WEST1")).contains(u"does not match"));
    QVERIFY(
        paramHeaderMismatch(region, arguments, QByteArray("us-west1\r\n")).contains(u"malformed"));
    QVERIFY(paramHeaderMismatch(region, arguments, QByteArray("=?base64?%%%?="))
                .contains(u"malformed"));
    QVERIFY(paramHeaderMismatch(region, {}, QByteArray("us-west1")).contains(u"has no value"));
    QVERIFY(paramHeaderMismatch(flag, arguments, QByteArray("True")).contains(u"does not match"));
    QVERIFY(paramHeaderMismatch(flag, arguments, QByteArray("1")).contains(u"does not match"));
    const QString first =
        headerParamMismatch(QList<HeaderParam>{region, flag}, arguments,
                            [](const QByteArray &) { return std::optional<QByteArray>(); });
    QVERIFY(first.contains(u"Mcp-Param-Region"));
}

QTEST_GUILESS_MAIN(TestMcpHeaderParams)
#include "test_mcpheaderparams.moc"
