#include "app/companionsettings.h"
#include "app/pairingclient.h"

#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

// CompanionSettings over an INI file: the defaults, what it stores, and
// that it reads the keys released companions wrote.
class TestAppCompanionSettings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void defaults();
    void storesChoices();
    void readsTheKeysEarlierReleasesWrote();
    void refusesAnUnusableDeviceName();

private:
    QString path() const { return m_dir->filePath(QStringLiteral("countersign.ini")); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestAppCompanionSettings::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestAppCompanionSettings::defaults()
{
    const CompanionSettings settings(path());
    QVERIFY(settings.notificationsEnabled());
    QCOMPARE(settings.defaultMethod({ApprovalMethod::Passkey, ApprovalMethod::Totp}),
             ApprovalMethod::Passkey);
    QCOMPARE(settings.defaultMethod({}), ApprovalMethod::Totp);
    QCOMPARE(settings.chosenDeviceName(), QString());
    QCOMPARE(settings.defaultDeviceName(), PairingClient::defaultDeviceName());
}

void TestAppCompanionSettings::storesChoices()
{
    {
        CompanionSettings settings(path());
        settings.setNotificationsEnabled(false);
        settings.setDefaultMethod(ApprovalMethod::Totp);
        QVERIFY(settings.setChosenDeviceName(QStringLiteral("alice-desk")));
        QVERIFY(!settings.setChosenDeviceName(QStringLiteral("alice-desk"))); // no change
    }
    CompanionSettings again(path());
    QVERIFY(!again.notificationsEnabled());
    QCOMPARE(again.defaultMethod({ApprovalMethod::Passkey, ApprovalMethod::Totp}),
             ApprovalMethod::Totp);
    // A choice this computer cannot carry out gives way to what it can.
    again.setDefaultMethod(ApprovalMethod::Passkey);
    QCOMPARE(again.defaultMethod({ApprovalMethod::Totp}), ApprovalMethod::Totp);
    QCOMPARE(again.defaultDeviceName(), QStringLiteral("alice-desk"));
    QVERIFY(again.setChosenDeviceName(QString()));
    QCOMPARE(again.defaultDeviceName(), PairingClient::defaultDeviceName());
}

void TestAppCompanionSettings::readsTheKeysEarlierReleasesWrote()
{
    {
        QSettings raw(path(), QSettings::IniFormat);
        raw.setValue(QStringLiteral("notifications/enabled"), false);
        raw.setValue(QStringLiteral("approval/defaultMethod"), QStringLiteral("totp"));
        raw.setValue(QStringLiteral("pairing/defaultDeviceName"), QStringLiteral("bob-laptop"));
    }
    const CompanionSettings settings(path());
    QVERIFY(!settings.notificationsEnabled());
    QCOMPARE(settings.defaultMethod({ApprovalMethod::Passkey, ApprovalMethod::Totp}),
             ApprovalMethod::Totp);
    QCOMPARE(settings.defaultDeviceName(), QStringLiteral("bob-laptop"));
}

void TestAppCompanionSettings::refusesAnUnusableDeviceName()
{
    QCOMPARE(CompanionSettings::deviceNameProblem(QString()), std::optional(QString()));
    QVERIFY(!CompanionSettings::deviceNameProblem(QStringLiteral("alice-desk")));
    QVERIFY(CompanionSettings::deviceNameProblem(QStringLiteral("desk\u202Eevil")));
    QVERIFY(CompanionSettings::deviceNameProblem(QString(65, u'a')));
    // A stored name that is not usable (a hand edit) is not used.
    {
        QSettings raw(path(), QSettings::IniFormat);
        raw.setValue(QStringLiteral("pairing/defaultDeviceName"), QStringLiteral("desk\u202Eevil"));
    }
    QCOMPARE(CompanionSettings(path()).defaultDeviceName(), PairingClient::defaultDeviceName());
}

QTEST_GUILESS_MAIN(TestAppCompanionSettings)
#include "test_app_companionsettings.moc"
