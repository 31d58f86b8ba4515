#include "gateway/config/duration.h"
#include "gateway/config/listenaddress.h"

#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using std::chrono::seconds;

class TestConfigDuration : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesDurations_data();
    void parsesDurations();
    void refusesMalformedDurations_data();
    void refusesMalformedDurations();
    void formatsShortestExactUnit();
    void parsesListenAddresses_data();
    void parsesListenAddresses();
    void refusesMalformedListenAddresses_data();
    void refusesMalformedListenAddresses();
};

void TestConfigDuration::parsesDurations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("bare seconds") << QStringLiteral("90") << qint64(90);
    QTest::newRow("seconds") << QStringLiteral("90s") << qint64(90);
    QTest::newRow("minutes") << QStringLiteral("2m") << qint64(120);
    QTest::newRow("hours") << QStringLiteral("1h") << qint64(3600);
    QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
    QTest::newRow("surrounding spaces") << QStringLiteral(" 15m ") << qint64(900);
    QTest::newRow("nine digits of hours")
        << QStringLiteral("999999999h") << qint64(999999999) * 3600;
}

void TestConfigDuration::parsesDurations()
{
    QFETCH(QString, text);
    QFETCH(qint64, expected);
    const auto duration = parseDuration(text);
    QVERIFY(duration.has_value());
    QCOMPARE(duration->count(), expected);
}

void TestConfigDuration::refusesMalformedDurations_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("unit only") << QStringLiteral("s");
    QTest::newRow("negative") << QStringLiteral("-5s");
    QTest::newRow("plus sign") << QStringLiteral("+5s");
    QTest::newRow("fraction") << QStringLiteral("1.5m");
    QTest::newRow("two units") << QStringLiteral("1m30s");
    QTest::newRow("milliseconds") << QStringLiteral("500ms");
    QTest::newRow("days") << QStringLiteral("1d");
    QTest::newRow("upper case unit") << QStringLiteral("10S");
    QTest::newRow("space before unit") << QStringLiteral("10 s");
    QTest::newRow("word") << QStringLiteral("ten seconds");
    QTest::newRow("too many digits") << QStringLiteral("1234567890");
    QTest::newRow("arabic-indic digits") << QString::fromUtf8("\xd9\xa1\xd9\xa0s");
}

void TestConfigDuration::refusesMalformedDurations()
{
    QFETCH(QString, text);
    QVERIFY(!parseDuration(text).has_value());
}

void TestConfigDuration::formatsShortestExactUnit()
{
    QCOMPARE(formatDuration(seconds(10)), QStringLiteral("10s"));
    QCOMPARE(formatDuration(seconds(90)), QStringLiteral("90s"));
    QCOMPARE(formatDuration(seconds(120)), QStringLiteral("2m"));
    QCOMPARE(formatDuration(seconds(900)), QStringLiteral("15m"));
    QCOMPARE(formatDuration(seconds(3600)), QStringLiteral("1h"));
    QCOMPARE(formatDuration(seconds(24 * 3600)), QStringLiteral("24h"));
    QCOMPARE(formatDuration(seconds(0)), QStringLiteral("0s"));
}

void TestConfigDuration::parsesListenAddresses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("urlHost");
    QTest::newRow("ipv4") << QStringLiteral("127.0.0.1:8780") << QStringLiteral("127.0.0.1") << 8780
                          << QStringLiteral("127.0.0.1");
    QTest::newRow("ipv6") << QStringLiteral("[::1]:8780") << QStringLiteral("::1") << 8780
                          << QStringLiteral("[::1]");
    QTest::newRow("localhost") << QStringLiteral("localhost:9000") << QStringLiteral("127.0.0.1")
                               << 9000 << QStringLiteral("127.0.0.1");
    QTest::newRow("port zero") << QStringLiteral("127.0.0.1:0") << QStringLiteral("127.0.0.1") << 0
                               << QStringLiteral("127.0.0.1");
    QTest::newRow("max port") << QStringLiteral("10.0.0.1:65535") << QStringLiteral("10.0.0.1")
                              << 65535 << QStringLiteral("10.0.0.1");
    QTest::newRow("wildcard v6") << QStringLiteral("[::]:443") << QStringLiteral("::") << 443
                                 << QStringLiteral("[::]");
}

void TestConfigDuration::parsesListenAddresses()
{
    QFETCH(QString, text);
    QFETCH(QString, address);
    QFETCH(int, port);
    QFETCH(QString, urlHost);
    const auto listen = ListenAddress::parse(text);
    QVERIFY2(listen.ok(), listen.ok() ? "" : qPrintable(listen.error().message));
    QCOMPARE(listen->address, QHostAddress(address));
    QCOMPARE(int(listen->port), port);
    QCOMPARE(listen->urlHost(), urlHost);
}

void TestConfigDuration::refusesMalformedListenAddresses_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("port only") << QStringLiteral("8780");
    QTest::newRow("colon port") << QStringLiteral(":8780");
    QTest::newRow("no port") << QStringLiteral("127.0.0.1:");
    QTest::newRow("port too big") << QStringLiteral("127.0.0.1:65536");
    QTest::newRow("negative port") << QStringLiteral("127.0.0.1:-1");
    QTest::newRow("port with letters") << QStringLiteral("127.0.0.1:80a");
    QTest::newRow("unbracketed ipv6") << QStringLiteral("::1:8780");
    QTest::newRow("bracketed ipv4") << QStringLiteral("[127.0.0.1]:8780");
    QTest::newRow("unclosed bracket") << QStringLiteral("[::1:8780");
    QTest::newRow("bracket without port") << QStringLiteral("[::1]");
    QTest::newRow("host name") << QStringLiteral("gw.example.com:8780");
    QTest::newRow("url") << QStringLiteral("http://127.0.0.1:8780");
}

void TestConfigDuration::refusesMalformedListenAddresses()
{
    QFETCH(QString, text);
    const auto listen = ListenAddress::parse(text);
    QVERIFY(!listen.ok());
    QCOMPARE(listen.error().code, ErrorCode::ConfigError);
}

QTEST_APPLESS_MAIN(TestConfigDuration)
#include "test_configduration.moc"
