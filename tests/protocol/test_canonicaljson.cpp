#include "protocol/canonicaljson.h"

#include <bit>
#include <limits>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;

namespace {

QJsonValue parse(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("test input is not JSON: %s", json.constData());
    return document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object());
}

// The one element of a parsed one-element array: how a test gets a scalar
// exactly as Qt's parser stores it.
QJsonValue parseScalar(const QByteArray &json)
{
    return parse('[' + json + ']').toArray().at(0);
}

QByteArray canonical(const QJsonValue &value)
{
    const auto result = canonicalJson(value);
    if (!result)
        qWarning("canonicalJson failed: %s", qPrintable(result.error().message));
    return result ? result.value() : QByteArray("<error>");
}

} // namespace

class TestCanonicalJson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void numbersMatchRfc8785AppendixB_data();
    void numbersMatchRfc8785AppendixB();
    void numbersFollowEcmaScript_data();
    void numbersFollowEcmaScript();
    void integersQtKeptExactly_data();
    void integersQtKeptExactly();
    void refusesIntegersADoubleCannotHold_data();
    void refusesIntegersADoubleCannotHold();
    void refusesNonFiniteNumbers_data();
    void refusesNonFiniteNumbers();

    void rfc8785StructureExample();
    void sortsMembersByUtf16CodeUnits();
    void nestedValuesAndLiterals_data();
    void nestedValuesAndLiterals();
    void memberOrderOfInputDoesNotMatter();

    void escapesEveryControlCharacter();
    void escapesOnlyWhatJsonStringifyEscapes_data();
    void escapesOnlyWhatJsonStringifyEscapes();
    void refusesLoneSurrogates_data();
    void refusesLoneSurrogates();
    void errorNamesThePathToTheValue();
    void refusesUndefinedAndTooDeep();

    void argumentsHashKnownValue();
    void argumentsHashRefusesWhatCanonicalJsonRefuses();
};

void TestCanonicalJson::numbersMatchRfc8785AppendixB_data()
{
    // RFC 8785 appendix B: IEEE 754 bit pattern -> text. Each checked against
    // node's String(Buffer.from(hex, "hex").readDoubleBE(0)).
    QTest::addColumn<quint64>("bits");
    QTest::addColumn<QByteArray>("expected");
    const auto row = [](quint64 bits, const char *expected) {
        QTest::addRow("%016llx", static_cast<unsigned long long>(bits))
            << bits << QByteArray(expected);
    };
    row(0x0000000000000000, "0");
    row(0x8000000000000000, "0"); // -0
    row(0x0000000000000001, "5e-324");
    row(0x8000000000000001, "-5e-324");
    row(0x7fefffffffffffff, "1.7976931348623157e+308");
    row(0xffefffffffffffff, "-1.7976931348623157e+308");
    row(0x4340000000000000, "9007199254740992");
    row(0xc340000000000000, "-9007199254740992");
    row(0x4430000000000000, "295147905179352830000");
    row(0x44b52d02c7e14af5, "9.999999999999997e+22");
    row(0x44b52d02c7e14af6, "1e+23");
    row(0x44b52d02c7e14af7, "1.0000000000000001e+23");
    row(0x444b1ae4d6e2ef4e, "999999999999999700000");
    row(0x444b1ae4d6e2ef4f, "999999999999999900000");
    row(0x444b1ae4d6e2ef50, "1e+21");
    row(0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7");
    row(0x3eb0c6f7a0b5ed8d, "0.000001");
    row(0x41b3de4355555553, "333333333.3333332");
    row(0x41b3de4355555554, "333333333.33333325");
    row(0x41b3de4355555555, "333333333.3333333");
    row(0x41b3de4355555556, "333333333.3333334");
    row(0x41b3de4355555557, "333333333.33333343");
    row(0xbecbf647612f3696, "-0.0000033333333333333333");
    row(0x43143ff3c1cb0959, "1424953923781206.2");
}

void TestCanonicalJson::numbersMatchRfc8785AppendixB()
{
    QFETCH(quint64, bits);
    QFETCH(QByteArray, expected);
    const double value = std::bit_cast<double>(bits);
    QCOMPARE(canonicalJsonNumber(value), expected);
    QCOMPARE(canonical(QJsonValue(value)), expected);
}

void TestCanonicalJson::numbersFollowEcmaScript_data()
{
    // Expected texts are node's String(x) for each x.
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("one") << 1.0 << QByteArray("1");
    QTest::newRow("minus one") << -1.0 << QByteArray("-1");
    QTest::newRow("hundred, no exponent") << 100.0 << QByteArray("100");
    QTest::newRow("tenth") << 0.1 << QByteArray("0.1");
    QTest::newRow("minus half") << -0.5 << QByteArray("-0.5");
    QTest::newRow("third") << 1.0 / 3 << QByteArray("0.3333333333333333");
    QTest::newRow("fraction") << 1234.5678 << QByteArray("1234.5678");
    QTest::newRow("4.35") << 4.35 << QByteArray("4.35");
    QTest::newRow("1e20 still integer") << 1e20 << QByteArray("100000000000000000000");
    QTest::newRow("1e21 exponent") << 1e21 << QByteArray("1e+21");
    QTest::newRow("-1e21") << -1e21 << QByteArray("-1e+21");
    QTest::newRow("1.5e21") << 1.5e21 << QByteArray("1.5e+21");
    QTest::newRow("1e300") << 1e300 << QByteArray("1e+300");
    QTest::newRow("2^53+2") << 9007199254740994.0 << QByteArray("9007199254740994");
    QTest::newRow("1e16") << 1e16 << QByteArray("10000000000000000");
    QTest::newRow("2^60 shortest digits")
        << 1152921504606846976.0 << QByteArray("1152921504606847000");
    QTest::newRow("above int64") << 12345678901234567890.0 << QByteArray("12345678901234567000");
    QTest::newRow("1e-6 still decimal") << 1e-6 << QByteArray("0.000001");
    QTest::newRow("0.00001234") << 0.00001234 << QByteArray("0.00001234");
    QTest::newRow("1e-7 exponent") << 1e-7 << QByteArray("1e-7");
    QTest::newRow("5e-7") << 5e-7 << QByteArray("5e-7");
    QTest::newRow("1.5e-7") << 1.5e-7 << QByteArray("1.5e-7");
    QTest::newRow("-1.234e-7") << -1.234e-7 << QByteArray("-1.234e-7");
    QTest::newRow("1.23e-18") << 123e-20 << QByteArray("1.23e-18");
    QTest::newRow("smallest normal")
        << 2.2250738585072014e-308 << QByteArray("2.2250738585072014e-308");
    QTest::newRow("subnormal") << 3 * std::numeric_limits<double>::denorm_min()
                               << QByteArray("1.5e-323");
}

void TestCanonicalJson::numbersFollowEcmaScript()
{
    QFETCH(double, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(canonicalJsonNumber(value), expected);
    QCOMPARE(canonical(QJsonValue(value)), expected);
}

void TestCanonicalJson::integersQtKeptExactly_data()
{
    // Qt's parser stores any integral number that fits in 64 bits as an
    // integer, whatever its spelling; those a double holds exactly pass.
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("2^53") << QByteArray("9007199254740992") << QByteArray("9007199254740992");
    QTest::newRow("-2^53") << QByteArray("-9007199254740992") << QByteArray("-9007199254740992");
    QTest::newRow("2^53+2 exact") << QByteArray("9007199254740994")
                                  << QByteArray("9007199254740994");
    QTest::newRow("1e16 spelled as exponent")
        << QByteArray("1e16") << QByteArray("10000000000000000");
    QTest::newRow("-2^63 exact") << QByteArray("-9223372036854775808")
                                 << QByteArray("-9223372036854776000");
    QTest::newRow("1.0") << QByteArray("1.0") << QByteArray("1");
    QTest::newRow("-0.0") << QByteArray("-0.0") << QByteArray("0");
    // Rounded to a double while parsing, as in every other implementation:
    // nothing is left to tell it from 2^53.
    QTest::newRow("2^53+1 with a fraction")
        << QByteArray("9007199254740993.0") << QByteArray("9007199254740992");
    // Beyond 64 bits Qt parses a double, which is again what others see.
    QTest::newRow("2^63 is a double")
        << QByteArray("9223372036854775808") << QByteArray("9223372036854776000");
}

void TestCanonicalJson::integersQtKeptExactly()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, expected);
    QCOMPARE(canonical(parseScalar(json)), expected);
}

void TestCanonicalJson::refusesIntegersADoubleCannotHold_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("parsed 2^53+1") << parseScalar("9007199254740993");
    QTest::newRow("parsed -(2^53+1)") << parseScalar("-9007199254740993");
    QTest::newRow("parsed int64 max") << parseScalar("9223372036854775807");
    // The canonical text of the double 2^60, which Qt reads back as the
    // integer 1152921504606847000, 24 more than 2^60 and without a double of
    // its own: such output does not survive a trip through QJsonDocument.
    QTest::newRow("canonical text of 2^60") << parseScalar("1152921504606847000");
    QTest::newRow("built 2^53+1") << QJsonValue(qint64(9007199254740993));
    QTest::newRow("built int64 max") << QJsonValue(std::numeric_limits<qint64>::max());
}

void TestCanonicalJson::refusesIntegersADoubleCannotHold()
{
    QFETCH(QJsonValue, value);
    const auto result = canonicalJson(value);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::InvalidField);
    QVERIFY2(result.error().message.contains(u"double"), qPrintable(result.error().message));
}

void TestCanonicalJson::refusesNonFiniteNumbers_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("NaN") << QJsonValue(std::numeric_limits<double>::quiet_NaN());
    QTest::newRow("infinity") << QJsonValue(std::numeric_limits<double>::infinity());
    QTest::newRow("-infinity") << QJsonValue(-std::numeric_limits<double>::infinity());
    QTest::newRow("nested NaN") << QJsonValue(
        QJsonObject{{QStringLiteral("a"),
                     QJsonArray{1, QJsonValue(std::numeric_limits<double>::quiet_NaN())}}});
}

void TestCanonicalJson::refusesNonFiniteNumbers()
{
    QFETCH(QJsonValue, value);
    const auto result = canonicalJson(value);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::InvalidField);
}

void TestCanonicalJson::rfc8785StructureExample()
{
    // RFC 8785 section 3.2.2 input and its section 3.2.3 output.
    const QByteArray input = R"({
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    })";
    const QByteArray expected = "{\"literals\":[null,true,false],"
                                "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                                "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    QCOMPARE(canonical(parse(input)), expected);
}

void TestCanonicalJson::sortsMembersByUtf16CodeUnits()
{
    // RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before
    // U+FB33, although its code point is larger.
    const QByteArray input = R"({
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    })";
    const QByteArray expected = "{\"\\r\":\"Carriage Return\","
                                "\"1\":\"One\","
                                "\"\xc2\x80\":\"Control\","
                                "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
                                "\"\xe2\x82\xac\":\"Euro Sign\","
                                "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                                "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
    QCOMPARE(canonical(parse(input)), expected);
}

void TestCanonicalJson::nestedValuesAndLiterals_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("empty object") << QByteArray("{ }") << QByteArray("{}");
    QTest::newRow("empty array") << QByteArray("[ ]") << QByteArray("[]");
    QTest::newRow("literals") << QByteArray("[ null , true , false ]")
                              << QByteArray("[null,true,false]");
    QTest::newRow("array order kept")
        << QByteArray("[3, 1, 2, \"b\", \"a\"]") << QByteArray(R"([3,1,2,"b","a"])");
    QTest::newRow("nested sorting")
        << QByteArray(R"({"b": {"z": [ {"y": 1, "x": [ ]}, { } ], "a": {}}, "a": [[ [ ] ]]})")
        << QByteArray(R"({"a":[[[]]],"b":{"a":{},"z":[{"x":[],"y":1},{}]}})");
    QTest::newRow("prefix sorts first") << QByteArray(R"({"ab": 1, "a": 2, "": 3, "b": 4})")
                                        << QByteArray(R"({"":3,"a":2,"ab":1,"b":4})");
    QTest::newRow("upper before lower")
        << QByteArray(R"({"a": 1, "B": 2, "_": 3})") << QByteArray(R"({"B":2,"_":3,"a":1})");
}

void TestCanonicalJson::nestedValuesAndLiterals()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, expected);
    QCOMPARE(canonical(parse(json)), expected);
}

void TestCanonicalJson::memberOrderOfInputDoesNotMatter()
{
    QJsonObject first;
    first.insert(QStringLiteral("b"), 1);
    first.insert(QStringLiteral("a"), QJsonArray{true, QStringLiteral("x")});
    QJsonObject second;
    second.insert(QStringLiteral("a"), QJsonArray{true, QStringLiteral("x")});
    second.insert(QStringLiteral("b"), 1.0);
    QCOMPARE(canonical(first), QByteArray(R"({"a":[true,"x"],"b":1})"));
    QCOMPARE(canonical(first), canonical(second));
}

void TestCanonicalJson::escapesEveryControlCharacter()
{
    // JSON.stringify's short forms where they exist, else \u00xx in lowercase.
    const char *const expected[0x20] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    };
    for (char16_t unit = 0; unit < 0x20; ++unit) {
        const QString string = QStringLiteral("a") + QChar(unit) + QStringLiteral("b");
        QCOMPARE(canonical(string), QByteArray("\"a") + expected[unit] + "b\"");
    }
    // And the same through Qt's parser, with uppercase escapes in the input.
    QCOMPARE(canonical(parseScalar(R"("\u001F\u000B\u0000")")),
             QByteArray(R"("\u001f\u000b\u0000")"));
}

void TestCanonicalJson::escapesOnlyWhatJsonStringifyEscapes_data()
{
    QTest::addColumn<QString>("string");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("quote and backslash") << QStringLiteral("\"\\") << QByteArray(R"("\"\\")");
    QTest::newRow("slash stays") << QStringLiteral("a/b") << QByteArray(R"("a/b")");
    QTest::newRow("DEL stays raw") << QStringLiteral("\u007f") << QByteArray("\"\x7f\"");
    QTest::newRow("C1 control stays raw") << QStringLiteral("\u0085") << QByteArray("\"\xc2\x85\"");
    QTest::newRow("line separators stay raw")
        << QStringLiteral("\u2028\u2029") << QByteArray("\"\xe2\x80\xa8\xe2\x80\xa9\"");
    QTest::newRow("BOM and U+FFFF stay raw")
        << QStringLiteral("\ufeff\uffff") << QByteArray("\"\xef\xbb\xbf\xef\xbf\xbf\"");
    QTest::newRow("non-BMP as 4-byte UTF-8")
        << QStringLiteral("\U0001F600\U00010000\U0010FFFF")
        << QByteArray("\"\xf0\x9f\x98\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
    QTest::newRow("two- and three-byte UTF-8")
        << QStringLiteral("\u00e9\u07ff\u0800\u20ac")
        << QByteArray("\"\xc3\xa9\xdf\xbf\xe0\xa0\x80\xe2\x82\xac\"");
    QTest::newRow("empty") << QString() << QByteArray(R"("")");
}

void TestCanonicalJson::escapesOnlyWhatJsonStringifyEscapes()
{
    QFETCH(QString, string);
    QFETCH(QByteArray, expected);
    QCOMPARE(canonical(string), expected);
    // Member names are written the same way.
    QCOMPARE(canonical(QJsonObject{{string, 0}}), '{' + expected + ":0}");
}

void TestCanonicalJson::refusesLoneSurrogates_data()
{
    // Qt's parser accepts escaped lone surrogates and keeps them in the
    // QString (it refuses them only as raw, ill-formed UTF-8), so they do
    // reach us from the wire.
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("parsed high") << parseScalar(R"("\ud800")");
    QTest::newRow("parsed low then text") << parseScalar(R"("\udc00x")");
    QTest::newRow("parsed high at end") << parseScalar(R"("abc\ud83d")");
    QTest::newRow("parsed reversed pair") << parseScalar(R"("\ude00\ud83d")");
    QTest::newRow("parsed member name") << parse(R"({"\udfff": 1})");
    QTest::newRow("built high then high")
        << QJsonValue(QString(QChar(0xd83d)) + QChar(0xd83d) + QChar(0xde00));
}

void TestCanonicalJson::refusesLoneSurrogates()
{
    QFETCH(QJsonValue, value);
    const auto result = canonicalJson(value);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::InvalidField);
    QVERIFY2(result.error().message.contains(u"surrogate"), qPrintable(result.error().message));
}

void TestCanonicalJson::errorNamesThePathToTheValue()
{
    const auto result = canonicalJson(parse(R"({"ok": 1, "a/b": [0, {"c~": "\ud800"}]})"));
    QVERIFY(!result.ok());
    // A JSON Pointer (RFC 6901), with '/' and '~' escaped.
    QVERIFY2(result.error().message.contains(u"\"/a~1b/1/c~0\""),
             qPrintable(result.error().message));
}

void TestCanonicalJson::refusesUndefinedAndTooDeep()
{
    const auto undefined = canonicalJson(QJsonValue(QJsonValue::Undefined));
    QVERIFY(!undefined.ok());
    QCOMPARE(undefined.error().code, ErrorCode::InvalidField);

    // As deep as QJsonDocument parses is fine; one more level is refused.
    QJsonValue deepest = QJsonArray();
    for (int depth = 1; depth < 1024; ++depth)
        deepest = QJsonArray{deepest};
    const auto atLimit = canonicalJson(deepest);
    QVERIFY(atLimit.ok());
    QCOMPARE(atLimit->size(), 2 * 1024);
    const auto beyond = canonicalJson(QJsonArray{deepest});
    QVERIFY(!beyond.ok());
    QCOMPARE(beyond.error().code, ErrorCode::InputTooLarge);
}

void TestCanonicalJson::argumentsHashKnownValue()
{
    // Expected: node with the npm `canonicalize` package (tests/interop),
    //   createHash('sha256').update(canonicalize(args)).digest('hex')
    // with args the same object written as a JavaScript literal; canonical form
    //   {"dry_run":false,"ids":[3,1.5,-7e-7],"limits":{"max":1e+21,"min":-0.000001,
    //    "step":0.1},"nested":{"a":null,"b":true},"note":"héllo €😀",
    //    "reason":"offboarding","user_id":"u-1042"}
    const QJsonObject arguments = parse(R"({
      "user_id": "u-1042", "reason": "offboarding", "dry_run": false,
      "limits": {"max": 1e21, "min": -0.000001, "step": 0.1},
      "ids": [3, 1.5, -7e-7],
      "note": "h\u00e9llo \u20ac\ud83d\ude00",
      "nested": {"b": true, "a": null}
    })")
                                      .toObject();
    const auto hash = argumentsHash(arguments);
    QVERIFY(hash.ok());
    QCOMPARE(hash->size(), 32);
    QCOMPARE(hash->toHex(),
             QByteArray("e2f1bdc619b29f0369b7d9cecd54656048b6f8707e09aaf6e159e8af0ce22e7a"));

    // No arguments: SHA-256 of "{}".
    QCOMPARE(argumentsHash(QJsonObject())->toHex(),
             QByteArray("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
}

void TestCanonicalJson::argumentsHashRefusesWhatCanonicalJsonRefuses()
{
    const auto hash = argumentsHash(parse(R"({"id": 9007199254740993})").toObject());
    QVERIFY(!hash.ok());
    QCOMPARE(hash.error().code, ErrorCode::InvalidField);
}

QTEST_APPLESS_MAIN(TestCanonicalJson)
#include "test_canonicaljson.moc"
