#include "gateway/approvals/approvalbroker.h"
#include "gateway/edge/edgeserver.h"
#include "gateway/edge/httprouter.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/keys/signingkey.h"
#include "gateway/mcp/agentdirectory.h"
#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/mcpproxy.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "gateway/store/sqlitestore.h"
#include "tests/support/manualclock.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::ManualClock;

namespace {

// An upstream that, for tools/call, says what it is doing before it answers:
// progress for the token it was given and for one it was not, and a log
// message at each of three levels. It keeps the params it was sent.
class NotifyingUpstream final : public Upstream {
public:
    const QString &name() const override { return m_name; }
    QString audience() const override { return m_name; }
    void request(const QString &method, const QJsonObject &params, Callback callback,
                 RequestOptions options) override
    {
        m_params.append(params);
        QMetaObject::invokeMethod(
            this,
            [this, method, params, callback = std::move(callback),
             notify = std::move(options.onNotification)] {
                if (method == u"tools/list") {
                    callback(QJsonObject{{QStringLiteral("result"),
                                          QJsonObject{{QStringLiteral("tools"), m_tools}}}});
                    return;
                }
                if (method == u"tools/call" && notify) {
                    const QJsonValue token = params.value(QStringLiteral("_meta"))
                                                 .toObject()
                                                 .value(QStringLiteral("progressToken"));
                    const auto progress = [](const QJsonValue &progressToken, int value) {
                        return JsonRpcMessage::notification(
                            QStringLiteral("notifications/progress"),
                            QJsonObject{{QStringLiteral("progressToken"), progressToken},
                                        {QStringLiteral("progress"), value}});
                    };
                    const auto log = [](const QString &level) {
                        return JsonRpcMessage::notification(
                            QStringLiteral("notifications/message"),
                            QJsonObject{{QStringLiteral("level"), level},
                                        {QStringLiteral("data"), level}});
                    };
                    notify(progress(QStringLiteral("someone-else"), 1));
                    notify(progress(token, 2));
                    notify(log(QStringLiteral("debug")));
                    notify(log(QStringLiteral("warning")));
                    notify(log(QStringLiteral("error")));
                }
                callback(QJsonObject{{QStringLiteral("result"),
                                      QJsonObject{{QStringLiteral("content"), QJsonArray{}}}}});
            },
            Qt::QueuedConnection);
    }
    const QList<QJsonObject> &params() const { return m_params; }
    void setTools(const QStringList &names)
    {
        m_tools = {};
        for (const QString &name : names)
            m_tools.append(
                QJsonObject{{QStringLiteral("name"), name},
                            {QStringLiteral("inputSchema"),
                             QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}}}});
    }

    void setToolDefinitions(const QJsonArray &tools) { m_tools = tools; }

private:
    QJsonArray m_tools;
    QString m_name = QStringLiteral("directory");
    QList<QJsonObject> m_params;
};

const QByteArray policyYaml = R"(rules:
  - name: everything
    effect: allow
)";

QByteArray message(const QString &method, const QJsonObject &params, int id)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                     {QStringLiteral("id"), id},
                                     {QStringLiteral("method"), method},
                                     {QStringLiteral("params"), params}})
        .toJson(QJsonDocument::Compact);
}

// The JSON-RPC messages of an event-stream body, in order.
QList<QJsonObject> events(const QByteArray &body)
{
    QList<QJsonObject> found;
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith("data: "))
            found.append(QJsonDocument::fromJson(line.mid(6)).object());
    }
    return found;
}

McpProxySettings listSettings()
{
    McpProxySettings settings;
    settings.listPollInterval = std::chrono::milliseconds(50);
    return settings;
}

} // namespace

// What an upstream says while an allowed call runs reaches the client on
// its POST response (docs/gateway.md, "Relayed, passed through, refused"):
// progress with the client's own token (the upstream only ever sees the
// gateway's), log messages at or above the session's logging/setLevel.
class TestMcpRelay : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void initializeAdvertisesWhatIsDelivered();
    void progressAndLogsReachTheClientOnItsStream();
    void clientThatAcceptsOnlyJsonGetsTheResult();
    void unknownLogLevelIsRefused();
    void modernLogLevelIsPerRequest();
    void subscriptionHearsOfToolListChanges();
    void modernToolParameterHeadersAreChecked();

private:
    QNetworkReply *post(const QByteArray &body, const QByteArray &accept, bool withSession = true);
    QJsonObject postJson(const QString &method, const QJsonObject &params, int id);
    QJsonObject callParams(const QJsonValue &progressToken) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    ManualClock m_clock{1'800'000'000};
    PolicyDecisionPoint m_pdp;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<ApprovalBroker> m_broker;
    NotifyingUpstream *m_upstream = nullptr; // owned by m_proxy
    std::unique_ptr<McpProxy> m_proxy;
    std::unique_ptr<HttpRouter> m_router;
    std::unique_ptr<EdgeServer> m_edge;
    std::unique_ptr<QNetworkAccessManager> m_network;
    quint16 m_port = 0;
    QByteArray m_session;
    QJsonObject m_initializeResult;
    const QByteArray m_key = "agent-key-for-tests";
};

void TestMcpRelay::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto policy = Policy::parse(policyYaml, QStringLiteral("policy.yaml"));
    QVERIFY(policy.ok());
    m_pdp.setPolicy(std::move(policy).value());
    auto store = SqliteStore::open(m_dir->path());
    QVERIFY(store.ok());
    m_store = std::move(store).value();
    const auto key = SigningKey::loadOrCreate(m_dir->path());
    QVERIFY(key.ok());
    m_issuer = std::make_unique<TokenIssuer>(key.value(), QStringLiteral("x"), 60, m_clock);
    m_broker = std::make_unique<ApprovalBroker>(*m_store, key.value(), QStringLiteral("x"),
                                                *m_issuer, m_clock);
    auto upstream = std::make_unique<NotifyingUpstream>();
    m_upstream = upstream.get();
    std::vector<std::unique_ptr<Upstream>> upstreams;
    upstreams.push_back(std::move(upstream));
    m_proxy = std::make_unique<McpProxy>(
        std::move(upstreams),
        AgentDirectory({McpAgent{QStringLiteral("claude"), QStringLiteral("alice@example.com"),
                                 QCryptographicHash::hash(m_key, QCryptographicHash::Sha256)}}),
        m_pdp, *m_broker, *m_store, m_clock, listSettings());
    m_router = std::make_unique<HttpRouter>();
    m_proxy->addRoutes(*m_router);
    m_edge = std::make_unique<EdgeServer>(EdgeOptions{});
    m_edge->serve(*m_router);
    m_port = m_edge->listen().value();
    m_network = std::make_unique<QNetworkAccessManager>();

    QNetworkReply *reply =
        post(message(QStringLiteral("initialize"),
                     QJsonObject{{QStringLiteral("protocolVersion"), QStringLiteral("2025-11-25")},
                                 {QStringLiteral("capabilities"), QJsonObject{}},
                                 {QStringLiteral("clientInfo"),
                                  QJsonObject{{QStringLiteral("name"), QStringLiteral("test")},
                                              {QStringLiteral("version"), QStringLiteral("1")}}}},
                     1),
             "application/json, text/event-stream", false);
    QTRY_VERIFY(reply->isFinished());
    m_session = reply->rawHeader("Mcp-Session-Id");
    m_initializeResult =
        QJsonDocument::fromJson(reply->readAll()).object().value(u"result").toObject();
    reply->deleteLater();
    QVERIFY(!m_session.isEmpty());
}

void TestMcpRelay::cleanup()
{
    m_network.reset();
    m_edge.reset();
    m_proxy.reset();
    m_broker.reset();
    m_issuer.reset();
    m_store.reset();
    m_dir.reset();
}

QNetworkReply *TestMcpRelay::post(const QByteArray &body, const QByteArray &accept,
                                  bool withSession)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", accept);
    request.setRawHeader("Authorization", "Bearer " + m_key);
    if (withSession)
        request.setRawHeader("Mcp-Session-Id", m_session);
    return m_network->post(request, body);
}

QJsonObject TestMcpRelay::postJson(const QString &method, const QJsonObject &params, int id)
{
    QNetworkReply *reply = post(message(method, params, id), "application/json");
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
        return {};
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return answer;
}

QJsonObject TestMcpRelay::callParams(const QJsonValue &progressToken) const
{
    QJsonObject params{{QStringLiteral("name"), QStringLiteral("work")},
                       {QStringLiteral("arguments"), QJsonObject{}}};
    if (!progressToken.isUndefined())
        params.insert(QStringLiteral("_meta"),
                      QJsonObject{{QStringLiteral("progressToken"), progressToken}});
    return params;
}

void TestMcpRelay::initializeAdvertisesWhatIsDelivered()
{
    const QJsonObject capabilities = m_initializeResult.value(u"capabilities").toObject();
    QCOMPARE(capabilities.keys(),
             (QStringList{QStringLiteral("logging"), QStringLiteral("prompts"),
                          QStringLiteral("resources"), QStringLiteral("tools")}));
    // No subscriptions, no list changes: nothing is sent unprompted.
    QCOMPARE(capabilities.value(u"resources").toObject(), QJsonObject{});
    QCOMPARE(capabilities.value(u"tools").toObject(), QJsonObject{});
}

void TestMcpRelay::progressAndLogsReachTheClientOnItsStream()
{
    QCOMPARE(postJson(QStringLiteral("logging/setLevel"),
                      QJsonObject{{QStringLiteral("level"), QStringLiteral("warning")}}, 2)
                 .value(u"result")
                 .toObject(),
             QJsonObject{});

    QNetworkReply *reply = post(message(QStringLiteral("tools/call"), callParams(7), 3),
                                "application/json, text/event-stream");
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->header(QNetworkRequest::ContentTypeHeader).toString(),
             QStringLiteral("text/event-stream"));
    const QList<QJsonObject> messages = events(reply->readAll());
    reply->deleteLater();

    // The upstream got a token of the gateway's, not the client's 7.
    QCOMPARE(m_upstream->params().size(), 1);
    const QJsonValue upstreamToken =
        m_upstream->params()[0].value(u"_meta").toObject().value(u"progressToken");
    QVERIFY(upstreamToken.toString().startsWith(u"countersign-progress-"));

    // Progress for its own token only, as 7; warning and error, not debug;
    // then the response.
    QCOMPARE(messages.size(), 4);
    QCOMPARE(messages[0].value(u"method").toString(), QStringLiteral("notifications/progress"));
    QCOMPARE(messages[0].value(u"params").toObject().value(u"progressToken").toInt(), 7);
    QCOMPARE(messages[0].value(u"params").toObject().value(u"progress").toInt(), 2);
    QCOMPARE(messages[1].value(u"params").toObject().value(u"level").toString(),
             QStringLiteral("warning"));
    QCOMPARE(messages[2].value(u"params").toObject().value(u"level").toString(),
             QStringLiteral("error"));
    QCOMPARE(messages[3].value(u"id").toInt(), 3);
    QVERIFY(messages[3].value(u"result").isObject());
}

void TestMcpRelay::clientThatAcceptsOnlyJsonGetsTheResult()
{
    // No progress asked: no token goes upstream. A JSON-only client gets one
    // JSON body, without the log messages.
    QNetworkReply *reply =
        post(message(QStringLiteral("tools/call"), callParams(QJsonValue::Undefined), 4),
             "application/json");
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->header(QNetworkRequest::ContentTypeHeader).toString(),
             QStringLiteral("application/json"));
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    QCOMPARE(answer.value(u"id").toInt(), 4);
    QVERIFY(answer.value(u"result").isObject());
    QCOMPARE(m_upstream->params().size(), 1);
    QVERIFY(!m_upstream->params()[0].contains(u"_meta"));
}

void TestMcpRelay::unknownLogLevelIsRefused()
{
    const QJsonObject answer =
        postJson(QStringLiteral("logging/setLevel"),
                 QJsonObject{{QStringLiteral("level"), QStringLiteral("verbose")}}, 5);
    QCOMPARE(answer.value(u"error").toObject().value(u"code").toInt(),
             JsonRpcMessage::invalidParams);
}

// MCP 2026-07-28: no session and no logging/setLevel; the level rides in
// each request's _meta, and without it no log message is sent.
void TestMcpRelay::modernLogLevelIsPerRequest()
{
    const auto call = [this](const QJsonValue &level, int id) {
        QJsonObject meta{
            {QStringLiteral("io.modelcontextprotocol/protocolVersion"),
             QStringLiteral("2026-07-28")},
            {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}},
            {QStringLiteral("progressToken"), 9}};
        if (!level.isUndefined())
            meta.insert(QStringLiteral("io.modelcontextprotocol/logLevel"), level);
        QJsonObject params = callParams(QJsonValue::Undefined);
        params.insert(QStringLiteral("_meta"), meta);
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setRawHeader("Accept", "application/json, text/event-stream");
        request.setRawHeader("Authorization", "Bearer " + m_key);
        request.setRawHeader("MCP-Protocol-Version", "2026-07-28");
        request.setRawHeader("Mcp-Method", "tools/call");
        request.setRawHeader("Mcp-Name", "work");
        QNetworkReply *reply =
            m_network->post(request, message(QStringLiteral("tools/call"), params, id));
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
            return QList<QJsonObject>{};
        const QList<QJsonObject> messages = events(reply->readAll());
        reply->deleteLater();
        return messages;
    };
    QStringList levels;
    for (const QJsonObject &message : call(QStringLiteral("error"), 6)) {
        if (message.value(u"method").toString() == u"notifications/message")
            levels.append(message.value(u"params").toObject().value(u"level").toString());
    }
    QCOMPARE(levels, QStringList{QStringLiteral("error")});
    const QList<QJsonObject> quiet = call(QJsonValue::Undefined, 7);
    QVERIFY(!quiet.isEmpty());
    for (const QJsonObject &message : quiet)
        QVERIFY(message.value(u"method").toString() != u"notifications/message");
    // Progress still reaches the client with its token; the result is modern.
    QCOMPARE(quiet.first().value(u"params").toObject().value(u"progressToken").toInt(), 9);
    QCOMPARE(quiet.last().value(u"result").toObject().value(u"resultType").toString(),
             QStringLiteral("complete"));
}

// subscriptions/listen (2026-07-28): acknowledged first, then
// notifications/tools/list_changed when an upstream's tools change, each
// with the subscription's id; a list that did not change says nothing.
void TestMcpRelay::subscriptionHearsOfToolListChanges()
{
    m_upstream->setTools({QStringLiteral("work")});
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    request.setRawHeader("Authorization", "Bearer " + m_key);
    request.setRawHeader("MCP-Protocol-Version", "2026-07-28");
    request.setRawHeader("Mcp-Method", "subscriptions/listen");
    const QJsonObject params{
        {QStringLiteral("_meta"),
         QJsonObject{
             {QStringLiteral("io.modelcontextprotocol/protocolVersion"),
              QStringLiteral("2026-07-28")},
             {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}}}},
        {QStringLiteral("notifications"),
         QJsonObject{
             {QStringLiteral("toolsListChanged"), true},
             {QStringLiteral("resourceSubscriptions"), QJsonArray{QStringLiteral("x:/y")}}}}};
    QNetworkReply *reply =
        m_network->post(request, message(QStringLiteral("subscriptions/listen"), params, 77));
    QByteArray body;
    QList<QJsonObject> messages;
    connect(reply, &QNetworkReply::readyRead, this, [&] {
        body += reply->readAll();
        messages = events(body);
    });
    QTRY_COMPARE(messages.size(), 1);
    QCOMPARE(messages[0].value(u"method").toString(),
             QStringLiteral("notifications/subscriptions/acknowledged"));
    const QJsonObject ack = messages[0].value(u"params").toObject();
    QCOMPARE(
        ack.value(u"_meta").toObject().value(u"io.modelcontextprotocol/subscriptionId").toInt(),
        77);
    // Only what is honoured: no resource update subscriptions.
    QCOMPARE(ack.value(u"notifications").toObject(),
             (QJsonObject{{QStringLiteral("toolsListChanged"), true}}));

    // Polls of an unchanged list say nothing: after the upstream was asked
    // three more times (so at least two polls were answered and compared),
    // still only the acknowledgement.
    const qsizetype asked = m_upstream->params().size();
    QTRY_VERIFY(m_upstream->params().size() >= asked + 3);
    QCOMPARE(messages.size(), 1);
    m_upstream->setTools({QStringLiteral("work"), QStringLiteral("more")});
    QTRY_COMPARE(messages.size(), 2);
    QCOMPARE(messages[1].value(u"method").toString(),
             QStringLiteral("notifications/tools/list_changed"));
    QCOMPARE(messages[1]
                 .value(u"params")
                 .toObject()
                 .value(u"_meta")
                 .toObject()
                 .value(u"io.modelcontextprotocol/subscriptionId")
                 .toInt(),
             77);
    QVERIFY(!reply->isFinished());
    reply->abort();
    reply->deleteLater();
}

// x-mcp-header (2026-07-28): a listed tool whose annotations are invalid is
// left out; a call of a tool that declares header parameters is refused
// (HTTP 400, HeaderMismatch -32020) unless its Mcp-Param-* headers mirror
// its arguments, and the upstream never sees a refused call.
void TestMcpRelay::modernToolParameterHeadersAreChecked()
{
    m_upstream->setToolDefinitions(QJsonDocument::fromJson(R"([
        {"name": "work", "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "opts": {"type": "object", "properties": {
                "count": {"type": "integer", "x-mcp-header": "Count"}}}}}},
        {"name": "broken", "inputSchema": {"type": "object", "properties": {
            "a": {"type": "string", "x-mcp-header": "A"},
            "b": {"type": "string", "x-mcp-header": "a"}}}}])")
                                       .array());
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "tool broken left out of tools/list: invalid x-mcp-header: .*twice")));
    const QJsonObject listed = postJson(QStringLiteral("tools/list"), {}, 20);
    const QJsonArray tools = listed.value(u"result").toObject().value(u"tools").toArray();
    QCOMPARE(tools.size(), 1);
    QCOMPARE(tools.at(0).toObject().value(u"name").toString(), QStringLiteral("work"));

    const auto call = [this](const QJsonObject &arguments,
                             const QList<QPair<QByteArray, QByteArray>> &headers, int id) {
        const QJsonObject params{
            {QStringLiteral("name"), QStringLiteral("work")},
            {QStringLiteral("arguments"), arguments},
            {QStringLiteral("_meta"),
             QJsonObject{
                 {QStringLiteral("io.modelcontextprotocol/protocolVersion"),
                  QStringLiteral("2026-07-28")},
                 {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), QJsonObject{}}}}};
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setRawHeader("Accept", "application/json");
        request.setRawHeader("Authorization", "Bearer " + m_key);
        request.setRawHeader("MCP-Protocol-Version", "2026-07-28");
        request.setRawHeader("Mcp-Method", "tools/call");
        request.setRawHeader("Mcp-Name", "work");
        for (const auto &[name, value] : headers)
            request.setRawHeader(name, value);
        QNetworkReply *reply =
            m_network->post(request, message(QStringLiteral("tools/call"), params, id));
        QPair<int, QJsonObject> answer{0, {}};
        if (QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000)) {
            answer.first = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            answer.second = QJsonDocument::fromJson(reply->readAll()).object();
        }
        reply->deleteLater();
        return answer;
    };
    const QJsonObject arguments{
        {QStringLiteral("region"), QStringLiteral("eu-west1")},
        {QStringLiteral("opts"), QJsonObject{{QStringLiteral("count"), 3}}}};
    const qsizetype forwarded = m_upstream->params().size();
    const auto refused = [&](const QList<QPair<QByteArray, QByteArray>> &headers, int id,
                             const QString &words) {
        const auto [status, body] = call(arguments, headers, id);
        QCOMPARE(status, 400);
        const QJsonObject error = body.value(u"error").toObject();
        QCOMPARE(error.value(u"code").toInt(), -32020);
        QVERIFY2(error.value(u"message").toString().contains(words),
                 qPrintable(error.value(u"message").toString()));
        QCOMPARE(m_upstream->params().size(), forwarded);
    };
    refused({}, 21, QStringLiteral("header is required"));
    refused({{"Mcp-Param-Region", "eu-west1"}}, 22,
            QStringLiteral("Mcp-Param-Count header is required"));
    refused({{"Mcp-Param-Count", "3"}}, 28, QStringLiteral("Mcp-Param-Region header is required"));
    refused({{"Mcp-Param-Region", "us-east1"}, {"Mcp-Param-Count", "3"}}, 23,
            QStringLiteral("does not match"));
    refused({{"Mcp-Param-Region", "eu-west1"}, {"Mcp-Param-Count", "4"}}, 24,
            QStringLiteral("does not match"));
    refused({{"Mcp-Param-Region", "=?base64?!!?="}, {"Mcp-Param-Count", "3"}}, 25,
            QStringLiteral("malformed"));

    // Mirrored headers (any case, Base64 form, an integer as 3.0) pass.
    const auto [status, body] =
        call(arguments,
             {{"mcp-param-region", "=?base64?ZXUtd2VzdDE=?="}, {"MCP-PARAM-COUNT", "3.0"}}, 26);
    QCOMPARE(status, 200);
    QCOMPARE(body.value(u"result").toObject().value(u"resultType").toString(),
             QStringLiteral("complete"));
    QCOMPARE(m_upstream->params().size(), forwarded + 1);
    // Absent values: no header expected.
    const auto [bareStatus, bareBody] = call(QJsonObject{}, {}, 27);
    QCOMPARE(bareStatus, 200);
    QVERIFY(bareBody.contains(u"result"));
}

QTEST_GUILESS_MAIN(TestMcpRelay)
#include "test_mcp_relay.moc"
