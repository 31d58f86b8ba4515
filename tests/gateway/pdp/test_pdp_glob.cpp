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
}

void TestPdpGlob::matches()
{
    QFETCH(QString, pattern);
    QFETCH(QString, text);
    QFETCH(bool, expected);
    QCOMPARE(GlobPattern(pattern).matches(text), expected);
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
