#include "protocol/jsonrpc/mcpmodern.h"

#include <QJsonArray>
#include <QTest>

using namespace countersign;

// The MCP 2026-07-28 client helpers: the header value encoding of the
// Streamable HTTP binding (its "Value Encoding" table), the request _meta,
// and the version list bounds.
class TestMcpModern : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void headerValuesAreEncodedAsTheSpecificationSays_data();
    void headerValuesAreEncodedAsTheSpecificationSays();
    void nameHeaderComesFromNameOrUri();
    void requestMetaKeepsOtherKeysAndOverridesTheProtocolOnes();
    void versionListsAreBounded();
};

void TestMcpModern::headerValuesAreEncodedAsTheSpecificationSays_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("plain") << QStringLiteral("us-west1") << QByteArray("us-west1");
    QTest::newRow("non-ASCII") << QStringLiteral("Hello, \u4e16\u754c")
                               << QByteArray("=?base64?SGVsbG8sIOS4lueVjA==?=");
    QTest::newRow("padded") << QStringLiteral(" padded ") << QByteArray("=?base64?IHBhZGRlZCA=?=");
    QTest::newRow("newline") << QStringLiteral("line1\nline2")
                             << QByteArray("=?base64?bGluZTEKbGluZTI=?=");
    QTest::newRow("sentinel") << QStringLiteral("=?base64?literal?=")
                              << QByteArray("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
    QTest::newRow("CR LF injection")
        << QStringLiteral("a\r\nX-Evil: 1") << QByteArray("=?base64?YQ0KWC1FdmlsOiAx?=");
}

void TestMcpModern::headerValuesAreEncodedAsTheSpecificationSays()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, encoded);
    QCOMPARE(mcpmodern::headerValue(value), encoded);
}

void TestMcpModern::nameHeaderComesFromNameOrUri()
{
    QCOMPARE(mcpmodern::nameHeader(QStringLiteral("tools/call"),
                                   {{QStringLiteral("name"), QStringLiteral("get_weather")}}),
             QByteArray("get_weather"));
    QCOMPARE(mcpmodern::nameHeader(QStringLiteral("resources/read"),
                                   {{QStringLiteral("uri"), QStringLiteral("file:///a b")}}),
             QByteArray("file:///a b"));
    QVERIFY(mcpmodern::nameHeader(QStringLiteral("tools/list"),
                                  {{QStringLiteral("name"), QStringLiteral("x")}})
                .isEmpty());
    QVERIFY(mcpmodern::nameHeader(QStringLiteral("tools/call"), {{QStringLiteral("name"), 42}})
                .isEmpty());
    QCOMPARE(mcpmodern::methodHeader(QStringLiteral("tools/call")), QByteArray("tools/call"));
    QVERIFY(mcpmodern::methodHeader(QStringLiteral("tools/call\r\nX: 1")).isEmpty());
}

void TestMcpModern::requestMetaKeepsOtherKeysAndOverridesTheProtocolOnes()
{
    const QJsonObject params{
        {QStringLiteral("name"), QStringLiteral("t")},
        {QStringLiteral("_meta"),
         QJsonObject{
             {QStringLiteral("progressToken"), 7},
             {QStringLiteral("io.modelcontextprotocol/protocolVersion"),
              QStringLiteral("1999-01-01")},
             {QStringLiteral("io.modelcontextprotocol/logLevel"), QStringLiteral("debug")}}}};
    const QJsonObject withMeta =
        mcpmodern::withRequestMeta(params, {{QStringLiteral("elicitation"), QJsonObject{}}},
                                   QStringLiteral("c"), QStringLiteral("1"));
    const QJsonObject meta = withMeta.value(QStringLiteral("_meta")).toObject();
    QCOMPARE(withMeta.value(QStringLiteral("name")).toString(), QStringLiteral("t"));
    QCOMPARE(meta.value(QStringLiteral("progressToken")).toInt(), 7);
    QCOMPARE(meta.value(QStringLiteral("io.modelcontextprotocol/protocolVersion")).toString(),
             QStringLiteral("2026-07-28"));
    QVERIFY(meta.value(QStringLiteral("io.modelcontextprotocol/clientCapabilities"))
                .toObject()
                .contains(QStringLiteral("elicitation")));
    QCOMPARE(meta.value(QStringLiteral("io.modelcontextprotocol/clientInfo")).toObject(),
             (QJsonObject{{QStringLiteral("name"), QStringLiteral("c")},
                          {QStringLiteral("version"), QStringLiteral("1")}}));
    QVERIFY(!meta.contains(QStringLiteral("io.modelcontextprotocol/logLevel")));
}

void TestMcpModern::versionListsAreBounded()
{
    const auto ok = mcpmodern::readVersionList(
        QJsonArray{QStringLiteral("2026-07-28"), QStringLiteral("2025-11-25")},
        QStringLiteral("v"));
    QVERIFY(ok.problem.isEmpty());
    QCOMPARE(ok.versions.size(), 2);
    QCOMPARE(mcpmodern::readVersionList(QJsonArray{}, QStringLiteral("v")).problem,
             QStringLiteral("v lists 0 versions (1 to 32 expected)"));
    QCOMPARE(mcpmodern::readVersionList(QJsonArray{QString(65, u'x')}, QStringLiteral("v")).problem,
             QStringLiteral("v holds something that is not a version"));
    QCOMPARE(mcpmodern::readVersionList(QJsonArray{QStringLiteral("a\u0007")}, QStringLiteral("v"))
                 .problem,
             QStringLiteral("v holds something that is not a version"));
    QCOMPARE(mcpmodern::readVersionList(QStringLiteral("2026-07-28"), QStringLiteral("v")).problem,
             QStringLiteral("v is not a list"));
}

QTEST_GUILESS_MAIN(TestMcpModern)
#include "test_mcpmodern.moc"
