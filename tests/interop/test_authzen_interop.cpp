#include "gateway/keys/privatefile.h"
#include "tests/gateway/integration/gatewayfixture.h"

#include <algorithm>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslError>
#include <QTemporaryDir>

using namespace countersign;
using namespace countersign::testing;

// The OpenID AuthZEN working group's interop scenarios (tests/interop/authzen,
// copied unchanged from openid/authzen; README.md there names the commit),
// put as they are to a real gateway over HTTPS with the admin token: every
// single and batch decision of the Todo (1.0 draft 02) and API-gateway
// scenarios, and every Search scenario result, must match. The gateways run
// the example configurations a user would write (examples/policies/*).
//
// The harness itself is checked on throwaway policies written here in a
// temporary directory (harness* cases): the API-gateway decisions with one
// rule per editor, and the resource and action searches against a policy
// made from the subject search's expectations (so the three searches must
// agree with each other through our engine).
class TestAuthzenInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void todoScenario();
    void apiGatewayScenario();
    void searchScenario();
    void harnessOnThrowawayApiGatewayPolicy();
    void harnessOnADenyAllPolicy();
    void harnessOnThrowawaySearchPolicy();

private:
    struct Reply {
        int status = 0;
        QJsonObject body;
    };

    static QJsonObject readFixture(const QString &name);
    // Serves config (or examples/policies/<name>/gateway.yaml) on a free
    // loopback port over HTTPS with the admin token; false if it cannot.
    bool startExample(const QString &name);
    bool startGateway(gateway::GatewayConfig config);
    Reply post(const QString &path, const QJsonObject &body);

    // Each returns the number of mismatches, each printed with its request.
    int checkDecisions(const QJsonObject &scenario);
    int checkSearches(const QString &kind, const QJsonObject &scenario);

    QString m_tlsDir;
    QSslCertificate m_certificate;
    QTemporaryDir m_scratch;
    std::unique_ptr<GatewayFixture> m_fixture;
    QNetworkAccessManager m_network;
    const QByteArray m_adminToken = "authzen-interop-admin-token";
};

namespace {

QString fixturePath(const QString &name)
{
    return QStringLiteral(COUNTERSIGN_INTEROP_DIR "/authzen/") + name;
}

QString compact(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    return value.toVariant().toString();
}

// Search results compared as the working group's harness compares them:
// as sets (sorted by type and id, or by name).
QStringList resultKeys(const QJsonArray &results)
{
    QStringList keys;
    for (const QJsonValue &item : results)
        keys.append(compact(item));
    keys.sort();
    return keys;
}

} // namespace

QJsonObject TestAuthzenInterop::readFixture(const QString &name)
{
    QFile file(fixturePath(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

void TestAuthzenInterop::initTestCase()
{
    if (!QSslSocket::supportsSsl())
        QFAIL("Qt has no TLS backend: install the OpenSSL 3 runtime (libssl3)");
    QVERIFY(m_scratch.isValid());
    m_tlsDir = QStringLiteral(COUNTERSIGN_TLS_DATA_DIR);
    QFile pem(m_tlsDir + QStringLiteral("/ec-cert.pem"));
    QVERIFY(pem.open(QIODevice::ReadOnly));
    m_certificate = QSslCertificate(pem.readAll());
    QVERIFY(!m_certificate.isNull());
    for (const char *name :
         {"authzen-todo-backend-decisions-authorization-api-1_0-02.json",
          "authzen-api-gateways-decisions.json", "authzen-search-demo-subject-results.json",
          "authzen-search-demo-resource-results.json", "authzen-search-demo-action-results.json"}) {
        QVERIFY2(!readFixture(QString::fromLatin1(name)).isEmpty(), name);
    }
}

bool TestAuthzenInterop::startGateway(gateway::GatewayConfig config)
{
    m_fixture.reset();
    // Served as a user would serve it, but on a free loopback port over
    // HTTPS with the test certificate, and with an admin token.
    const QString tls = QStringLiteral("listen: 127.0.0.1:0\ntls:\n  certificate: %1/ec-cert.pem\n"
                                       "  private_key: %1/ec-key.pem\nusers: [x@example.com]\n")
                            .arg(m_tlsDir);
    auto served = gateway::GatewayConfig::parse(tls.toUtf8(), QStringLiteral("tls.yaml"));
    if (!served) {
        qWarning("%s", qPrintable(served.error().message));
        return false;
    }
    config.listenAddress = served->listenAddress;
    config.listenPort = 0;
    config.tls = served->tls;
    config.publicUrl = served->publicUrl;
    config.publicUrlDerived = true;
    config.passkeyRpId.clear();
    m_fixture = std::make_unique<GatewayFixture>(std::move(config));
    const QString tokenFile = m_fixture->dataDir() + QStringLiteral("/admin.token");
    if (!gateway::writePrivateFile(tokenFile, m_adminToken).ok())
        return false;
    m_fixture->setAdminTokenFile(tokenFile);
    return m_fixture->start() && m_fixture->gateway().pdp() != nullptr
        && m_fixture->gateway().publicUrl().scheme() == u"https";
}

bool TestAuthzenInterop::startExample(const QString &name)
{
    const QString path =
        QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES_DIR "/%1/gateway.yaml").arg(name);
    if (!QFile::exists(path))
        return false;
    auto config = gateway::GatewayConfig::load(path);
    if (!config) {
        qWarning("%s", qPrintable(config.error().message));
        return false;
    }
    return startGateway(std::move(config).value());
}

TestAuthzenInterop::Reply TestAuthzenInterop::post(const QString &path, const QJsonObject &body)
{
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(path);
    QNetworkRequest request(url);
    request.setRawHeader("Content-Type", "application/json");
    request.setRawHeader("Authorization", "Bearer " + m_adminToken);
    request.setRawHeader("X-Request-ID", "interop");
    QNetworkReply *reply =
        m_network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    // The test certificate is self-signed for gw.example.com: trust exactly
    // it, here on 127.0.0.1.
    reply->ignoreSslErrors({QSslError(QSslError::SelfSignedCertificate, m_certificate),
                            QSslError(QSslError::HostNameMismatch, m_certificate)});
    Reply result;
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000); }();
    if (reply->error() != QNetworkReply::NoError
        && reply->error() < QNetworkReply::ContentAccessDenied) {
        qWarning("%s: %s", qPrintable(path), qPrintable(reply->errorString()));
    }
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = QJsonDocument::fromJson(reply->readAll()).object();
    if (reply->rawHeader("X-Request-ID") != "interop")
        result.status = -1; // AuthZEN: the request id MUST be echoed
    reply->deleteLater();
    return result;
}

int TestAuthzenInterop::checkDecisions(const QJsonObject &scenario)
{
    int mismatches = 0;
    int checked = 0;
    for (const QJsonValue &item : scenario.value(QStringLiteral("evaluation")).toArray()) {
        const QJsonObject request = item.toObject().value(QStringLiteral("request")).toObject();
        const bool expected = item.toObject().value(QStringLiteral("expected")).toBool();
        const Reply reply = post(QStringLiteral("/access/v1/evaluation"), request);
        ++checked;
        if (reply.status != 200
            || reply.body.value(QStringLiteral("decision")) != QJsonValue(expected)) {
            ++mismatches;
            qWarning("evaluation: expected %s, got HTTP %d %s for %s", expected ? "true" : "false",
                     reply.status, qPrintable(compact(reply.body)), qPrintable(compact(request)));
        }
    }
    for (const QJsonValue &item : scenario.value(QStringLiteral("evaluations")).toArray()) {
        const QJsonObject request = item.toObject().value(QStringLiteral("request")).toObject();
        QJsonArray expected;
        for (const QJsonValue &decision :
             item.toObject().value(QStringLiteral("expected")).toArray()) {
            expected.append(QJsonObject{{QStringLiteral("decision"),
                                         decision.toObject().value(QStringLiteral("decision"))}});
        }
        const Reply reply = post(QStringLiteral("/access/v1/evaluations"), request);
        ++checked;
        QJsonArray got;
        for (const QJsonValue &decision :
             reply.body.value(QStringLiteral("evaluations")).toArray()) {
            got.append(QJsonObject{{QStringLiteral("decision"),
                                    decision.toObject().value(QStringLiteral("decision"))}});
        }
        if (reply.status != 200 || got != expected) {
            ++mismatches;
            qWarning("evaluations: expected %s, got HTTP %d %s for %s",
                     qPrintable(compact(expected)), reply.status, qPrintable(compact(reply.body)),
                     qPrintable(compact(request)));
        }
    }
    qInfo("%d of %d requests as expected", checked - mismatches, checked);
    return checked == 0 ? 1 : mismatches;
}

int TestAuthzenInterop::checkSearches(const QString &kind, const QJsonObject &scenario)
{
    int mismatches = 0;
    int checked = 0;
    const QString path = QStringLiteral("/access/v1/search/") + kind;
    for (const QJsonValue &item : scenario.value(QStringLiteral("evaluation")).toArray()) {
        const QJsonObject request = item.toObject().value(QStringLiteral("request")).toObject();
        const QJsonArray expected = item.toObject()
                                        .value(QStringLiteral("expected"))
                                        .toObject()
                                        .value(QStringLiteral("results"))
                                        .toArray();
        // All pages, as a PEP walks them.
        QJsonArray results;
        QString token;
        int status = 200;
        for (int page = 0; page < 100 && status == 200; ++page) {
            QJsonObject paged = request;
            if (!token.isEmpty())
                paged.insert(QStringLiteral("page"), QJsonObject{{QStringLiteral("token"), token}});
            const Reply reply = post(path, paged);
            status = reply.status;
            for (const QJsonValue &result : reply.body.value(QStringLiteral("results")).toArray())
                results.append(result);
            token = reply.body.value(QStringLiteral("page"))
                        .toObject()
                        .value(QStringLiteral("next_token"))
                        .toString();
            if (token.isEmpty())
                break;
        }
        ++checked;
        if (status != 200 || resultKeys(results) != resultKeys(expected)) {
            ++mismatches;
            qWarning("%s search: expected %s, got HTTP %d %s for %s", qPrintable(kind),
                     qPrintable(compact(expected)), status, qPrintable(compact(results)),
                     qPrintable(compact(request)));
        }
    }
    qInfo("%s search: %d of %d as expected", qPrintable(kind), checked - mismatches, checked);
    return checked == 0 ? 1 : mismatches;
}

void TestAuthzenInterop::todoScenario()
{
    if (!QFile::exists(QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES_DIR "/todo/gateway.yaml")))
        QSKIP("examples/policies/todo/gateway.yaml is missing: the Todo scenario needs it");
    QVERIFY(startExample(QStringLiteral("todo")));
    QCOMPARE(checkDecisions(readFixture(
                 QStringLiteral("authzen-todo-backend-decisions-authorization-api-1_0-02.json"))),
             0);
}

void TestAuthzenInterop::apiGatewayScenario()
{
    if (!QFile::exists(
            QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES_DIR "/api-gateway/gateway.yaml")))
        QSKIP("examples/policies/api-gateway/gateway.yaml is missing: the API-gateway scenario "
              "needs it");
    QVERIFY(startExample(QStringLiteral("api-gateway")));
    QCOMPARE(checkDecisions(readFixture(QStringLiteral("authzen-api-gateways-decisions.json"))), 0);
}

void TestAuthzenInterop::searchScenario()
{
    if (!QFile::exists(QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES_DIR "/search/gateway.yaml")))
        QSKIP("examples/policies/search/gateway.yaml is missing: the Search scenario needs it");
    QVERIFY(startExample(QStringLiteral("search")));
    int mismatches = 0;
    for (const char *kind : {"subject", "resource", "action"}) {
        mismatches +=
            checkSearches(QString::fromLatin1(kind),
                          readFixture(QStringLiteral("authzen-search-demo-%1-results.json")
                                          .arg(QLatin1StringView(kind))));
    }
    QCOMPARE(mismatches, 0);
}

void TestAuthzenInterop::harnessOnThrowawayApiGatewayPolicy()
{
    // Today's language without roles: one rule per editor, by subject id.
    const QByteArray yaml = R"(listen: 127.0.0.1:0
users: [rick@the-citadel.com]
policy:
  rules:
    - name: reads
      match: {action: GET}
      effect: allow
    - name: rick
      match: {subject_id: CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs, resource_id: "/todos*"}
      effect: allow
    - name: morty
      match: {subject_id: CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs, resource_id: "/todos*"}
      effect: allow
    - name: summer
      match: {subject_id: CiRmZDI2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs, resource_id: "/todos*"}
      effect: allow
)";
    const QString path = m_scratch.filePath(QStringLiteral("api-gateway.yaml"));
    QVERIFY(gateway::writePrivateFile(path, yaml).ok());
    auto config = gateway::GatewayConfig::load(path);
    QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
    QVERIFY(startGateway(std::move(config).value()));
    QCOMPARE(checkDecisions(readFixture(QStringLiteral("authzen-api-gateways-decisions.json"))), 0);

    // A wrong policy is caught: without the editors' rules, 9 writes differ.
    const QByteArray readsOnly =
        "listen: 127.0.0.1:0\nusers: [rick@the-citadel.com]\n"
        "policy:\n  rules:\n    - name: reads\n      match: {action: GET}\n"
        "      effect: allow\n";
    QVERIFY(gateway::writePrivateFile(path, readsOnly).ok());
    config = gateway::GatewayConfig::load(path);
    QVERIFY(config.ok());
    QVERIFY(startGateway(std::move(config).value()));
    QCOMPARE(checkDecisions(readFixture(QStringLiteral("authzen-api-gateways-decisions.json"))), 9);
}

void TestAuthzenInterop::harnessOnADenyAllPolicy()
{
    // A rule that never matches: every decision false. The Todo file then differs exactly in
    // its single decisions expected true and its batches expecting any true
    // (which exercises the batch path and its defaults).
    const QJsonObject todo =
        readFixture(QStringLiteral("authzen-todo-backend-decisions-authorization-api-1_0-02.json"));
    int expectedMismatches = 0;
    for (const QJsonValue &item : todo.value(QStringLiteral("evaluation")).toArray())
        expectedMismatches += item.toObject().value(QStringLiteral("expected")).toBool() ? 1 : 0;
    for (const QJsonValue &item : todo.value(QStringLiteral("evaluations")).toArray()) {
        const QJsonArray decisions = item.toObject().value(QStringLiteral("expected")).toArray();
        expectedMismatches +=
            std::any_of(decisions.begin(), decisions.end(),
                        [](const QJsonValue &decision) {
                            return decision.toObject().value(QStringLiteral("decision")).toBool();
                        })
            ? 1
            : 0;
    }
    const QString path = m_scratch.filePath(QStringLiteral("deny-all.yaml"));
    QVERIFY(gateway::writePrivateFile(path,
                                      "listen: 127.0.0.1:0\nusers: [rick@the-citadel.com]\n"
                                      "policy:\n  rules:\n    - name: nothing\n"
                                      "      match: {action: no-such-action}\n"
                                      "      effect: allow\n")
                .ok());
    auto config = gateway::GatewayConfig::load(path);
    QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
    QVERIFY(startGateway(std::move(config).value()));
    QVERIFY(expectedMismatches > 0);
    QCOMPARE(checkDecisions(todo), expectedMismatches);

    // Discovery: the PDP's identifier is the gateway's public https URL.
    QUrl url = m_fixture->gateway().publicUrl();
    url.setPath(QStringLiteral("/.well-known/authzen-configuration"));
    QNetworkReply *reply = m_network.get(QNetworkRequest(url));
    reply->ignoreSslErrors({QSslError(QSslError::SelfSignedCertificate, m_certificate),
                            QSslError(QSslError::HostNameMismatch, m_certificate)});
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
    const QJsonObject metadata = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    const QString identifier = metadata.value(QStringLiteral("policy_decision_point")).toString();
    QVERIFY2(identifier.startsWith(u"https://127.0.0.1:"), qPrintable(identifier));
    QCOMPARE(identifier, m_fixture->gateway().publicUrl().toString());
    for (const char *kind : {"subject", "resource", "action"}) {
        QCOMPARE(metadata.value(QStringLiteral("search_%1_endpoint").arg(QLatin1StringView(kind)))
                     .toString(),
                 identifier + QStringLiteral("/access/v1/search/") + QLatin1StringView(kind));
    }
}

void TestAuthzenInterop::harnessOnThrowawaySearchPolicy()
{
    // One allow rule per (record, action, user) the subject search expects;
    // the directory (users, records, actions) set on the configuration as
    // gateway.yaml users:, resources: and actions: would set it.
    const QJsonObject subjects =
        readFixture(QStringLiteral("authzen-search-demo-subject-results.json"));
    QByteArray rules;
    int count = 0;
    for (const QJsonValue &item : subjects.value(QStringLiteral("evaluation")).toArray()) {
        const QJsonObject request = item.toObject().value(QStringLiteral("request")).toObject();
        const QString record = request.value(QStringLiteral("resource"))
                                   .toObject()
                                   .value(QStringLiteral("id"))
                                   .toString();
        const QString action = request.value(QStringLiteral("action"))
                                   .toObject()
                                   .value(QStringLiteral("name"))
                                   .toString();
        for (const QJsonValue &user : item.toObject()
                                          .value(QStringLiteral("expected"))
                                          .toObject()
                                          .value(QStringLiteral("results"))
                                          .toArray()) {
            rules += QStringLiteral("    - name: r%1\n      match: {action: %2, resource_type: "
                                    "record, resource_id: \"%3\", subject_id: %4}\n"
                                    "      effect: allow\n")
                         .arg(QString::number(++count), action, record,
                              user.toObject().value(QStringLiteral("id")).toString())
                         .toUtf8();
        }
    }
    const QString path = m_scratch.filePath(QStringLiteral("search.yaml"));
    QVERIFY(gateway::writePrivateFile(
                path,
                "listen: 127.0.0.1:0\nusers: [alice, bob, carol, dan, erin, felix]\n"
                "policy:\n  rules:\n"
                    + rules)
                .ok());
    auto config = gateway::GatewayConfig::load(path);
    QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
    gateway::GatewayConfig directory = std::move(config).value();
    for (int id = 101; id <= 120; ++id) {
        directory.resources.append(
            gateway::GatewayConfig::Resource{QStringLiteral("record"), QString::number(id), {}});
    }
    directory.actions =
        QStringList{QStringLiteral("view"), QStringLiteral("edit"), QStringLiteral("delete")};
    QVERIFY(startGateway(std::move(directory)));
    int mismatches = 0;
    for (const char *kind : {"subject", "resource", "action"}) {
        mismatches +=
            checkSearches(QString::fromLatin1(kind),
                          readFixture(QStringLiteral("authzen-search-demo-%1-results.json")
                                          .arg(QLatin1StringView(kind))));
    }
    QCOMPARE(mismatches, 0);
}

QTEST_GUILESS_MAIN(TestAuthzenInterop)
#include "test_authzen_interop.moc"
