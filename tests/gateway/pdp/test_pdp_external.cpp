#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/externalpdp.h"
#include "tests/support/freeport.h"

#include <QHttpServer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The external PDP client against a canned AuthZEN server on loopback: it
// must fail closed on everything but a well-formed answer.
class TestPdpExternal : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void allowAndWhatWasSent();
    void stepUp();
    void failsClosed_data();
    void failsClosed();
    void slowPdpTimesOut();
    void unreachablePdpDenies();
    void destroyedContextGetsNoCallback();
    void configSection_data();
    void configSection();

private:
    AccessDecision ask(const QString &basePath,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    QUrl base(const QString &path) const;
    // A reply of m_network (its parent) not yet deleted: ExternalPdp deletes
    // each reply once it has finished and run (or skipped) the callback.
    bool inFlight() const { return !m_network.findChildren<QNetworkReply *>().isEmpty(); }

    QHttpServer m_server;
    quint16 m_port = 0;
    QTcpServer m_silent; // accepts connections and never answers
    QList<QTcpSocket *> m_silentSockets;
    QNetworkAccessManager m_network;
    QByteArray m_lastBody;
    QByteArray m_lastRequestId;
};

namespace {

AccessRequest sampleRequest()
{
    AccessRequest request;
    request.subject = {QStringLiteral("user"), QStringLiteral("alice@example.com"),
                       QJsonObject{{QStringLiteral("agent"), QStringLiteral("claude-code")}}};
    request.action = {QStringLiteral("disable_user"), {}};
    request.resource = {QStringLiteral("tool"), QStringLiteral("directory/disable_user"), {}};
    return request;
}

const QByteArray stepUpBody = R"({"decision": false, "context": {
    "obligations": [{"id": "disable-user-step-up", "type": "step-up",
        "properties": {"acr_value": "urn:countersign:acr:approval", "amr_values": ["hwk"]}}],
    "reason": "approval_required",
    "countersign": {"methods": ["passkey"], "timeout": 60}}})";

} // namespace

void TestPdpExternal::initTestCase()
{
    const auto canned = [this](const QString &name, QByteArray body,
                               QHttpServerResponder::StatusCode status) {
        m_server.route(QStringLiteral("/%1/access/v1/evaluation").arg(name),
                       QHttpServerRequest::Method::Post,
                       [this, body, status](const QHttpServerRequest &request) {
                           m_lastBody = request.body();
                           m_lastRequestId = request.value("X-Request-ID");
                           for (const auto &[key, value] : request.headers()) {
                               if (key.compare("X-Request-ID", Qt::CaseInsensitive) == 0)
                                   m_lastRequestId = value;
                           }
                           return QHttpServerResponse("application/json", body, status);
                       });
    };
    using S = QHttpServerResponder::StatusCode;
    canned(QStringLiteral("allow"), R"({"decision":true})", S::Ok);
    canned(QStringLiteral("stepup"), stepUpBody, S::Ok);
    canned(QStringLiteral("garbage"), "<html>oops</html>", S::Ok);
    canned(QStringLiteral("nodecision"), R"({"allowed":true})", S::Ok);
    canned(QStringLiteral("unknownobligation"),
           R"({"decision":true,"context":{"obligations":[{"id":"n","type":"notification",
               "properties":{}}]}})",
           S::Ok);
    canned(QStringLiteral("error500"), R"({"decision":true})", S::InternalServerError);
    canned(QStringLiteral("error403"), R"({"decision":true})", S::Forbidden);
    canned(QStringLiteral("oversized"),
           "{\"decision\":true,\"pad\":\"" + QByteArray(100 * 1024, 'x') + "\"}", S::Ok);
    m_server.route(QStringLiteral("/redirect/access/v1/evaluation"),
                   QHttpServerRequest::Method::Post, [this] {
                       QHttpServerResponse response(QHttpServerResponder::StatusCode::Found);
                       response.setHeader("Location",
                                          QStringLiteral("http://127.0.0.1:%1/allow/access/v1/"
                                                         "evaluation")
                                              .arg(m_port)
                                              .toLatin1());
                       return response;
                   });
    m_port = m_server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(m_port != 0);

    QVERIFY(m_silent.listen(QHostAddress::LocalHost, 0));
    connect(&m_silent, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_silent.nextPendingConnection())
            m_silentSockets.append(socket); // kept open, never answered
    });
}

QUrl TestPdpExternal::base(const QString &path) const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/%2").arg(m_port).arg(path));
}

AccessDecision TestPdpExternal::ask(const QString &basePath, std::chrono::milliseconds timeout)
{
    ExternalPdpConfig config;
    config.url = basePath.startsWith(QStringLiteral("http:")) ? QUrl(basePath) : base(basePath);
    config.timeout = timeout;
    ExternalPdp pdp(config, m_network);
    std::optional<AccessDecision> result;
    int calls = 0;
    pdp.evaluate(sampleRequest(), this, [&](const AccessDecision &decision) {
        result = decision;
        ++calls;
    });
    // The callback never runs synchronously.
    if (calls != 0)
        qFatal("callback ran inside evaluate()");
    [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000); }();
    // And only once: the reply that drives the callback is gone, so it
    // cannot finish again.
    if (!QTest::qWaitFor([&] { return !inFlight(); }, 10000))
        qFatal("the reply outlived its answer");
    if (calls != 1)
        qFatal("callback ran %d times", calls);
    return result.value_or(AccessDecision::allow()); // a failed wait must not look like a deny
}

void TestPdpExternal::allowAndWhatWasSent()
{
    const AccessDecision decision = ask(QStringLiteral("allow"));
    QVERIFY(decision.isAllow());
    QCOMPARE(QJsonDocument::fromJson(m_lastBody).object(), sampleRequest().toJson());
    QVERIFY(!m_lastRequestId.isEmpty());
}

void TestPdpExternal::stepUp()
{
    const AccessDecision decision = ask(QStringLiteral("stepup"));
    QVERIFY(decision.isStepUp());
    QCOMPARE(decision.methods, QList<ApprovalMethod>{ApprovalMethod::Passkey});
    QCOMPARE(decision.timeout, std::optional(std::chrono::seconds(60)));
    QCOMPARE(decision.ruleName, QStringLiteral("disable-user"));
}

void TestPdpExternal::failsClosed_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("reason");
    QTest::newRow("garbage") << QStringLiteral("garbage") << QStringLiteral("not valid JSON");
    QTest::newRow("no decision") << QStringLiteral("nodecision")
                                 << QStringLiteral("decision is missing");
    QTest::newRow("unknown obligation")
        << QStringLiteral("unknownobligation") << QStringLiteral("cannot fulfil");
    QTest::newRow("500") << QStringLiteral("error500") << QStringLiteral("HTTP 500");
    QTest::newRow("403") << QStringLiteral("error403") << QStringLiteral("HTTP 403");
    QTest::newRow("404") << QStringLiteral("nothing-here") << QStringLiteral("HTTP 404");
    QTest::newRow("redirect") << QStringLiteral("redirect") << QStringLiteral("HTTP 302");
    QTest::newRow("oversized") << QStringLiteral("oversized") << QStringLiteral("bytes");
}

void TestPdpExternal::failsClosed()
{
    QFETCH(QString, path);
    QFETCH(QString, reason);
    const AccessDecision decision = ask(path);
    QVERIFY(decision.isDeny());
    QVERIFY2(decision.reason.contains(reason), qPrintable(decision.reason));
}

void TestPdpExternal::slowPdpTimesOut()
{
    QElapsedTimer timer;
    timer.start();
    const AccessDecision decision =
        ask(QStringLiteral("http://127.0.0.1:%1").arg(m_silent.serverPort()),
            std::chrono::milliseconds(300));
    QVERIFY(decision.isDeny());
    QVERIFY2(decision.reason.contains(QStringLiteral("did not answer within 300 ms")),
             qPrintable(decision.reason));
    QVERIFY(timer.elapsed() >= 250);
    QVERIFY(timer.elapsed() < 5000);
}

void TestPdpExternal::unreachablePdpDenies()
{
    const quint16 port = testing::freePort(); // nothing listens there
    QVERIFY(port != 0);
    const AccessDecision decision = ask(QStringLiteral("http://127.0.0.1:%1").arg(port));
    QVERIFY(decision.isDeny());
    QVERIFY2(decision.reason.contains(QStringLiteral("cannot be reached")),
             qPrintable(decision.reason));
}

void TestPdpExternal::destroyedContextGetsNoCallback()
{
    ExternalPdpConfig config;
    config.url = base(QStringLiteral("allow"));
    ExternalPdp pdp(config, m_network);
    bool called = false;
    auto context = std::make_unique<QObject>();
    m_lastBody.clear();
    pdp.evaluate(sampleRequest(), context.get(), [&](const AccessDecision &) { called = true; });
    QVERIFY(inFlight());
    context.reset();
    // The server answered and the reply has finished (and was deleted):
    // the callback has had its chance.
    QTRY_VERIFY_WITH_TIMEOUT(!m_lastBody.isEmpty(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!inFlight(), 10000);
    QVERIFY(!called);
}

void TestPdpExternal::configSection_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("error"); // empty: valid
    QTest::addColumn<QString>("url");
    QTest::addColumn<int>("timeoutMs");
    QTest::newRow("minimal") << QByteArray("url: https://pdp.example.com\n") << QString()
                             << QStringLiteral("https://pdp.example.com/access/v1/evaluation")
                             << 2000;
    QTest::newRow("path and trailing slash, timeout")
        << QByteArray("url: https://pdp.example.com/tenant1/\ntimeout: 5s\n") << QString()
        << QStringLiteral("https://pdp.example.com/tenant1/access/v1/evaluation") << 5000;
    QTest::newRow("loopback http")
        << QByteArray("url: http://127.0.0.1:9000\n") << QString()
        << QStringLiteral("http://127.0.0.1:9000/access/v1/evaluation") << 2000;
    QTest::newRow("remote http") << QByteArray("url: http://pdp.example.com\n")
                                 << QStringLiteral("gw.yaml:20: pdp.url: plain http") << QString()
                                 << 0;
    QTest::newRow("missing url") << QByteArray("timeout: 2s\n")
                                 << QStringLiteral("gw.yaml:20: pdp.url: is required") << QString()
                                 << 0;
    QTest::newRow("not a url") << QByteArray("url: pdp\n")
                               << QStringLiteral("gw.yaml:20: pdp.url: \"pdp\" is not") << QString()
                               << 0;
    QTest::newRow("query") << QByteArray("url: https://pdp.example.com/?a=1\n")
                           << QStringLiteral("gw.yaml:20: pdp.url:") << QString() << 0;
    QTest::newRow("timeout too long")
        << QByteArray("url: https://p.example\ntimeout: 1m\n")
        << QStringLiteral("gw.yaml:21: pdp.timeout: \"1m\" is above") << QString() << 0;
    QTest::newRow("unknown key") << QByteArray("url: https://p.example\nretries: 3\n")
                                 << QStringLiteral("gw.yaml:21: pdp.retries: unknown key")
                                 << QString() << 0;
}

void TestPdpExternal::configSection()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, error);
    QFETCH(QString, url);
    QFETCH(int, timeoutMs);
    const auto config = ExternalPdpConfig::fromConfigSection(yaml, 20, QStringLiteral("gw.yaml"));
    if (!error.isEmpty()) {
        QVERIFY(!config.ok());
        QVERIFY2(config.error().message.startsWith(error), qPrintable(config.error().message));
        return;
    }
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    QCOMPARE(config->evaluationUrl().toString(), url);
    QCOMPARE(config->timeout.count(), timeoutMs);
}

QTEST_GUILESS_MAIN(TestPdpExternal)
#include "test_pdp_external.moc"
