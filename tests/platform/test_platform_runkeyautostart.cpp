#include "platform/runkeyautostart.h"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

// Start at login on Windows, with an INI file standing in for the registry's
// Run key (the same QSettings calls reach the registry there).
class TestPlatformRunKeyAutostart : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void registryPathIsTheUsersRunKey();
    void commandQuotesTheProgram();
    void turnsOnAndOff();
    void turningOffTwiceIsFine();
    void anEntryWrittenElsewhereCounts();

private:
    std::unique_ptr<RunKeyAutostart> make(const QString &program = QStringLiteral(
                                              "C:/Program Files/Countersign/bin/countersign.exe"));
    QString iniPath() const { return m_dir.filePath(QStringLiteral("run.ini")); }

    QTemporaryDir m_dir;
};

std::unique_ptr<RunKeyAutostart> TestPlatformRunKeyAutostart::make(const QString &program)
{
    return std::make_unique<RunKeyAutostart>(
        std::make_unique<QSettings>(iniPath(), QSettings::IniFormat), QStringLiteral("Countersign"),
        program, QStringList{QStringLiteral("--minimized")});
}

void TestPlatformRunKeyAutostart::init()
{
    QVERIFY(m_dir.isValid());
    QFile::remove(iniPath());
}

void TestPlatformRunKeyAutostart::registryPathIsTheUsersRunKey()
{
    QCOMPARE(
        RunKeyAutostart::registryPath(),
        QStringLiteral("HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"));
}

void TestPlatformRunKeyAutostart::commandQuotesTheProgram()
{
    // Unquoted, Windows would look for C:\Program first.
    const QString command = make()->command();
    QVERIFY(command.startsWith(u'"'));
    QVERIFY(command.endsWith(QStringLiteral("countersign.exe\" --minimized")));
    auto spaced = RunKeyAutostart(std::make_unique<QSettings>(iniPath(), QSettings::IniFormat),
                                  QStringLiteral("Countersign"), QStringLiteral("/opt/cs"),
                                  {QStringLiteral("--pair"), QStringLiteral("a b")});
    QCOMPARE(spaced.command(),
             QStringLiteral("\"") + QDir::toNativeSeparators(QStringLiteral("/opt/cs"))
                 + QStringLiteral("\" --pair \"a b\""));
}

void TestPlatformRunKeyAutostart::turnsOnAndOff()
{
    auto autostart = make();
    QVERIFY(!autostart->isEnabled());
    QVERIFY(autostart->setEnabled(true).ok());
    QVERIFY(autostart->isEnabled());
    // What Windows reads at login.
    QSettings written(iniPath(), QSettings::IniFormat);
    QCOMPARE(written.value(QStringLiteral("Countersign")).toString(), autostart->command());
    // A new instance (the next run of the program) sees the same.
    QVERIFY(make()->isEnabled());

    QVERIFY(autostart->setEnabled(false).ok());
    QVERIFY(!autostart->isEnabled());
    QVERIFY(!make()->isEnabled());
}

void TestPlatformRunKeyAutostart::turningOffTwiceIsFine()
{
    auto autostart = make();
    QVERIFY(autostart->setEnabled(false).ok());
    QVERIFY(autostart->setEnabled(false).ok());
    QVERIFY(!autostart->isEnabled());
}

void TestPlatformRunKeyAutostart::anEntryWrittenElsewhereCounts()
{
    // An entry from an older install (another path) still starts the program
    // at login: the setting shows it on, and turning it on rewrites it.
    {
        QSettings other(iniPath(), QSettings::IniFormat);
        other.setValue(QStringLiteral("Countersign"),
                       QStringLiteral("\"D:\\old\\countersign.exe\" --minimized"));
    }
    auto autostart = make();
    QVERIFY(autostart->isEnabled());
    QVERIFY(autostart->setEnabled(true).ok());
    QSettings written(iniPath(), QSettings::IniFormat);
    QCOMPARE(written.value(QStringLiteral("Countersign")).toString(), autostart->command());
}

QTEST_GUILESS_MAIN(TestPlatformRunKeyAutostart)
#include "test_platform_runkeyautostart.moc"
