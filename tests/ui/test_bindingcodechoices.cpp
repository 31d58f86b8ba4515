#include "ui/bindingcodechoices.h"

#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace countersign;

class TestBindingCodeChoices : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void threeDistinctTwoDigitCodesIncludingTheRealOne_data();
    void threeDistinctTwoDigitCodesIncludingTheRealOne();
    void realCodeLandsInEveryPosition();
};

void TestBindingCodeChoices::threeDistinctTwoDigitCodesIncludingTheRealOne_data()
{
    QTest::addColumn<QString>("code");
    QTest::newRow("zero-padded") << QStringLiteral("07");
    QTest::newRow("lowest") << QStringLiteral("00");
    QTest::newRow("highest") << QStringLiteral("99");
}

void TestBindingCodeChoices::threeDistinctTwoDigitCodesIncludingTheRealOne()
{
    QFETCH(QString, code);
    const QRegularExpression twoDigits(QStringLiteral("^[0-9]{2}$"));
    for (quint32 seed = 1; seed <= 200; ++seed) {
        QRandomGenerator random(seed);
        const QStringList choices = bindingCodeChoices(code, random);
        QCOMPARE(choices.size(), 3);
        QCOMPARE(choices.count(code), 1);
        QCOMPARE(QSet<QString>(choices.cbegin(), choices.cend()).size(), 3);
        for (const QString &choice : choices)
            QVERIFY2(twoDigits.match(choice).hasMatch(), qPrintable(choice));
    }
}

void TestBindingCodeChoices::realCodeLandsInEveryPosition()
{
    // The real code must not sit in one place a person learns to click.
    QList<int> positions(3, 0);
    for (quint32 seed = 1; seed <= 300; ++seed) {
        QRandomGenerator random(seed);
        ++positions[bindingCodeChoices(QStringLiteral("42"), random).indexOf(QStringLiteral("42"))];
    }
    for (int count : std::as_const(positions))
        QVERIFY2(count > 60,
                 qPrintable(QStringLiteral("positions %1 %2 %3")
                                .arg(positions[0])
                                .arg(positions[1])
                                .arg(positions[2])));
}

QTEST_APPLESS_MAIN(TestBindingCodeChoices)
#include "test_bindingcodechoices.moc"
