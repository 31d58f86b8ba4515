#include "examples/agent-cli/mcphttpclient.h"
#include "gatewayfixture.h"
#include "protocol/canonicaljson.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/channelroundtrip.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>

using namespace countersign;
using namespace countersign::testing;
using countersign::agent::McpHttpClient;

// An agent that holds a valid key and abuses the approval flow (issue 16):
// floods of distinct calls, oversized arguments, asking again after being
// denied, and calls again after a gateway restart. Real gateway, real
// SQLite file, the example directory server upstream, a test companion.
class TestGatewayFlood : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void floodFromOneAgentIsCappedAndThePersonCanStillAct();
    void welcomeFitsTheMessageLimitWith200Pending();
    void oversizedRequestIsRefusedNotCut();
    void threeDenialsHoldTheAgentWithOneNotice();
    void callAgainAfterRestartAttachesToTheStoredApproval();
    void approvedBeforeRestartRunsOnceOnCallAgain();
    void bindingCodeIsMachineReadable();

private:
    struct Call {
        std::optional<McpHttpClient::Response> response;
        QList<QJsonObject> elicitations;
    };
    std::unique_ptr<McpHttpClient> client(bool elicitation = false);
    // A tools/call of disable_user; without progress and elicitation the
    // gateway answers at once (input_required) and the approval stays.
    std::shared_ptr<Call> call(McpHttpClient &client, const QJsonObject &arguments,
                               bool progress = false);
    std::shared_ptr<Call> disable(McpHttpClient &client, const QString &user)
    {
        return call(client, QJsonObject{{QStringLiteral("user"), user}});
    }
    static QJsonObject approvalMeta(const QJsonObject &result);
    bool userDisabled(const QString &id) const;
    gateway::ApprovalSpec largeSpec(int sequence, qsizetype argumentBytes) const;

    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<TestCompanion> m_companion;
    std::optional<Totp> m_totp;
};

void TestGatewayFlood::init()
{
    m_fixture = std::make_unique<GatewayFixture>(
        gateway::ChannelTimings{},
        GatewayFixture::proxyConfig(QStringLiteral(COUNTERSIGN_DEMO_POLICY),
                                    QStringLiteral("test-agent"), "flood-agent-key",
                                    QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY)));
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_companion = m_fixture->pairedCompanion();
    QVERIFY(m_companion);
    QVERIFY(m_companion->connectChannel());
}

void TestGatewayFlood::cleanup()
{
    m_companion.reset();
    m_fixture.reset();
}

std::unique_ptr<McpHttpClient> TestGatewayFlood::client(bool elicitation)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    McpHttpClient::Options options;
    options.clientName = QStringLiteral("flood-test");
    options.declareElicitation = elicitation;
    return initializedMcpClient(url, "flood-agent-key", options);
}

std::shared_ptr<TestGatewayFlood::Call>
TestGatewayFlood::call(McpHttpClient &mcp, const QJsonObject &arguments, bool progress)
{
    auto state = std::make_shared<Call>();
    QObject::connect(&mcp, &McpHttpClient::serverRequest, &mcp,
                     [state](const QJsonObject &message) { state->elicitations.append(message); });
    QJsonObject params{{QStringLiteral("name"), QStringLiteral("disable_user")},
                       {QStringLiteral("arguments"), arguments}};
    if (progress) {
        params.insert(QStringLiteral("_meta"),
                      QJsonObject{{QStringLiteral("progressToken"), QStringLiteral("p")}});
    }
    mcp.request(QStringLiteral("tools/call"), params,
                [state](const McpHttpClient::Response &response) { state->response = response; });
    return state;
}

QJsonObject TestGatewayFlood::approvalMeta(const QJsonObject &result)
{
    return result.value(QStringLiteral("_meta"))
        .toObject()
        .value(QStringLiteral("io.github.countersign/approval"))
        .toObject();
}

bool TestGatewayFlood::userDisabled(const QString &id) const
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

gateway::ApprovalSpec TestGatewayFlood::largeSpec(int sequence, qsizetype argumentBytes) const
{
    gateway::ApprovalSpec spec;
    spec.sarc.subject.id = QString::fromLatin1(GatewayFixture::user);
    spec.sarc.subject.agent = QStringLiteral("test-agent");
    spec.sarc.action.name = QStringLiteral("disable_user");
    spec.sarc.resource.type = QStringLiteral("tool");
    spec.sarc.resource.id = QStringLiteral("directory/disable_user");
    const QJsonObject arguments{{QStringLiteral("user"), QStringLiteral("u%1").arg(sequence)},
                                {QStringLiteral("note"), QString(argumentBytes, u'x')}};
    spec.sarc.resource.properties = QJsonObject{{QStringLiteral("arguments"), arguments}};
    spec.upstream = QStringLiteral("directory");
    spec.argumentsHash = argumentsHash(arguments).value();
    spec.origin = gateway::ApprovalOrigin::McpProxy;
    return spec;
}

// The scenario: one agent makes many calls with distinct arguments
// and hangs up at once. Only pending_per_agent (20) become approvals; the
// others get a tool error saying why and what to do. The person's welcome
// stays small and they can answer, which frees room for the agent again.
void TestGatewayFlood::floodFromOneAgentIsCappedAndThePersonCanStillAct()
{
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    auto mcp = client();
    QVERIFY(mcp);
    QList<std::shared_ptr<Call>> calls;
    for (int i = 0; i < 25; ++i) {
        calls.append(call(*mcp,
                          QJsonObject{{QStringLiteral("user"), QStringLiteral("u%1").arg(i)},
                                      {QStringLiteral("note"), QString(1000, u'n')}}));
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.cbegin(), calls.cend(),
                                         [](const auto &c) { return c->response.has_value(); }),
                             20000);
    int raised = 0;
    int limited = 0;
    for (const auto &c : calls) {
        QVERIFY(c->response->ok());
        QVERIFY(c->response->result.value(QStringLiteral("isError")).toBool());
        const QString outcome = approvalOutcome(c->response->result);
        if (outcome == u"input_required") {
            ++raised;
            continue;
        }
        QCOMPARE(outcome, QStringLiteral("limited"));
        ++limited;
        const QString said = toolText(c->response->result);
        QVERIFY2(said.contains(QStringLiteral("20 approvals from this agent are already waiting "
                                              "for alice@example.com"))
                     && said.contains(QStringLiteral("Wait for the person to answer them")),
                 qPrintable(said));
    }
    QCOMPARE(raised, 20);
    QCOMPARE(limited, 5);
    QCOMPARE(requested.size(), 20);
    QCOMPARE(m_fixture->gateway().store().pendingApprovals({}, 0).size(), 20);

    // The person connects again (a second connection of the device): the
    // welcome lists all 20 and fits the channel's limit.
    auto again = m_companion->sameDevice();
    again->connectChannelWith(again->deviceKey(), again->deviceId());
    const auto welcome = again->waitFor(QStringLiteral("welcome"));
    QVERIFY(welcome);
    QVERIFY(QJsonDocument(*welcome).toJson(QJsonDocument::Compact).size() <= 64 * 1024);
    QCOMPARE(welcome->value(QStringLiteral("pending")).toArray().size(), 20);
    QCOMPARE(welcome->value(QStringLiteral("pending_total")).toInt(), 20);

    // They deny one: the agent may ask once more.
    const auto first = again->verify(welcome->value(QStringLiteral("pending"))[0].toString());
    QVERIFY(first.ok());
    again->deny(first.value());
    QVERIFY(again->waitFor(QStringLiteral("approval.accepted")));
    auto retry = disable(*mcp, QStringLiteral("u99"));
    QTRY_VERIFY_WITH_TIMEOUT(retry->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(retry->response->result), QStringLiteral("input_required"));
    auto over = disable(*mcp, QStringLiteral("u100"));
    QTRY_VERIFY_WITH_TIMEOUT(over->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(over->response->result), QStringLiteral("limited"));
}

// However many requests wait (here 200 of ~4 KiB), the welcome stays within
// the 64 KiB message limit and says how many there are; the rest follow as
// approval.requested, so the companion gets every one.
void TestGatewayFlood::welcomeFitsTheMessageLimitWith200Pending()
{
    gateway::ApprovalLimits unlimited;
    unlimited.pendingPerAgent = unlimited.perMinutePerAgent = 1000;
    unlimited.pendingPerUser = unlimited.perMinutePerUser = 1000;
    m_fixture->gateway().broker().setLimits(unlimited);
    m_companion->disconnectChannel();
    QSet<QString> ids;
    for (int i = 0; i < 200; ++i) {
        const auto created = m_fixture->gateway().broker().create(largeSpec(i, 4000));
        QVERIFY2(created.ok(), created.ok() ? "" : qPrintable(created.error().message));
        ids.insert(created->requestId);
    }

    m_companion->connectChannelWith(m_companion->deviceKey(), m_companion->deviceId());
    const auto welcome = m_companion->waitFor(QStringLiteral("welcome"));
    QVERIFY(welcome);
    const qsizetype size = QJsonDocument(*welcome).toJson(QJsonDocument::Compact).size();
    QVERIFY2(size <= 64 * 1024, qPrintable(QString::number(size)));
    QCOMPARE(welcome->value(QStringLiteral("pending_total")).toInt(), 200);
    const QJsonArray listed = welcome->value(QStringLiteral("pending")).toArray();
    QVERIFY(listed.size() > 0 && listed.size() < 200);
    qInfo() << "welcome:" << size << "bytes," << listed.size() << "of 200 requests listed";

    QSet<QString> heard;
    for (const QJsonValue &jws : listed)
        heard.insert(m_companion->verify(jws.toString())->request.requestId);
    while (heard.size() < 200) {
        const auto next = m_companion->waitFor(QStringLiteral("approval.requested"), 10000);
        QVERIFY2(next, qPrintable(QStringLiteral("%1 of 200").arg(heard.size())));
        const auto verified =
            m_companion->verify(next->value(QStringLiteral("request")).toString());
        QVERIFY(verified.ok());
        QVERIFY(!heard.contains(verified->request.requestId));
        heard.insert(verified->request.requestId);
    }
    QCOMPARE(heard, ids);
    QVERIFY(channelRoundTrip(*m_companion));
    QVERIFY(!m_companion->waitFor(QStringLiteral("approval.requested"), 0));
}

// Arguments too large to show the person are refused, naming the limit:
// never cut, so that the person sees all of what they approve.
void TestGatewayFlood::oversizedRequestIsRefusedNotCut()
{
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    auto mcp = client();
    QVERIFY(mcp);
    auto large = call(*mcp,
                      QJsonObject{{QStringLiteral("user"), QStringLiteral("alice")},
                                  {QStringLiteral("note"), QString(15 * 1024, u'x')}});
    QTRY_VERIFY_WITH_TIMEOUT(large->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(large->response->result), QStringLiteral("limited"));
    const QString said = toolText(large->response->result);
    QVERIFY2(said.contains(QStringLiteral("too large to show to the person"))
                 && said.contains(QStringLiteral("the limit is 8192"))
                 && said.contains(QStringLiteral("max_request_bytes")),
             qPrintable(said));
    QCOMPARE(requested.size(), 0);
    QVERIFY(channelRoundTrip(*m_companion));
    QVERIFY(!m_companion->waitFor(QStringLiteral("approval.requested"), 0));

    // Just under the limit still goes to the person.
    auto fits = call(*mcp,
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("alice")},
                                 {QStringLiteral("note"), QString(7 * 1024, u'x')}});
    QTRY_VERIFY_WITH_TIMEOUT(fits->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(fits->response->result), QStringLiteral("input_required"));
}

// Push fatigue: after three denials within ten minutes, the agent's next
// requests are held: not shown, the agent told until when, the person sent
// one agent.held notice (its count updated at most every 5 s), the hold
// audited once. It ends when the denials leave the window.
void TestGatewayFlood::threeDenialsHoldTheAgentWithOneNotice()
{
    auto mcp = client();
    QVERIFY(mcp);
    for (int i = 0; i < 3; ++i) {
        auto asked = disable(*mcp, QStringLiteral("d%1").arg(i));
        const auto request = nextApprovalRequest(*m_companion);
        QVERIFY(request);
        QTRY_VERIFY_WITH_TIMEOUT(asked->response.has_value(), 10000);
        m_companion->deny(*request);
        QVERIFY(m_companion->waitFor(QStringLiteral("approval.accepted")));
        m_fixture->clock().advance(10);
    }
    const qint64 thirdDenial = m_fixture->clock().secondsSinceEpoch() - 10;
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);

    auto held = disable(*mcp, QStringLiteral("d3"));
    QTRY_VERIFY_WITH_TIMEOUT(held->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(held->response->result), QStringLiteral("held"));
    const QString said = toolText(held->response->result);
    QVERIFY2(said.contains(QStringLiteral("denied 3 requests from this agent in the last 10 "
                                          "minutes"))
                 && said.contains(QStringLiteral("held"))
                 && said.contains(QStringLiteral("Do not "
                                                 "retry")),
             qPrintable(said));
    const qint64 firstDenial = thirdDenial - 20;
    QCOMPARE(approvalMeta(held->response->result).value(QStringLiteral("until")).toInteger(),
             firstDenial + 600);
    const auto notice = m_companion->waitFor(QStringLiteral("agent.held"));
    QVERIFY(notice);
    QCOMPARE(notice->value(QStringLiteral("agent")).toString(), QStringLiteral("test-agent"));
    QCOMPARE(notice->value(QStringLiteral("held_count")).toInt(), 1);
    QCOMPARE(notice->value(QStringLiteral("until")).toInteger(), firstDenial + 600);

    // More held calls within 5 s: no more notices; after 5 s one, counted.
    auto second = disable(*mcp, QStringLiteral("d4"));
    QTRY_VERIFY_WITH_TIMEOUT(second->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(second->response->result), QStringLiteral("held"));
    QVERIFY(channelRoundTrip(*m_companion));
    QVERIFY(!m_companion->waitFor(QStringLiteral("agent.held"), 0));
    m_fixture->clock().advance(5);
    auto third = disable(*mcp, QStringLiteral("d5"));
    QTRY_VERIFY_WITH_TIMEOUT(third->response.has_value(), 10000);
    const auto update = m_companion->waitFor(QStringLiteral("agent.held"));
    QVERIFY(update);
    QCOMPARE(update->value(QStringLiteral("held_count")).toInt(), 3);
    QCOMPARE(requested.size(), 0);
    QVERIFY(!m_companion->waitFor(QStringLiteral("approval.requested"), 0));

    int audited = 0;
    for (const gateway::AuditEvent &event : m_fixture->gateway().store().auditEvents()) {
        if (event.kind == u"agent.held") {
            ++audited;
            QCOMPARE(event.details.value(QStringLiteral("agent")).toString(),
                     QStringLiteral("test-agent"));
        }
    }
    QCOMPARE(audited, 1);

    // The first denial leaves the window: asking works again.
    m_fixture->clock().set(firstDenial + 601);
    auto after = disable(*mcp, QStringLiteral("d6"));
    QTRY_VERIFY_WITH_TIMEOUT(after->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(after->response->result), QStringLiteral("input_required"));
    QCOMPARE(requested.size(), 1);
}

// Before this fix a restart forgot which approval an operation had, so the
// same call again raised a second one (and the first, approved, ran nothing).
void TestGatewayFlood::callAgainAfterRestartAttachesToTheStoredApproval()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto first = disable(*mcp, QStringLiteral("carol"));
    const auto request = nextApprovalRequest(*m_companion);
    QVERIFY(request);
    QTRY_VERIFY_WITH_TIMEOUT(first->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(first->response->result), QStringLiteral("input_required"));

    mcp.reset();
    QVERIFY(m_fixture->start()); // a restart on the same SQLite file
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    mcp = client();
    QVERIFY(mcp);
    auto again = disable(*mcp, QStringLiteral("carol"));
    QTRY_VERIFY_WITH_TIMEOUT(again->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(again->response->result), QStringLiteral("input_required"));
    QCOMPARE(approvalMeta(again->response->result).value(QStringLiteral("id")).toString(),
             request->request.requestId);
    QCOMPARE(requested.size(), 0);
    QCOMPARE(m_fixture->gateway().store().pendingApprovals({}, 0).size(), 1);

    // Approved now, the same call again runs it, once.
    m_companion->disconnectChannel();
    QVERIFY(m_companion->connectChannel());
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY(m_companion->waitFor(QStringLiteral("approval.accepted")));
    QVERIFY(!userDisabled(QStringLiteral("carol")));
    auto run = disable(*mcp, QStringLiteral("carol"));
    QTRY_VERIFY_WITH_TIMEOUT(run->response.has_value(), 15000);
    QVERIFY2(!run->response->result.value(QStringLiteral("isError")).toBool(),
             qPrintable(toolText(run->response->result)));
    QVERIFY(userDisabled(QStringLiteral("carol")));
    QCOMPARE(requested.size(), 0);
}

// Approved while no client waited, then the gateway restarted: the same call
// again uses that approval (as it would have without the restart), once;
// a further call raises a new one.
void TestGatewayFlood::approvedBeforeRestartRunsOnceOnCallAgain()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto first = disable(*mcp, QStringLiteral("carol"));
    const auto request = nextApprovalRequest(*m_companion);
    QVERIFY(request);
    QTRY_VERIFY_WITH_TIMEOUT(first->response.has_value(), 10000);
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY(m_companion->waitFor(QStringLiteral("approval.accepted")));

    mcp.reset();
    QVERIFY(m_fixture->start());
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    mcp = client();
    QVERIFY(mcp);
    auto again = disable(*mcp, QStringLiteral("carol"));
    QTRY_VERIFY_WITH_TIMEOUT(again->response.has_value(), 15000);
    QVERIFY2(!again->response->result.value(QStringLiteral("isError")).toBool(),
             qPrintable(toolText(again->response->result)));
    QVERIFY(userDisabled(QStringLiteral("carol")));
    QCOMPARE(requested.size(), 0);

    auto third = disable(*mcp, QStringLiteral("carol"));
    QTRY_VERIFY_WITH_TIMEOUT(third->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(third->response->result), QStringLiteral("input_required"));
    QCOMPARE(requested.size(), 1);
}

// The binding code is given to programs too, not only in English: in the
// tool result's _meta and in the elicitation's _meta.
void TestGatewayFlood::bindingCodeIsMachineReadable()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto answered = disable(*mcp, QStringLiteral("carol"));
    const auto request = nextApprovalRequest(*m_companion);
    QVERIFY(request);
    QTRY_VERIFY_WITH_TIMEOUT(answered->response.has_value(), 10000);
    const QJsonObject meta = approvalMeta(answered->response->result);
    QCOMPARE(meta.value(QStringLiteral("outcome")).toString(), QStringLiteral("input_required"));
    QCOMPARE(meta.value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QCOMPARE(meta.value(QStringLiteral("binding_code")).toString(), request->bindingCode);
    QCOMPARE(meta.value(QStringLiteral("expires_at")).toInteger(), request->request.expiresAt);

    auto eliciting = client(true);
    QVERIFY(eliciting);
    auto waiting =
        call(*eliciting, QJsonObject{{QStringLiteral("user"), QStringLiteral("dave")}}, true);
    const auto second = nextApprovalRequest(*m_companion);
    QVERIFY(second);
    QTRY_VERIFY_WITH_TIMEOUT(!waiting->elicitations.isEmpty(), 10000);
    const QJsonObject elicitation = waiting->elicitations.constFirst()
                                        .value(QStringLiteral("params"))
                                        .toObject()
                                        .value(QStringLiteral("_meta"))
                                        .toObject()
                                        .value(QStringLiteral("io.github.countersign/approval"))
                                        .toObject();
    QCOMPARE(elicitation.value(QStringLiteral("binding_code")).toString(), second->bindingCode);
    QCOMPARE(elicitation.value(QStringLiteral("request_id")).toString(), second->request.requestId);
    m_companion->deny(*second);
    QTRY_VERIFY_WITH_TIMEOUT(waiting->response.has_value(), 10000);
    QCOMPARE(approvalMeta(waiting->response->result).value(QStringLiteral("binding_code")),
             QJsonValue(second->bindingCode));
}

QTEST_GUILESS_MAIN(TestGatewayFlood)
#include "test_gateway_flood.moc"
