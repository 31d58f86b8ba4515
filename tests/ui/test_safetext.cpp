#include "protocol/displaytext.h"
#include "ui/jsontext.h"
#include "ui/safetext.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace countersign;

class TestSafeText : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void safeTextIsUnchanged();
    void unsafeCharactersBecomeVisibleEscapes_data();
    void unsafeCharactersBecomeVisibleEscapes();
    void escapedTextIsDisplaySafe();
    void longRunsGetBreakOpportunitiesOnly();
    void jsonValuesReadAsLines();
};

void TestSafeText::safeTextIsUnchanged()
{
    const QString text = QStringLiteral("Bob left the company — café 😀 C:\\Users");
    const SafeText safe = displaySafeText(text);
    QCOMPARE(safe.text, text);
    QVERIFY(!safe.escaped);
}

void TestSafeText::unsafeCharactersBecomeVisibleEscapes_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("newline") << QStringLiteral("a\nb") << QStringLiteral("a\\nb");
    QTest::newRow("carriage return and tab")
        << QStringLiteral("a\r\tb") << QStringLiteral("a\\r\\tb");
    QTest::newRow("right-to-left override")
        << QStringLiteral("invoice\u202Efdp.exe") << QStringLiteral("invoice\\u{202E}fdp.exe");
    QTest::newRow("isolate and mark")
        << QStringLiteral("x\u2066y\u200Fz") << QStringLiteral("x\\u{2066}y\\u{200F}z");
    QTest::newRow("nul and C1") << QString(QChar(0)) + QStringLiteral("\u0085")
                                << QStringLiteral("\\u{0000}\\u{0085}");
    QTest::newRow("line separator") << QStringLiteral("a\u2028b") << QStringLiteral("a\\u{2028}b");
    QTest::newRow("unpaired surrogate") << QStringLiteral("a") + QChar(0xD800) + QStringLiteral("b")
                                        << QStringLiteral("a\\u{D800}b");
    QTest::newRow("pair kept whole") << QStringLiteral("\n😀") << QStringLiteral("\\n😀");
}

void TestSafeText::unsafeCharactersBecomeVisibleEscapes()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    const SafeText safe = displaySafeText(input);
    QCOMPARE(safe.text, expected);
    QVERIFY(safe.escaped);
}

void TestSafeText::escapedTextIsDisplaySafe()
{
    QString everything;
    for (char32_t c = 0; c < 0x3000; ++c) {
        if (!QChar::isSurrogate(c))
            everything += QChar(static_cast<char16_t>(c));
    }
    QVERIFY(!isDisplaySafe(everything));
    QVERIFY(isDisplaySafe(displaySafeText(everything).text));
}

void TestSafeText::longRunsGetBreakOpportunitiesOnly()
{
    const QString shortText = QStringLiteral("alice@example.com disables bob");
    QCOMPARE(wrappableText(shortText), shortText);

    const QString longId = QString(200, QLatin1Char('x'));
    const QString wrappable = wrappableText(longId);
    QVERIFY(wrappable.size() > longId.size());
    QVERIFY(wrappable.contains(QChar(0x200B)));
    QCOMPARE(withoutBreakOpportunities(wrappable), longId);

    // A surrogate pair is never split by a break opportunity.
    QString emoji;
    for (int i = 0; i < 40; ++i)
        emoji += QStringLiteral("😀");
    const QString wrappedEmoji = wrappableText(emoji);
    for (qsizetype i = 0; i < wrappedEmoji.size(); ++i) {
        if (wrappedEmoji[i].isHighSurrogate())
            QVERIFY(i + 1 < wrappedEmoji.size() && wrappedEmoji[i + 1].isLowSurrogate());
    }
}

void TestSafeText::jsonValuesReadAsLines()
{
    QCOMPARE(jsonValueLines(QStringLiteral("bob")), QStringList{QStringLiteral("bob")});
    QCOMPARE(jsonValueLines(42), QStringList{QStringLiteral("42")});
    QCOMPARE(jsonValueLines(true), QStringList{QStringLiteral("true")});
    QCOMPARE(jsonValueLines(QJsonValue::Null), QStringList{QStringLiteral("null")});
    QCOMPARE(jsonValueLines(QJsonObject{}), QStringList{QStringLiteral("{}")});
    const QJsonObject arguments{
        {QStringLiteral("user"), QStringLiteral("bob")},
        {QStringLiteral("notify"), false},
        {QStringLiteral("groups"), QJsonArray{QStringLiteral("eng"), QStringLiteral("ops")}},
        {QStringLiteral("a.b"), 1},
        {QStringLiteral("a"), QJsonObject{{QStringLiteral("b"), 1}}},
    };
    // One line per member, in key order; nested values as compact JSON, so
    // {"a.b":1} and {"a":{"b":1}} stay distinguishable.
    QCOMPARE(jsonValueLines(arguments),
             (QStringList{QStringLiteral("a: {\"b\":1}"), QStringLiteral("a.b: 1"),
                          QStringLiteral("groups: [\"eng\",\"ops\"]"),
                          QStringLiteral("notify: false"), QStringLiteral("user: bob")}));
}

QTEST_APPLESS_MAIN(TestSafeText)
#include "test_safetext.moc"
