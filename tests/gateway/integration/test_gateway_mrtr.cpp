#include "gatewayfixture.h"
#include "tests/support/agenthelpers.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>

using namespace countersign;
using namespace countersign::testing;

namespace {

constexpr auto agentKey = "mrtr-agent-key";
constexpr auto otherAgentKey = "mrtr-other-agent-key";

// The demo policy and directory, with a second agent for the same user.
QByteArray config()
{
    QByteArray yaml = GatewayFixture::proxyConfig(QStringLiteral(COUNTERSIGN_DEMO_POLICY),
                                                  QStringLiteral("test-agent"), agentKey,
                                                  QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY));
    const QByteArray otherHash =
        QCryptographicHash::hash(otherAgentKey, QCryptographicHash::Sha256).toHex();
    const QByteArray otherAgent =
        QByteArray("  - name: other-agent\n    user: alice@example.com\n    key_sha256: ")
        + otherHash + QByteArray("\nupstreams:");
    yaml.replace(QByteArray("upstreams:"), otherAgent);
    return yaml;
}

// One POST of MCP 2026-07-28, read as it arrives: the event stream's
// messages (progress) before the final response.
class ModernCall : public QObject {
public:
    ModernCall(QNetworkAccessManager &network, const QUrl &url, const QByteArray &key,
               const QJsonObject &params, qint64 id,
               const QByteArray &accept = "application/json, text/event-stream")
    {
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setRawHeader("Accept", accept);
        request.setRawHeader("Authorization", "Bearer " + key);
        request.setRawHeader("MCP-Protocol-Version", "2026-07-28");
        request.setRawHeader("Mcp-Method", "tools/call");
        request.setRawHeader("Mcp-Name", params.value(u"name").toString().toUtf8());
        request.setTransferTimeout(0);
        const QByteArray body =
            QJsonDocument(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                      {QStringLiteral("id"), id},
                                      {QStringLiteral("method"), QStringLiteral("tools/call")},
                                      {QStringLiteral("params"), params}})
                .toJson(QJsonDocument::Compact);
        m_reply = network.post(request, body);
        connect(m_reply, &QNetworkReply::readyRead, this, [this] {
            m_accelBuffering = m_reply->rawHeader("X-Accel-Buffering");
            read();
        });
        connect(m_reply, &QNetworkReply::finished, this, [this] {
            read();
            const QByteArray rest = m_buffer.trimmed();
            if (!rest.isEmpty() && !rest.startsWith("event:") && !rest.startsWith("data:"))
                m_response = QJsonDocument::fromJson(rest).object();
            m_finished = true;
        });
    }
    ~ModernCall() override
    {
        if (m_reply)
            m_reply->deleteLater();
    }

    bool finished() const { return m_finished; }
    const QJsonObject &response() const { return m_response; }
    QJsonObject result() const { return m_response.value(u"result").toObject(); }
    const QList<QJsonObject> &progress() const { return m_progress; }
    void hangUp() { m_reply->abort(); }
    // What an event stream told reverse proxies about buffering.
    const QByteArray &accelBuffering() const { return m_accelBuffering; }

private:
    void read()
    {
        m_buffer += m_reply->readAll();
        // JSON bodies are read whole at the end; events as they come.
        qsizetype end;
        while ((end = m_buffer.indexOf("\n\n")) >= 0) {
            const QByteArray event = m_buffer.left(end);
            m_buffer.remove(0, end + 2);
            for (const QByteArray &line : event.split('\n')) {
                if (!line.startsWith("data: "))
                    continue;
                const QJsonObject message = QJsonDocument::fromJson(line.mid(6)).object();
                if (message.value(u"method").toString() == u"notifications/progress")
                    m_progress.append(message.value(u"params").toObject());
                else if (message.contains(u"id"))
                    m_response = message;
            }
        }
    }

    QPointer<QNetworkReply> m_reply;
    QByteArray m_buffer;
    QJsonObject m_response;
    QList<QJsonObject> m_progress;
    QByteArray m_accelBuffering;
    bool m_finished = false;
};

QJsonObject meta(bool formElicitation, bool progress)
{
    QJsonObject capabilities;
    if (formElicitation)
        capabilities.insert(QStringLiteral("elicitation"),
                            QJsonObject{{QStringLiteral("form"), QJsonObject{}}});
    QJsonObject meta{
        {QStringLiteral("io.modelcontextprotocol/protocolVersion"), QStringLiteral("2026-07-28")},
        {QStringLiteral("io.modelcontextprotocol/clientCapabilities"), capabilities},
        {QStringLiteral("io.modelcontextprotocol/clientInfo"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("mrtr-test")},
                     {QStringLiteral("version"), QStringLiteral("1")}}}};
    if (progress)
        meta.insert(QStringLiteral("progressToken"), QStringLiteral("mrtr-progress"));
    return meta;
}

QJsonObject callParams(const QString &user, bool formElicitation = true, bool progress = false)
{
    return QJsonObject{
        {QStringLiteral("name"), QStringLiteral("disable_user")},
        {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("user"), user}}},
        {QStringLiteral("_meta"), meta(formElicitation, progress)},
    };
}

// The retry of a call that got `inputRequired`: the same params with the
// client's answer and the state echoed.
QJsonObject retryParams(QJsonObject params, const QJsonObject &inputRequired,
                        const QString &action = QStringLiteral("accept"))
{
    params.insert(QStringLiteral("inputResponses"),
                  QJsonObject{{QStringLiteral("countersign_approval"),
                               QJsonObject{{QStringLiteral("action"), action}}}});
    params.insert(QStringLiteral("requestState"), inputRequired.value(u"requestState"));
    // Retries ask for progress, so the hold can be heard.
    QJsonObject meta = params.value(u"_meta").toObject();
    meta.insert(QStringLiteral("progressToken"), QStringLiteral("mrtr-retry"));
    params.insert(QStringLiteral("_meta"), meta);
    return params;
}

} // namespace

// Step-up for MCP 2026-07-28 clients as a multi round-trip request
// (basic/patterns/mrtr): the first call gets input_required with a form
// elicitation and a sealed requestState, the retry is held open (progress
// with the binding code) until the person decides in the test companion,
// and a requestState that does not belong to the retry runs nothing.
class TestGatewayMrtr : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void inputRequiredThenApprovedRetryRunsOnce();
    void deniedWhileHeldSaysSoInWords();
    void expiredWhileHeldGivesTheBindingCode();
    void declineInTheClientCancelsTheApproval();
    void clientThatHangsUpAttachesOnItsNextRetry();
    void stateThatDoesNotBelongRunsNothing_data();
    void stateThatDoesNotBelongRunsNothing();
    void clientWithoutElicitationWaitsAsBefore();
    void retryThatCanHearNothingIsHeldAnyway();

private:
    std::unique_ptr<ModernCall> post(const QJsonObject &params, const QByteArray &key = agentKey);
    // A first call, answered with input_required; its result.
    QJsonObject firstCall(const QString &user, const VerifiedApprovalRequest **request = nullptr);
    bool userDisabled(const QString &id) const;
    QString approvalState(const QString &requestId) const;

    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<TestCompanion> m_companion;
    std::optional<Totp> m_totp;
    std::optional<VerifiedApprovalRequest> m_request;
    QNetworkAccessManager m_network;
    qint64 m_nextId = 1;
};

void TestGatewayMrtr::init()
{
    m_fixture = std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, config());
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_companion = m_fixture->pairedCompanion();
    QVERIFY(m_companion);
    QVERIFY(m_companion->connectChannel());
    m_request.reset();
}

void TestGatewayMrtr::cleanup()
{
    m_companion.reset();
    m_fixture.reset();
}

std::unique_ptr<ModernCall> TestGatewayMrtr::post(const QJsonObject &params, const QByteArray &key)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    return std::make_unique<ModernCall>(m_network, url, key, params, m_nextId++);
}

QJsonObject TestGatewayMrtr::firstCall(const QString &user, const VerifiedApprovalRequest **request)
{
    auto call = post(callParams(user));
    if (!QTest::qWaitFor([&call] { return call->finished(); }, 10000))
        return {};
    m_request = nextApprovalRequest(*m_companion);
    if (request)
        *request = m_request ? &*m_request : nullptr;
    return call->result();
}

bool TestGatewayMrtr::userDisabled(const QString &id) const
{
    QFile file(m_fixture->dataDir() + QStringLiteral("/users.json"));
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll());
    const QJsonArray users = document.isArray()
        ? document.array()
        : document.object().value(QStringLiteral("users")).toArray();
    for (const QJsonValue &user : users) {
        if (user.toObject().value(QStringLiteral("id")).toString() == id)
            return user.toObject().value(QStringLiteral("disabled")).toBool();
    }
    return false;
}

QString TestGatewayMrtr::approvalState(const QString &requestId) const
{
    const auto approval = m_fixture->gateway().broker().approval(requestId);
    return approval ? gateway::approvalStateName(approval->state) : QString();
}

void TestGatewayMrtr::inputRequiredThenApprovedRetryRunsOnce()
{
    const QJsonObject params = callParams(QStringLiteral("alice"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("alice"), &request);
    QVERIFY(request);
    QCOMPARE(inputRequired.value(u"resultType").toString(), QStringLiteral("input_required"));
    const QJsonObject elicitation =
        inputRequired.value(u"inputRequests").toObject().value(u"countersign_approval").toObject();
    QCOMPARE(elicitation.value(u"method").toString(), QStringLiteral("elicitation/create"));
    const QJsonObject form = elicitation.value(u"params").toObject();
    QCOMPARE(form.value(u"mode").toString(), QStringLiteral("form"));
    // What, where, the code and where to approve; nothing to type in.
    const QString message = form.value(u"message").toString();
    for (const QString &part :
         {QStringLiteral("disable_user"), QStringLiteral("directory/disable_user"),
          request->bindingCode, QStringLiteral("approve in Countersign on your desktop")}) {
        QVERIFY2(message.contains(part), qPrintable(message));
    }
    QCOMPARE(form.value(u"requestedSchema").toObject().value(u"properties").toObject(),
             QJsonObject{});
    QVERIFY(!inputRequired.value(u"requestState").toString().isEmpty());
    QVERIFY(!inputRequired.contains(u"ttlMs")); // interim results carry no caching hints
    QCOMPARE(approvalState(request->request.requestId), QStringLiteral("pending"));

    // The retry, with the client's "accept": held open, approving nothing.
    auto retry = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(!retry->progress().isEmpty(), 10000);
    QVERIFY2(retry->progress()
                 .first()
                 .value(u"message")
                 .toString()
                 .contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(retry->progress().first().value(u"message").toString()));
    QVERIFY(!retry->finished());
    QCOMPARE(retry->accelBuffering(), QByteArray("no")); // events pass proxies at once
    QCOMPARE(approvalState(request->request.requestId), QStringLiteral("pending"));
    QVERIFY(!userDisabled(QStringLiteral("alice")));

    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(retry->finished(), 15000);
    const QJsonObject result = retry->result();
    QCOMPARE(result.value(u"resultType").toString(), QStringLiteral("complete"));
    QVERIFY2(!result.value(u"isError").toBool(), qPrintable(toolText(result)));
    QVERIFY(userDisabled(QStringLiteral("alice")));

    // The same retry again (a replay): the approval ran its one call.
    auto replay = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(replay->finished(), 10000);
    QCOMPARE(approvalOutcome(replay->result()), QStringLiteral("already_used"));
}

void TestGatewayMrtr::deniedWhileHeldSaysSoInWords()
{
    const QJsonObject params = callParams(QStringLiteral("bob"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("bob"), &request);
    QVERIFY(request);
    auto retry = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(!retry->progress().isEmpty(), 10000);
    m_companion->deny(*request, QStringLiteral("not today"));
    QTRY_VERIFY_WITH_TIMEOUT(retry->finished(), 10000);
    QVERIFY(retry->result().value(u"isError").toBool());
    QCOMPARE(approvalOutcome(retry->result()), QStringLiteral("denied"));
    const QString said = toolText(retry->result());
    QVERIFY2(said.contains(QStringLiteral("DENIED")) && said.contains(QStringLiteral("not today"))
                 && said.contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(said));
    // A retry after the decision hears the same, at once.
    auto late = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(late->finished(), 10000);
    QCOMPARE(approvalOutcome(late->result()), QStringLiteral("denied"));
    QVERIFY(!userDisabled(QStringLiteral("bob")));
}

void TestGatewayMrtr::expiredWhileHeldGivesTheBindingCode()
{
    const QJsonObject params = callParams(QStringLiteral("carol"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("carol"), &request);
    QVERIFY(request);
    auto retry = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(!retry->progress().isEmpty(), 10000);
    m_fixture->clock().advance(60);
    m_fixture->gateway().broker().expireDue();
    QTRY_VERIFY_WITH_TIMEOUT(retry->finished(), 10000);
    QCOMPARE(approvalOutcome(retry->result()), QStringLiteral("expired"));
    const QString said = toolText(retry->result());
    QVERIFY2(said.contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(said));
    QVERIFY(!userDisabled(QStringLiteral("carol")));
}

void TestGatewayMrtr::declineInTheClientCancelsTheApproval()
{
    const QJsonObject params = callParams(QStringLiteral("alice"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("alice"), &request);
    QVERIFY(request);
    auto retry = post(retryParams(params, inputRequired, QStringLiteral("decline")));
    QTRY_VERIFY_WITH_TIMEOUT(retry->finished(), 10000);
    QCOMPARE(approvalOutcome(retry->result()), QStringLiteral("cancelled"));
    QVERIFY2(toolText(retry->result()).contains(QStringLiteral("declined in the agent's client")),
             qPrintable(toolText(retry->result())));
    QCOMPARE(approvalState(request->request.requestId), QStringLiteral("cancelled"));
    // The companion's dialog closes.
    const auto resolved = m_companion->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(resolved);
    QCOMPARE(resolved->value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QVERIFY(!userDisabled(QStringLiteral("alice")));
}

void TestGatewayMrtr::clientThatHangsUpAttachesOnItsNextRetry()
{
    const QJsonObject params = callParams(QStringLiteral("alice"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("alice"), &request);
    QVERIFY(request);
    auto first = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(!first->progress().isEmpty(), 10000);
    first->hangUp();
    // The approval stays; the next retry waits for the same one.
    auto second = post(retryParams(params, inputRequired));
    QTRY_VERIFY_WITH_TIMEOUT(!second->progress().isEmpty(), 10000);
    QCOMPARE(approvalState(request->request.requestId), QStringLiteral("pending"));
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(second->finished(), 15000);
    QVERIFY2(!second->result().value(u"isError").toBool(), qPrintable(toolText(second->result())));
    QVERIFY(userDisabled(QStringLiteral("alice")));
    // No second approval was raised for the retries.
    QVERIFY(!nextApprovalRequest(*m_companion, 300));
}

void TestGatewayMrtr::stateThatDoesNotBelongRunsNothing_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("says");
    QTest::newRow("tampered") << QStringLiteral("tamper")
                              << QStringLiteral("not issued by this gateway");
    QTest::newRow("not a state") << QStringLiteral("garbage") << QStringLiteral("malformed");
    QTest::newRow("another call") << QStringLiteral("call")
                                  << QStringLiteral("issued for a different call");
    QTest::newRow("another agent")
        << QStringLiteral("agent") << QStringLiteral("issued to another agent");
    QTest::newRow("expired") << QStringLiteral("expire") << QStringLiteral("expired");
}

void TestGatewayMrtr::stateThatDoesNotBelongRunsNothing()
{
    QFETCH(QString, change);
    QFETCH(QString, says);
    QJsonObject params = callParams(QStringLiteral("alice"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("alice"), &request);
    QVERIFY(request);
    // Approved already: a state that is let through would run the call.
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_COMPARE_WITH_TIMEOUT(approvalState(request->request.requestId), QStringLiteral("approved"),
                              10000);

    QJsonObject retry = retryParams(params, inputRequired);
    QByteArray key = agentKey;
    if (change == u"tamper") {
        QString state = retry.value(u"requestState").toString();
        state[state.size() / 2] = state[state.size() / 2] == u'A' ? u'B' : u'A';
        retry.insert(QStringLiteral("requestState"), state);
    } else if (change == u"garbage") {
        retry.insert(QStringLiteral("requestState"), QStringLiteral("not-a-state"));
    } else if (change == u"call") {
        retry.insert(QStringLiteral("arguments"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}});
    } else if (change == u"agent") {
        key = otherAgentKey;
    } else if (change == u"expire") {
        m_fixture->clock().advance(3600);
    }
    auto refused = post(retry, key);
    QTRY_VERIFY_WITH_TIMEOUT(refused->finished(), 10000);
    const QJsonObject error = refused->response().value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), -32602);
    QVERIFY2(error.value(u"message").toString().contains(says),
             qPrintable(error.value(u"message").toString()));
    QVERIFY2(error.value(u"message").toString().contains(QStringLiteral("Nothing was performed")),
             qPrintable(error.value(u"message").toString()));
    QVERIFY(!userDisabled(QStringLiteral("alice")));
    QVERIFY(!userDisabled(QStringLiteral("bob")));
}

// A 2026-07-28 client that declared no elicitation is not sent one: its
// call waits with progress as in the initialize era.
void TestGatewayMrtr::clientWithoutElicitationWaitsAsBefore()
{
    auto call = post(callParams(QStringLiteral("alice"), false, true));
    const auto request = nextApprovalRequest(*m_companion);
    QVERIFY(request);
    QTRY_VERIFY_WITH_TIMEOUT(!call->progress().isEmpty(), 10000);
    QVERIFY(call->progress()
                .first()
                .value(u"message")
                .toString()
                .contains(QStringLiteral("binding code %1").arg(request->bindingCode)));
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(call->finished(), 15000);
    QCOMPARE(call->result().value(u"resultType").toString(), QStringLiteral("complete"));
    QVERIFY(userDisabled(QStringLiteral("alice")));
}

// A retry that asked for no progress and takes only JSON is still held until
// the person decides (it was told the code in input_required): answering it
// at once would only make the client retry.
void TestGatewayMrtr::retryThatCanHearNothingIsHeldAnyway()
{
    const QJsonObject params = callParams(QStringLiteral("alice"));
    const VerifiedApprovalRequest *request = nullptr;
    const QJsonObject inputRequired = firstCall(QStringLiteral("alice"), &request);
    QVERIFY(request);
    QJsonObject retry = retryParams(params, inputRequired);
    QJsonObject meta = retry.value(u"_meta").toObject();
    meta.remove(QStringLiteral("progressToken"));
    retry.insert(QStringLiteral("_meta"), meta);
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    ModernCall held(m_network, url, agentKey, retry, m_nextId++, "application/json");
    // Held: the gateway keeps the retry as a waiting call, not answered.
    QTRY_COMPARE(m_fixture->gateway().mcp()->stepUps().heldCallCount(), 1);
    QVERIFY(!held.finished());
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(held.finished(), 15000);
    QVERIFY2(!held.result().value(u"isError").toBool(), qPrintable(toolText(held.result())));
    QVERIFY(userDisabled(QStringLiteral("alice")));
}

QTEST_GUILESS_MAIN(TestGatewayMrtr)
#include "test_gateway_mrtr.moc"
