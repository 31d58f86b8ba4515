#include "gateway/edge/edgeserver.h"
#include "gateway/pdp/pdpendpoints.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

namespace {

constexpr QByteArrayView adminToken = "endpoint-test-token";
struct Options {
    QByteArray contentType = "application/json";                     // empty: none sent
    QByteArray authorization = "Bearer " + adminToken.toByteArray(); // empty: none sent
};

} // namespace

// AuthZEN conformance-style tests of the embedded PDP's HTTP API over a real
// the gateway's edge (EdgeServer) on a free loopback port.
class TestPdpEndpoints : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void evaluationAllowDenyStepUp();
    void evaluationIgnoresUnknownMembers();
    void echoesRequestId();
    void malformedRequestsAre400_data();
    void malformedRequestsAre400();
    void oversizedBodyIs413();
    void batchExecuteAll();
    void batchDenyOnFirstDeny();
    void batchPermitOnFirstPermit();
    void batchDefaultsAndItemErrors();
    void batchWithoutItemsIsSingle();
    void discoveryDocument();
    void wrongMethodIsNotRouted();
    void unauthenticatedIs401_data();
    void unauthenticatedIs401();
    void contentTypeMustBeJson_data();
    void contentTypeMustBeJson();
    void batchWithPartialDefaults();
    void searchesOverHttp();
    void searchErrorsAre400();
    void ioThreadAnswersOnlyItsPaths();

private:
    struct Reply {
        int status = 0;
        QJsonObject body;
        QByteArray requestId;
        QByteArray contentType;
        QByteArray wwwAuthenticate;
    };
    Reply call(const QByteArray &verb, const QString &path, const QByteArray &body = {},
               const QByteArray &requestId = {}, const Options &options = Options());
    Reply evaluate(const QJsonObject &request, const QString &path = {});

    PolicyDecisionPoint m_pdp;
    std::unique_ptr<PdpEndpoints> m_endpoints;
    HttpRouter m_router;
    EdgeServer m_server{smallBodyLimit()};

    // The AuthZEN body limit smaller than the default 1 MiB:
    // oversizedBodyIs413 then needs only a small request.
    static EdgeOptions smallBodyLimit()
    {
        EdgeOptions options;
        options.limits.authzenBodyBytes = 64 * 1024;
        return options;
    }
    QUrl m_base;
    QNetworkAccessManager m_network;
};

namespace {

QStringList names(std::initializer_list<const char *> list)
{
    QStringList result;
    for (const char *name : list)
        result.append(QString::fromUtf8(name));
    return result;
}

QJsonObject object(const char *json)
{
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(json));
    Q_ASSERT(document.isObject());
    return document.object();
}

QList<bool> decisions(const QJsonObject &body)
{
    QList<bool> result;
    for (const QJsonValue &item : body.value(QStringLiteral("evaluations")).toArray())
        result.append(item.toObject().value(QStringLiteral("decision")).toBool());
    return result;
}

const QByteArray policyYaml = R"(rules:
  - name: reads
    match: {action: "get_*"}
    effect: allow
  - name: admin-writes
    match: {action: "set_*", subject_id: "admin@*"}
    effect: allow
  - name: disable
    match: {action: disable_user}
    effect: step_up
    timeout: 120s
  - name: no-deletes
    match: {action: "delete_*"}
    effect: deny
    reason: Deleting is not allowed.
)";

} // namespace

void TestPdpEndpoints::initTestCase()
{
    auto policy = Policy::parse(policyYaml, QStringLiteral("test.yaml"));
    QVERIFY(policy.ok());
    m_pdp.setPolicy(policy.value());
    auto directory = std::make_shared<EntityDirectory>();
    for (const char *id : {"alice@example.com", "admin@example.com", "bob@example.com"})
        directory->addSubject(DirectoryEntity{QStringLiteral("user"), QString::fromLatin1(id), {}});
    for (const char *id : {"directory/get_user", "directory/set_user"})
        directory->addResource(
            DirectoryEntity{QStringLiteral("tool"), QString::fromLatin1(id), {}});
    directory->setActions({QStringLiteral("get_user"), QStringLiteral("set_user"),
                           QStringLiteral("disable_user"), QStringLiteral("delete_user")});
    m_pdp.setDirectory(directory);
    m_endpoints = std::make_unique<PdpEndpoints>(m_pdp, QUrl());
    m_endpoints->setAuthenticator([](const HttpRequest &request) {
        return request.value("Authorization") == "Bearer " + adminToken.toByteArray();
    });
    m_endpoints->addRoutes(m_router);
    m_server.serve(m_router);
    const quint16 port = m_server.listen().value();
    QVERIFY(port != 0);
    m_base = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    m_endpoints->setPublicUrl(m_base);
}

TestPdpEndpoints::Reply TestPdpEndpoints::call(const QByteArray &verb, const QString &path,
                                               const QByteArray &body, const QByteArray &requestId,
                                               const Options &options)
{
    QUrl url = m_base;
    url.setPath(path);
    QNetworkRequest request(url);
    if (!options.contentType.isEmpty())
        request.setRawHeader("Content-Type", options.contentType);
    if (!options.authorization.isEmpty())
        request.setRawHeader("Authorization", options.authorization);
    if (!requestId.isEmpty())
        request.setRawHeader("X-Request-ID", requestId);
    QNetworkReply *reply = m_network.sendCustomRequest(request, verb, body);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    Reply result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                 QJsonDocument::fromJson(reply->readAll()).object(),
                 reply->rawHeader("X-Request-ID"), reply->rawHeader("Content-Type"),
                 reply->rawHeader("WWW-Authenticate")};
    reply->deleteLater();
    return result;
}

TestPdpEndpoints::Reply TestPdpEndpoints::evaluate(const QJsonObject &request, const QString &path)
{
    return call("POST", path.isEmpty() ? QStringLiteral("/access/v1/evaluation") : path,
                QJsonDocument(request).toJson(QJsonDocument::Compact));
}

void TestPdpEndpoints::evaluationAllowDenyStepUp()
{
    QJsonObject request = object(R"({"subject":{"type":"user","id":"alice@example.com"},
        "action":{"name":"get_user"},"resource":{"type":"tool","id":"directory/get_user"}})");
    Reply reply = evaluate(request);
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.contentType.startsWith("application/json"));
    QCOMPARE(reply.body, object(R"({"decision":true})"));

    // Deny is 200 with decision false, not an HTTP error.
    request.insert(QStringLiteral("action"), object(R"({"name":"delete_user"})"));
    reply = evaluate(request);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body.value(QStringLiteral("decision")), QJsonValue(false));
    QCOMPARE(reply.body.value(QStringLiteral("context"))
                 .toObject()
                 .value(QStringLiteral("reason_user"))
                 .toObject()
                 .value(QStringLiteral("403"))
                 .toString(),
             QStringLiteral("Deleting is not allowed."));

    request.insert(QStringLiteral("action"), object(R"({"name":"disable_user"})"));
    reply = evaluate(request);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, object(R"({"decision": false, "context": {
        "obligations": [{"id": "disable-step-up", "type": "step-up",
            "properties": {"acr_value": "urn:countersign:acr:approval",
                           "amr_values": ["hwk","otp"]}}],
        "reason": "approval_required",
        "countersign": {"methods": ["passkey","totp"], "timeout": 120}}})"));

    // No rule: default deny.
    request.insert(QStringLiteral("action"), object(R"({"name":"rm_rf"})"));
    reply = evaluate(request);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body.value(QStringLiteral("decision")), QJsonValue(false));
}

void TestPdpEndpoints::evaluationIgnoresUnknownMembers()
{
    const Reply reply = evaluate(object(R"({"subject":{"type":"user","id":"a","x":1},
        "action":{"name":"get_user","properties":{"method":"GET"}},
        "resource":{"type":"tool","id":"t","properties":{"arguments":{"id":"1"}}},
        "context":{"time":"1985-10-26T01:22-07:00"},"unknown":[1,2]})"));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, object(R"({"decision":true})"));
}

void TestPdpEndpoints::echoesRequestId()
{
    const QByteArray body = R"({"subject":{"type":"user","id":"a"},"action":{"name":"get_x"},
                                "resource":{"type":"tool","id":"t"}})";
    QCOMPARE(call("POST", QStringLiteral("/access/v1/evaluation"), body, "req-123").requestId,
             QByteArray("req-123"));
    QCOMPARE(call("POST", QStringLiteral("/access/v1/evaluations"), body, "req-456").requestId,
             QByteArray("req-456"));
    QCOMPARE(
        call("GET", QStringLiteral("/.well-known/authzen-configuration"), {}, "req-789").requestId,
        QByteArray("req-789"));
    // Also on errors.
    const Reply error = call("POST", QStringLiteral("/access/v1/evaluation"), "nope", "req-err");
    QCOMPARE(error.status, 400);
    QCOMPARE(error.requestId, QByteArray("req-err"));
    // None sent, none echoed.
    QVERIFY(call("POST", QStringLiteral("/access/v1/evaluation"), body).requestId.isEmpty());
    // Only a short printable token is echoed: not a long one, not one with
    // spaces or other characters a header could be abused with.
    QVERIFY(call("POST", QStringLiteral("/access/v1/evaluation"), body, QByteArray(129, 'a'))
                .requestId.isEmpty());
    QVERIFY(
        call("POST", QStringLiteral("/access/v1/evaluation"), body, "a b;c").requestId.isEmpty());
}

void TestPdpEndpoints::malformedRequestsAre400_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message"); // contained in the message
    const QString one = QStringLiteral("/access/v1/evaluation");
    const QString batch = QStringLiteral("/access/v1/evaluations");
    QTest::newRow("not json") << one << QByteArray("subject=alice") << QStringLiteral("JSON");
    QTest::newRow("empty body") << one << QByteArray() << QStringLiteral("JSON");
    QTest::newRow("array") << one << QByteArray("[]") << QStringLiteral("not a JSON object");
    QTest::newRow("duplicate member")
        << one << QByteArray(R"({"subject":{"type":"u","id":"a"},"action":{"name":"get_x"},
                          "action":{"name":"delete_x"},"resource":{"type":"t","id":"1"}})")
        << QStringLiteral("twice");
    QTest::newRow("missing subject")
        << one << QByteArray(R"({"action":{"name":"r"},"resource":{"type":"t","id":"1"}})")
        << QStringLiteral("subject is missing");
    QTest::newRow("missing action")
        << one
        << QByteArray(R"({"subject":{"type":"u","id":"a"},"resource":{"type":"t","id":"1"}})")
        << QStringLiteral("action is missing");
    QTest::newRow("missing resource")
        << one << QByteArray(R"({"subject":{"type":"u","id":"a"},"action":{"name":"r"}})")
        << QStringLiteral("resource is missing");
    QTest::newRow("subject id a number")
        << one << QByteArray(R"({"subject":{"type":"u","id":1},"action":{"name":"r"},
                          "resource":{"type":"t","id":"1"}})")
        << QStringLiteral("subject.id must be a string");
    QTest::newRow("action a string")
        << one << QByteArray(R"({"subject":{"type":"u","id":"a"},"action":"r",
                          "resource":{"type":"t","id":"1"}})")
        << QStringLiteral("action must be an object");
    QTest::newRow("batch not json") << batch << QByteArray("{") << QStringLiteral("JSON");
    QTest::newRow("batch evaluations not array") << batch << QByteArray(R"({"evaluations":"all"})")
                                                 << QStringLiteral("evaluations must be an array");
    QTest::newRow("batch unknown semantic")
        << batch << QByteArray(R"({"subject":{"type":"u","id":"a"},"action":{"name":"r"},
                          "options":{"evaluations_semantic":"any"},
                          "evaluations":[{"resource":{"type":"t","id":"1"}}]})")
        << QStringLiteral("evaluations_semantic");
    QTest::newRow("batch without items or defaults")
        << batch << QByteArray(R"({})") << QStringLiteral("subject is missing");
}

void TestPdpEndpoints::malformedRequestsAre400()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const Reply reply = call("POST", path, body);
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
             QStringLiteral("malformed_request"));
    QVERIFY2(reply.body.value(QStringLiteral("message")).toString().contains(message),
             qPrintable(reply.body.value(QStringLiteral("message")).toString()));
}

void TestPdpEndpoints::oversizedBodyIs413()
{
    const QByteArray body = "{\"pad\":\"" + QByteArray(70 * 1024, 'x') + "\"}";
    // The edge refuses it with the configured limit (limits:
    // authzen_body_bytes), in the endpoints' error shape.
    const Reply single = call("POST", QStringLiteral("/access/v1/evaluation"), body, "req-413");
    QCOMPARE(single.status, 413);
    QCOMPARE(single.requestId, QByteArray("req-413"));
    QCOMPARE(single.body.value(QStringLiteral("error")).toString(), QStringLiteral("too_large"));
    QVERIFY(single.body.value(QStringLiteral("message")).toString().contains(u"65536"));
    QCOMPARE(call("POST", QStringLiteral("/access/v1/evaluations"), body).status, 413);
}

void TestPdpEndpoints::batchExecuteAll()
{
    for (const char *options : {"", R"("options":{"evaluations_semantic":"execute_all"},)"}) {
        const QByteArray body = QByteArray("{") + options + R"(
            "subject":{"type":"user","id":"alice@example.com"},
            "evaluations":[
              {"action":{"name":"get_user"},"resource":{"type":"tool","id":"1"}},
              {"action":{"name":"delete_user"},"resource":{"type":"tool","id":"2"}},
              {"action":{"name":"get_group"},"resource":{"type":"tool","id":"3"}},
              {"action":{"name":"disable_user"},"resource":{"type":"tool","id":"4"}}]})";
        const Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"), body);
        QCOMPARE(reply.status, 200);
        QCOMPARE(decisions(reply.body), (QList<bool>{true, false, true, false}));
        // The top-level decision SHOULD be omitted in batch responses.
        QVERIFY(!reply.body.contains(QStringLiteral("decision")));
        const QJsonArray items = reply.body.value(QStringLiteral("evaluations")).toArray();
        QVERIFY(items.at(3)
                    .toObject()
                    .value(QStringLiteral("context"))
                    .toObject()
                    .contains(QStringLiteral("obligations")));
    }
}

void TestPdpEndpoints::batchDenyOnFirstDeny()
{
    const QByteArray body = R"({"subject":{"type":"user","id":"alice@example.com"},
        "options":{"evaluations_semantic":"deny_on_first_deny"},
        "evaluations":[
          {"action":{"name":"get_user"},"resource":{"type":"tool","id":"1"}},
          {"action":{"name":"delete_user"},"resource":{"type":"tool","id":"2"}},
          {"action":{"name":"get_group"},"resource":{"type":"tool","id":"3"}}]})";
    const Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"), body);
    QCOMPARE(reply.status, 200);
    QCOMPARE(decisions(reply.body), (QList<bool>{true, false}));

    // No deny: every item runs.
    const QByteArray allowed = R"({"subject":{"type":"user","id":"a"},
        "resource":{"type":"tool","id":"t"},
        "options":{"evaluations_semantic":"deny_on_first_deny"},
        "evaluations":[{"action":{"name":"get_a"}},{"action":{"name":"get_b"}}]})";
    QCOMPARE(decisions(call("POST", QStringLiteral("/access/v1/evaluations"), allowed).body),
             (QList<bool>{true, true}));
}

void TestPdpEndpoints::batchPermitOnFirstPermit()
{
    const QByteArray body = R"({"subject":{"type":"user","id":"alice@example.com"},
        "resource":{"type":"tool","id":"t"},
        "options":{"evaluations_semantic":"permit_on_first_permit"},
        "evaluations":[
          {"action":{"name":"delete_user"}},
          {"action":{"name":"disable_user"}},
          {"action":{"name":"get_user"}},
          {"action":{"name":"get_group"}}]})";
    const Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"), body);
    QCOMPARE(reply.status, 200);
    QCOMPARE(decisions(reply.body), (QList<bool>{false, false, true}));
}

void TestPdpEndpoints::batchDefaultsAndItemErrors()
{
    // Top-level members are defaults; an item's own member wins; a broken
    // item is answered in its place with decision false and context.error.
    const QByteArray body = R"({
        "subject":{"type":"user","id":"alice@example.com"},
        "action":{"name":"set_user"},
        "resource":{"type":"tool","id":"t"},
        "evaluations":[
          {},
          {"subject":{"type":"user","id":"admin@example.com"}},
          {"subject":{"type":"user"}},
          {"action":{"name":"get_user"}}]})";
    const Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"), body);
    QCOMPARE(reply.status, 200);
    QCOMPARE(decisions(reply.body), (QList<bool>{false, true, false, true}));
    const QJsonObject error = reply.body.value(QStringLiteral("evaluations"))
                                  .toArray()
                                  .at(2)
                                  .toObject()
                                  .value(QStringLiteral("context"))
                                  .toObject()
                                  .value(QStringLiteral("error"))
                                  .toObject();
    QCOMPARE(error.value(QStringLiteral("status")).toInt(), 400);
    QCOMPARE(error.value(QStringLiteral("message")).toString(),
             QStringLiteral("evaluations[2].subject.id is missing"));
}

void TestPdpEndpoints::batchWithoutItemsIsSingle()
{
    const Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"),
                             R"({"subject":{"type":"user","id":"a"},"action":{"name":"get_x"},
                                 "resource":{"type":"tool","id":"t"}})");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, object(R"({"decision":true})"));
}

void TestPdpEndpoints::discoveryDocument()
{
    const Reply reply = call("GET", QStringLiteral("/.well-known/authzen-configuration"));
    QCOMPARE(reply.status, 200);
    const QString base = m_base.toString();
    QCOMPARE(reply.body.value(QStringLiteral("policy_decision_point")).toString(), base);
    QCOMPARE(reply.body.value(QStringLiteral("access_evaluation_endpoint")).toString(),
             base + QStringLiteral("/access/v1/evaluation"));
    QCOMPARE(reply.body.value(QStringLiteral("access_evaluations_endpoint")).toString(),
             base + QStringLiteral("/access/v1/evaluations"));
    QCOMPARE(reply.body.value(QStringLiteral("search_subject_endpoint")).toString(),
             base + QStringLiteral("/access/v1/search/subject"));
    QCOMPARE(reply.body.value(QStringLiteral("search_resource_endpoint")).toString(),
             base + QStringLiteral("/access/v1/search/resource"));
    QCOMPARE(reply.body.value(QStringLiteral("search_action_endpoint")).toString(),
             base + QStringLiteral("/access/v1/search/action"));
    // Discovery needs no token.
    QCOMPARE(call("GET", QStringLiteral("/.well-known/authzen-configuration"), {}, {},
                  Options{QByteArray(), QByteArray()})
                 .status,
             200);
    QCOMPARE(reply.body.value(QStringLiteral("supported_obligations")).toArray(),
             QJsonArray{QStringLiteral("step-up")});

    // A public URL with a path prefix (behind a proxy) keeps it.
    PdpEndpoints prefixed(m_pdp, QUrl(QStringLiteral("https://gw.example.com/authz/")));
    const QJsonObject document = prefixed.discoveryDocument();
    QCOMPARE(document.value(QStringLiteral("policy_decision_point")).toString(),
             QStringLiteral("https://gw.example.com/authz"));
    QCOMPARE(document.value(QStringLiteral("access_evaluation_endpoint")).toString(),
             QStringLiteral("https://gw.example.com/authz/access/v1/evaluation"));
}

void TestPdpEndpoints::wrongMethodIsNotRouted()
{
    QVERIFY(call("GET", QStringLiteral("/access/v1/evaluation")).status >= 400);
    QVERIFY(call("POST", QStringLiteral("/.well-known/authzen-configuration"), "{}").status >= 400);
    const Reply unknown = call("POST", QStringLiteral("/access/v1/evaluationz"), "{}", "req-404");
    QCOMPARE(unknown.status, 404);
    QCOMPARE(unknown.requestId, QByteArray("req-404"));
    QCOMPARE(call("GET", QStringLiteral("/access/v1/search/subject"), {}, "req-get").requestId,
             QByteArray("req-get"));
}

namespace {

const QByteArray allowedRequest = R"({"subject":{"type":"user","id":"a"},
    "action":{"name":"get_x"},"resource":{"type":"tool","id":"t"}})";
const QByteArray subjectSearch = R"({"subject":{"type":"user"},"action":{"name":"set_user"},
    "resource":{"type":"tool","id":"directory/set_user"}})";

QStringList resultIds(const QJsonObject &body)
{
    QStringList ids;
    for (const QJsonValue &item : body.value(QStringLiteral("results")).toArray()) {
        const QJsonObject entity = item.toObject();
        ids.append(entity.contains(QStringLiteral("name"))
                       ? entity.value(QStringLiteral("name")).toString()
                       : entity.value(QStringLiteral("id")).toString());
    }
    return ids;
}

} // namespace

void TestPdpEndpoints::unauthenticatedIs401_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("authorization");
    for (const char *path :
         {"/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/subject",
          "/access/v1/search/resource", "/access/v1/search/action"}) {
        QTest::addRow("%s without token", path) << QString::fromLatin1(path) << QByteArray();
        QTest::addRow("%s wrong token", path)
            << QString::fromLatin1(path) << QByteArray("Bearer not-the-token");
    }
}

void TestPdpEndpoints::unauthenticatedIs401()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, authorization);
    // Refused before the body is read: even a malformed one gets 401.
    for (const QByteArray &body : {allowedRequest, QByteArray("nope")}) {
        const Reply reply = call("POST", path, body, "req-401",
                                 Options{QByteArray("application/json"), authorization});
        QCOMPARE(reply.status, 401);
        QCOMPARE(reply.requestId, QByteArray("req-401"));
        QCOMPARE(reply.wwwAuthenticate, QByteArray("Bearer"));
        QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
                 QStringLiteral("unauthorized"));
        QVERIFY(!reply.body.value(QStringLiteral("message")).toString().isEmpty());
    }

    // Without an authenticator nothing is answered but 401 (closed by
    // default), whatever the request carries.
    PolicyDecisionPoint pdp(m_pdp.policy());
    const PdpEndpoints closed(pdp, QUrl());
    HttpRequest request;
    request.method = HttpMethod::Post;
    request.path = path;
    request.headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
    request.headers.append({QByteArray("Authorization"), "Bearer " + adminToken.toByteArray()});
    request.body = allowedRequest;
    const auto answer = closed.answer(request);
    QVERIFY(answer.has_value());
    QCOMPARE(answer->status, 401);
}

void TestPdpEndpoints::contentTypeMustBeJson_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<int>("status");
    for (const char *path :
         {"/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/subject"}) {
        QTest::addRow("%s none", path) << QString::fromLatin1(path) << QByteArray() << 400;
        QTest::addRow("%s text/plain", path)
            << QString::fromLatin1(path) << QByteArray("text/plain") << 400;
        QTest::addRow("%s form", path)
            << QString::fromLatin1(path) << QByteArray("application/x-www-form-urlencoded") << 400;
        QTest::addRow("%s json+suffix", path)
            << QString::fromLatin1(path) << QByteArray("application/jsonx") << 400;
        QTest::addRow("%s JSON with charset", path)
            << QString::fromLatin1(path) << QByteArray("Application/JSON; charset=utf-8") << 200;
    }
}

void TestPdpEndpoints::contentTypeMustBeJson()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, contentType);
    QFETCH(int, status);
    // A well-formed body: only the Content-Type decides.
    const QByteArray body = path.contains(u"search") ? subjectSearch : allowedRequest;
    Options options;
    options.contentType = contentType;
    const Reply reply = call("POST", path, body, "req-ct", options);
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.requestId, QByteArray("req-ct"));
    if (status == 400) {
        QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
                 QStringLiteral("unsupported_media_type"));
        QVERIFY(
            reply.body.value(QStringLiteral("message")).toString().contains(u"application/json"));
    }
}

void TestPdpEndpoints::batchWithPartialDefaults()
{
    // The working group's shape (Todo 1.1 scenario): an empty default
    // resource that every item replaces. The batch is answered, not refused.
    Reply reply = call("POST", QStringLiteral("/access/v1/evaluations"), R"({
        "subject":{"type":"user","id":"admin@example.com"},
        "action":{"name":"set_user"},
        "resource":{},
        "context":{},
        "evaluations":[
          {"resource":{"type":"tool","id":"a"}},
          {"resource":{"type":"tool","id":"b"},"action":{"name":"delete_user"}}]})");
    QCOMPARE(reply.status, 200);
    QCOMPARE(decisions(reply.body), (QList<bool>{true, false}));

    // A partial default: an item that takes it is an error in its place;
    // the others are decided.
    reply = call("POST", QStringLiteral("/access/v1/evaluations"), R"({
        "subject":{"type":"user"},
        "action":{"name":"get_user"},
        "resource":{"type":"tool","id":"t"},
        "evaluations":[
          {"subject":{"type":"user","id":"bob@example.com"}},
          {}]})");
    QCOMPARE(reply.status, 200);
    QCOMPARE(decisions(reply.body), (QList<bool>{true, false}));
    QCOMPARE(reply.body.value(QStringLiteral("evaluations"))
                 .toArray()
                 .at(1)
                 .toObject()
                 .value(QStringLiteral("context"))
                 .toObject()
                 .value(QStringLiteral("error"))
                 .toObject()
                 .value(QStringLiteral("message"))
                 .toString(),
             QStringLiteral("evaluations[1].subject.id is missing"));

    // What a default does carry must still be well-typed.
    reply = call("POST", QStringLiteral("/access/v1/evaluations"), R"({
        "resource":{"type":"tool","id":7},
        "evaluations":[{"subject":{"type":"user","id":"a"},"action":{"name":"get_x"},
                        "resource":{"type":"tool","id":"t"}}]})");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("message")).toString(),
             QStringLiteral("resource.id must be a string"));
    // Without items the top level is the request: it must be complete.
    reply = call("POST", QStringLiteral("/access/v1/evaluations"),
                 R"({"subject":{"type":"user","id":"a"},"action":{"name":"get_x"},"resource":{}})");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.body.value(QStringLiteral("message")).toString(),
             QStringLiteral("resource.type is missing"));
}

void TestPdpEndpoints::searchesOverHttp()
{
    Reply reply = call("POST", QStringLiteral("/access/v1/search/subject"), subjectSearch, "req-s");
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.contentType.startsWith("application/json"));
    QCOMPARE(reply.requestId, QByteArray("req-s"));
    QCOMPARE(resultIds(reply.body), names({"admin@example.com"}));

    reply = call("POST", QStringLiteral("/access/v1/search/resource"), R"({
        "subject":{"type":"user","id":"bob@example.com"},"action":{"name":"get_user"},
        "resource":{"type":"tool"}})");
    QCOMPARE(reply.status, 200);
    QCOMPARE(resultIds(reply.body), names({"directory/get_user", "directory/set_user"}));

    reply = call("POST", QStringLiteral("/access/v1/search/action"), R"({
        "subject":{"type":"user","id":"admin@example.com"},
        "resource":{"type":"tool","id":"directory/set_user"}})");
    QCOMPARE(reply.status, 200);
    // disable_user is a step-up (decision false), delete_user a deny.
    QCOMPARE(resultIds(reply.body), names({"get_user", "set_user"}));

    // Paged: one result a page, walked to the end.
    QStringList walked;
    QString token;
    for (int page = 0; page < 5; ++page) {
        QJsonObject body = object(R"({"subject":{"type":"user","id":"admin@example.com"},
            "resource":{"type":"tool","id":"directory/set_user"}})");
        QJsonObject paging{{QStringLiteral("limit"), 1}};
        if (!token.isEmpty())
            paging.insert(QStringLiteral("token"), token);
        body.insert(QStringLiteral("page"), paging);
        reply = call("POST", QStringLiteral("/access/v1/search/action"),
                     QJsonDocument(body).toJson(QJsonDocument::Compact));
        QCOMPARE(reply.status, 200);
        walked += resultIds(reply.body);
        token = reply.body.value(QStringLiteral("page"))
                    .toObject()
                    .value(QStringLiteral("next_token"))
                    .toString();
        if (token.isEmpty())
            break;
    }
    QCOMPARE(walked, names({"get_user", "set_user"}));
    QVERIFY(token.isEmpty());
}

void TestPdpEndpoints::searchErrorsAre400()
{
    Reply reply = call("POST", QStringLiteral("/access/v1/search/resource"),
                       R"({"subject":{"type":"user","id":"a"},"action":{"name":"x"},
                           "resource":{"type":"tool"},"page":{"token":"AAAA"}})",
                       "req-bad-token");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.requestId, QByteArray("req-bad-token"));
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(),
             QStringLiteral("malformed_request"));
    QVERIFY(reply.body.value(QStringLiteral("message")).toString().startsWith(u"page.token"));

    reply = call("POST", QStringLiteral("/access/v1/search/subject"),
                 R"({"action":{"name":"x"},"resource":{"type":"tool","id":"t"}})", "req-missing");
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.requestId, QByteArray("req-missing"));
    QCOMPARE(reply.body.value(QStringLiteral("message")).toString(),
             QStringLiteral("subject is missing"));

    reply = call("POST", QStringLiteral("/access/v1/search/action"), "[]");
    QCOMPARE(reply.status, 400);
}

void TestPdpEndpoints::ioThreadAnswersOnlyItsPaths()
{
    HttpRequest request;
    request.method = HttpMethod::Post;
    request.headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
    request.headers.append({QByteArray("Authorization"), "Bearer " + adminToken.toByteArray()});
    request.body = subjectSearch;
    request.path = QStringLiteral("/access/v1/search/subject");
    auto answer = m_endpoints->answer(request);
    QVERIFY(answer.has_value());
    QCOMPARE(answer->status, 200);
    request.path = QStringLiteral("/access/v1/search/other");
    QVERIFY(!m_endpoints->answer(request).has_value());
    request.path = QStringLiteral("/.well-known/authzen-configuration");
    QVERIFY(!m_endpoints->answer(request).has_value());
    request.path = QStringLiteral("/access/v1/evaluation");
    request.method = HttpMethod::Get;
    QVERIFY(!m_endpoints->answer(request).has_value());
}

QTEST_GUILESS_MAIN(TestPdpEndpoints)
#include "test_pdp_endpoints.moc"
