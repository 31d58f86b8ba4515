#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/toolrunner.h"

#include <QDir>
#include <QJsonDocument>

using namespace countersign;
using namespace countersign::testing;

// An elevated token from a real approval verifies with an independent JOSE
// implementation (npm "jose") that fetches the gateway's JWKS over HTTP, the
// way an upstream MCP server would.
class TestElevatedTokenInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void npmJoseVerifiesTokenAgainstJwks();
    void npmJoseRefusesTokenForAnotherAudience();

private:
    testing::ToolRun verifyWithNode(const QByteArray &token, const QString &audience);

    std::unique_ptr<GatewayFixture> m_fixture;
    QString m_node;
    QByteArray m_token;
};

void TestElevatedTokenInterop::initTestCase()
{
    m_node = requiredTool(QStringLiteral("node"));
    QVERIFY2(!m_node.isEmpty(), "node is missing: apt-get install nodejs npm");
    QVERIFY2(QDir(QStringLiteral(COUNTERSIGN_INTEROP_DIR "/node_modules/jose")).exists(),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    const auto approval = m_fixture->request();
    const auto message = companion->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(message);
    const auto request = companion->verify(message->value(QStringLiteral("request")).toString());
    QVERIFY(request.ok());
    companion->approveWithTotp(request.value(), totp.code(m_fixture->clock()).value());
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
    const auto token = m_fixture->gateway().broker().redeem(approval.requestId);
    QVERIFY(token.ok());
    m_token = token->token;
}

testing::ToolRun TestElevatedTokenInterop::verifyWithNode(const QByteArray &token,
                                                          const QString &audience)
{
    QUrl jwks = m_fixture->gateway().publicUrl();
    jwks.setPath(QStringLiteral("/.well-known/jwks.json"));
    // node blocks this process while it runs, so the gateway (same event
    // loop) could not answer its JWKS request: run node asynchronously.
    QProcess process;
    process.start(m_node,
                  {QStringLiteral(COUNTERSIGN_INTEROP_DIR "/jws-tool.mjs"),
                   QStringLiteral("verify-jwt"), jwks.toString(), QString::fromLatin1(token),
                   m_fixture->gateway().publicUrl().toString(), audience});
    testing::ToolRun run;
    run.started = process.waitForStarted();
    (void)QTest::qWaitFor([&process] { return process.state() == QProcess::NotRunning; }, 30000);
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

void TestElevatedTokenInterop::npmJoseVerifiesTokenAgainstJwks()
{
    const auto run = verifyWithNode(m_token, QStringLiteral("https://directory.example.com/mcp"));
    QVERIFY2(run.succeeded(), run.err.constData());
    const QJsonObject result = QJsonDocument::fromJson(run.out).object();
    const QJsonObject claims = result.value(QStringLiteral("claims")).toObject();
    QCOMPARE(claims.value(QStringLiteral("sub")).toString(), QStringLiteral("alice@example.com"));
    QCOMPARE(
        result.value(QStringLiteral("header")).toObject().value(QStringLiteral("kid")).toString(),
        m_fixture->gateway().signingKey().thumbprint());
    QCOMPARE(claims.value(QStringLiteral("authorization_details"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("type"))
                 .toString(),
             QStringLiteral("countersign_operation"));
}

void TestElevatedTokenInterop::npmJoseRefusesTokenForAnotherAudience()
{
    const auto run = verifyWithNode(m_token, QStringLiteral("https://other.example.com/mcp"));
    QVERIFY(run.started);
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.err.contains("ERR_JWT_CLAIM_VALIDATION_FAILED"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestElevatedTokenInterop)
#include "test_elevatedtoken_interop.moc"
