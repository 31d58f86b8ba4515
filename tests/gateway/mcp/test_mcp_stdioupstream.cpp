#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/stdioupstream.h"
#include "gateway/mcp/toolcall.h"

#include <QJsonArray>
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
};

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
}

QTEST_GUILESS_MAIN(TestMcpStdioUpstream)
#include "test_mcp_stdioupstream.moc"
