#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/stdioupstream.h"
#include "gateway/mcp/toolcall.h"

#include <optional>

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// StdioUpstream and forwardToolCall with a scripted child: what a stdio
// upstream says while a call runs reaches that call's client only when it
// names the call (its progress token), with the client's own token back.
class TestMcpStdioUpstream : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void progressOfTheCallReachesItsClientAndServerRequestsAreRefused();
    void modernServerGetsMetadataAndNoHandshake();
    void modernInputRequiredIsRefusedAtOnce();
    void badDiscoverAnswersFailClearly_data();
    void badDiscoverAnswersFailClearly();
};

namespace {

UpstreamConfig modernScripted(const QString &mode)
{
    UpstreamConfig config;
    config.name = QStringLiteral("modern");
    config.program = QStringLiteral("/bin/sh");
    config.arguments = {QStringLiteral(COUNTERSIGN_SCRIPTED_MODERN_SERVER), mode};
    config.audience = config.name;
    return config;
}

QJsonObject askOnce(Upstream &upstream, const QString &method, const QJsonObject &params)
{
    std::optional<QJsonObject> response;
    upstream.request(method, params, [&response](const QJsonObject &answer) { response = answer; });
    if (!QTest::qWaitFor([&response] { return response.has_value(); }, 15000))
        return {};
    return *response;
}

QString errorMessage(const QJsonObject &response)
{
    return response.value(u"error").toObject().value(u"message").toString();
}

} // namespace

void TestMcpStdioUpstream::modernServerGetsMetadataAndNoHandshake()
{
    StdioUpstream upstream(modernScripted(QStringLiteral("modern")));
    const QJsonObject response = askOnce(upstream, QStringLiteral("tools/call"),
                                         {{QStringLiteral("name"), QStringLiteral("echo")},
                                          {QStringLiteral("arguments"), QJsonObject{}}});
    const QString text = response.value(u"result")
                             .toObject()
                             .value(u"content")
                             .toArray()
                             .at(0)
                             .toObject()
                             .value(u"text")
                             .toString();
    QCOMPARE(text, QStringLiteral("2026-07-28 countersign-gateway handshake=none"));
    QCOMPARE(upstream.protocolVersionInUse(), QStringLiteral("2026-07-28"));
}

void TestMcpStdioUpstream::modernInputRequiredIsRefusedAtOnce()
{
    StdioUpstream upstream(modernScripted(QStringLiteral("modern")));
    const QJsonObject response = askOnce(upstream, QStringLiteral("tools/call"),
                                         {{QStringLiteral("name"), QStringLiteral("confirm")},
                                          {QStringLiteral("arguments"), QJsonObject{}}});
    QCOMPARE(response.value(u"error").toObject().value(u"code").toInt(),
             JsonRpcMessage::upstreamFailure);
    QVERIFY2(errorMessage(response).startsWith(
                 u"upstream modern asked the agent for input (elicitation/create), and "
                 u"countersign-gateway does not relay an upstream's input requests"),
             qPrintable(errorMessage(response)));
}

void TestMcpStdioUpstream::badDiscoverAnswersFailClearly_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unsupported") << QStringLiteral("unsupported")
                                 << QStringLiteral("upstream modern is unavailable: it does not "
                                                   "support MCP 2026-07-28; it supports "
                                                   "\"2027-01-01\"");
    QTest::newRow("wrong versions")
        << QStringLiteral("wrong")
        << QStringLiteral("upstream modern is unavailable: it speaks MCP \"2099-01-01\", and the "
                          "gateway speaks 2026-07-28 (or 2025-11-25 and earlier to a server that "
                          "answers initialize)");
    QTest::newRow("huge") << QStringLiteral("huge")
                          << QStringLiteral("upstream modern is unavailable: the server wrote a "
                                            "line over 16777216 bytes");
}

void TestMcpStdioUpstream::badDiscoverAnswersFailClearly()
{
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    StdioUpstream upstream(modernScripted(mode));
    const QJsonObject response = askOnce(upstream, QStringLiteral("tools/list"), QJsonObject{});
    QCOMPARE(response.value(u"error").toObject().value(u"code").toInt(),
             JsonRpcMessage::upstreamFailure);
    QCOMPARE(errorMessage(response), expected);
    QVERIFY(!upstream.isReady());
}

void TestMcpStdioUpstream::progressOfTheCallReachesItsClientAndServerRequestsAreRefused()
{
    UpstreamConfig config;
    config.name = QStringLiteral("scripted");
    config.program = QStringLiteral("/bin/sh");
    config.arguments = {QStringLiteral(COUNTERSIGN_SCRIPTED_SERVER)};
    config.audience = config.name;
    StdioUpstream upstream(config);

    ToolCall call;
    call.rpcId = 41;
    call.upstream = &upstream;
    call.tool = QStringLiteral("work");
    call.progressToken = QStringLiteral("client-7");
    QList<QJsonObject> relayed;
    std::optional<QJsonObject> response;
    forwardToolCall(
        call, {}, [&response](const QJsonObject &answer) { response = answer; },
        [&relayed](const QJsonObject &notification) { relayed.append(notification); });
    QTRY_VERIFY_WITH_TIMEOUT(response.has_value(), 15000);

    const QString text = response->value(u"result")
                             .toObject()
                             .value(u"content")
                             .toArray()
                             .at(0)
                             .toObject()
                             .value(u"text")
                             .toString();
    // The upstream saw a token of the gateway's, never the client's.
    QVERIFY2(text.startsWith(QStringLiteral("refused countersign-progress-")), qPrintable(text));
    QCOMPARE(response->value(u"id").toInt(), 41);

    // Only the progress for the call's own token, with the client's token
    // back; the other token's progress and the unattributed log are dropped.
    QCOMPARE(relayed.size(), 1);
    QCOMPARE(relayed[0].value(u"method").toString(), QStringLiteral("notifications/progress"));
    const QJsonObject params = relayed[0].value(u"params").toObject();
    QCOMPARE(params.value(u"progressToken").toString(), QStringLiteral("client-7"));
    QCOMPARE(params.value(u"progress").toInt(), 2);
    // It refused server/discover as an unknown method: the 2025 handshake.
    QCOMPARE(upstream.protocolVersionInUse(), QStringLiteral("2025-06-18"));
}

QTEST_GUILESS_MAIN(TestMcpStdioUpstream)
#include "test_mcp_stdioupstream.moc"
