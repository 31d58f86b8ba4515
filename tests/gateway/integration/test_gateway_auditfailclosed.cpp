#include "../store/rawdatabase.h"
#include "gateway/edge/edgeserver.h"
#include "gateway/edge/httprouter.h"
#include "gateway/keys/signingkey.h"
#include "gateway/store/sqlitestore.h"
#include "gatewayfixture.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/freeport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

using namespace countersign;
using namespace countersign::testing;

namespace {

QJsonObject objectSchema()
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}};
}

// A Streamable HTTP MCP server on loopback with one tool, `echo`, that
// counts the tools/call requests it receives: the upstream's own view of
// whether the gateway forwarded a call.
class CountingUpstream {
public:
    CountingUpstream()
    {
        m_router.route(QStringLiteral("/mcp"), gateway::HttpMethod::Post,
                       [this](const gateway::HttpRequest &request, const QStringList &) {
                           return answer(request);
                       });
        m_edge.serve(m_router);
        const auto port = m_edge.listen();
        m_port = port ? port.value() : 0;
    }

    quint16 port() const { return m_port; }
    int toolCalls() const { return m_toolCalls; }

private:
    gateway::HttpResponse answer(const gateway::HttpRequest &request)
    {
        const QJsonObject message = QJsonDocument::fromJson(request.body).object();
        const QString method = message.value(QStringLiteral("method")).toString();
        if (!message.contains(QStringLiteral("id")))
            return gateway::HttpResponse(202);
        QJsonObject result;
        if (method == u"initialize") {
            result = QJsonObject{{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                                 {QStringLiteral("capabilities"),
                                  QJsonObject{{QStringLiteral("tools"), QJsonObject{}}}},
                                 {QStringLiteral("serverInfo"),
                                  QJsonObject{{QStringLiteral("name"), QStringLiteral("counting")},
                                              {QStringLiteral("version"), QStringLiteral("1")}}}};
        } else if (method == u"tools/list") {
            result = QJsonObject{
                {QStringLiteral("tools"),
                 QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("echo")},
                                        {QStringLiteral("inputSchema"), objectSchema()}},
                            QJsonObject{{QStringLiteral("name"), QStringLiteral("guarded")},
                                        {QStringLiteral("inputSchema"), objectSchema()}}}}};
        } else if (method == u"tools/call") {
            ++m_toolCalls;
            result = QJsonObject{
                {QStringLiteral("content"),
                 QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                        {QStringLiteral("text"), QStringLiteral("ran")}}}}};
        }
        return gateway::HttpResponse::json(
            QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                        {QStringLiteral("id"), message.value(QStringLiteral("id"))},
                        {QStringLiteral("result"), result}});
    }

    gateway::HttpRouter m_router;
    gateway::EdgeServer m_edge{gateway::EdgeOptions{}};
    quint16 m_port = 0;
    int m_toolCalls = 0;
};

const QByteArray agentKey = "audit-agent-key";

} // namespace

// An authorization gateway must not act without its record (issue 16,
// "Audit and storage fail closed"). The store is made to fail through the
// database itself: a trigger that refuses the inserts a full disk would.
class TestGatewayAuditFailClosed : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void allowedCallIsNotForwardedWhenItsRecordFails();
    void denialStaysADenialWhenItsRecordFails();
    void callThatRanIsAnsweredWhenItsFinishedRecordFails();
    void approvalIsRefusedAsStorageUnavailable();
    void denialThatCannotBeStoredIsRefusedAsStorageUnavailable();
    void fullDiskStopsForwardingBeforeTheUpstream();
    void approvedCallIsNotRunWhenItsRecordFails();

private:
    struct Reply {
        int status = 0;
        QJsonObject body;
        QByteArray session;
    };
    Reply post(const QJsonObject &message, const QByteArray &session = {});
    QByteArray initialize();
    QJsonObject callTool(const QString &name);
    bool failInserts(const QString &table, const QString &when = {});
    bool healInserts();

    QTemporaryDir m_dir;
    std::unique_ptr<CountingUpstream> m_upstream;
    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<RawDatabase> m_raw;
    QNetworkAccessManager m_network;
    QByteArray m_session;
};

void TestGatewayAuditFailClosed::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_upstream = std::make_unique<CountingUpstream>();
    QVERIFY(m_upstream->port() != 0);
    const QString policy = m_dir.filePath(QStringLiteral("policy.yaml"));
    QFile policyFile(policy);
    QVERIFY(policyFile.open(QIODevice::WriteOnly));
    policyFile.write("rules:\n"
                     "  - name: echo\n    match: {action: echo}\n    effect: allow\n"
                     "  - name: guarded\n    match: {action: guarded}\n    effect: step_up\n"
                     "    methods: [totp]\n"
                     "  - name: nothing-else\n    match: {action: \"*\"}\n    effect: deny\n"
                     "    reason: not on the list\n");
    policyFile.close();
}

void TestGatewayAuditFailClosed::init()
{
    const QByteArray keyHash =
        QCryptographicHash::hash(agentKey, QCryptographicHash::Sha256).toHex();
    const QString yaml =
        QStringLiteral("listen: 127.0.0.1:0\nusers: [alice@example.com]\n"
                       "policy:\n  file: %1\n"
                       "agents:\n  - name: auditor\n    user: alice@example.com\n"
                       "    key_sha256: %2\n"
                       "upstreams:\n  - name: counting\n    url: http://127.0.0.1:%3/mcp\n")
            .arg(m_dir.filePath(QStringLiteral("policy.yaml")), QString::fromLatin1(keyHash))
            .arg(m_upstream->port());
    m_fixture = std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, yaml.toUtf8());
    QVERIFY(m_fixture->start());
    m_raw = std::make_unique<RawDatabase>(
        QDir(m_fixture->dataDir()).filePath(gateway::SqliteStore::databaseFileName()));
    QVERIFY(m_raw->isOpen());
    m_session = initialize();
    QVERIFY(!m_session.isEmpty());
}

void TestGatewayAuditFailClosed::cleanup()
{
    m_raw.reset();
    m_fixture.reset();
}

TestGatewayAuditFailClosed::Reply TestGatewayAuditFailClosed::post(const QJsonObject &message,
                                                                   const QByteArray &session)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    request.setRawHeader("Authorization", "Bearer " + agentKey);
    if (!session.isEmpty()) {
        request.setRawHeader("Mcp-Session-Id", session);
        request.setRawHeader("MCP-Protocol-Version", "2025-06-18");
    }
    QNetworkReply *reply = m_network.post(request, QJsonDocument(message).toJson());
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000); }();
    // A JSON answer, or the last message of an event stream.
    QByteArray bytes = reply->readAll();
    if (reply->header(QNetworkRequest::ContentTypeHeader)
            .toString()
            .startsWith(u"text/event-stream")) {
        const qsizetype data = bytes.lastIndexOf("data:");
        bytes = data < 0 ? QByteArray() : bytes.mid(data + 5);
        bytes = bytes.left(bytes.indexOf('\n')).trimmed();
    }
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(bytes).object(), reply->rawHeader("Mcp-Session-Id")};
    reply->deleteLater();
    return result;
}

QByteArray TestGatewayAuditFailClosed::initialize()
{
    return post(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":1,"method":"initialize",
        "params":{"protocolVersion":"2025-06-18","capabilities":{},
                  "clientInfo":{"name":"test","version":"1"}}})")
                    .object())
        .session;
}

QJsonObject TestGatewayAuditFailClosed::callTool(const QString &name)
{
    QJsonObject params;
    params.insert(QStringLiteral("name"), name);
    params.insert(QStringLiteral("arguments"), QJsonObject());
    QJsonObject message;
    message.insert(QStringLiteral("jsonrpc"), QStringLiteral("2.0"));
    message.insert(QStringLiteral("id"), 7);
    message.insert(QStringLiteral("method"), QStringLiteral("tools/call"));
    message.insert(QStringLiteral("params"), params);
    const Reply reply = post(message, m_session);
    return reply.body;
}

bool TestGatewayAuditFailClosed::failInserts(const QString &table, const QString &when)
{
    return m_raw->exec(QStringLiteral("CREATE TRIGGER test_fail_inserts BEFORE INSERT ON %1 %2"
                                      " BEGIN SELECT RAISE(ABORT, 'injected: disk is full'); END")
                           .arg(table, when));
}

bool TestGatewayAuditFailClosed::healInserts()
{
    return m_raw->exec(QStringLiteral("DROP TRIGGER test_fail_inserts"));
}

void TestGatewayAuditFailClosed::allowedCallIsNotForwardedWhenItsRecordFails()
{
    const int before = m_upstream->toolCalls();
    QVERIFY(failInserts(QStringLiteral("audit_log")));
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("audit log write failed")));
    const QJsonObject refused = callTool(QStringLiteral("echo"));
    const QJsonObject error = refused.value(QStringLiteral("error")).toObject();
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), -32003);
    QCOMPARE(error.value(QStringLiteral("data")).toObject().value(QStringLiteral("reason")),
             QStringLiteral("storage_unavailable"));
    QVERIFY(error.value(QStringLiteral("message")).toString().contains(u"not run"));
    QCOMPARE(m_upstream->toolCalls(), before);

    // With the disk back, the same call runs, between its two records.
    QVERIFY(healInserts());
    const QJsonObject ran = callTool(QStringLiteral("echo"));
    QVERIFY2(ran.contains(QStringLiteral("result")), QJsonDocument(ran).toJson().constData());
    QCOMPARE(m_upstream->toolCalls(), before + 1);
    QStringList kinds;
    for (const auto &event : m_fixture->gateway().store().auditEvents())
        kinds.append(event.kind);
    QCOMPARE(kinds.mid(kinds.size() - 2),
             (QStringList{QStringLiteral("mcp.decided"), QStringLiteral("mcp.call")}));
}

void TestGatewayAuditFailClosed::denialStaysADenialWhenItsRecordFails()
{
    QVERIFY(failInserts(QStringLiteral("audit_log")));
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("audit log write failed")));
    const QJsonObject refused = callTool(QStringLiteral("shutdown"));
    const QJsonObject error = refused.value(QStringLiteral("error")).toObject();
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), -32001);
    QCOMPARE(error.value(QStringLiteral("data")).toObject().value(QStringLiteral("reason")),
             QStringLiteral("storage_unavailable"));
    QVERIFY(error.value(QStringLiteral("message")).toString().contains(u"denied by policy"));
}

void TestGatewayAuditFailClosed::callThatRanIsAnsweredWhenItsFinishedRecordFails()
{
    const int before = m_upstream->toolCalls();
    QVERIFY(failInserts(QStringLiteral("audit_log"), QStringLiteral("WHEN NEW.kind = 'mcp.call'")));
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("audit log write failed for mcp.call")));
    const QJsonObject ran = callTool(QStringLiteral("echo"));
    // The call already ran: its answer is delivered, the missing "finished"
    // record is logged (and the "decided" one is in the log).
    QVERIFY(ran.contains(QStringLiteral("result")));
    QCOMPARE(m_upstream->toolCalls(), before + 1);
    QCOMPARE(m_fixture->gateway().store().auditEvents().constLast().kind,
             QStringLiteral("mcp.decided"));
}

void TestGatewayAuditFailClosed::approvalIsRefusedAsStorageUnavailable()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto request = nextApprovalRequest(*companion);
    QVERIFY(request);
    // The proof's single use cannot be recorded: nothing may be approved,
    // and the reason must not blame a replay that never happened.
    QVERIFY(failInserts(QStringLiteral("used_values")));
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("storage unavailable")));
    companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    const auto error = companion->waitFor(QStringLiteral("error"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("code")).toString(),
             QStringLiteral("storage_unavailable"));
    QCOMPARE(m_fixture->gateway().broker().pending(QStringLiteral("alice@example.com")).size(), 1);
}

void TestGatewayAuditFailClosed::denialThatCannotBeStoredIsRefusedAsStorageUnavailable()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto request = nextApprovalRequest(*companion);
    QVERIFY(request);
    // The proof is recorded, but its outcome cannot be: not "already
    // resolved", which would tell the person someone else answered.
    QVERIFY(
        m_raw->exec(QStringLiteral("CREATE TRIGGER test_fail_updates BEFORE UPDATE ON approvals"
                                   " BEGIN SELECT RAISE(ABORT, 'injected: disk is full'); END")));
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("storage unavailable")));
    companion->deny(*request, QStringLiteral("not today"));
    const auto error = companion->waitFor(QStringLiteral("error"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("code")).toString(),
             QStringLiteral("storage_unavailable"));
    QCOMPARE(m_fixture->gateway().broker().pending(QStringLiteral("alice@example.com")).size(), 1);
}

void TestGatewayAuditFailClosed::approvedCallIsNotRunWhenItsRecordFails()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    // This client can be told nothing while it waits: it gets the binding
    // code at once (input_required) and calls again once approved.
    const QJsonObject first = callTool(QStringLiteral("guarded"));
    QCOMPARE(first.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("_meta"))
                 .toObject()
                 .value(QStringLiteral("io.github.countersign/approval"))
                 .toObject()
                 .value(QStringLiteral("outcome"))
                 .toString(),
             QStringLiteral("input_required"));
    const auto request = nextApprovalRequest(*companion);
    QVERIFY(request);
    companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    QTRY_VERIFY(m_fixture->gateway().broker().approval(request->request.requestId)->state
                == gateway::ApprovalState::Approved);

    const int before = m_upstream->toolCalls();
    QVERIFY(
        failInserts(QStringLiteral("audit_log"), QStringLiteral("WHEN NEW.kind = 'mcp.decided'")));
    QTest::ignoreMessage(
        QtCriticalMsg,
        QRegularExpression(QStringLiteral("audit log write failed for mcp.decided")));
    const QJsonObject again = callTool(QStringLiteral("guarded"));
    const QJsonObject result = again.value(QStringLiteral("result")).toObject();
    QVERIFY(result.value(QStringLiteral("isError")).toBool());
    QCOMPARE(result.value(QStringLiteral("_meta"))
                 .toObject()
                 .value(QStringLiteral("io.github.countersign/approval"))
                 .toObject()
                 .value(QStringLiteral("outcome"))
                 .toString(),
             QStringLiteral("storage_unavailable"));
    QCOMPARE(m_upstream->toolCalls(), before);
}

// A real full disk, without root: the gateway process runs with
// RLIMIT_FSIZE (prlimit) just above what its SQLite files hold at start and
// SIGXFSZ ignored, so a write past the limit fails with EFBIG as on a full
// file system. Calls run while the WAL has room; then the first call whose
// mcp.decided record cannot be written is refused, and the upstream never
// sees it.
void TestGatewayAuditFailClosed::fullDiskStopsForwardingBeforeTheUpstream()
{
    const QString prlimit = QStandardPaths::findExecutable(QStringLiteral("prlimit"));
    if (prlimit.isEmpty())
        QSKIP("prlimit (util-linux) is not installed");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString dataDir = dir.filePath(QStringLiteral("data"));
    {
        // Database, migrations and keys made before the limit applies.
        auto store = gateway::SqliteStore::open(dataDir);
        QVERIFY(store.ok());
        QVERIFY(gateway::SigningKey::loadOrCreate(dataDir).ok());
    }
    const quint16 port = freePort();
    QVERIFY(port != 0);
    const QByteArray keyHash =
        QCryptographicHash::hash(agentKey, QCryptographicHash::Sha256).toHex();
    const QString config = dir.filePath(QStringLiteral("gateway.yaml"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("listen: 127.0.0.1:%1\nusers: [alice@example.com]\ndata_dir: %2\n"
                              "policy:\n  file: %3\n"
                              "agents:\n  - name: auditor\n    user: alice@example.com\n"
                              "    key_sha256: %4\n"
                              "upstreams:\n  - name: counting\n    url: http://127.0.0.1:%5/mcp\n")
                   .arg(port)
                   .arg(dataDir, m_dir.filePath(QStringLiteral("policy.yaml")),
                        QString::fromLatin1(keyHash))
                   .arg(m_upstream->port())
                   .toUtf8());
    file.close();

    // 48 KiB: above the 32 KiB the -shm index takes, room for a few WAL
    // frames (4 KiB pages) and far below what many calls need.
    constexpr int fileSizeLimit = 48 * 1024;
    QProcess gatewayProcess;
    gatewayProcess.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    gatewayProcess.start(QStringLiteral("/bin/sh"),
                         {QStringLiteral("-c"), QStringLiteral("trap '' XFSZ; exec \"$0\" \"$@\""),
                          prlimit, QStringLiteral("--fsize=%1:%1").arg(fileSizeLimit),
                          QStringLiteral("--"), QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
                          QStringLiteral("serve"), QStringLiteral("--config"), config});
    QVERIFY(gatewayProcess.waitForStarted());
    QByteArray output;
    QTRY_VERIFY_WITH_TIMEOUT((output += gatewayProcess.readAllStandardOutput()).contains("serving"),
                             15000);

    // Talk to the child instead of the in-process fixture.
    m_fixture.reset();
    const auto postTo = [&](const QJsonObject &message, const QByteArray &session) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port)));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setRawHeader("Accept", "application/json, text/event-stream");
        request.setRawHeader("Authorization", "Bearer " + agentKey);
        if (!session.isEmpty()) {
            request.setRawHeader("Mcp-Session-Id", session);
            request.setRawHeader("MCP-Protocol-Version", "2025-06-18");
        }
        QNetworkReply *reply = m_network.post(request, QJsonDocument(message).toJson());
        [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000); }();
        Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                     QJsonDocument::fromJson(reply->readAll()).object(),
                     reply->rawHeader("Mcp-Session-Id")};
        reply->deleteLater();
        return result;
    };
    const QByteArray session =
        postTo(QJsonDocument::fromJson(R"({"jsonrpc":"2.0","id":1,"method":"initialize",
        "params":{"protocolVersion":"2025-06-18","capabilities":{},
                  "clientInfo":{"name":"test","version":"1"}}})")
                   .object(),
               {})
            .session;
    QVERIFY(!session.isEmpty());
    QJsonObject call;
    call.insert(QStringLiteral("jsonrpc"), QStringLiteral("2.0"));
    call.insert(QStringLiteral("id"), 2);
    call.insert(QStringLiteral("method"), QStringLiteral("tools/call"));
    call.insert(QStringLiteral("params"),
                QJsonObject{{QStringLiteral("name"), QStringLiteral("echo")}});

    const int before = m_upstream->toolCalls();
    int answered = 0;
    QJsonObject refusal;
    for (int i = 0; i < 200 && refusal.isEmpty(); ++i) {
        const QJsonObject body = postTo(call, session).body;
        if (body.contains(QStringLiteral("result")))
            ++answered;
        else
            refusal = body.value(QStringLiteral("error")).toObject();
    }
    QVERIFY2(answered > 0, "no call ran before the disk filled: the limit is too low");
    QCOMPARE(refusal.value(QStringLiteral("code")).toInt(), -32003);
    // Every call the upstream saw was answered; the refused one never left.
    QCOMPARE(m_upstream->toolCalls() - before, answered);
    QVERIFY(postTo(call, session).body.contains(QStringLiteral("error")));
    QCOMPARE(m_upstream->toolCalls() - before, answered);

    gatewayProcess.terminate();
    QVERIFY(gatewayProcess.waitForFinished(15000));
    // What was forwarded was recorded first.
    RawDatabase raw(QDir(dataDir).filePath(gateway::SqliteStore::databaseFileName()));
    QCOMPARE(raw.scalar(QStringLiteral("SELECT COUNT(*) FROM audit_log WHERE kind = 'mcp.decided'"))
                 .toInt(),
             answered);
}

QTEST_GUILESS_MAIN(TestGatewayAuditFailClosed)
#include "test_gateway_auditfailclosed.moc"
