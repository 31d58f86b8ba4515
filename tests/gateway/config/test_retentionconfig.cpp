#include "gateway/config/gatewayconfig.h"

#include <QTest>

using namespace countersign::gateway;

// The `retention:` section (docs/gateway.md "The audit log").
class TestRetentionConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreNinetyDays();
    void readsBothKeys();
    void refusesBadValues_data();
    void refusesBadValues();
};

namespace {

const QByteArray base = "users: [alice@example.com]\n";

} // namespace

void TestRetentionConfig::defaultsAreNinetyDays()
{
    const auto config = GatewayConfig::parse(base, QStringLiteral("gateway.yaml"));
    QVERIFY(config.ok());
    QCOMPARE(config->retention.auditDays, 90);
    QCOMPARE(config->retention.approvalDays, 90);
}

void TestRetentionConfig::readsBothKeys()
{
    const auto config = GatewayConfig::parse(
        base + "retention:\n  audit_days: 365\n  approvals_days: 7\n", QStringLiteral("g.yaml"));
    QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
    QCOMPARE(config->retention.auditDays, 365);
    QCOMPARE(config->retention.approvalDays, 7);
}

void TestRetentionConfig::refusesBadValues_data()
{
    QTest::addColumn<QByteArray>("section");
    QTest::addColumn<QString>("error");
    QTest::newRow("zero") << QByteArray("retention:\n  audit_days: 0\n")
                          << QStringLiteral("g.yaml:3: retention.audit_days");
    QTest::newRow("too long") << QByteArray("retention:\n  approvals_days: 3651\n")
                              << QStringLiteral("retention.approvals_days");
    QTest::newRow("unknown key") << QByteArray("retention:\n  audit: 90\n")
                                 << QStringLiteral("retention");
    QTest::newRow("not a number") << QByteArray("retention:\n  audit_days: forever\n")
                                  << QStringLiteral("retention.audit_days");
}

void TestRetentionConfig::refusesBadValues()
{
    QFETCH(QByteArray, section);
    QFETCH(QString, error);
    const auto config = GatewayConfig::parse(base + section, QStringLiteral("g.yaml"));
    QVERIFY(!config.ok());
    QVERIFY2(config.error().message.contains(error), qPrintable(config.error().message));
}

QTEST_GUILESS_MAIN(TestRetentionConfig)
#include "test_retentionconfig.moc"
