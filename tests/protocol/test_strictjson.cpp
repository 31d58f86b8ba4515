#include "protocol/strictjson.h"

#include <QTest>

using namespace countersign;

class TestStrictJson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void acceptsObjectsWithTrickyStrings_data();
    void acceptsObjectsWithTrickyStrings();
    void refusesDuplicateMembers_data();
    void refusesDuplicateMembers();
    void refusesMalformedOrNonObjectJson_data();
    void refusesMalformedOrNonObjectJson();
};

void TestStrictJson::acceptsObjectsWithTrickyStrings_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("members");
    QTest::newRow("empty") << QByteArray("{}") << 0;
    QTest::newRow("colon in value") << QByteArray(R"({"url":"https://a:1/b"})") << 1;
    QTest::newRow("colon in key") << QByteArray(R"({"a:b":1,"a":2})") << 2;
    QTest::newRow("escaped quote then colon") << QByteArray(R"({"a":"x\":y","b":1})") << 2;
    QTest::newRow("escaped backslash") << QByteArray(R"({"a":"x\\","b":":"})") << 2;
    QTest::newRow("same key at different levels")
        << QByteArray(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})") << 2;
}

void TestStrictJson::acceptsObjectsWithTrickyStrings()
{
    QFETCH(QByteArray, json);
    QFETCH(int, members);
    const auto object = parseStrictJsonObject(json, QStringLiteral("test"));
    QVERIFY2(object.ok(), object.ok() ? "" : qPrintable(object.error().message));
    QCOMPARE(object->size(), members);
}

void TestStrictJson::refusesDuplicateMembers_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("top level") << QByteArray(R"({"alg":"none","alg":"ES256"})");
    QTest::newRow("nested") << QByteArray(R"({"a":{"b":1,"b":2}})");
    QTest::newRow("in array element") << QByteArray(R"({"a":[{"b":1,"b":1}]})");
    QTest::newRow("escaped spelling") << QByteArray(R"({"a":1,"\u0061":2})");
}

void TestStrictJson::refusesDuplicateMembers()
{
    QFETCH(QByteArray, json);
    const auto object = parseStrictJsonObject(json, QStringLiteral("test"));
    QVERIFY(!object.ok());
    QCOMPARE(object.error().code, ErrorCode::MalformedJson);
    QVERIFY(object.error().message.contains(u"twice"));
}

void TestStrictJson::refusesMalformedOrNonObjectJson_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("array") << QByteArray("[1]");
    QTest::newRow("trailing garbage") << QByteArray(R"({"a":1}x)");
    QTest::newRow("unterminated") << QByteArray(R"({"a":1)");
}

void TestStrictJson::refusesMalformedOrNonObjectJson()
{
    QFETCH(QByteArray, json);
    const auto object = parseStrictJsonObject(json, QStringLiteral("test"));
    QVERIFY(!object.ok());
    QCOMPARE(object.error().code, ErrorCode::MalformedJson);
}

QTEST_APPLESS_MAIN(TestStrictJson)
#include "test_strictjson.moc"
