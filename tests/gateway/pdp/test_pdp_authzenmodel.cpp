#include "gateway/pdp/authzenmodel.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The AuthZEN 1.0 request model: required members, errors that name the
// member, ignored unknown members, batch defaults and options.
class TestPdpAuthzenModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesFullRequest();
    void ignoresUnknownMembers();
    void refusesMalformedRequests_data();
    void refusesMalformedRequests();
    void roundTripsThroughJson();
    void batchItemsInheritTopLevelDefaults();
    void batchItemErrorsStayInTheirPlace();
    void batchTakesPartialDefaults();
    void batchOptions_data();
    void batchOptions();
    void batchWithoutEvaluationsIsSingle();
    void refusesMalformedBatches_data();
    void refusesMalformedBatches();
};

namespace {

QJsonObject object(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

void TestPdpAuthzenModel::parsesFullRequest()
{
    const auto request = AccessRequest::fromJson(object(R"({
        "subject": {"type": "user", "id": "alice@example.com", "properties": {"agent": "claude-code"}},
        "action": {"name": "disable_user", "properties": {"method": "tools/call"}},
        "resource": {"type": "tool", "id": "directory/disable_user",
                     "properties": {"arguments": {"user_id": "u-42"}}},
        "context": {"time": "1985-10-26T01:22-07:00"}})"));
    QVERIFY2(request.ok(), qPrintable(request.ok() ? QString() : request.error().message));
    QCOMPARE(request->subject.type, QStringLiteral("user"));
    QCOMPARE(request->subject.id, QStringLiteral("alice@example.com"));
    QCOMPARE(request->subject.properties.value(QStringLiteral("agent")).toString(),
             QStringLiteral("claude-code"));
    QCOMPARE(request->action.name, QStringLiteral("disable_user"));
    QCOMPARE(request->action.properties.value(QStringLiteral("method")).toString(),
             QStringLiteral("tools/call"));
    QCOMPARE(request->resource.type, QStringLiteral("tool"));
    QCOMPARE(request->resource.id, QStringLiteral("directory/disable_user"));
    QCOMPARE(request->context.value(QStringLiteral("time")).toString(),
             QStringLiteral("1985-10-26T01:22-07:00"));
}

void TestPdpAuthzenModel::ignoresUnknownMembers()
{
    // Receivers MUST ignore unknown fields (AuthZEN 1.0).
    const auto request = AccessRequest::fromJson(object(R"({
        "subject": {"type": "user", "id": "a", "extra": 1},
        "action": {"name": "read", "x": [1]},
        "resource": {"type": "doc", "id": "1"},
        "future_member": {"anything": true}})"));
    QVERIFY(request.ok());
    QVERIFY(request->context.isEmpty());
    QVERIFY(request->subject.properties.isEmpty());
}

void TestPdpAuthzenModel::refusesMalformedRequests_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("member");
    const QByteArray s = R"("subject":{"type":"user","id":"a"})";
    const QByteArray a = R"("action":{"name":"read"})";
    const QByteArray r = R"("resource":{"type":"doc","id":"1"})";
    QTest::newRow("no subject") << QByteArray("{" + a + "," + r + "}") << QStringLiteral("subject");
    QTest::newRow("no action") << QByteArray("{" + s + "," + r + "}") << QStringLiteral("action");
    QTest::newRow("no resource") << QByteArray("{" + s + "," + a + "}")
                                 << QStringLiteral("resource");
    QTest::newRow("subject not object")
        << QByteArray(R"({"subject":"alice",)" + a + "," + r + "}") << QStringLiteral("subject");
    QTest::newRow("subject without id")
        << QByteArray(R"({"subject":{"type":"user"},)" + a + "," + r + "}")
        << QStringLiteral("subject.id");
    QTest::newRow("subject without type")
        << QByteArray(R"({"subject":{"id":"a"},)" + a + "," + r + "}")
        << QStringLiteral("subject.type");
    QTest::newRow("subject id not string")
        << QByteArray(R"({"subject":{"type":"user","id":7},)" + a + "," + r + "}")
        << QStringLiteral("subject.id");
    QTest::newRow("subject id empty")
        << QByteArray(R"({"subject":{"type":"user","id":""},)" + a + "," + r + "}")
        << QStringLiteral("subject.id");
    QTest::newRow("subject properties not object")
        << QByteArray(R"({"subject":{"type":"user","id":"a","properties":[]},)" + a + "," + r + "}")
        << QStringLiteral("subject.properties");
    QTest::newRow("action without name")
        << QByteArray("{" + s + R"(,"action":{},)" + r + "}") << QStringLiteral("action.name");
    QTest::newRow("action name not string")
        << QByteArray("{" + s + R"(,"action":{"name":true},)" + r + "}")
        << QStringLiteral("action.name");
    QTest::newRow("resource id missing")
        << QByteArray("{" + s + "," + a + R"(,"resource":{"type":"doc"}})")
        << QStringLiteral("resource.id");
    QTest::newRow("context not object")
        << QByteArray("{" + s + "," + a + "," + r + R"(,"context":"now"})")
        << QStringLiteral("context");
}

void TestPdpAuthzenModel::refusesMalformedRequests()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, member);
    const auto request = AccessRequest::fromJson(QJsonDocument::fromJson(json).object());
    QVERIFY(!request.ok());
    QVERIFY2(request.error().message.startsWith(member + u' '),
             qPrintable(request.error().message));
}

void TestPdpAuthzenModel::roundTripsThroughJson()
{
    const QJsonObject json = object(R"({
        "subject": {"type": "user", "id": "a", "properties": {"agent": "x"}},
        "action": {"name": "read"},
        "resource": {"type": "doc", "id": "1"},
        "context": {"k": 1}})");
    const auto request = AccessRequest::fromJson(json);
    QVERIFY(request.ok());
    QCOMPARE(request->toJson(), json);
}

void TestPdpAuthzenModel::batchItemsInheritTopLevelDefaults()
{
    const auto batch = AccessEvaluationsRequest::fromJson(object(R"({
        "subject": {"type": "user", "id": "alice"},
        "action": {"name": "read"},
        "context": {"from": "top"},
        "evaluations": [
            {"resource": {"type": "doc", "id": "1"}},
            {"action": {"name": "write"}, "resource": {"type": "doc", "id": "2"}},
            {"subject": {"type": "user", "id": "bob"}, "resource": {"type": "doc", "id": "3"},
             "context": {"from": "item"}}
        ]})"));
    QVERIFY(batch.ok());
    QVERIFY(!batch->single);
    QCOMPARE(batch->semantic, EvaluationsSemantic::ExecuteAll);
    QCOMPARE(batch->evaluations.size(), size_t(3));
    for (const auto &item : batch->evaluations)
        QVERIFY(item.ok());
    QCOMPARE(batch->evaluations[0]->subject.id, QStringLiteral("alice"));
    QCOMPARE(batch->evaluations[0]->action.name, QStringLiteral("read"));
    QCOMPARE(batch->evaluations[0]->resource.id, QStringLiteral("1"));
    QCOMPARE(batch->evaluations[0]->context.value(QStringLiteral("from")).toString(),
             QStringLiteral("top"));
    QCOMPARE(batch->evaluations[1]->action.name, QStringLiteral("write"));
    QCOMPARE(batch->evaluations[1]->subject.id, QStringLiteral("alice"));
    QCOMPARE(batch->evaluations[2]->subject.id, QStringLiteral("bob"));
    // An item's member replaces the default whole; nothing is merged in.
    QCOMPARE(batch->evaluations[2]->context, object(R"({"from":"item"})"));
}

void TestPdpAuthzenModel::batchTakesPartialDefaults()
{
    // "resource": {} as a default every item replaces: a batch like any other.
    auto batch = AccessEvaluationsRequest::fromJson(object(R"({
        "subject": {"type": "user", "id": "alice"},
        "action": {"name": "read"},
        "resource": {},
        "evaluations": [
            {"resource": {"type": "doc", "id": "1"}},
            {"resource": {"type": "doc", "id": "2", "properties": {"owner": "bob"}}}
        ]})"));
    QVERIFY(batch.ok());
    QCOMPARE(batch->evaluations.size(), size_t(2));
    QVERIFY(batch->evaluations[0].ok());
    QCOMPARE(batch->evaluations[1]->resource.properties, object(R"({"owner":"bob"})"));

    // A partial default is an error only of the item that takes it; an
    // item's own member replaces it whole (nothing of the default merged in).
    batch = AccessEvaluationsRequest::fromJson(object(R"({
        "subject": {"type": "user", "id": "alice"},
        "action": {"name": "read"},
        "resource": {"type": "doc", "properties": {"owner": "alice"}},
        "evaluations": [
            {"resource": {"type": "doc", "id": "1"}},
            {}
        ]})"));
    QVERIFY(batch.ok());
    QVERIFY(batch->evaluations[0].ok());
    QVERIFY(batch->evaluations[0]->resource.properties.isEmpty());
    QVERIFY(!batch->evaluations[1].ok());
    QCOMPARE(batch->evaluations[1].error().message,
             QStringLiteral("evaluations[1].resource.id is missing"));
}

void TestPdpAuthzenModel::batchItemErrorsStayInTheirPlace()
{
    const auto batch = AccessEvaluationsRequest::fromJson(object(R"({
        "subject": {"type": "user", "id": "alice"},
        "action": {"name": "read"},
        "evaluations": [
            {"resource": {"type": "doc", "id": "1"}},
            {},
            "not an object",
            {"resource": {"type": "doc"}}
        ]})"));
    QVERIFY(batch.ok());
    QCOMPARE(batch->evaluations.size(), size_t(4));
    QVERIFY(batch->evaluations[0].ok());
    QVERIFY(!batch->evaluations[1].ok());
    QCOMPARE(batch->evaluations[1].error().message,
             QStringLiteral("evaluations[1].resource is missing"));
    QVERIFY(batch->evaluations[2].error().message.startsWith(QStringLiteral("evaluations[2] ")));
    QCOMPARE(batch->evaluations[3].error().message,
             QStringLiteral("evaluations[3].resource.id is missing"));
}

void TestPdpAuthzenModel::batchOptions_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::addColumn<EvaluationsSemantic>("semantic");
    QTest::newRow("absent") << QByteArray() << EvaluationsSemantic::ExecuteAll;
    QTest::newRow("empty options")
        << QByteArray(R"("options":{},)") << EvaluationsSemantic::ExecuteAll;
    QTest::newRow("execute_all") << QByteArray(
        R"("options":{"evaluations_semantic":"execute_all"},)")
                                 << EvaluationsSemantic::ExecuteAll;
    QTest::newRow("deny_on_first_deny")
        << QByteArray(R"("options":{"evaluations_semantic":"deny_on_first_deny"},)")
        << EvaluationsSemantic::DenyOnFirstDeny;
    QTest::newRow("permit_on_first_permit")
        << QByteArray(R"("options":{"evaluations_semantic":"permit_on_first_permit","x":1},)")
        << EvaluationsSemantic::PermitOnFirstPermit;
}

void TestPdpAuthzenModel::batchOptions()
{
    QFETCH(QByteArray, options);
    QFETCH(EvaluationsSemantic, semantic);
    const QByteArray json =
        "{" + options + R"("subject":{"type":"u","id":"a"},"action":{"name":"r"},
             "evaluations":[{"resource":{"type":"d","id":"1"}}]})";
    const auto batch = AccessEvaluationsRequest::fromJson(QJsonDocument::fromJson(json).object());
    QVERIFY(batch.ok());
    QCOMPARE(batch->semantic, semantic);
    QCOMPARE(evaluationsSemanticName(semantic).isEmpty(), false);
}

void TestPdpAuthzenModel::batchWithoutEvaluationsIsSingle()
{
    for (
        const char *json :
        {R"({"subject":{"type":"u","id":"a"},"action":{"name":"r"},"resource":{"type":"d","id":"1"}})",
         R"({"subject":{"type":"u","id":"a"},"action":{"name":"r"},"resource":{"type":"d","id":"1"},
              "evaluations":[]})"}) {
        const auto batch = AccessEvaluationsRequest::fromJson(object(json));
        QVERIFY(batch.ok());
        QVERIFY(batch->single);
        QCOMPARE(batch->evaluations.size(), size_t(1));
        QCOMPARE(batch->evaluations[0]->resource.id, QStringLiteral("1"));
    }
    // Without items the top level must be a whole request.
    const auto incomplete =
        AccessEvaluationsRequest::fromJson(object(R"({"subject":{"type":"u","id":"a"}})"));
    QVERIFY(!incomplete.ok());
    QCOMPARE(incomplete.error().message, QStringLiteral("action is missing"));
}

void TestPdpAuthzenModel::refusesMalformedBatches_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("member");
    const QByteArray items =
        R"("evaluations":[{"subject":{"type":"u","id":"a"},"action":{"name":"r"},"resource":{"type":"d","id":"1"}}])";
    QTest::newRow("evaluations not array")
        << QByteArray(R"({"evaluations":{}})") << QStringLiteral("evaluations");
    QTest::newRow("unknown semantic")
        << QByteArray(R"({"options":{"evaluations_semantic":"first_wins"},)" + items + "}")
        << QStringLiteral("options.evaluations_semantic");
    QTest::newRow("semantic not string")
        << QByteArray(R"({"options":{"evaluations_semantic":1},)" + items + "}")
        << QStringLiteral("options.evaluations_semantic");
    QTest::newRow("options not object")
        << QByteArray(R"({"options":[],)" + items + "}") << QStringLiteral("options");
    // A partial default is fine (batchTakesPartialDefaults); a default
    // member of the wrong type is not.
    QTest::newRow("malformed default subject")
        << QByteArray(R"({"subject":{"type":"u","id":5},)" + items + "}")
        << QStringLiteral("subject.id");
    QTest::newRow("default subject not an object")
        << QByteArray(R"({"subject":"u",)" + items + "}") << QStringLiteral("subject");
    QTest::newRow("default action name empty")
        << QByteArray(R"({"action":{"name":""},)" + items + "}") << QStringLiteral("action.name");
    QTest::newRow("default resource properties not an object")
        << QByteArray(R"({"resource":{"properties":[]},)" + items + "}")
        << QStringLiteral("resource.properties");
    QTest::newRow("malformed default context")
        << QByteArray(R"({"context":5,)" + items + "}") << QStringLiteral("context");
    QByteArray many = R"({"subject":{"type":"u","id":"a"},"action":{"name":"r"},"evaluations":[)";
    for (int i = 0; i <= AccessEvaluationsRequest::maxEvaluations; ++i)
        many += QByteArray(i ? "," : "") + R"({"resource":{"type":"d","id":"1"}})";
    many += "]}";
    QTest::newRow("too many items") << many << QStringLiteral("evaluations");
}

void TestPdpAuthzenModel::refusesMalformedBatches()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, member);
    const auto batch = AccessEvaluationsRequest::fromJson(QJsonDocument::fromJson(json).object());
    QVERIFY(!batch.ok());
    QVERIFY2(batch.error().message.startsWith(member + u' '), qPrintable(batch.error().message));
}

QTEST_APPLESS_MAIN(TestPdpAuthzenModel)
#include "test_pdp_authzenmodel.moc"
