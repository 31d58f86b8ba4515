#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/agenthelpers.h"

#include <QCryptographicHash>
#include <QProcess>

using namespace countersign;
using namespace countersign::testing;

// The countersign-agent program against a real gateway (in this process)
// with the directory server as its upstream and a test companion that
// approves or denies: its story on stdout and its exit codes.
class TestAgentCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void toolsAreListed();
    void allowedCallPrintsTheResult();
    void policyDenialExitsDenied();
    void approvedCallTellsEveryStep();
    void deniedByThePersonExitsDenied();
    void expiredApprovalExitsTimedOut();
    void wrongKeyIsAnError();
    void badArgumentsAreUsage();
    void olderProtocolFlagSpeaksTheOlderEra();

private:
    std::unique_ptr<QProcess> start(const QStringList &arguments, const QByteArray &key = {});
    std::optional<VerifiedApprovalRequest> nextRequest();

    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<TestCompanion> m_companion;
    std::optional<Totp> m_totp;
};

void TestAgentCli::init()
{
    m_fixture = std::make_unique<GatewayFixture>(
        gateway::ChannelTimings{},
        GatewayFixture::proxyConfig(QStringLiteral(COUNTERSIGN_DEMO_POLICY),
                                    QStringLiteral("countersign-agent"), "cli-agent-key",
                                    QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY)));
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_companion = m_fixture->pairedCompanion();
    QVERIFY(m_companion);
    QVERIFY(m_companion->connectChannel());
}

void TestAgentCli::cleanup()
{
    m_companion.reset();
    m_fixture.reset();
}

std::unique_ptr<QProcess> TestAgentCli::start(const QStringList &arguments, const QByteArray &key)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/mcp"));
    auto process = std::make_unique<QProcess>();
    process->setProgram(QStringLiteral(COUNTERSIGN_AGENT_BINARY));
    process->setArguments(QStringList{QStringLiteral("--url"), url.toString(),
                                      QStringLiteral("--key"),
                                      QString::fromLatin1(key.isEmpty() ? "cli-agent-key" : key)}
                          + arguments);
    process->start();
    return process;
}

std::optional<VerifiedApprovalRequest> TestAgentCli::nextRequest()
{
    return nextApprovalRequest(*m_companion, 15000);
}

void TestAgentCli::toolsAreListed()
{
    auto agent = start({QStringLiteral("tools")});
    QCOMPARE(finishProgram(*agent), 0);
    const QString out = QString::fromUtf8(agent->readAllStandardOutput());
    for (const char *tool : {"list_users", "get_user", "disable_user", "enable_user"})
        QVERIFY2(out.contains(QString::fromLatin1(tool)), qPrintable(out));
}

void TestAgentCli::allowedCallPrintsTheResult()
{
    auto agent =
        start({QStringLiteral("call"), QStringLiteral("get_user"), QStringLiteral("user=bob")});
    QCOMPARE(finishProgram(*agent), 0);
    const QString out = QString::fromUtf8(agent->readAllStandardOutput());
    QVERIFY2(out.contains(u"RESULT:") && out.contains(u"bob@example.com"), qPrintable(out));
}

void TestAgentCli::policyDenialExitsDenied()
{
    auto agent =
        start({QStringLiteral("call"), QStringLiteral("delete_user"), QStringLiteral("user=bob")});
    QCOMPARE(finishProgram(*agent), 3);
    QVERIFY(agent->readAllStandardOutput().contains("DENIED: denied by policy"));
}

void TestAgentCli::approvedCallTellsEveryStep()
{
    auto agent = start(
        {QStringLiteral("call"), QStringLiteral("disable_user"), QStringLiteral("user=alice")});
    const auto request = nextRequest();
    QVERIFY(request);
    QByteArray out;
    // The person approves only once the agent has shown the binding code.
    QVERIFY(QTest::qWaitFor(
        [&] {
            out += agent->readAllStandardOutput();
            return out.contains("waiting for approval in Countersign");
        },
        10000));
    QVERIFY2(out.contains("DENIED: just-in-time authorization required"), out.constData());
    // "Binding code 92" (2026-07-28 elicitation) or "binding code 92"
    // (progress text of the older era).
    QVERIFY2(out.toLower().contains(QByteArray("binding code " + request->bindingCode.toLatin1())),
             out.constData());
    m_companion->approveWithTotp(*request, m_totp->code(m_fixture->clock()).value());
    QCOMPARE(finishProgram(*agent), 0);
    out += agent->readAllStandardOutput();
    QVERIFY2(out.contains("Approved with TOTP in Countersign: elevated token issued"),
             out.constData());
    QVERIFY2(out.contains("RESULT:") && out.contains("alice"), out.constData());
    // The order is the story's order.
    QVERIFY(out.indexOf("DENIED: just-in-time") < out.indexOf("waiting for approval"));
    QVERIFY(out.indexOf("waiting for approval") < out.indexOf("Approved with TOTP"));
    QVERIFY(out.indexOf("Approved with TOTP") < out.indexOf("RESULT:"));
}

void TestAgentCli::deniedByThePersonExitsDenied()
{
    auto agent =
        start({QStringLiteral("call"), QStringLiteral("disable_user"), QStringLiteral("user=bob")});
    const auto request = nextRequest();
    QVERIFY(request);
    m_companion->deny(*request, QStringLiteral("no"));
    QCOMPARE(finishProgram(*agent), 3);
    QVERIFY(agent->readAllStandardOutput().contains("DENIED in Countersign: no"));
}

void TestAgentCli::expiredApprovalExitsTimedOut()
{
    auto agent = start(
        {QStringLiteral("call"), QStringLiteral("disable_user"), QStringLiteral("user=carol")});
    QVERIFY(nextRequest());
    m_fixture->clock().advance(3600);
    m_fixture->gateway().broker().expireDue();
    QCOMPARE(finishProgram(*agent), 4);
    QVERIFY(agent->readAllStandardOutput().contains("timed out"));
}

void TestAgentCli::wrongKeyIsAnError()
{
    auto agent = start({QStringLiteral("tools")}, "not-a-key");
    QCOMPARE(finishProgram(*agent), 1);
    QVERIFY(agent->readAllStandardOutput().contains("HTTP 401"));
}

void TestAgentCli::badArgumentsAreUsage()
{
    auto agent = start({QStringLiteral("call"), QStringLiteral("get_user"), QStringLiteral("bob")});
    QCOMPARE(finishProgram(*agent), 2);
    agent = start({QStringLiteral("fly")});
    QCOMPARE(finishProgram(*agent), 2);
}

void TestAgentCli::olderProtocolFlagSpeaksTheOlderEra()
{
    // The default (2026-07-28) falls back to initialize with this gateway,
    // as every test above shows; the flag skips server/discover.
    for (const QString &version : {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18")}) {
        auto agent = start({QStringLiteral("--protocol"), version, QStringLiteral("call"),
                            QStringLiteral("get_user"), QStringLiteral("user=bob")});
        QCOMPARE(finishProgram(*agent), 0);
        const QString out = QString::fromUtf8(agent->readAllStandardOutput());
        QVERIFY2(out.contains(u"RESULT:") && out.contains(u"bob@example.com"), qPrintable(out));
    }
}

QTEST_GUILESS_MAIN(TestAgentCli)
#include "test_agent_cli.moc"
