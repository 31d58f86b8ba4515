#include "protocol/jsonrpc/jsonrpcmessage.h"

#include <QJsonDocument>
#include <QTest>

using namespace countersign;

Q_DECLARE_METATYPE(countersign::JsonRpcMessage::Kind)

class TestJsonRpcMessage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void classifies_data();
    void classifies();
    void refuses_data();
    void refuses();
    void builds();
};

void TestJsonRpcMessage::classifies_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<JsonRpcMessage::Kind>("kind");
    using Kind = JsonRpcMessage::Kind;
    QTest::newRow("request") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})")
                             << Kind::Request;
    QTest::newRow("request with string id")
        << QByteArray(R"({"jsonrpc":"2.0","id":"a","method":"m","params":{}})") << Kind::Request;
    QTest::newRow("notification") << QByteArray(
        R"({"jsonrpc":"2.0","method":"notifications/initialized"})")
                                  << Kind::Notification;
    QTest::newRow("result") << QByteArray(R"({"jsonrpc":"2.0","id":1,"result":{}})")
                            << Kind::Response;
    QTest::newRow("error response")
        << QByteArray(R"({"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"m"}})")
        << Kind::Response;
}

void TestJsonRpcMessage::classifies()
{
    QFETCH(QByteArray, bytes);
    QFETCH(JsonRpcMessage::Kind, kind);
    const JsonRpcMessage message = JsonRpcMessage::parse(bytes);
    QVERIFY(message.kind == kind);
    QVERIFY(message.errorReply.isEmpty());
    QCOMPARE(message.message, QJsonDocument::fromJson(bytes).object());
}

void TestJsonRpcMessage::refuses_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<QJsonValue>("replyId");
    const QJsonValue null(QJsonValue::Null);
    QTest::newRow("not JSON") << QByteArray("{nope") << JsonRpcMessage::parseError << null;
    QTest::newRow("batch") << QByteArray(R"([{"jsonrpc":"2.0","id":1,"method":"m"}])")
                           << JsonRpcMessage::invalidRequest << null;
    QTest::newRow("duplicate member")
        << QByteArray(R"({"jsonrpc":"2.0","id":7,"method":"m","method":"n"})")
        << JsonRpcMessage::invalidRequest << QJsonValue(7);
    QTest::newRow("version 1") << QByteArray(R"({"jsonrpc":"1.0","id":"x","method":"m"})")
                               << JsonRpcMessage::invalidRequest << QJsonValue(QStringLiteral("x"));
    QTest::newRow("id an object") << QByteArray(R"({"jsonrpc":"2.0","id":{},"method":"m"})")
                                  << JsonRpcMessage::invalidRequest << null;
    QTest::newRow("no method") << QByteArray(R"({"jsonrpc":"2.0","id":2})")
                               << JsonRpcMessage::invalidRequest << QJsonValue(2);
    QTest::newRow("method a number") << QByteArray(R"({"jsonrpc":"2.0","id":2,"method":3})")
                                     << JsonRpcMessage::invalidRequest << QJsonValue(2);
    QTest::newRow("params a list")
        << QByteArray(R"({"jsonrpc":"2.0","id":2,"method":"m","params":[1]})")
        << JsonRpcMessage::invalidRequest << QJsonValue(2);
}

void TestJsonRpcMessage::refuses()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(QJsonValue, replyId);
    const JsonRpcMessage message = JsonRpcMessage::parse(bytes);
    QVERIFY(message.kind == JsonRpcMessage::Kind::Invalid);
    const QJsonObject error = message.errorReply.value(QStringLiteral("error")).toObject();
    QCOMPARE(error.value(QStringLiteral("code")).toInt(), code);
    QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());
    QCOMPARE(message.errorReply.value(QStringLiteral("id")), replyId);
    QCOMPARE(message.errorReply.value(QStringLiteral("jsonrpc")).toString(), QStringLiteral("2.0"));
}

void TestJsonRpcMessage::builds()
{
    auto text = [](const QJsonObject &json) {
        return QJsonDocument(json).toJson(QJsonDocument::Compact);
    };
    QCOMPARE(text(JsonRpcMessage::request(1, QStringLiteral("m"), {})),
             QByteArray(R"({"id":1,"jsonrpc":"2.0","method":"m","params":{}})"));
    QCOMPARE(text(JsonRpcMessage::notification(QStringLiteral("n"))),
             QByteArray(R"({"jsonrpc":"2.0","method":"n"})"));
    QCOMPARE(text(JsonRpcMessage::result(QStringLiteral("a"), {})),
             QByteArray(R"({"id":"a","jsonrpc":"2.0","result":{}})"));
    QCOMPARE(text(JsonRpcMessage::error(QJsonValue::Null, JsonRpcMessage::methodNotFound,
                                        QStringLiteral("no"))),
             QByteArray(R"({"error":{"code":-32601,"message":"no"},"id":null,"jsonrpc":"2.0"})"));
    // A parsed request reads back through the accessors.
    const JsonRpcMessage parsed =
        JsonRpcMessage::parse(R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"a":1}})");
    QCOMPARE(parsed.id(), QJsonValue(9));
    QCOMPARE(parsed.method(), QStringLiteral("tools/call"));
    QCOMPARE(parsed.params().value(QStringLiteral("a")).toInt(), 1);
}

QTEST_GUILESS_MAIN(TestJsonRpcMessage)
#include "test_jsonrpcmessage.moc"
