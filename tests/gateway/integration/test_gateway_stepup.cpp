#include "examples/agent-cli/mcphttpclient.h"
#include "gatewayfixture.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/channelroundtrip.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>

using namespace countersign;
using namespace countersign::testing;
using countersign::agent::McpHttpClient;

// The approval flow of the MCP proxy end to end on loopback: an MCP client
// (the example agent's own client) calls a tool the policy marks step-up,
// a test companion approves or denies over the real channel, and the example
// directory server (a stdio upstream) checks the elevated token.
class TestGatewayStepUp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void approvedWithTotpCompletesTheCall();
    void deniedGivesAToolErrorAndChangesNothing();
    void bindingCodeMismatchIsExplainedInWords();
    void expiredApprovalSaysSo();
    void clientThatLeftCallsAgainAndAttaches();
    void companionHearsWhenTheAgentStopsWaiting();
    void twoWaitingCallsOneApprovalOneUpstreamCall();
    void declinedElicitationCancelsTheApproval();
    void clientWithoutElicitationGetsProgressOnly();
    void clientThatHearsNothingWhileWaitingIsToldTheCodeAtOnce();
    void anApprovalIsUsedForOneCallOnly();

private:
    struct Call {
        std::optional<McpHttpClient::Response> response;
        QList<QJsonObject> progress;
        QList<QJsonObject> elicitations;
        QList<QJsonObject> cancellations;
        qint64 id = 0;
    };
    std::unique_ptr<McpHttpClient> client(bool elicitation = true);
    std::shared_ptr<Call> call(McpHttpClient &client, const QString &tool, const QString &user,
                               bool askForProgress = true);
    std::optional<VerifiedApprovalRequest> nextRequest();
    bool userDisabled(const QString &id) const;

    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<TestCompanion> m_companion;
    std::optional<Totp> m_totp;
};

void TestGatewayStepUp::init()
{
    m_fixture = std::make_unique<GatewayFixture>(
        gateway::ChannelTimings{},
        GatewayFixture::proxyConfig(QStringLiteral(COUNTERSIGN_DEMO_POLICY),
                                    QStringLiteral("test-agent"), "step-up-agent-key",
                                    QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY)));
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_companion = m_fixture->pairedCompanion();
    QVERIFY(m_companion);
    QVERIFY(m_companion->connectChannel());
}

void TestGatewayStepUp::cleanup()
{
    m_companion.reset();
    m_fixture.reset();
}

std::unique_ptr<McpHttpClient> TestGatewayStepUp::client(bool elicitation)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    McpHttpClient::Options options;
    options.clientName = QStringLiteral("step-up-test");
    options.declareElicitation = elicitation;
    return initializedMcpClient(url, "step-up-agent-key", options);
}

std::shared_ptr<TestGatewayStepUp::Call> TestGatewayStepUp::call(McpHttpClient &mcp,
                                                                 const QString &tool,
                                                                 const QString &user,
                                                                 bool askForProgress)
{
    auto state = std::make_shared<Call>();
    QObject::connect(&mcp, &McpHttpClient::notification, &mcp, [state](const QJsonObject &message) {
        const QString method = message.value(QStringLiteral("method")).toString();
        if (method == u"notifications/progress")
            state->progress.append(message.value(QStringLiteral("params")).toObject());
        else if (method == u"notifications/cancelled")
            state->cancellations.append(message.value(QStringLiteral("params")).toObject());
    });
    QObject::connect(&mcp, &McpHttpClient::serverRequest, &mcp,
                     [state](const QJsonObject &message) { state->elicitations.append(message); });
    QJsonObject meta{
        {QStringLiteral("io.github.countersign/reason"), QStringLiteral("offboarding ticket 42")}};
    if (askForProgress)
        meta.insert(QStringLiteral("progressToken"), QStringLiteral("p-%1").arg(tool));
    state->id = mcp.request(
        QStringLiteral("tools/call"),
        QJsonObject{{QStringLiteral("name"), tool},
                    {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("user"), user}}},
                    {QStringLiteral("_meta"), meta}},
        [state](const McpHttpClient::Response &response) { state->response = response; });
    return state;
}

std::optional<VerifiedApprovalRequest> TestGatewayStepUp::nextRequest()
{
    return nextApprovalRequest(*m_companion);
}

bool TestGatewayStepUp::userDisabled(const QString &id) const
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

void TestGatewayStepUp::approvedWithTotpCompletesTheCall()
{
    auto mcp = client();
    QVERIFY(mcp);
    QVERIFY(!userDisabled(QStringLiteral("alice")));
    auto pending = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("alice"));
    const auto request = nextRequest();
    QVERIFY(request);
    const Sarc &sarc = request->request.sarc;
    QCOMPARE(sarc.action.name, QStringLiteral("disable_user"));
    QCOMPARE(sarc.resource.id, QStringLiteral("directory/disable_user"));
    QCOMPARE(sarc.subject.agent, QStringLiteral("test-agent"));
    QCOMPARE(sarc.resource.properties.value(QStringLiteral("arguments"))
                 .toObject()
                 .value(QStringLiteral("user"))
                 .toString(),
             QStringLiteral("alice"));
    // The agent's own words are kept apart from what the gateway checked.
    QCOMPARE(sarc.context.agentSupplied.value(QStringLiteral("reason")).toString(),
             QStringLiteral("offboarding ticket 42"));
    QCOMPARE(sarc.context.verified.value(QStringLiteral("upstream")).toString(),
             QStringLiteral("directory"));

    // The client hears the binding code the companion will show.
    QTRY_VERIFY_WITH_TIMEOUT(!pending->progress.isEmpty() && !pending->elicitations.isEmpty(),
                             5000);
    QVERIFY(pending->progress.first()
                .value(QStringLiteral("message"))
                .toString()
                .contains(QStringLiteral("binding code %1").arg(request->bindingCode)));
    const QJsonObject elicitation = pending->elicitations.first();
    QCOMPARE(elicitation.value(QStringLiteral("method")).toString(),
             QStringLiteral("elicitation/create"));
    const QJsonObject params = elicitation.value(QStringLiteral("params")).toObject();
    QVERIFY(params.value(QStringLiteral("message")).toString().contains(request->bindingCode));
    // No fields: codes are never collected through the agent's client.
    QCOMPARE(params.value(QStringLiteral("requestedSchema"))
                 .toObject()
                 .value(QStringLiteral("properties"))
                 .toObject(),
             QJsonObject{});
    QCOMPARE(params.value(QStringLiteral("mode")).toString(), QStringLiteral("form"));
    QVERIFY(!pending->response);

    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(pending->response.has_value(), 15000);
    QVERIFY2(pending->response->ok(), qPrintable(pending->response->transportError));
    QVERIFY2(!pending->response->result.value(QStringLiteral("isError")).toBool(),
             qPrintable(toolText(pending->response->result)));
    QVERIFY(userDisabled(QStringLiteral("alice")));
    // The elicitation was withdrawn once the person answered in Countersign.
    QCOMPARE(pending->cancellations.size(), 1);
    QCOMPARE(pending->cancellations.first().value(QStringLiteral("requestId")),
             elicitation.value(QStringLiteral("id")));
    QVERIFY(pending->progress.last()
                .value(QStringLiteral("message"))
                .toString()
                .contains(QStringLiteral("Approved with TOTP")));

    // The audit log has the decision and the outcome with the approval id.
    QStringList trail;
    for (const gateway::AuditEvent &event : m_fixture->gateway().store().auditEvents()) {
        if (event.kind.startsWith(u"mcp.") && event.requestId == request->request.requestId) {
            trail.append(event.kind + u':'
                         + event.details.value(QStringLiteral("outcome")).toString());
            QCOMPARE(event.details.value(QStringLiteral("resource")).toString(),
                     QStringLiteral("directory/disable_user"));
            QCOMPARE(event.details.value(QStringLiteral("agent")).toString(),
                     QStringLiteral("test-agent"));
        }
    }
    QCOMPARE(trail,
             (QStringList{QStringLiteral("mcp.step_up:"), QStringLiteral("mcp.decided:"),
                          QStringLiteral("mcp.call:completed")}));
}

void TestGatewayStepUp::deniedGivesAToolErrorAndChangesNothing()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto pending = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("bob"));
    const auto request = nextRequest();
    QVERIFY(request);
    m_companion->deny(*request, QStringLiteral("not today"));
    QTRY_VERIFY_WITH_TIMEOUT(pending->response.has_value(), 10000);
    QVERIFY(pending->response->ok());
    QVERIFY(pending->response->result.value(QStringLiteral("isError")).toBool());
    QCOMPARE(approvalOutcome(pending->response->result), QStringLiteral("denied"));
    // What was refused, in words, with the code the person saw: a client
    // that showed nothing before still tells which request it was.
    const QString said = toolText(pending->response->result);
    QVERIFY2(said.contains(QStringLiteral("DENIED")) && said.contains(QStringLiteral("not today"))
                 && said.contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(said));
    QVERIFY(!userDisabled(QStringLiteral("bob")));
}

// The companion denies by itself when the person picks another code; the
// agent hears what that means, with the code it showed, not a wire reason.
void TestGatewayStepUp::bindingCodeMismatchIsExplainedInWords()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto pending = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("bob"));
    const auto request = nextRequest();
    QVERIFY(request);
    m_companion->deny(*request, ApprovalProof::bindingCodeMismatchReason);
    QTRY_VERIFY_WITH_TIMEOUT(pending->response.has_value(), 10000);
    QVERIFY(pending->response->ok());
    QCOMPARE(approvalOutcome(pending->response->result), QStringLiteral("denied"));
    const QString said = toolText(pending->response->result);
    QVERIFY2(
        said.contains(QStringLiteral("picked a different code than %1").arg(request->bindingCode)),
        qPrintable(said));
    QVERIFY2(!said.contains(ApprovalProof::bindingCodeMismatchReason), qPrintable(said));
    QVERIFY(!userDisabled(QStringLiteral("bob")));
}

void TestGatewayStepUp::expiredApprovalSaysSo()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto pending = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("carol"));
    const auto request = nextRequest();
    QVERIFY(request);
    m_fixture->clock().advance(3600);
    m_fixture->gateway().broker().expireDue();
    QTRY_VERIFY_WITH_TIMEOUT(pending->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(pending->response->result), QStringLiteral("expired"));
    const QString said = toolText(pending->response->result);
    QVERIFY2(said.contains(QStringLiteral("timed out"))
                 && said.contains(QStringLiteral("binding code %1").arg(request->bindingCode))
                 && said.contains(QStringLiteral("open Countersign on your desktop")),
             qPrintable(said));
    QVERIFY(!userDisabled(QStringLiteral("carol")));
}

void TestGatewayStepUp::clientThatLeftCallsAgainAndAttaches()
{
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    auto mcp = client();
    QVERIFY(mcp);
    auto first = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("carol"));
    const auto request = nextRequest();
    QVERIFY(request);
    QTRY_VERIFY(!first->progress.isEmpty());
    // The client gives up (its own timeout) and hangs up.
    mcp->abort(first->id);
    // A round trip after the hang-up: the gateway has read what came before.
    QVERIFY(mcpRoundTrip(*mcp));
    // The person approves while nobody waits; the approval stays usable.
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY(m_companion->waitFor(QStringLiteral("approval.accepted")));
    QVERIFY(!userDisabled(QStringLiteral("carol")));

    auto again = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("carol"));
    QTRY_VERIFY_WITH_TIMEOUT(again->response.has_value(), 15000);
    QVERIFY2(!again->response->result.value(QStringLiteral("isError")).toBool(),
             qPrintable(toolText(again->response->result)));
    QVERIFY(userDisabled(QStringLiteral("carol")));
    QCOMPARE(requested.size(), 1);
    QVERIFY(channelRoundTrip(*m_companion));
    QVERIFY(!m_companion->waitFor(QStringLiteral("approval.requested"), 0));
}

void TestGatewayStepUp::companionHearsWhenTheAgentStopsWaiting()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto first = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("bob"));
    const auto request = nextRequest();
    QVERIFY(request);
    QTRY_VERIFY(!first->progress.isEmpty());
    QVERIFY(!m_companion->waitFor(QStringLiteral("approval.waiting"), 0));
    mcp->abort(first->id);
    // Found at the next progress tick (every 10 s): the person's dialog can
    // say that approving now runs nothing until the agent calls again.
    const auto gone = m_companion->waitFor(QStringLiteral("approval.waiting"), 20000);
    QVERIFY(gone);
    QCOMPARE(gone->value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QCOMPARE(gone->value(QStringLiteral("agent_waiting")), QJsonValue(false));
    QVERIFY(!m_fixture->gateway().broker().isAgentWaiting(request->request.requestId));

    // The agent calls again: it attaches, and the companion hears so at once.
    auto again = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("bob"));
    const auto back = m_companion->waitFor(QStringLiteral("approval.waiting"));
    QVERIFY(back);
    QCOMPARE(back->value(QStringLiteral("agent_waiting")), QJsonValue(true));
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(again->response.has_value(), 15000);
    QVERIFY(userDisabled(QStringLiteral("bob")));
}

void TestGatewayStepUp::twoWaitingCallsOneApprovalOneUpstreamCall()
{
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    auto older = client();
    auto newer = client();
    QVERIFY(older && newer);
    auto first = call(*older, QStringLiteral("disable_user"), QStringLiteral("bob"));
    const auto request = nextRequest();
    QVERIFY(request);
    auto second = call(*newer, QStringLiteral("disable_user"), QStringLiteral("bob"));
    // The second call attaches: same binding code, no second request.
    QTRY_VERIFY(!second->progress.isEmpty());
    QVERIFY(second->progress.first()
                .value(QStringLiteral("message"))
                .toString()
                .contains(request->bindingCode));
    QCOMPARE(requested.size(), 1);

    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(first->response && second->response, 15000);
    QVERIFY2(!second->response->result.value(QStringLiteral("isError")).toBool(),
             qPrintable(toolText(second->response->result)));
    QCOMPARE(approvalOutcome(first->response->result), QStringLiteral("superseded"));
    QVERIFY(userDisabled(QStringLiteral("bob")));
}

void TestGatewayStepUp::declinedElicitationCancelsTheApproval()
{
    auto mcp = client();
    QVERIFY(mcp);
    auto pending = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("alice"));
    const auto request = nextRequest();
    QVERIFY(request);
    QTRY_VERIFY(!pending->elicitations.isEmpty());
    mcp->respond(pending->elicitations.first().value(QStringLiteral("id")),
                 QJsonObject{{QStringLiteral("action"), QStringLiteral("decline")}});
    QTRY_VERIFY_WITH_TIMEOUT(pending->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(pending->response->result), QStringLiteral("cancelled"));
    const QString said = toolText(pending->response->result);
    QVERIFY2(said.contains(QStringLiteral("declined in the agent's client"))
                 && said.contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(said));
    // The companion learns that the request is gone.
    const auto resolved = m_companion->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(resolved);
    QCOMPARE(resolved->value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QVERIFY(!userDisabled(QStringLiteral("alice")));
}

void TestGatewayStepUp::clientWithoutElicitationGetsProgressOnly()
{
    auto mcp = client(false);
    QVERIFY(mcp);
    auto pending = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("alice"));
    const auto request = nextRequest();
    QVERIFY(request);
    QTRY_VERIFY(!pending->progress.isEmpty());
    // The progress text is what tells this client the code and what to do.
    const QString said = pending->progress.first().value(QStringLiteral("message")).toString();
    QVERIFY2(said.contains(QStringLiteral("binding code %1").arg(request->bindingCode))
                 && said.contains(QStringLiteral("open Countersign on your desktop")),
             qPrintable(said));
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(pending->response.has_value(), 15000);
    QVERIFY(pending->elicitations.isEmpty());
    QVERIFY(pending->cancellations.isEmpty());
    QVERIFY(userDisabled(QStringLiteral("alice")));
}

// No elicitation and no progressToken (MCP Inspector's CLI): nothing could
// reach the client while it waits, so it is answered at once with the code
// and the instruction; the approval stays pending and the same call again
// runs once the person approved.
void TestGatewayStepUp::clientThatHearsNothingWhileWaitingIsToldTheCodeAtOnce()
{
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    auto mcp = client(false);
    QVERIFY(mcp);
    auto first = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("alice"), false);
    const auto request = nextRequest();
    QVERIFY(request);
    // Answered while the request is still pending in the companion.
    QTRY_VERIFY_WITH_TIMEOUT(first->response.has_value(), 10000);
    QVERIFY(first->response->ok());
    QVERIFY(first->response->result.value(QStringLiteral("isError")).toBool());
    QCOMPARE(approvalOutcome(first->response->result), QStringLiteral("input_required"));
    const QString said = toolText(first->response->result);
    QVERIFY2(said.contains(QStringLiteral("binding code %1").arg(request->bindingCode))
                 && said.contains(QStringLiteral("open Countersign on your desktop"))
                 && said.contains(QStringLiteral("same call again")),
             qPrintable(said));
    QVERIFY(first->progress.isEmpty());
    QVERIFY(!userDisabled(QStringLiteral("alice")));

    // Called again before the person answered: the same approval, the same
    // code, still nothing performed.
    auto second = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("alice"), false);
    QTRY_VERIFY_WITH_TIMEOUT(second->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(second->response->result), QStringLiteral("input_required"));
    QVERIFY2(toolText(second->response->result)
                 .contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(toolText(second->response->result)));
    QCOMPARE(requested.size(), 1);

    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY(m_companion->waitFor(QStringLiteral("approval.accepted")));
    QVERIFY(!userDisabled(QStringLiteral("alice")));
    auto third = call(*mcp, QStringLiteral("disable_user"), QStringLiteral("alice"), false);
    QTRY_VERIFY_WITH_TIMEOUT(third->response.has_value(), 15000);
    QVERIFY2(!third->response->result.value(QStringLiteral("isError")).toBool(),
             qPrintable(toolText(third->response->result)));
    QVERIFY(userDisabled(QStringLiteral("alice")));
    QCOMPARE(requested.size(), 1);
}

void TestGatewayStepUp::anApprovalIsUsedForOneCallOnly()
{
    QSignalSpy requested(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::requested);
    auto mcp = client();
    QVERIFY(mcp);
    auto first = call(*mcp, QStringLiteral("enable_user"), QStringLiteral("alice"));
    const auto request = nextRequest();
    QVERIFY(request);
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(first->response.has_value(), 15000);
    QVERIFY(!first->response->result.value(QStringLiteral("isError")).toBool());
    // The same call again is a new operation: a new approval.
    auto second = call(*mcp, QStringLiteral("enable_user"), QStringLiteral("alice"));
    const auto another = nextRequest();
    QVERIFY(another);
    QVERIFY(another->request.requestId != request->request.requestId);
    QCOMPARE(requested.size(), 2);
    m_companion->deny(*another);
    QTRY_VERIFY_WITH_TIMEOUT(second->response.has_value(), 10000);
    QCOMPARE(approvalOutcome(second->response->result), QStringLiteral("denied"));
}

QTEST_GUILESS_MAIN(TestGatewayStepUp)
#include "test_gateway_stepup.moc"
