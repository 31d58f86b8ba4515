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
#include "helddurabilitystore.h"
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
using countersign::testing::HeldDurabilityStore;
using countersign::testing::ManualClock;

namespace {

// An upstream that records what reaches it and answers every call at once:
// the upstream's own view of whether, and when, the gateway forwarded.
class RecordingUpstream final : public Upstream {
public:
    const QString &name() const override { return m_name; }
    QString audience() const override { return m_name; }
    void request(const QString &method, const QJsonObject &params, Callback callback,
                 RequestOptions) override
    {
        m_seen.append(method + u' ' + params.value(QStringLiteral("name")).toString());
        QMetaObject::invokeMethod(
            this,
            [callback = std::move(callback)] {
                callback(QJsonObject{
                    {QStringLiteral("result"),
                     QJsonObject{{QStringLiteral("content"),
                                  QJsonArray{QJsonObject{
                                      {QStringLiteral("type"), QStringLiteral("text")},
                                      {QStringLiteral("text"), QStringLiteral("ran")}}}}}}});
            },
            Qt::QueuedConnection);
    }
    const QStringList &seen() const { return m_seen; }

private:
    QString m_name = QStringLiteral("directory");
    QStringList m_seen;
};

const QByteArray policyYaml = R"(rules:
  - name: reads
    match:
      action: "list_users"
    effect: allow
)";

QByteArray message(const QString &method, const QJsonObject &params, int id = 1)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                     {QStringLiteral("id"), id},
                                     {QStringLiteral("method"), method},
                                     {QStringLiteral("params"), params}})
        .toJson(QJsonDocument::Compact);
}

} // namespace

// Group commit and the proxy (issue 17): an allowed tools/call reaches its
// upstream only once its "mcp.decided" record is durable, and not at all
// when the record cannot be made durable. The store's durability is held
// by the test (HeldDurabilityStore), as the sync thread would hold it while
// its fdatasync runs.
class TestMcpDurableForward : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void callWaitsUntilItsRecordIsDurable();
    void recordThatCannotBeMadeDurableIsNotForwarded();

private:
    QNetworkReply *postCall();
    QStringList auditKinds() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    ManualClock m_clock{1'800'000'000};
    PolicyDecisionPoint m_pdp;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<HeldDurabilityStore> m_held;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<ApprovalBroker> m_broker;
    RecordingUpstream *m_upstream = nullptr; // owned by m_proxy
    std::unique_ptr<McpProxy> m_proxy;
    std::unique_ptr<HttpRouter> m_router;
    std::unique_ptr<EdgeServer> m_edge;
    std::unique_ptr<QNetworkAccessManager> m_network;
    quint16 m_port = 0;
    QByteArray m_session;
    const QByteArray m_key = "agent-key-for-tests";
};

void TestMcpDurableForward::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto policy = Policy::parse(policyYaml, QStringLiteral("policy.yaml"));
    QVERIFY(policy.ok());
    m_pdp.setPolicy(std::move(policy).value());
    auto store = SqliteStore::open(m_dir->path());
    QVERIFY(store.ok());
    m_store = std::move(store).value();
    m_held = std::make_unique<HeldDurabilityStore>(*m_store);
    const auto key = SigningKey::loadOrCreate(m_dir->path());
    QVERIFY(key.ok());
    m_issuer = std::make_unique<TokenIssuer>(key.value(), QStringLiteral("x"), 60, m_clock);
    m_broker = std::make_unique<ApprovalBroker>(*m_held, key.value(), QStringLiteral("x"),
                                                *m_issuer, m_clock);
    auto upstream = std::make_unique<RecordingUpstream>();
    m_upstream = upstream.get();
    std::vector<std::unique_ptr<Upstream>> upstreams;
    upstreams.push_back(std::move(upstream));
    m_proxy = std::make_unique<McpProxy>(
        std::move(upstreams),
        AgentDirectory({McpAgent{QStringLiteral("claude"), QStringLiteral("alice@example.com"),
                                 QCryptographicHash::hash(m_key, QCryptographicHash::Sha256)}}),
        m_pdp, *m_broker, *m_held, m_clock);
    m_router = std::make_unique<HttpRouter>();
    m_proxy->addRoutes(*m_router);
    m_edge = std::make_unique<EdgeServer>(EdgeOptions{});
    m_edge->serve(*m_router);
    m_port = m_edge->listen().value();
    m_network = std::make_unique<QNetworkAccessManager>();

    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    request.setRawHeader("Authorization", "Bearer " + m_key);
    QNetworkReply *reply = m_network->post(
        request,
        message(QStringLiteral("initialize"),
                QJsonObject{{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                            {QStringLiteral("capabilities"), QJsonObject{}},
                            {QStringLiteral("clientInfo"),
                             QJsonObject{{QStringLiteral("name"), QStringLiteral("test")},
                                         {QStringLiteral("version"), QStringLiteral("1")}}}}));
    QTRY_VERIFY(reply->isFinished());
    m_session = reply->rawHeader("Mcp-Session-Id");
    reply->deleteLater();
    QVERIFY(!m_session.isEmpty());
}

void TestMcpDurableForward::cleanup()
{
    m_network.reset();
    m_edge.reset();
    m_proxy.reset();
    m_broker.reset();
    m_issuer.reset();
    m_held.reset();
    m_store.reset();
    m_dir.reset();
}

QNetworkReply *TestMcpDurableForward::postCall()
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json");
    request.setRawHeader("Authorization", "Bearer " + m_key);
    request.setRawHeader("Mcp-Session-Id", m_session);
    return m_network->post(
        request,
        message(QStringLiteral("tools/call"),
                QJsonObject{{QStringLiteral("name"), QStringLiteral("list_users")},
                            {QStringLiteral("arguments"), QJsonObject{}}},
                7));
}

QStringList TestMcpDurableForward::auditKinds() const
{
    QStringList kinds;
    for (const AuditEvent &event : m_store->auditEvents())
        kinds.append(event.kind);
    return kinds;
}

void TestMcpDurableForward::callWaitsUntilItsRecordIsDurable()
{
    QNetworkReply *reply = postCall();
    // The record is written (committed) and the call waits for its sync.
    QTRY_COMPARE(m_held->held().held(), 1);
    QCOMPARE(auditKinds(), QStringList{QStringLiteral("mcp.decided")});
    QVERIFY(m_upstream->seen().isEmpty());
    QVERIFY(!reply->isFinished());

    m_held->held().release();
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(m_upstream->seen(), QStringList{QStringLiteral("tools/call list_users")});
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    QCOMPARE(answer.value(QStringLiteral("id")).toInt(), 7);
    QVERIFY(answer.value(QStringLiteral("result")).isObject());
    // The outcome follows the answer (docs/gateway.md, "The audit log").
    QTRY_COMPARE(auditKinds(),
                 (QStringList{QStringLiteral("mcp.decided"), QStringLiteral("mcp.call")}));
    QCOMPARE(m_store->auditEvents().constLast().details.value(QStringLiteral("outcome")).toString(),
             QStringLiteral("completed"));
    reply->deleteLater();
}

void TestMcpDurableForward::recordThatCannotBeMadeDurableIsNotForwarded()
{
    QNetworkReply *reply = postCall();
    QTRY_COMPARE(m_held->held().held(), 1);
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("could not be made durable; not "
                                                           "forwarded: injected: fdatasync")));
    m_held->held().release(
        makeError(ErrorCode::StorageFailure, QStringLiteral("injected: fdatasync failed (EIO)")));
    QTRY_VERIFY(reply->isFinished());
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    const QJsonObject error = answer.value(QStringLiteral("error")).toObject();
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), JsonRpcMessage::storageUnavailable);
    QCOMPARE(
        error.value(QStringLiteral("data")).toObject().value(QStringLiteral("reason")).toString(),
        QStringLiteral("storage_unavailable"));
    QVERIFY(m_upstream->seen().isEmpty());
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(TestMcpDurableForward)
#include "test_mcp_durableforward.moc"
