#include "gateway/pdp/globpattern.h"

#include <QTest>

using countersign::gateway::GlobPattern;

// The policy's glob matcher: `*` and `?` only, anchored, case-sensitive.
class TestPdpGlob : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matches_data();
    void matches();
    void literalPatterns();
    void pathologicalPatternIsFast();
};

void TestPdpGlob::matches_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("expected");

    QTest::newRow("literal") << QStringLiteral("list_users") << QStringLiteral("list_users")
                             << true;
    QTest::newRow("literal is anchored at the end")
        << QStringLiteral("list_users") << QStringLiteral("list_users2") << false;
    QTest::newRow("literal is anchored at the start")
        << QStringLiteral("users") << QStringLiteral("list_users") << false;
    QTest::newRow("case-sensitive")
        << QStringLiteral("List_users") << QStringLiteral("list_users") << false;
    QTest::newRow("prefix star") << QStringLiteral("disable_*") << QStringLiteral("disable_user")
                                 << true;
    QTest::newRow("star matches nothing")
        << QStringLiteral("disable_*") << QStringLiteral("disable_") << true;
    QTest::newRow("star needs the prefix")
        << QStringLiteral("disable_*") << QStringLiteral("enable_user") << false;
    QTest::newRow("star crosses slashes")
        << QStringLiteral("directory/*") << QStringLiteral("directory/a/b") << true;
    QTest::newRow("lone star") << QStringLiteral("*") << QStringLiteral("anything at all") << true;
    QTest::newRow("lone star and empty") << QStringLiteral("*") << QString() << true;
    QTest::newRow("infix star") << QStringLiteral("claude-*-opus")
                                << QStringLiteral("claude-4-opus") << true;
    QTest::newRow("infix star backtracks")
        << QStringLiteral("a*b*c") << QStringLiteral("axxbyybzc") << true;
    QTest::newRow("infix star fails")
        << QStringLiteral("a*b*c") << QStringLiteral("axxbyyb") << false;
    QTest::newRow("question mark") << QStringLiteral("user?") << QStringLiteral("user1") << true;
    QTest::newRow("question mark is exactly one")
        << QStringLiteral("user?") << QStringLiteral("user12") << false;
    QTest::newRow("question mark is not zero")
        << QStringLiteral("user?") << QStringLiteral("user") << false;
    QTest::newRow("question mark is one code point")
        << QStringLiteral("?") << QString::fromUcs4(U"\U0001F600") << true;
    QTest::newRow("brackets are literal")
        << QStringLiteral("[ab]") << QStringLiteral("[ab]") << true;
    QTest::newRow("brackets are not a class")
        << QStringLiteral("[ab]") << QStringLiteral("a") << false;
    QTest::newRow("dot is literal") << QStringLiteral("a.b") << QStringLiteral("axb") << false;
    QTest::newRow("backslash is literal")
        << QStringLiteral("a\\*") << QStringLiteral("a\\xyz") << true;
    QTest::newRow("email domain") << QStringLiteral("*@example.com")
                                  << QStringLiteral("alice@example.com") << true;
    QTest::newRow("email other domain")
        << QStringLiteral("*@example.com") << QStringLiteral("alice@example.com.evil") << false;

    // Beyond ASCII: `?` is one code point whatever its UTF-8 or UTF-16 size.
    const auto text = [](const char32_t *ucs4) { return QString::fromUcs4(ucs4); };
    QTest::newRow("non-ASCII literal") << text(U"grüße") << text(U"grüße") << true;
    QTest::newRow("non-ASCII literal differs") << text(U"grüße") << text(U"grusse") << false;
    QTest::newRow("question mark is one two-byte character")
        << text(U"gr?ße") << text(U"grüße") << true;
    QTest::newRow("question mark is one three-byte character")
        << text(U"?") << text(U"\u20AC") << true;
    QTest::newRow("question mark is not half a surrogate pair")
        << text(U"??") << text(U"\U0001F600") << false;
    QTest::newRow("two question marks, two emoji")
        << text(U"a??b") << text(U"a\U0001F600\U0001F601b") << true;
    QTest::newRow("star before an emoji")
        << text(U"*\U0001F600") << text(U"ziel \U0001F600") << true;
    QTest::newRow("star backtracks over emoji")
        << text(U"*\U0001F600x") << text(U"\U0001F600\U0001F600x\U0001F600x") << true;
    QTest::newRow("emoji literal with star misses")
        << text(U"\U0001F600*") << text(U"\U0001F601") << false;
    QTest::newRow("CJK with star") << text(U"日本*") << text(U"日本語") << true;
    QTest::newRow("combining mark is its own character") << text(U"e?") << text(U"e\u0301") << true;
    QTest::newRow("precomposed is not decomposed") << text(U"\u00e9") << text(U"e\u0301") << false;
    // A lone surrogate reads as U+FFFD (QString::toUcs4 does the same).
    QTest::newRow("lone surrogate is one character")
        << QStringLiteral("a?b") << (u"a" + QString(QChar(0xD800)) + u"b") << true;
    QTest::newRow("lone surrogate reads as U+FFFD")
        << text(U"a\uFFFDb") << (u"a" + QString(QChar(0xDC00)) + u"b") << true;
    QTest::newRow("high surrogate at the end")
        << QStringLiteral("a*") << (u"a" + QString(QChar(0xD83D))) << true;
}

void TestPdpGlob::matches()
{
    QFETCH(QString, pattern);
    QFETCH(QString, text);
    QFETCH(bool, expected);
    const GlobPattern glob(pattern);
    QCOMPARE(glob.matches(text), expected);
    // The same on UTF-8 text, where the text has a UTF-8 spelling.
    if (QString::fromUtf8(text.toUtf8()) == text)
        QCOMPARE(glob.matchesUtf8(text.toStdString()), expected);
    // As the matcher this replaced read text: code points from toUcs4.
    const QList<uint> codePoints = text.toUcs4();
    QCOMPARE(glob.matches(QString::fromUcs4(reinterpret_cast<const char32_t *>(codePoints.data()),
                                            codePoints.size())),
             expected);
}

void TestPdpGlob::literalPatterns()
{
    QVERIFY(GlobPattern(QStringLiteral("list_users")).isLiteral());
    QVERIFY(!GlobPattern(QStringLiteral("list_*")).isLiteral());
    QVERIFY(!GlobPattern(QStringLiteral("user?")).isLiteral());
    QCOMPARE(GlobPattern(QStringLiteral("a*")).pattern(), QStringLiteral("a*"));
}

void TestPdpGlob::pathologicalPatternIsFast()
{
    // A backtracking regex would take exponential time here.
    const GlobPattern glob(QStringLiteral("*a*a*a*a*a*a*a*a*b"));
    const QString text(5000, u'a');
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!glob.matches(text));
    QVERIFY(timer.elapsed() < 2000);
}

QTEST_APPLESS_MAIN(TestPdpGlob)
#include "test_pdp_glob.moc"
