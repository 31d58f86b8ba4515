#include "protocol/messages/sarc.h"

#include <optional>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;

namespace {

QJsonObject sampleJson()
{
    return QJsonDocument::fromJson(R"({
        "subject": {"type": "user", "id": "alice@example.com",
                    "properties": {"agent": "claude-code"}},
        "action": {"name": "disable_user", "properties": {"arguments": {"user": "bob"}}},
        "resource": {"type": "tool", "id": "directory/disable_user",
                     "properties": {"server": "directory"}},
        "context": {"verified": {"policy": "admin-actions", "risk": 3},
                    "agent_supplied": {"reason": "Bob left the company"}}
    })")
        .object();
}

// The object with the member at `path` set to `value`, or removed when there
// is no value; intermediate objects are created as needed.
QJsonObject edited(QJsonObject object, QStringList path, const std::optional<QJsonValue> &value)
{
    const QString key = path.takeFirst();
    if (path.isEmpty()) {
        if (value) {
            object.insert(key, *value);
        } else {
            object.remove(key);
        }
        return object;
    }
    object.insert(key, edited(object.value(key).toObject(), path, value));
    return object;
}

QJsonObject with(const QString &dottedPath, const QJsonValue &value)
{
    return edited(sampleJson(), dottedPath.split(u'.'), value);
}

QJsonObject without(const QString &dottedPath)
{
    return edited(sampleJson(), dottedPath.split(u'.'), std::nullopt);
}

// {"d":{"d":...{}}} with `depth` objects in all, the outermost included.
QJsonObject nestedObjects(int depth)
{
    QJsonObject object;
    for (int level = 1; level < depth; ++level) {
        object = QJsonObject{{QStringLiteral("d"), object}};
    }
    return object;
}

// {"a":[[...[]]]} with `depth` containers in all, the object included.
QJsonObject nestedArrays(int depth)
{
    QJsonArray array;
    for (int level = 2; level < depth; ++level) {
        array = QJsonArray{array};
    }
    return QJsonObject{{QStringLiteral("a"), array}};
}

// {"p":"xxx..."} that is exactly `bytes` long as compact JSON.
QJsonObject objectOfSize(qsizetype bytes)
{
    const qsizetype overhead = QByteArrayView(R"({"p":""})").size();
    return QJsonObject{{QStringLiteral("p"), QString(bytes - overhead, QChar(u'x'))}};
}

QString withCharacter(char32_t codePoint)
{
    return QStringLiteral("alice") % QString::fromUcs4(&codePoint, 1) % QStringLiteral("@example");
}

} // namespace

class TestSarc : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsEveryMember();
    void roundTripsThroughJson_data();
    void roundTripsThroughJson();
    void readsAbsentOptionalObjectsAsEmpty();
    void rejectsInvalidMembers_data();
    void rejectsInvalidMembers();
    void acceptsBytesUpToTheTotalLimit();
    void rejectsMalformedBytes_data();
    void rejectsMalformedBytes();
};

void TestSarc::readsEveryMember()
{
    const auto sarc = Sarc::fromJson(sampleJson());
    QVERIFY2(sarc.ok(), qPrintable(sarc.ok() ? QString() : sarc.error().message));
    QCOMPARE(sarc->subject.type, QStringLiteral("user"));
    QCOMPARE(sarc->subject.id, QStringLiteral("alice@example.com"));
    QCOMPARE(sarc->subject.agent, QStringLiteral("claude-code"));
    QCOMPARE(sarc->action.name, QStringLiteral("disable_user"));
    QCOMPARE(sarc->action.properties.value(QStringLiteral("arguments")).toObject(),
             QJsonObject({{QStringLiteral("user"), QStringLiteral("bob")}}));
    QCOMPARE(sarc->resource.type, QStringLiteral("tool"));
    QCOMPARE(sarc->resource.id, QStringLiteral("directory/disable_user"));
    QCOMPARE(sarc->resource.properties.value(QStringLiteral("server")).toString(),
             QStringLiteral("directory"));
    QCOMPARE(sarc->context.verified.value(QStringLiteral("risk")).toInt(), 3);
    QCOMPARE(sarc->context.agentSupplied.value(QStringLiteral("reason")).toString(),
             QStringLiteral("Bob left the company"));
}

void TestSarc::roundTripsThroughJson_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::newRow("full") << sampleJson();
    QJsonObject minimal = without(QStringLiteral("action.properties"));
    minimal =
        edited(minimal, {QStringLiteral("resource"), QStringLiteral("properties")}, std::nullopt);
    minimal.insert(QStringLiteral("context"), QJsonObject());
    QTest::newRow("no optional objects") << minimal;
    QTest::newRow("non-ASCII identifiers")
        << with(QStringLiteral("subject.id"), QStringLiteral("\u00e9lodie@exemple.fr \U0001F510"));
    QTest::newRow("identifier at the length limit") << with(
        QStringLiteral("resource.id"), QString(SarcLimits::maxIdentifierLength, QChar(u'r')));
    QTest::newRow("identifier at the limit outside the BMP")
        << with(QStringLiteral("resource.id"),
                QString::fromUcs4(U"\U0001F510").repeated(SarcLimits::maxIdentifierLength));
    QTest::newRow("control characters allowed in free text")
        << with(QStringLiteral("context.agent_supplied.reason"), QStringLiteral("line 1\nline 2"));
    QTest::newRow("objects nested to the depth limit")
        << with(QStringLiteral("context.verified"), nestedObjects(SarcLimits::maxDepth));
    QTest::newRow("arrays nested to the depth limit")
        << with(QStringLiteral("action.properties"), nestedArrays(SarcLimits::maxDepth));
    QTest::newRow("section at the size limit")
        << with(QStringLiteral("resource.properties"), objectOfSize(SarcLimits::maxSectionBytes));
}

void TestSarc::roundTripsThroughJson()
{
    QFETCH(QJsonObject, json);
    const auto sarc = Sarc::fromJson(json);
    QVERIFY2(sarc.ok(), qPrintable(sarc.ok() ? QString() : sarc.error().message));
    QCOMPARE(sarc->toJson(), json);

    const QByteArray bytes = QJsonDocument(sarc->toJson()).toJson(QJsonDocument::Compact);
    const auto reread = Sarc::fromJsonBytes(bytes);
    QVERIFY2(reread.ok(), qPrintable(reread.ok() ? QString() : reread.error().message));
    QVERIFY(reread.value() == sarc.value());
}

void TestSarc::readsAbsentOptionalObjectsAsEmpty()
{
    QJsonObject explicitEmpty = with(QStringLiteral("action.properties"), QJsonObject());
    explicitEmpty = edited(explicitEmpty, {QStringLiteral("context")}, QJsonObject());
    QJsonObject absent = without(QStringLiteral("action.properties"));
    absent = edited(absent, {QStringLiteral("context")}, QJsonObject());

    const auto fromEmpty = Sarc::fromJson(explicitEmpty);
    const auto fromAbsent = Sarc::fromJson(absent);
    QVERIFY(fromEmpty.ok());
    QVERIFY(fromAbsent.ok());
    QVERIFY(fromEmpty.value() == fromAbsent.value());
    QVERIFY(fromEmpty->action.properties.isEmpty());
    QVERIFY(fromEmpty->context.verified.isEmpty());
    QVERIFY(fromEmpty->context.agentSupplied.isEmpty());
    // Written without the empty members, so both spellings have one encoding.
    QCOMPARE(fromEmpty->toJson(), absent);
}

void TestSarc::rejectsInvalidMembers_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");

    const auto missing = ErrorCode::MissingField;
    const auto invalid = ErrorCode::InvalidField;
    const auto tooLarge = ErrorCode::InputTooLarge;
    const QJsonValue number(42);
    const QJsonValue text(QStringLiteral("text"));
    const QJsonValue array{QJsonArray()};

    // Shape: missing, wrong type, empty, unknown.
    QTest::newRow("unknown top-level member")
        << with(QStringLiteral("decision"), text) << invalid
        << QStringLiteral("sarc has unknown member 'decision'");
    QTest::newRow("subject missing") << without(QStringLiteral("subject")) << missing
                                     << QStringLiteral("sarc.subject is missing");
    QTest::newRow("subject not an object") << with(QStringLiteral("subject"), text) << invalid
                                           << QStringLiteral("sarc.subject must be an object");
    QTest::newRow("subject unknown member")
        << with(QStringLiteral("subject.role"), text) << invalid
        << QStringLiteral("sarc.subject has unknown member 'role'");
    QTest::newRow("subject.type missing") << without(QStringLiteral("subject.type")) << missing
                                          << QStringLiteral("sarc.subject.type is missing");
    QTest::newRow("subject.type empty") << with(QStringLiteral("subject.type"), QString())
                                        << invalid << QStringLiteral("sarc.subject.type is empty");
    QTest::newRow("subject.id missing") << without(QStringLiteral("subject.id")) << missing
                                        << QStringLiteral("sarc.subject.id is missing");
    QTest::newRow("subject.id a number") << with(QStringLiteral("subject.id"), number) << invalid
                                         << QStringLiteral("sarc.subject.id must be a string");
    QTest::newRow("subject.id null") << with(QStringLiteral("subject.id"), QJsonValue()) << invalid
                                     << QStringLiteral("sarc.subject.id must be a string");
    QTest::newRow("subject.properties missing")
        << without(QStringLiteral("subject.properties")) << missing
        << QStringLiteral("sarc.subject.properties is missing");
    QTest::newRow("subject.properties an array")
        << with(QStringLiteral("subject.properties"), array) << invalid
        << QStringLiteral("sarc.subject.properties must be an object");
    QTest::newRow("subject.properties.agent missing")
        << without(QStringLiteral("subject.properties.agent")) << missing
        << QStringLiteral("sarc.subject.properties.agent is missing");
    QTest::newRow("subject.properties.agent not a string")
        << with(QStringLiteral("subject.properties.agent"), number) << invalid
        << QStringLiteral("sarc.subject.properties.agent must be a string");
    QTest::newRow("subject.properties other than agent")
        << with(QStringLiteral("subject.properties.admin"), QJsonValue(true)) << invalid
        << QStringLiteral("sarc.subject.properties has unknown member 'admin'");
    QTest::newRow("action missing")
        << without(QStringLiteral("action")) << missing << QStringLiteral("sarc.action is missing");
    QTest::newRow("action.name missing") << without(QStringLiteral("action.name")) << missing
                                         << QStringLiteral("sarc.action.name is missing");
    QTest::newRow("action.name empty") << with(QStringLiteral("action.name"), QString()) << invalid
                                       << QStringLiteral("sarc.action.name is empty");
    QTest::newRow("action.properties an array")
        << with(QStringLiteral("action.properties"), array) << invalid
        << QStringLiteral("sarc.action.properties must be an object");
    QTest::newRow("action unknown member")
        << with(QStringLiteral("action.method"), text) << invalid
        << QStringLiteral("sarc.action has unknown member 'method'");
    QTest::newRow("resource missing") << without(QStringLiteral("resource")) << missing
                                      << QStringLiteral("sarc.resource is missing");
    QTest::newRow("resource.type missing") << without(QStringLiteral("resource.type")) << missing
                                           << QStringLiteral("sarc.resource.type is missing");
    QTest::newRow("resource.id missing") << without(QStringLiteral("resource.id")) << missing
                                         << QStringLiteral("sarc.resource.id is missing");
    QTest::newRow("resource.id empty") << with(QStringLiteral("resource.id"), QString()) << invalid
                                       << QStringLiteral("sarc.resource.id is empty");
    QTest::newRow("resource.properties a string")
        << with(QStringLiteral("resource.properties"), text) << invalid
        << QStringLiteral("sarc.resource.properties must be an object");
    QTest::newRow("resource unknown member")
        << with(QStringLiteral("resource.owner"), text) << invalid
        << QStringLiteral("sarc.resource has unknown member 'owner'");
    QTest::newRow("context missing") << without(QStringLiteral("context")) << missing
                                     << QStringLiteral("sarc.context is missing");
    QTest::newRow("context an array") << with(QStringLiteral("context"), array) << invalid
                                      << QStringLiteral("sarc.context must be an object");
    QTest::newRow("context member other than verified and agent_supplied")
        << with(QStringLiteral("context.reason"), text) << invalid
        << QStringLiteral("sarc.context has unknown member 'reason'");
    QTest::newRow("context.verified a string")
        << with(QStringLiteral("context.verified"), text) << invalid
        << QStringLiteral("sarc.context.verified must be an object");
    QTest::newRow("context.agent_supplied an array")
        << with(QStringLiteral("context.agent_supplied"), array) << invalid
        << QStringLiteral("sarc.context.agent_supplied must be an object");
    QTest::newRow("unknown member name shown printable")
        << with(QStringLiteral("x\u202Ey"), text) << invalid
        << QStringLiteral("sarc has unknown member 'xU+202Ey'");

    // Identifiers.
    QTest::newRow("identifier over the length limit")
        << with(QStringLiteral("resource.id"),
                QString(SarcLimits::maxIdentifierLength + 1, QChar(u'r')))
        << tooLarge << QStringLiteral("sarc.resource.id is 257 characters; the limit is 256");
    const struct {
        const char *name;
        const char *path;
        char32_t codePoint;
    } forbidden[] = {
        {"NUL", "subject.id", 0x0000},
        {"tab", "subject.type", 0x0009},
        {"newline", "action.name", 0x000A},
        {"unit separator", "resource.type", 0x001F},
        {"DEL", "resource.id", 0x007F},
        {"C1 NEL", "subject.properties.agent", 0x0085},
        {"C1 APC", "subject.id", 0x009F},
        {"LRE", "resource.id", 0x202A},
        {"RLO", "resource.id", 0x202E},
        {"LRI", "action.name", 0x2066},
        {"PDI", "subject.properties.agent", 0x2069},
        {"RLM", "resource.id", 0x200F},
        {"line separator", "subject.id", 0x2028},
    };
    for (const auto &row : forbidden) {
        const QString path = QString::fromLatin1(row.path);
        const QString hex =
            QString::number(static_cast<uint>(row.codePoint), 16).toUpper().rightJustified(4, u'0');
        QTest::addRow("%s in %s", row.name, row.path)
            << with(path, withCharacter(row.codePoint)) << invalid
            << (QStringLiteral("sarc.") % path
                % QStringLiteral(" contains the control or "
                                 "bidirectional formatting "
                                 "character U+")
                % hex);
    }
    QTest::newRow("unpaired surrogate")
        << with(QStringLiteral("subject.id"), QString(QChar(0xD800))) << invalid
        << QStringLiteral("sarc.subject.id contains an unpaired surrogate");

    // Free JSON limits.
    QTest::newRow("section over the size limit")
        << with(QStringLiteral("action.properties"), objectOfSize(SarcLimits::maxSectionBytes + 1))
        << tooLarge << QStringLiteral("sarc.action.properties is 16385 bytes as compact JSON");
    QTest::newRow("agent_supplied over the size limit")
        << with(QStringLiteral("context.agent_supplied"),
                objectOfSize(SarcLimits::maxSectionBytes + 1))
        << tooLarge << QStringLiteral("sarc.context.agent_supplied is 16385 bytes");
    QTest::newRow("objects nested too deep")
        << with(QStringLiteral("context.verified"), nestedObjects(SarcLimits::maxDepth + 1))
        << invalid << QStringLiteral("sarc.context.verified nests deeper than 8 levels");
    QTest::newRow("arrays nested too deep")
        << with(QStringLiteral("resource.properties"), nestedArrays(SarcLimits::maxDepth + 1))
        << invalid << QStringLiteral("sarc.resource.properties nests deeper than 8 levels");
    QJsonObject tooLargeOverall = sampleJson();
    const QJsonObject section = objectOfSize(SarcLimits::maxSectionBytes - 100);
    for (const auto &path : {"action.properties", "resource.properties", "context.verified",
                             "context.agent_supplied"}) {
        tooLargeOverall = edited(tooLargeOverall, QString::fromLatin1(path).split(u'.'), section);
    }
    QTest::newRow("every section within its limit, the whole over the total")
        << tooLargeOverall << tooLarge << QStringLiteral("sarc is ");
}

void TestSarc::rejectsInvalidMembers()
{
    QFETCH(QJsonObject, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    const auto sarc = Sarc::fromJson(json);
    QVERIFY(!sarc.ok());
    QCOMPARE(errorCodeName(sarc.error().code), errorCodeName(code));
    QVERIFY2(sarc.error().message.startsWith(message), qPrintable(sarc.error().message));

    // The byte-level entry point reaches the same verdict.
    const auto fromBytes = Sarc::fromJsonBytes(QJsonDocument(json).toJson(QJsonDocument::Compact));
    QVERIFY(!fromBytes.ok());
    QCOMPARE(errorCodeName(fromBytes.error().code), errorCodeName(code));
}

void TestSarc::acceptsBytesUpToTheTotalLimit()
{
    QByteArray bytes = QJsonDocument(sampleJson()).toJson(QJsonDocument::Compact);
    bytes.append(QByteArray(SarcLimits::maxTotalBytes - bytes.size(), ' '));
    QCOMPARE(bytes.size(), SarcLimits::maxTotalBytes);
    const auto sarc = Sarc::fromJsonBytes(bytes);
    QVERIFY2(sarc.ok(), qPrintable(sarc.ok() ? QString() : sarc.error().message));
    QCOMPARE(sarc->toJson(), sampleJson());
}

void TestSarc::rejectsMalformedBytes_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");

    const QByteArray valid = QJsonDocument(sampleJson()).toJson(QJsonDocument::Compact);
    QTest::newRow("empty") << QByteArray() << ErrorCode::MalformedJson
                           << QStringLiteral("sarc is not valid JSON");
    QTest::newRow("not JSON") << QByteArray("subject=alice") << ErrorCode::MalformedJson
                              << QStringLiteral("sarc is not valid JSON");
    QTest::newRow("truncated") << valid.chopped(1) << ErrorCode::MalformedJson
                               << QStringLiteral("sarc is not valid JSON");
    QTest::newRow("trailing garbage")
        << (valid + "x") << ErrorCode::MalformedJson << QStringLiteral("sarc is not valid JSON");
    QTest::newRow("invalid UTF-8")
        << QByteArray(valid).replace("alice", "al\xffice") << ErrorCode::MalformedJson
        << QStringLiteral("sarc is not valid JSON");
    QTest::newRow("array at top level") << QByteArray("[]") << ErrorCode::MalformedJson
                                        << QStringLiteral("sarc is not a JSON object");
    QTest::newRow("duplicate member")
        << QByteArray(R"({"subject":{},"subject":{}})") << ErrorCode::MalformedJson
        << QStringLiteral("sarc names a member twice");
    // Valid JSON, but refused on size alone before any parsing.
    QTest::newRow("over the total size")
        << (valid + QByteArray(SarcLimits::maxTotalBytes - valid.size() + 1, ' '))
        << ErrorCode::InputTooLarge << QStringLiteral("sarc is 49153 bytes; the limit is 49152");
}

void TestSarc::rejectsMalformedBytes()
{
    QFETCH(QByteArray, bytes);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    const auto sarc = Sarc::fromJsonBytes(bytes);
    QVERIFY(!sarc.ok());
    QCOMPARE(errorCodeName(sarc.error().code), errorCodeName(code));
    QVERIFY2(sarc.error().message.startsWith(message), qPrintable(sarc.error().message));
}

QTEST_APPLESS_MAIN(TestSarc)
#include "test_sarc.moc"
