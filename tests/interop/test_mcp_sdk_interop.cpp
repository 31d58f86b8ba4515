#include "nodescriptrun.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/channelroundtrip.h"
#include "tests/support/toolrunner.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>

using namespace countersign;
using namespace countersign::testing;

namespace {

constexpr int sdkTimeoutMs = 30000;

} // namespace

// The gateway's /mcp endpoint driven by the official MCP TypeScript SDK
// client (npm @modelcontextprotocol/sdk, pinned in package.json) over real
// loopback HTTP, the way Claude Code or any SDK-based agent would: the SDK
// must accept every message, header and event stream the gateway sends,
// including the elicitation of a step-up call and its progress.
class TestMcpSdkInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void sdkListsTheDirectoryTools();
    void sdkCallsAnAllowedTool();
    void sdkCallWaitsForApprovalAndCompletes();
    void sdkDeclinesTheElicitationAndTheApprovalIsCancelled();
    void sdkFormLeftOpenIsWithdrawnWhenApprovedInTheCompanion();

private:
    std::unique_ptr<NodeScriptRun> run(const QString &scenario);
    std::optional<VerifiedApprovalRequest> nextRequest();
    std::optional<bool> userDisabled(const QString &id) const;

    QString m_node;
    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<TestCompanion> m_companion;
    std::optional<Totp> m_totp;
};

void TestMcpSdkInterop::initTestCase()
{
    m_node = requiredTool(QStringLiteral("node"));
    QVERIFY2(!m_node.isEmpty(), "node is missing: apt-get install nodejs npm");
    QVERIFY2(QDir(QStringLiteral(COUNTERSIGN_INTEROP_DIR "/node_modules/@modelcontextprotocol/sdk"))
                 .exists(),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
}

void TestMcpSdkInterop::init()
{
    m_fixture = std::make_unique<GatewayFixture>(
        gateway::ChannelTimings{},
        GatewayFixture::proxyConfig(QStringLiteral(COUNTERSIGN_DEMO_POLICY),
                                    QStringLiteral("sdk-agent"), "sdk-agent-key",
                                    QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY)));
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_companion = m_fixture->pairedCompanion();
    QVERIFY(m_companion);
    QVERIFY(m_companion->connectChannel());
}

void TestMcpSdkInterop::cleanup()
{
    m_companion.reset();
    m_fixture.reset();
}

std::unique_ptr<NodeScriptRun> TestMcpSdkInterop::run(const QString &scenario)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    // The official MCP TypeScript SDK client as an agent would use it.
    auto sdk = std::make_unique<NodeScriptRun>(
        m_node, QStringLiteral(COUNTERSIGN_INTEROP_DIR),
        QStringList{QStringLiteral(COUNTERSIGN_INTEROP_DIR "/mcp-sdk-client.mjs"), url.toString(),
                    QStringLiteral("sdk-agent-key"), scenario});
    if (!sdk->started())
        return nullptr;
    return sdk;
}

std::optional<VerifiedApprovalRequest> TestMcpSdkInterop::nextRequest()
{
    const auto message = m_companion->waitFor(QStringLiteral("approval.requested"), sdkTimeoutMs);
    if (!message)
        return std::nullopt;
    auto verified = m_companion->verify(message->value(QStringLiteral("request")).toString());
    if (!verified)
        return std::nullopt;
    return std::move(verified).value();
}

std::optional<bool> TestMcpSdkInterop::userDisabled(const QString &id) const
{
    QFile file(m_fixture->dataDir() + QStringLiteral("/users.json"));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll());
    const QJsonArray users = document.isArray()
        ? document.array()
        : document.object().value(QStringLiteral("users")).toArray();
    for (const QJsonValue &user : users) {
        if (user.toObject().value(QStringLiteral("id")).toString() == id)
            return user.toObject().value(QStringLiteral("disabled")).toBool();
    }
    return std::nullopt;
}

void TestMcpSdkInterop::sdkListsTheDirectoryTools()
{
    auto sdk = run(QStringLiteral("list"));
    QVERIFY(sdk);
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    QVERIFY2(sdk->steps(QStringLiteral("sdk-error")).isEmpty(), sdk->transcript().constData());

    const auto connected = sdk->step(QStringLiteral("connected"));
    QVERIFY(connected);
    // The SDK asks for the newest protocol version and the gateway speaks it.
    QCOMPARE(connected->value(QStringLiteral("protocolVersion")).toString(),
             QStringLiteral("2025-11-25"));
    QVERIFY(!connected->value(QStringLiteral("sessionId")).toString().isEmpty());

    const auto tools = sdk->step(QStringLiteral("tools"));
    QVERIFY2(tools, sdk->transcript().constData());
    QStringList names;
    for (const QJsonValue &name : tools->value(QStringLiteral("names")).toArray())
        names.append(name.toString());
    names.sort();
    QCOMPARE(names,
             (QStringList{QStringLiteral("disable_user"), QStringLiteral("enable_user"),
                          QStringLiteral("get_user"), QStringLiteral("list_users")}));
    QVERIFY(sdk->step(QStringLiteral("done")));
}

void TestMcpSdkInterop::sdkCallsAnAllowedTool()
{
    auto sdk = run(QStringLiteral("allowed"));
    QVERIFY(sdk);
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    QVERIFY2(sdk->steps(QStringLiteral("sdk-error")).isEmpty(), sdk->transcript().constData());

    const auto step = sdk->step(QStringLiteral("result"));
    QVERIFY2(step, sdk->transcript().constData());
    const QJsonObject result = step->value(QStringLiteral("result")).toObject();
    QVERIFY2(!result.value(QStringLiteral("isError")).toBool(),
             qPrintable(testing::toolText(result)));
    QStringList ids;
    for (const QJsonValue &user : result.value(QStringLiteral("structuredContent"))
                                      .toObject()
                                      .value(QStringLiteral("users"))
                                      .toArray()) {
        ids.append(user.toObject().value(QStringLiteral("id")).toString());
    }
    ids.sort();
    QCOMPARE(
        ids,
        (QStringList{QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("carol")}));
    // Allowed by the policy: nobody was asked.
    QVERIFY(sdk->steps(QStringLiteral("elicitation")).isEmpty());
    QVERIFY(channelRoundTrip(*m_companion));
    QVERIFY(!m_companion->waitFor(QStringLiteral("approval.requested"), 0));
}

void TestMcpSdkInterop::sdkCallWaitsForApprovalAndCompletes()
{
    // (The directory server seeds its users file when the gateway starts it
    // for the first session: alice is checked once the call waits.)
    auto sdk = run(QStringLiteral("disable"));
    QVERIFY(sdk);
    const auto request = nextRequest();
    QVERIFY2(request, sdk->transcript().constData());
    const Sarc &sarc = request->request.sarc;
    QCOMPARE(sarc.action.name, QStringLiteral("disable_user"));
    QCOMPARE(sarc.resource.id, QStringLiteral("directory/disable_user"));
    QCOMPARE(sarc.subject.agent, QStringLiteral("sdk-agent"));
    // What the SDK client said about itself and the call reaches the person,
    // kept apart from what the gateway verified.
    QCOMPARE(sarc.context.agentSupplied.value(QStringLiteral("reason")).toString(),
             QStringLiteral("interop test: offboarding alice"));
    QCOMPARE(sarc.context.agentSupplied.value(QStringLiteral("client")).toString(),
             QStringLiteral("countersign-sdk-interop 1.0.0"));

    // The SDK's elicitation handler got the form and its progress handler
    // the waiting message, both naming the binding code the companion shows.
    QTRY_VERIFY2_WITH_TIMEOUT(!sdk->steps(QStringLiteral("elicitation")).isEmpty()
                                  && !sdk->steps(QStringLiteral("progress")).isEmpty(),
                              sdk->transcript().constData(), sdkTimeoutMs);
    const QJsonObject elicitation = sdk->steps(QStringLiteral("elicitation")).first();
    QVERIFY2(elicitation.value(QStringLiteral("message"))
                 .toString()
                 .contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(elicitation.value(QStringLiteral("message")).toString()));
    QCOMPARE(elicitation.value(QStringLiteral("mode")).toString(), QStringLiteral("form"));
    QCOMPARE(elicitation.value(QStringLiteral("requestedSchema"))
                 .toObject()
                 .value(QStringLiteral("properties"))
                 .toObject(),
             QJsonObject{});
    const QString waiting =
        sdk->steps(QStringLiteral("progress")).first().value(QStringLiteral("message")).toString();
    QVERIFY2(waiting.contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(waiting));
    // Accepting the form does not approve anything: the call still waits.
    QVERIFY(!sdk->finished());
    QVERIFY(!sdk->step(QStringLiteral("result")));
    QCOMPARE(userDisabled(QStringLiteral("alice")), std::optional<bool>(false));

    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    QVERIFY2(sdk->steps(QStringLiteral("sdk-error")).isEmpty(), sdk->transcript().constData());
    const auto step = sdk->step(QStringLiteral("result"));
    QVERIFY2(step, sdk->transcript().constData());
    const QJsonObject result = step->value(QStringLiteral("result")).toObject();
    QVERIFY2(!result.value(QStringLiteral("isError")).toBool(),
             qPrintable(testing::toolText(result)));
    const QJsonObject user = result.value(QStringLiteral("structuredContent")).toObject();
    QCOMPARE(user.value(QStringLiteral("id")).toString(), QStringLiteral("alice"));
    QCOMPARE(user.value(QStringLiteral("disabled")).toBool(), true);
    QCOMPARE(userDisabled(QStringLiteral("alice")), std::optional<bool>(true));
    const QString approved =
        sdk->steps(QStringLiteral("progress")).last().value(QStringLiteral("message")).toString();
    QVERIFY2(approved.contains(QStringLiteral("Approved with TOTP")), qPrintable(approved));
    QCOMPARE(sdk->steps(QStringLiteral("elicitation")).size(), 1);
}

void TestMcpSdkInterop::sdkDeclinesTheElicitationAndTheApprovalIsCancelled()
{
    auto sdk = run(QStringLiteral("decline"));
    QVERIFY(sdk);
    const auto request = nextRequest();
    QVERIFY2(request, sdk->transcript().constData());
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    QVERIFY2(sdk->steps(QStringLiteral("sdk-error")).isEmpty(), sdk->transcript().constData());

    const auto elicitation = sdk->step(QStringLiteral("elicitation"));
    QVERIFY2(elicitation, sdk->transcript().constData());
    QCOMPARE(elicitation->value(QStringLiteral("answer")).toString(), QStringLiteral("decline"));
    QVERIFY(
        elicitation->value(QStringLiteral("message")).toString().contains(request->bindingCode));

    const auto step = sdk->step(QStringLiteral("result"));
    QVERIFY2(step, sdk->transcript().constData());
    const QJsonObject result = step->value(QStringLiteral("result")).toObject();
    QVERIFY(result.value(QStringLiteral("isError")).toBool());
    const QJsonObject approval = result.value(QStringLiteral("_meta"))
                                     .toObject()
                                     .value(QStringLiteral("io.github.countersign/approval"))
                                     .toObject();
    QCOMPARE(approval.value(QStringLiteral("outcome")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(approval.value(QStringLiteral("id")).toString(), request->request.requestId);
    QVERIFY2(testing::toolText(result).contains(QStringLiteral("declined in the agent's client")),
             qPrintable(testing::toolText(result)));

    // The companion hears that the request is gone; nothing changed.
    const auto resolved = m_companion->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(resolved);
    QCOMPARE(resolved->value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QCOMPARE(userDisabled(QStringLiteral("alice")), std::optional<bool>(false));
}

void TestMcpSdkInterop::sdkFormLeftOpenIsWithdrawnWhenApprovedInTheCompanion()
{
    auto sdk = run(QStringLiteral("form-open"));
    QVERIFY(sdk);
    const auto request = nextRequest();
    QVERIFY2(request, sdk->transcript().constData());
    QTRY_VERIFY2_WITH_TIMEOUT(sdk->step(QStringLiteral("elicitation")).has_value(),
                              sdk->transcript().constData(), sdkTimeoutMs);
    QCOMPARE(sdk->step(QStringLiteral("elicitation"))->value(QStringLiteral("answer")).toString(),
             QStringLiteral("none"));

    // The person approves in the companion while the agent's form is open:
    // the gateway withdraws the form (notifications/cancelled naming the
    // elicitation request), the SDK aborts its handler, and the call
    // completes.
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    QVERIFY2(sdk->steps(QStringLiteral("sdk-error")).isEmpty(), sdk->transcript().constData());
    const auto cancelled = sdk->step(QStringLiteral("elicitation-cancelled"));
    QVERIFY2(cancelled, sdk->transcript().constData());
    QVERIFY2(cancelled->value(QStringLiteral("reason"))
                 .toString()
                 .contains(QStringLiteral("approved in Countersign")),
             sdk->transcript().constData());
    QVERIFY2(sdk->indexOf(QStringLiteral("elicitation-cancelled"))
                 < sdk->indexOf(QStringLiteral("result")),
             sdk->transcript().constData());
    const QJsonObject result =
        sdk->step(QStringLiteral("result"))->value(QStringLiteral("result")).toObject();
    QVERIFY2(!result.value(QStringLiteral("isError")).toBool(),
             qPrintable(testing::toolText(result)));
    QCOMPARE(userDisabled(QStringLiteral("alice")), std::optional<bool>(true));
}

QTEST_GUILESS_MAIN(TestMcpSdkInterop)
#include "test_mcp_sdk_interop.moc"
