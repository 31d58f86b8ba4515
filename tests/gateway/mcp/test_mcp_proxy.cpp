#include "examples/agent-cli/mcphttpclient.h"
#include "gateway/approvals/approvalbroker.h"
#include "gateway/edge/edgeserver.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/keys/signingkey.h"
#include "gateway/mcp/agentdirectory.h"
#include "gateway/mcp/mcpproxy.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "gateway/store/sqlitestore.h"
#include "tests/support/manualclock.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// A body one byte over the /mcp limit the test's edge is given.
constexpr qsizetype oversizedMcpBody = 64 * 1024 + 1;

// The proxy on the gateway's real edge (EdgeServer, loopback) in front of the real
// countersign-directory over stdio, with a policy that allows reads, needs
// approval to disable a user and denies everything else.
class TestMcpProxy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void agentKeyIsRequired();
    void sessionsOfOneAgentNeverEvictAnothers();
    void webPageOriginIsRefused();
    void initializeOpensASession();
    void sessionErrors();
    void unsupportedVersionHeaderIsRefused();
    void notificationsAndResponsesGet202();
    void pingAndUnknownMethods();
    void malformedMessages();
    void oversizedBodyIs413();
    void toolsListReturnsTheDirectoryTools();
    void allowedCallReachesTheUpstream();
    void unknownToolIsDeniedByPolicy();
    void stepUpWaitsAndCancelledApprovalChangesNothing();
    void deleteEndsTheSession();
    void missingUpstreamFailsCallsNotTheProxy();
    void idleSessionExpires();
    void getOpensAnEventStream();
    void progressRepeatsWhileWaiting();
    // MCP 2026-07-28 on the same endpoint (ModernRequest).
    void modernDiscoverNeedsNoSession();
    void modernEnvelopeIsChecked();
    void modernEnvelopeIsChecked_data();
    void modernMcpNameMayBeBase64();
    void modernListsAreSortedAndCacheable();
    void modernCallsAllowedAndDenied();
    void modernHasNoStreamSessionOrPing();
    void modernStepUpAsksInADeclaredMode();

private:
    struct Reply {
        int status = 0;
        QByteArray body;
        QJsonObject json;
        QByteArray session;
    };
    Reply post(quint16 port, const QByteArray &body,
               const QList<QPair<QByteArray, QByteArray>> &headers);
    Reply rpc(const QString &method, const QJsonObject &params, int id = 1);
    // A 2026-07-28 request with the headers a conforming client sends,
    // changed by `headers` (an empty value removes one).
    Reply modern(const QString &method, QJsonObject params, int id = 1,
                 const QList<QPair<QByteArray, QByteArray>> &headers = {});
    QByteArray initialize(quint16 port);

    QTemporaryDir m_dir;
    QString m_users;
    SystemClock m_clock;
    PolicyDecisionPoint m_pdp;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<ApprovalBroker> m_broker;
    std::unique_ptr<HttpRouter> m_router;
    std::unique_ptr<EdgeServer> m_http;
    std::unique_ptr<McpProxy> m_proxy;
    quint16 m_port = 0;
    QByteArray m_session;
    QNetworkAccessManager m_network;
    const QByteArray m_key = "agent-key-for-tests";
};

namespace {

const QByteArray policyYaml = R"(rules:
  - name: reads
    match:
      action: "list_users"
      resource_id: "directory/*"
      subject: {agent: claude}
    effect: allow
  - name: disable-needs-approval
    match:
      action: disable_user
    effect: step_up
    methods: [passkey, totp]
    reason: "disabling a user needs a person"
)";

// A second agent, for the tests of what one agent can do to another's.
const QByteArray otherAgentKey = "other-agent-key-for-tests";

AgentDirectory testAgents(const QByteArray &key)
{
    return AgentDirectory(
        {McpAgent{QStringLiteral("claude"), QStringLiteral("alice@example.com"),
                  QCryptographicHash::hash(key, QCryptographicHash::Sha256)},
         McpAgent{QStringLiteral("other"), QStringLiteral("bob@example.com"),
                  QCryptographicHash::hash(otherAgentKey, QCryptographicHash::Sha256)}});
}

QByteArray message(const QString &method, const QJsonObject &params, int id = 1)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                     {QStringLiteral("id"), id},
                                     {QStringLiteral("method"), method},
                                     {QStringLiteral("params"), params}})
        .toJson(QJsonDocument::Compact);
}

QJsonObject initializeParams()
{
    return QJsonObject{{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                       {QStringLiteral("capabilities"),
                        QJsonObject{{QStringLiteral("elicitation"), QJsonObject{}}}},
                       {QStringLiteral("clientInfo"),
                        QJsonObject{{QStringLiteral("name"), QStringLiteral("test-client")},
                                    {QStringLiteral("version"), QStringLiteral("1")}}}};
}

} // namespace

void TestMcpProxy::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_users = m_dir.filePath(QStringLiteral("users.json"));
    const QString jwks = m_dir.filePath(QStringLiteral("jwks.json"));
    // The directory needs a P-256 key to start; the gateway's own JWKS shape.
    const auto key = SigningKey::loadOrCreate(m_dir.path());
    QVERIFY(key.ok());
    QFile file(jwks);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(SigningKey::jwks(key->publicKey())).toJson());
    file.close();

    auto policy = Policy::parse(policyYaml, QStringLiteral("policy.yaml"));
    QVERIFY2(policy.ok(), policy.ok() ? "" : qPrintable(policy.error().message));
    m_pdp.setPolicy(std::move(policy).value());

    UpstreamConfig directory;
    directory.name = QStringLiteral("directory");
    directory.program = QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY);
    directory.arguments = {QStringLiteral("--users"),     m_users,
                           QStringLiteral("--seed"),      QStringLiteral("--stdio"),
                           QStringLiteral("--jwks-file"), jwks,
                           QStringLiteral("--issuer"),    QStringLiteral("x"),
                           QStringLiteral("--audience"),  QStringLiteral("directory")};
    auto store = SqliteStore::open(m_dir.path());
    QVERIFY(store.ok());
    m_store = std::move(store).value();
    m_issuer = std::make_unique<TokenIssuer>(key.value(), QStringLiteral("x"), 60, m_clock);
    m_broker = std::make_unique<ApprovalBroker>(*m_store, key.value(), QStringLiteral("x"),
                                                *m_issuer, m_clock);
    McpProxySettings settings;
    // The approval page of STATE+PAGE, as the runtime connects it.
    settings.approvalLink = [](const QString &approvalId) {
        return QStringLiteral("https://gateway.example/approve/%1?t=link").arg(approvalId);
    };
    m_proxy = std::make_unique<McpProxy>(testAgents(m_key), QList<UpstreamConfig>{directory}, m_pdp,
                                         *m_broker, *m_store, m_clock, settings);
    m_router = std::make_unique<HttpRouter>();
    m_proxy->addRoutes(*m_router);
    // The /mcp body limit smaller than the default 4 MiB: oversizedBodyIs413
    // then needs only a small request.
    EdgeOptions options;
    options.limits.mcpBodyBytes = oversizedMcpBody - 1;
    m_http = std::make_unique<EdgeServer>(options);
    m_http->serve(*m_router);
    m_port = m_http->listen().value();
    QVERIFY(m_port != 0);
    m_session = initialize(m_port);
    QVERIFY(!m_session.isEmpty());
}

void TestMcpProxy::cleanupTestCase()
{
    m_http.reset(); // the edge first: nothing reaches the proxy afterwards
    m_proxy.reset();
    m_broker.reset();
}

TestMcpProxy::Reply TestMcpProxy::post(quint16 port, const QByteArray &body,
                                       const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    QByteArray verb = "POST";
    for (const auto &[name, value] : headers) {
        if (name == "X-Verb")
            verb = value;
        else
            request.setRawHeader(name, value);
    }
    QNetworkReply *reply = m_network.sendCustomRequest(request, verb, body);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 40000); }();
    Reply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.json = QJsonDocument::fromJson(result.body).object();
    result.session = reply->rawHeader("Mcp-Session-Id");
    reply->deleteLater();
    return result;
}

TestMcpProxy::Reply TestMcpProxy::rpc(const QString &method, const QJsonObject &params, int id)
{
    return post(m_port, message(method, params, id),
                {{"Authorization", "Bearer " + m_key},
                 {"Mcp-Session-Id", m_session},
                 {"MCP-Protocol-Version", "2025-06-18"}});
}

TestMcpProxy::Reply TestMcpProxy::modern(const QString &method, QJsonObject params, int id,
                                         const QList<QPair<QByteArray, QByteArray>> &headers)
{
    if (!params.contains(QStringLiteral("_meta"))) {
        params.insert(
            QStringLiteral("_meta"),
            QJsonObject{
                {QStringLiteral("io.modelcontextprotocol/protocolVersion"),
                 QStringLiteral("2026-07-28")},
                {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}},
                {QStringLiteral("io.modelcontextprotocol/clientInfo"),
                 QJsonObject{{QStringLiteral("name"), QStringLiteral("modern-test")},
                             {QStringLiteral("version"), QStringLiteral("1")}}}});
    }
    QList<QPair<QByteArray, QByteArray>> sent{{"Authorization", "Bearer " + m_key},
                                              {"MCP-Protocol-Version", "2026-07-28"},
                                              {"Mcp-Method", method.toUtf8()}};
    const QString name = params.value(QStringLiteral("name"))
                             .toString(params.value(QStringLiteral("uri")).toString());
    if (!name.isEmpty())
        sent.append({"Mcp-Name", name.toUtf8()});
    for (const auto &[header, value] : headers) {
        sent.removeIf([&header](const auto &h) { return h.first == header; });
        if (!value.isEmpty())
            sent.append({header, value});
    }
    return post(m_port, message(method, params, id), sent);
}

QByteArray TestMcpProxy::initialize(quint16 port)
{
    const Reply reply = post(port, message(QStringLiteral("initialize"), initializeParams()),
                             {{"Authorization", "Bearer " + m_key}});
    return reply.status == 200 ? reply.session : QByteArray();
}

void TestMcpProxy::agentKeyIsRequired()
{
    const QByteArray body = message(QStringLiteral("initialize"), initializeParams());
    for (const QByteArray &authorization :
         {QByteArray(), QByteArray("Bearer wrong-key"), QByteArray("Basic " + m_key)}) {
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!authorization.isEmpty())
            headers.append(qMakePair(QByteArray("Authorization"), authorization));
        const Reply reply = post(m_port, body, headers);
        QCOMPARE(reply.status, 401);
        QCOMPARE(reply.json.value(QStringLiteral("error")).toString(),
                 QStringLiteral("unauthorized"));
        QVERIFY(!reply.json.contains(QStringLiteral("jsonrpc")));
        QVERIFY(reply.session.isEmpty());
    }
}

void TestMcpProxy::sessionsOfOneAgentNeverEvictAnothers()
{
    const QByteArray mine = initialize(m_port);
    QVERIFY(!mine.isEmpty());
    const auto openOther = [this] {
        const Reply reply = post(m_port, message(QStringLiteral("initialize"), initializeParams()),
                                 {{"Authorization", "Bearer " + otherAgentKey}});
        return reply.status == 200 ? reply.session : QByteArray();
    };
    const QByteArray othersFirst = openOther();
    QVERIFY(!othersFirst.isEmpty());
    for (qsizetype i = 0; i < McpProxy::maxSessionsPerAgent + 10; ++i)
        QVERIFY(!openOther().isEmpty());
    const auto pingStatus = [this](const QByteArray &key, const QByteArray &session) {
        return post(m_port, message(QStringLiteral("ping"), {}),
                    {{"Authorization", "Bearer " + key}, {"Mcp-Session-Id", session}})
            .status;
    };
    // The other agent lost its own oldest session, and only that.
    QCOMPARE(pingStatus(otherAgentKey, othersFirst), 404);
    QCOMPARE(pingStatus(m_key, mine), 200);
    QCOMPARE(pingStatus(m_key, m_session), 200);
}

void TestMcpProxy::webPageOriginIsRefused()
{
    const QByteArray body = message(QStringLiteral("ping"), {});
    Reply reply = post(m_port, body,
                       {{"Authorization", "Bearer " + m_key},
                        {"Mcp-Session-Id", m_session},
                        {"Origin", "https://evil.example.com"}});
    QCOMPARE(reply.status, 403);
    reply = post(m_port, body,
                 {{"Authorization", "Bearer " + m_key},
                  {"Mcp-Session-Id", m_session},
                  {"Origin", "http://localhost:3000"}});
    QCOMPARE(reply.status, 200);
}

void TestMcpProxy::initializeOpensASession()
{
    const Reply reply = post(m_port, message(QStringLiteral("initialize"), initializeParams(), 7),
                             {{"Authorization", "Bearer " + m_key}});
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.session.size() >= 40);
    QVERIFY(reply.session != m_session);
    QCOMPARE(reply.json.value(QStringLiteral("id")).toInt(), 7);
    const QJsonObject result = reply.json.value(QStringLiteral("result")).toObject();
    QCOMPARE(result.value(QStringLiteral("protocolVersion")).toString(),
             QStringLiteral("2025-06-18"));
    QVERIFY(
        result.value(QStringLiteral("capabilities")).toObject().contains(QStringLiteral("tools")));
    QCOMPARE(result.value(QStringLiteral("serverInfo"))
                 .toObject()
                 .value(QStringLiteral("name"))
                 .toString(),
             QStringLiteral("countersign-gateway"));

    QJsonObject params = initializeParams();
    params.insert(QStringLiteral("protocolVersion"), QStringLiteral("2099-01-01"));
    const Reply future = post(m_port, message(QStringLiteral("initialize"), params),
                              {{"Authorization", "Bearer " + m_key}});
    QCOMPARE(future.json.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("protocolVersion"))
                 .toString(),
             QStringLiteral("2025-11-25"));
}

void TestMcpProxy::sessionErrors()
{
    const QByteArray body = message(QStringLiteral("tools/list"), {});
    QCOMPARE(post(m_port, body, {{"Authorization", "Bearer " + m_key}}).status, 400);
    QCOMPARE(post(m_port, body, {{"Authorization", "Bearer " + m_key}, {"Mcp-Session-Id", "nope"}})
                 .status,
             404);
}

void TestMcpProxy::unsupportedVersionHeaderIsRefused()
{
    const Reply reply = post(m_port, message(QStringLiteral("ping"), {}),
                             {{"Authorization", "Bearer " + m_key},
                              {"Mcp-Session-Id", m_session},
                              {"MCP-Protocol-Version", "2024-01-01"}});
    QCOMPARE(reply.status, 400);
}

void TestMcpProxy::notificationsAndResponsesGet202()
{
    const QList<QPair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + m_key},
                                                       {"Mcp-Session-Id", m_session}};
    Reply reply =
        post(m_port, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", headers);
    QCOMPARE(reply.status, 202);
    QVERIFY(reply.body.isEmpty());
    reply = post(m_port, R"({"jsonrpc":"2.0","id":5,"result":{}})", headers);
    QCOMPARE(reply.status, 202);
    QVERIFY(reply.body.isEmpty());
}

void TestMcpProxy::pingAndUnknownMethods()
{
    Reply reply = rpc(QStringLiteral("ping"), {}, 3);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json.value(QStringLiteral("result")).toObject(), QJsonObject{});
    // Resource subscriptions are not offered (updates would have to be
    // fanned out from the one upstream session all agents share).
    reply = rpc(QStringLiteral("resources/subscribe"),
                {{QStringLiteral("uri"), QStringLiteral("file:///x")}}, 4);
    QCOMPARE(
        reply.json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32601);
    // completion/complete goes to the upstream owning the prompt; a ref
    // that names none is the client's mistake.
    reply = rpc(QStringLiteral("completion/complete"), {}, 4);
    QCOMPARE(
        reply.json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32602);
    reply = rpc(QStringLiteral("completion/complete"),
                {{QStringLiteral("ref"),
                  QJsonObject{{QStringLiteral("type"), QStringLiteral("ref/prompt")},
                              {QStringLiteral("name"), QStringLiteral("p")}}},
                 {QStringLiteral("argument"),
                  QJsonObject{{QStringLiteral("name"), QStringLiteral("a")},
                              {QStringLiteral("value"), QStringLiteral("")}}}},
                4);
    // The directory has no completions: its own "method not found" comes back.
    QCOMPARE(
        reply.json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32601);
    QVERIFY2(!reply.json.value(QStringLiteral("error"))
                  .toObject()
                  .value(QStringLiteral("message"))
                  .toString()
                  .contains(u"not supported by the gateway"),
             reply.body.constData());
    // Passed through; the directory has no resources or prompts, which is
    // an empty list rather than an error.
    reply = rpc(QStringLiteral("resources/list"), {}, 5);
    QVERIFY2(reply.json.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("resources"))
                 .isArray(),
             reply.body.constData());
    reply = rpc(QStringLiteral("prompts/list"), {}, 6);
    QVERIFY2(reply.json.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("prompts"))
                 .isArray(),
             reply.body.constData());
}

void TestMcpProxy::malformedMessages()
{
    const QList<QPair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + m_key},
                                                       {"Mcp-Session-Id", m_session}};
    Reply reply = post(m_port, "{not json", headers);
    QCOMPARE(reply.status, 400);
    QCOMPARE(
        reply.json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32700);
    for (const QByteArray &body :
         {QByteArray(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"),
          QByteArray(R"({"jsonrpc":"1.0","id":1,"method":"ping"})"),
          QByteArray(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[1]})"),
          QByteArray(R"({"jsonrpc":"2.0","id":1,"id":2,"method":"ping"})")}) {
        reply = post(m_port, body, headers);
        QCOMPARE(reply.status, 400);
        QCOMPARE(reply.json.value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("code"))
                     .toInt(),
                 -32600);
    }
}

void TestMcpProxy::oversizedBodyIs413()
{
    // The configured limit (limits: mcp_body_bytes) is the only one.
    QByteArray body = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")";
    body += QByteArray(oversizedMcpBody - body.size() - 3, 'a') + R"("}})";
    QCOMPARE(body.size(), oversizedMcpBody);
    QCOMPARE(
        post(m_port, body, {{"Authorization", "Bearer " + m_key}, {"Mcp-Session-Id", m_session}})
            .status,
        413);
}

void TestMcpProxy::toolsListReturnsTheDirectoryTools()
{
    const Reply reply = rpc(QStringLiteral("tools/list"), {}, 10);
    QCOMPARE(reply.status, 200);
    QStringList names;
    for (const QJsonValue &tool : reply.json.value(QStringLiteral("result"))
                                      .toObject()
                                      .value(QStringLiteral("tools"))
                                      .toArray())
        names.append(tool.toObject().value(QStringLiteral("name")).toString());
    names.sort();
    QCOMPARE(names,
             QStringList({QStringLiteral("disable_user"), QStringLiteral("enable_user"),
                          QStringLiteral("get_user"), QStringLiteral("list_users")}));
}

void TestMcpProxy::allowedCallReachesTheUpstream()
{
    const Reply reply = rpc(QStringLiteral("tools/call"),
                            {{QStringLiteral("name"), QStringLiteral("list_users")},
                             {QStringLiteral("arguments"), QJsonObject{}}},
                            11);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json.value(QStringLiteral("id")).toInt(), 11);
    const QJsonObject result = reply.json.value(QStringLiteral("result")).toObject();
    QVERIFY2(!result.isEmpty(), reply.body.constData());
    QVERIFY(!result.value(QStringLiteral("isError")).toBool());
    const QByteArray text = QJsonDocument(result).toJson();
    for (const char *user : {"alice", "bob", "carol"})
        QVERIFY2(text.contains(user), text.constData());
}

void TestMcpProxy::unknownToolIsDeniedByPolicy()
{
    const Reply reply = rpc(QStringLiteral("tools/call"),
                            {{QStringLiteral("name"), QStringLiteral("delete_user")},
                             {QStringLiteral("arguments"),
                              QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}}}},
                            12);
    QCOMPARE(reply.status, 200);
    const QJsonObject error = reply.json.value(QStringLiteral("error")).toObject();
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), -32001);
    QVERIFY2(error.value(QStringLiteral("message")).toString().contains(QStringLiteral("denied")),
             reply.body.constData());
}

void TestMcpProxy::stepUpWaitsAndCancelledApprovalChangesNothing()
{
    QFile users(m_users);
    QVERIFY(users.open(QIODevice::ReadOnly));
    const QByteArray before = users.readAll();
    users.close();
    QVERIFY(!before.isEmpty());

    // Nobody approves here: the call waits until the approval ends. The
    // approval flow with a companion is tested in test_gateway_stepup.
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);
    connect(m_broker.get(), &ApprovalBroker::requested, this,
            [this](const ApprovalRecord &approval) {
                QVERIFY(m_broker->cancel(approval.requestId, QStringLiteral("test")).ok());
            });
    const Reply reply = rpc(QStringLiteral("tools/call"),
                            {{QStringLiteral("name"), QStringLiteral("disable_user")},
                             {QStringLiteral("arguments"),
                              QJsonObject{{QStringLiteral("user"), QStringLiteral("alice")}}}},
                            13);
    disconnect(m_broker.get(), &ApprovalBroker::requested, this, nullptr);
    QCOMPARE(requested.size(), 1);
    QCOMPARE(reply.status, 200);
    // An event stream whose last event is the tool result.
    const QList<QByteArray> events = reply.body.split('\n');
    QJsonObject last;
    for (const QByteArray &line : events) {
        if (line.startsWith("data: "))
            last = QJsonDocument::fromJson(line.mid(6)).object();
    }
    const QJsonObject result = last.value(QStringLiteral("result")).toObject();
    QVERIFY2(result.value(QStringLiteral("isError")).toBool(), reply.body.constData());
    QVERIFY2(result.value(QStringLiteral("content"))
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(QStringLiteral("text"))
                 .toString()
                 .contains(QStringLiteral("cancelled")),
             reply.body.constData());

    QVERIFY(users.open(QIODevice::ReadOnly));
    QCOMPARE(users.readAll(), before);
}

void TestMcpProxy::deleteEndsTheSession()
{
    const QByteArray session = initialize(m_port);
    QVERIFY(!session.isEmpty());
    const QList<QPair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + m_key},
                                                       {"Mcp-Session-Id", session}};
    QCOMPARE(post(m_port, message(QStringLiteral("ping"), {}), headers).status, 200);
    auto deleting = headers;
    deleting.append(qMakePair(QByteArray("X-Verb"), QByteArray("DELETE")));
    QCOMPARE(post(m_port, {}, deleting).status, 200);
    QCOMPARE(post(m_port, message(QStringLiteral("ping"), {}), headers).status, 404);
    QCOMPARE(post(m_port, {}, deleting).status, 404);
}

void TestMcpProxy::missingUpstreamFailsCallsNotTheProxy()
{
    UpstreamConfig missing;
    missing.name = QStringLiteral("directory");
    missing.program = m_dir.filePath(QStringLiteral("no-such-server"));
    McpProxy proxy(testAgents(m_key), {missing}, m_pdp, *m_broker, *m_store, m_clock);
    HttpRouter router;
    proxy.addRoutes(router);
    EdgeServer http{EdgeOptions{}};
    http.serve(router);
    const quint16 port = http.listen().value();
    QVERIFY(port != 0);
    const QByteArray session = initialize(port);
    QVERIFY(!session.isEmpty());
    const QList<QPair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + m_key},
                                                       {"Mcp-Session-Id", session}};

    for (int attempt = 0; attempt < 2; ++attempt) {
        const Reply reply = post(port,
                                 message(QStringLiteral("tools/call"),
                                         {{QStringLiteral("name"), QStringLiteral("list_users")}}),
                                 headers);
        QCOMPARE(reply.status, 200);
        const QJsonObject error = reply.json.value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("code")).toInt(), -32002);
        QVERIFY2(error.value(QStringLiteral("message"))
                     .toString()
                     .contains(QStringLiteral("no-such-server")),
                 reply.body.constData());
    }
    const Reply list = post(port, message(QStringLiteral("tools/list"), {}), headers);
    QCOMPARE(
        list.json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32002);
    QCOMPARE(post(port, message(QStringLiteral("ping"), {}), headers).status, 200);
}

void TestMcpProxy::idleSessionExpires()
{
    testing::ManualClock clock(QDateTime::currentSecsSinceEpoch());
    McpProxySettings settings;
    settings.sessionIdleTimeout = std::chrono::minutes(10);
    McpProxy proxy(testAgents(m_key), {}, m_pdp, *m_broker, *m_store, clock, settings);
    HttpRouter router;
    proxy.addRoutes(router);
    EdgeServer http{EdgeOptions{}};
    http.serve(router);
    const quint16 port = http.listen().value();
    QVERIFY(port != 0);
    const QByteArray session = initialize(port);
    QVERIFY(!session.isEmpty());
    const QList<QPair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + m_key},
                                                       {"Mcp-Session-Id", session}};
    clock.advance(9 * 60);
    QCOMPARE(post(port, message(QStringLiteral("ping"), {}), headers).status, 200);
    // Use keeps it alive; ten idle minutes end it.
    clock.advance(9 * 60);
    QCOMPARE(post(port, message(QStringLiteral("ping"), {}), headers).status, 200);
    clock.advance(10 * 60 + 1);
    QCOMPARE(post(port, message(QStringLiteral("ping"), {}), headers).status, 404);
}

void TestMcpProxy::getOpensAnEventStream()
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
    request.setRawHeader("Authorization", "Bearer " + m_key);
    request.setRawHeader("Mcp-Session-Id", m_session);
    QNetworkReply *withoutAccept = m_network.get(request);
    QTRY_VERIFY(withoutAccept->isFinished());
    QCOMPARE(withoutAccept->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 405);
    withoutAccept->deleteLater();

    request.setRawHeader("Accept", "text/event-stream");
    QNetworkReply *stream = m_network.get(request);
    QSignalSpy headers(stream, &QNetworkReply::metaDataChanged);
    QTRY_VERIFY(headers.size() > 0);
    QCOMPARE(stream->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(stream->header(QNetworkRequest::ContentTypeHeader).toString(),
             QStringLiteral("text/event-stream"));
    QVERIFY(!stream->isFinished());
    stream->abort();
    stream->deleteLater();

    request.setRawHeader("Mcp-Session-Id", "no-such-session");
    QNetworkReply *unknown = m_network.get(request);
    QTRY_VERIFY(unknown->isFinished());
    QCOMPARE(unknown->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    unknown->deleteLater();
}

void TestMcpProxy::progressRepeatsWhileWaiting()
{
    McpProxySettings settings;
    settings.stepUp.progressInterval = std::chrono::milliseconds(50);
    UpstreamConfig missing;
    missing.name = QStringLiteral("directory");
    missing.program = m_dir.filePath(QStringLiteral("no-such-server"));
    McpProxy proxy(testAgents(m_key), {missing}, m_pdp, *m_broker, *m_store, m_clock, settings);
    HttpRouter router;
    proxy.addRoutes(router);
    EdgeServer http{EdgeOptions{}};
    http.serve(router);
    const quint16 port = http.listen().value();
    QVERIFY(port != 0);

    agent::McpHttpClient client(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port)), m_key);
    bool ready = false;
    client.initialize(
        [&](const agent::McpHttpClient::Response &response) { ready = response.ok(); });
    QTRY_VERIFY(ready);
    QList<double> progress;
    connect(&client, &agent::McpHttpClient::notification, this,
            [&](const QJsonObject &notification) {
                progress.append(notification.value(QStringLiteral("params"))
                                    .toObject()
                                    .value(QStringLiteral("progress"))
                                    .toDouble());
            });
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);
    std::optional<agent::McpHttpClient::Response> answer;
    client.request(QStringLiteral("tools/call"),
                   {{QStringLiteral("name"), QStringLiteral("disable_user")},
                    {QStringLiteral("arguments"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("carol")}}},
                    {QStringLiteral("_meta"), QJsonObject{{QStringLiteral("progressToken"), 7}}}},
                   [&](const agent::McpHttpClient::Response &response) { answer = response; });
    QTRY_VERIFY(progress.size() >= 3);
    // Progress only ever increases (MCP requires it).
    for (qsizetype i = 1; i < progress.size(); ++i)
        QVERIFY(progress[i] > progress[i - 1]);
    QVERIFY(!answer);
    QCOMPARE(requested.size(), 1);
    QVERIFY(m_broker
                ->cancel(requested.first().first().value<ApprovalRecord>().requestId,
                         QStringLiteral("test over"))
                .ok());
    QTRY_VERIFY(answer.has_value());
    QVERIFY(answer->result.value(QStringLiteral("isError")).toBool());
}

namespace {

QJsonObject resultOf(const QByteArray &body)
{
    // JSON or an event stream whose last data line is the response.
    QJsonObject last = QJsonDocument::fromJson(body).object();
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith("data: "))
            last = QJsonDocument::fromJson(line.mid(6)).object();
    }
    return last;
}

void verifyModernResult(const QJsonObject &response)
{
    const QJsonObject result = response.value(QStringLiteral("result")).toObject();
    QCOMPARE(result.value(QStringLiteral("resultType")).toString(), QStringLiteral("complete"));
    QCOMPARE(result.value(QStringLiteral("_meta"))
                 .toObject()
                 .value(QStringLiteral("io.modelcontextprotocol/serverInfo"))
                 .toObject()
                 .value(QStringLiteral("name"))
                 .toString(),
             QStringLiteral("countersign-gateway"));
}

} // namespace

void TestMcpProxy::modernDiscoverNeedsNoSession()
{
    const Reply reply = modern(QStringLiteral("server/discover"), {}, 40);
    QCOMPARE(reply.status, 200);
    QVERIFY2(reply.session.isEmpty(), reply.session.constData()); // no session in this era
    QCOMPARE(reply.json.value(QStringLiteral("id")).toInt(), 40);
    verifyModernResult(reply.json);
    const QJsonObject result = reply.json.value(QStringLiteral("result")).toObject();
    QCOMPARE(result.value(QStringLiteral("supportedVersions")).toArray(),
             (QJsonArray{QStringLiteral("2026-07-28"), QStringLiteral("2025-11-25"),
                         QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26")}));
    QVERIFY(result.value(QStringLiteral("capabilities"))
                .toObject()
                .value(QStringLiteral("tools"))
                .isObject());
    QVERIFY(result.value(QStringLiteral("ttlMs")).toInteger() > 0);
    QCOMPARE(result.value(QStringLiteral("cacheScope")).toString(), QStringLiteral("private"));
    QVERIFY(!result.value(QStringLiteral("instructions")).toString().isEmpty());
}

void TestMcpProxy::modernEnvelopeIsChecked_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QJsonObject>("meta"); // empty: the default _meta
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value"); // empty: header removed
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("says");

    const QJsonObject noVersion{
        {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}}};
    const QJsonObject oldVersion{
        {QStringLiteral("io.modelcontextprotocol/protocolVersion"), QStringLiteral("1900-01-01")},
        {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}}};
    const QJsonObject noCapabilities{
        {QStringLiteral("io.modelcontextprotocol/protocolVersion"), QStringLiteral("2026-07-28")}};
    const QJsonObject badLogLevel{
        {QStringLiteral("io.modelcontextprotocol/protocolVersion"), QStringLiteral("2026-07-28")},
        {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}},
        {QStringLiteral("io.modelcontextprotocol/logLevel"), QStringLiteral("loud")}};
    const QString list = QStringLiteral("tools/list");
    const QString call = QStringLiteral("tools/call");
    QTest::newRow("version header missing")
        << list << QJsonObject{} << QByteArray("MCP-Protocol-Version") << QByteArray() << 400
        << -32020 << QStringLiteral("MCP-Protocol-Version header is required");
    QTest::newRow("no version in _meta")
        << list << noVersion << QByteArray("X-None") << QByteArray() << 400 << -32020
        << QStringLiteral("missing");
    QTest::newRow("header and _meta differ")
        << list << QJsonObject{} << QByteArray("MCP-Protocol-Version") << QByteArray("2099-01-01")
        << 400 << -32020 << QStringLiteral("does not match");
    QTest::newRow("unsupported version")
        << list << oldVersion << QByteArray("MCP-Protocol-Version") << QByteArray("1900-01-01")
        << 400 << -32022 << QStringLiteral("Unsupported protocol version");
    QTest::newRow("Mcp-Method missing")
        << list << QJsonObject{} << QByteArray("Mcp-Method") << QByteArray() << 400 << -32020
        << QStringLiteral("Mcp-Method header is required");
    QTest::newRow("Mcp-Method differs")
        << list << QJsonObject{} << QByteArray("Mcp-Method") << QByteArray("prompts/list") << 400
        << -32020 << QStringLiteral("'prompts/list' does not match body value 'tools/list'");
    QTest::newRow("Mcp-Name missing")
        << call << QJsonObject{} << QByteArray("Mcp-Name") << QByteArray() << 400 << -32020
        << QStringLiteral("Mcp-Name header is required");
    // An intermediary that routed on the header saw another tool.
    QTest::newRow("Mcp-Name differs")
        << call << QJsonObject{} << QByteArray("Mcp-Name") << QByteArray("list_users") << 400
        << -32020 << QStringLiteral("'list_users' does not match body value 'disable_user'");
    QTest::newRow("Mcp-Name Base64 of another name")
        << call << QJsonObject{} << QByteArray("Mcp-Name")
        << QByteArray("=?base64?" + QByteArray("list_users").toBase64() + "?=") << 400 << -32020
        << QStringLiteral("'list_users' does not match");
    QTest::newRow("Mcp-Name not Base64")
        << call << QJsonObject{} << QByteArray("Mcp-Name") << QByteArray("=?base64?%%%?=") << 400
        << -32020 << QStringLiteral("malformed");
    QTest::newRow("no client capabilities")
        << list << noCapabilities << QByteArray("X-None") << QByteArray() << 400 << -32602
        << QStringLiteral("clientCapabilities");
    QTest::newRow("unknown log level")
        << list << badLogLevel << QByteArray("X-None") << QByteArray() << 400 << -32602
        << QStringLiteral("logLevel");
}

// Every refusal is a 400 with a JSON-RPC error a dual-era client recognizes
// as modern (it does not fall back to initialize), and nothing runs.
void TestMcpProxy::modernEnvelopeIsChecked()
{
    QFETCH(QString, method);
    QFETCH(QJsonObject, meta);
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    QFETCH(int, status);
    QFETCH(int, code);
    QFETCH(QString, says);
    QJsonObject params;
    if (method == u"tools/call") {
        params = QJsonObject{{QStringLiteral("name"), QStringLiteral("disable_user")},
                             {QStringLiteral("arguments"),
                              QJsonObject{{QStringLiteral("user"), QStringLiteral("carol")}}}};
    }
    if (!meta.isEmpty())
        params.insert(QStringLiteral("_meta"), meta);
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);
    const Reply reply = modern(method, params, 41, {{header, value}});
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.json.value(QStringLiteral("id")).toInt(), 41);
    const QJsonObject error = reply.json.value(QStringLiteral("error")).toObject();
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), code);
    QVERIFY2(error.value(QStringLiteral("message")).toString().contains(says),
             reply.body.constData());
    QCOMPARE(requested.size(), 0);
    if (code == -32022) {
        const QJsonObject data = error.value(QStringLiteral("data")).toObject();
        QCOMPARE(data.value(QStringLiteral("requested")).toString(), QStringLiteral("1900-01-01"));
        QVERIFY(data.value(QStringLiteral("supported"))
                    .toArray()
                    .contains(QStringLiteral("2026-07-28")));
    }
}

void TestMcpProxy::modernMcpNameMayBeBase64()
{
    // The sentinel form carries a name that is not a plain header value; it
    // is decoded before the comparison.
    const Reply reply =
        modern(QStringLiteral("tools/call"),
               {{QStringLiteral("name"), QStringLiteral("list_users")},
                {QStringLiteral("arguments"), QJsonObject{}}},
               42, {{"Mcp-Name", "=?base64?" + QByteArray("list_users").toBase64() + "?="}});
    QCOMPARE(reply.status, 200);
    QVERIFY2(resultOf(reply.body).contains(QStringLiteral("result")), reply.body.constData());
}

void TestMcpProxy::modernListsAreSortedAndCacheable()
{
    const Reply reply = modern(QStringLiteral("tools/list"), {}, 43);
    QCOMPARE(reply.status, 200);
    verifyModernResult(reply.json);
    const QJsonObject result = reply.json.value(QStringLiteral("result")).toObject();
    QCOMPARE(result.value(QStringLiteral("ttlMs")).toInteger(), McpProxy::listTtlMs);
    // Every agent's key is its own authorization context.
    QCOMPARE(result.value(QStringLiteral("cacheScope")).toString(), QStringLiteral("private"));
    QStringList names;
    for (const QJsonValue &tool : result.value(QStringLiteral("tools")).toArray())
        names.append(tool.toObject().value(QStringLiteral("name")).toString());
    QVERIFY2(names.size() >= 2, qPrintable(names.join(u',')));
    QStringList sorted = names;
    sorted.sort();
    QCOMPARE(names, sorted);
}

void TestMcpProxy::modernCallsAllowedAndDenied()
{
    Reply reply = modern(QStringLiteral("tools/call"),
                         {{QStringLiteral("name"), QStringLiteral("list_users")},
                          {QStringLiteral("arguments"), QJsonObject{}}},
                         44);
    QCOMPARE(reply.status, 200);
    QJsonObject response = resultOf(reply.body);
    QCOMPARE(response.value(QStringLiteral("id")).toInt(), 44);
    verifyModernResult(response);
    QVERIFY(QJsonDocument(response).toJson().contains("carol"));

    reply = modern(QStringLiteral("tools/call"),
                   {{QStringLiteral("name"), QStringLiteral("delete_user")},
                    {QStringLiteral("arguments"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}}}},
                   45);
    QCOMPARE(reply.status, 200);
    response = resultOf(reply.body);
    QCOMPARE(
        response.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt(),
        -32001);
}

void TestMcpProxy::modernHasNoStreamSessionOrPing()
{
    for (const QByteArray &verb : {QByteArray("GET"), QByteArray("DELETE")}) {
        const Reply reply = post(m_port, {},
                                 {{"X-Verb", verb},
                                  {"Accept", "text/event-stream"},
                                  {"Authorization", "Bearer " + m_key},
                                  {"MCP-Protocol-Version", "2026-07-28"}});
        QCOMPARE(reply.status, 405);
    }
    for (const QString &method : {QStringLiteral("ping"), QStringLiteral("logging/setLevel"),
                                  QStringLiteral("initialize")}) {
        const Reply reply = modern(method, {}, 46);
        QCOMPARE(reply.status, 404);
        QCOMPARE(reply.json.value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("code"))
                     .toInt(),
                 -32601);
    }
    // The initialize era goes on beside it.
    QCOMPARE(rpc(QStringLiteral("ping"), {}, 47).status, 200);
}

// input_required carries one elicitation, only in a mode the request
// declared: URL mode (the approval page) when the client has it, else form.
void TestMcpProxy::modernStepUpAsksInADeclaredMode()
{
    QStringList raised;
    connect(m_broker.get(), &ApprovalBroker::requested, this,
            [&raised](const ApprovalRecord &approval) { raised.append(approval.requestId); });
    const auto ask = [this](const QJsonObject &elicitation, const QString &user, int id) {
        return modern(QStringLiteral("tools/call"),
                      {{QStringLiteral("name"), QStringLiteral("disable_user")},
                       {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("user"), user}}},
                       {QStringLiteral("_meta"),
                        QJsonObject{{QStringLiteral("io.modelcontextprotocol/protocolVersion"),
                                     QStringLiteral("2026-07-28")},
                                    {QStringLiteral("io.modelcontextprotocol/clientCapabilities"),
                                     QJsonObject{{QStringLiteral("elicitation"), elicitation}}}}}},
                      id);
    };
    const auto elicitationOf = [](const Reply &reply) {
        const QJsonObject result = resultOf(reply.body).value(QStringLiteral("result")).toObject();
        return result.value(QStringLiteral("inputRequests"))
            .toObject()
            .value(QStringLiteral("countersign_approval"))
            .toObject()
            .value(QStringLiteral("params"))
            .toObject();
    };
    Reply reply =
        ask(QJsonObject{{QStringLiteral("url"), QJsonObject{}}}, QStringLiteral("bob"), 50);
    disconnect(m_broker.get(), &ApprovalBroker::requested, this, nullptr);
    QCOMPARE(raised.size(), 1);
    QJsonObject params = elicitationOf(reply);
    QCOMPARE(params.value(QStringLiteral("mode")).toString(), QStringLiteral("url"));
    QCOMPARE(params.value(QStringLiteral("url")).toString(),
             QStringLiteral("https://gateway.example/approve/%1?t=link").arg(raised.first()));
    QVERIFY(!params.contains(QStringLiteral("requestedSchema")));

    // {} is form mode only; the same call again asks about the same approval.
    reply = ask(QJsonObject{}, QStringLiteral("bob"), 51);
    params = elicitationOf(reply);
    QCOMPARE(params.value(QStringLiteral("mode")).toString(), QStringLiteral("form"));
    QVERIFY2(params.value(QStringLiteral("message"))
                 .toString()
                 .contains(QStringLiteral("approve in Countersign on your desktop")),
             reply.body.constData());
    QCOMPARE(resultOf(reply.body)
                 .value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("_meta"))
                 .toObject()
                 .value(QStringLiteral("io.github.countersign/approval"))
                 .toObject()
                 .value(QStringLiteral("request_id"))
                 .toString(),
             raised.first());
    QVERIFY(m_broker->cancel(raised.first(), QStringLiteral("test")).ok());
}

QTEST_GUILESS_MAIN(TestMcpProxy)
#include "test_mcp_proxy.moc"
