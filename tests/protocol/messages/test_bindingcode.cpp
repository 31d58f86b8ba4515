#include "protocol/messages/bindingcode.h"

#include <QCryptographicHash>
#include <QSet>
#include <QTest>

using namespace countersign;

class TestBindingCode : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void derivesFromFirstFourBytes_data();
    void derivesFromFirstFourBytes();
    void spreadsOverAllHundredCodes();
};

void TestBindingCode::derivesFromFirstFourBytes_data()
{
    QTest::addColumn<QByteArray>("hash");
    QTest::addColumn<QString>("code");
    QTest::newRow("zero") << QByteArray(32, '\0') << QStringLiteral("00");
    // 0x00000007 = 7
    QTest::newRow("padded") << QByteArray::fromHex("00000007") + QByteArray(28, '\xff')
                            << QStringLiteral("07");
    // 0xffffffff = 4294967295 -> 95
    QTest::newRow("max") << QByteArray(32, '\xff') << QStringLiteral("95");
    // 0x12345678 = 305419896 -> 96; later bytes do not matter
    QTest::newRow("prefix only") << QByteArray::fromHex("12345678") + QByteArray(28, '\x01')
                                 << QStringLiteral("96");
}

void TestBindingCode::derivesFromFirstFourBytes()
{
    QFETCH(QByteArray, hash);
    QFETCH(QString, code);
    QCOMPARE(bindingCodeForRequestHash(hash), code);
}

void TestBindingCode::spreadsOverAllHundredCodes()
{
    QSet<QString> seen;
    for (int i = 0; i < 2000; ++i) {
        const QString code = bindingCodeForRequestHash(
            QCryptographicHash::hash(QByteArray::number(i), QCryptographicHash::Sha256));
        QCOMPARE(code.size(), 2);
        seen.insert(code);
    }
    QCOMPARE(seen.size(), 100);
}

QTEST_APPLESS_MAIN(TestBindingCode)
#include "test_bindingcode.moc"
