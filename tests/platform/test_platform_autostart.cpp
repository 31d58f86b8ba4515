#include "app/appid.h"
#include "platform/xdgautostart.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

namespace {

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

bool writeFile(const QString &path, const QByteArray &content)
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return false;
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

// The value of `key` in the [Desktop Entry] group, as written.
QByteArray entryValue(const QByteArray &entry, const QByteArray &key)
{
    const QList<QByteArray> lines = entry.split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(QByteArray(key + '=')))
            return line.mid(key.size() + 1);
    }
    return {};
}

const QByteArray systemEntry = "[Desktop Entry]\n"
                               "Type=Application\n"
                               "Name=Countersign\n"
                               "Exec=countersign --minimized\n";

} // namespace

// XdgAutostart in a throwaway XDG_CONFIG_HOME and XDG_CONFIG_DIRS (set before
// QStandardPaths is asked, which reads them on every call), checked by
// desktop-file-validate (Debian package desktop-file-utils).
class TestPlatformAutostart : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void writesAnEntryInTheConfigHome();
    void writesAValidDesktopEntry();
    void turnsOffByRemovingTheEntry();
    void isIdempotent();
    void quotesTheProgramAsTheSpecificationSays_data();
    void quotesTheProgramAsTheSpecificationSays();
    void entryWithAnAwkwardPathIsValid();
    void hidesASystemEntryToTurnItOff();
    void readsEntriesTheUserTurnedOff();
    void saysWhyItCouldNotWrite();

private:
    void validate(const QString &path);

    QTemporaryDir m_root;
    QString m_configHome;
    QString m_systemConfig;
};

void TestPlatformAutostart::initTestCase()
{
    QVERIFY(m_root.isValid());
    m_configHome = m_root.filePath(QStringLiteral("config"));
    m_systemConfig = m_root.filePath(QStringLiteral("system"));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_configHome));
    qputenv("XDG_CONFIG_DIRS", QFile::encodeName(m_systemConfig));
    QCOMPARE(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation), m_configHome);
}

void TestPlatformAutostart::init()
{
    QVERIFY(QDir(m_configHome).removeRecursively());
    QVERIFY(QDir(m_systemConfig).removeRecursively());
    QVERIFY(QDir().mkpath(m_configHome));
    QVERIFY(QDir().mkpath(m_systemConfig));
}

void TestPlatformAutostart::validate(const QString &path)
{
    const QString validator =
        QStandardPaths::findExecutable(QStringLiteral("desktop-file-validate"));
    if (validator.isEmpty())
        QFAIL("desktop-file-validate is not installed; install it with: "
              "apt-get install desktop-file-utils");
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(validator, {path});
    QVERIFY(process.waitForFinished(30'000));
    const QByteArray output = process.readAll();
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
             output.constData());
    QVERIFY2(!output.contains("error:") && !output.contains("warning:"), output.constData());
}

void TestPlatformAutostart::writesAnEntryInTheConfigHome()
{
    XdgAutostart autostart;
    QCOMPARE(autostart.userFilePath(),
             m_configHome + QStringLiteral("/autostart/") + AppId::id()
                 + QStringLiteral(".desktop"));
    QVERIFY(!autostart.isEnabled());

    const Status status = autostart.setEnabled(true);
    QVERIFY2(status.ok(), qPrintable(status.ok() ? QString() : status.error().message));
    QVERIFY(autostart.isEnabled());
    const QByteArray entry = readFile(autostart.userFilePath());
    QVERIFY(entry.startsWith("[Desktop Entry]\n"));
    QCOMPARE(entryValue(entry, "Type"), QByteArray("Application"));
    QCOMPARE(entryValue(entry, "Name"), AppId::applicationName().toUtf8());
    QCOMPARE(entryValue(entry, "Icon"), AppId::id().toUtf8());
    // Straight to the tray at login.
    QCOMPARE(entryValue(entry, "Exec"),
             (XdgAutostart::quoteExecArgument(QCoreApplication::applicationFilePath())
              + QStringLiteral(" --minimized"))
                 .toUtf8());
    QCOMPARE(entryValue(entry, "Hidden"), QByteArray());
}

void TestPlatformAutostart::writesAValidDesktopEntry()
{
    XdgAutostart autostart;
    QVERIFY(autostart.setEnabled(true).ok());
    validate(autostart.userFilePath());
}

void TestPlatformAutostart::turnsOffByRemovingTheEntry()
{
    XdgAutostart autostart;
    QVERIFY(autostart.setEnabled(true).ok());
    QVERIFY(QFile::exists(autostart.userFilePath()));
    QVERIFY(autostart.setEnabled(false).ok());
    QVERIFY(!QFile::exists(autostart.userFilePath()));
    QVERIFY(!autostart.isEnabled());
}

void TestPlatformAutostart::isIdempotent()
{
    XdgAutostart autostart;
    QVERIFY(autostart.setEnabled(false).ok());
    QVERIFY(!autostart.isEnabled());
    QVERIFY(autostart.setEnabled(true).ok());
    QVERIFY(autostart.setEnabled(true).ok());
    QVERIFY(autostart.isEnabled());
    QVERIFY(autostart.setEnabled(false).ok());
    QVERIFY(autostart.setEnabled(false).ok());
    QVERIFY(!autostart.isEnabled());
}

void TestPlatformAutostart::quotesTheProgramAsTheSpecificationSays_data()
{
    QTest::addColumn<QString>("argument");
    QTest::addColumn<QString>("quoted");
    QTest::newRow("plain") << QStringLiteral("/usr/bin/countersign")
                           << QStringLiteral("/usr/bin/countersign");
    QTest::newRow("option") << QStringLiteral("--minimized") << QStringLiteral("--minimized");
    QTest::newRow("space") << QStringLiteral("/opt/My Apps/countersign")
                           << QStringLiteral("\"/opt/My Apps/countersign\"");
    QTest::newRow("percent, a field code otherwise")
        << QStringLiteral("/opt/100%u/countersign") << QStringLiteral("/opt/100%%u/countersign");
    QTest::newRow("shell characters") << QStringLiteral("/opt/a$b`c\"d\\e/countersign")
                                      << QStringLiteral("\"/opt/a\\$b\\`c\\\"d\\\\e/countersign\"");
    QTest::newRow("quote and parenthesis") << QStringLiteral("/opt/it's (new)/countersign")
                                           << QStringLiteral("\"/opt/it's (new)/countersign\"");
    QTest::newRow("empty") << QString() << QStringLiteral("\"\"");
}

void TestPlatformAutostart::quotesTheProgramAsTheSpecificationSays()
{
    QFETCH(QString, argument);
    QFETCH(QString, quoted);
    QCOMPARE(XdgAutostart::quoteExecArgument(argument), quoted);
}

void TestPlatformAutostart::entryWithAnAwkwardPathIsValid()
{
    XdgAutostart autostart(AppId::id(), QStringLiteral("/opt/My $Apps/it's \"100%\"/countersign"),
                           {QStringLiteral("--minimized")});
    QVERIFY(autostart.setEnabled(true).ok());
    validate(autostart.userFilePath());
    // The Exec value escapes the quoting's backslashes once more (the string
    // value rule).
    QCOMPARE(entryValue(readFile(autostart.userFilePath()), "Exec"),
             QByteArray("\"/opt/My \\\\$Apps/it's \\\\\"100%%\\\\\"/countersign\" --minimized"));
}

void TestPlatformAutostart::hidesASystemEntryToTurnItOff()
{
    XdgAutostart autostart;
    const QString system =
        m_systemConfig + QStringLiteral("/autostart/") + AppId::id() + QStringLiteral(".desktop");
    QVERIFY(writeFile(system, systemEntry));
    QVERIFY(autostart.isEnabled());

    // The system's file cannot be removed by the user: a user entry with
    // Hidden=true turns it off.
    QVERIFY(autostart.setEnabled(false).ok());
    QVERIFY(!autostart.isEnabled());
    QVERIFY(QFile::exists(system));
    const QByteArray hidden = readFile(autostart.userFilePath());
    QCOMPARE(entryValue(hidden, "Hidden"), QByteArray("true"));
    validate(autostart.userFilePath());

    QVERIFY(autostart.setEnabled(true).ok());
    QVERIFY(autostart.isEnabled());
    QCOMPARE(entryValue(readFile(autostart.userFilePath()), "Hidden"), QByteArray());
}

void TestPlatformAutostart::readsEntriesTheUserTurnedOff()
{
    XdgAutostart autostart;
    QVERIFY(writeFile(autostart.userFilePath(), systemEntry + "Hidden=true\n"));
    QVERIFY(!autostart.isEnabled());
    QVERIFY(writeFile(autostart.userFilePath(), systemEntry + "X-GNOME-Autostart-enabled=false\n"));
    QVERIFY(!autostart.isEnabled());
    // A key of another group does not count.
    QVERIFY(writeFile(autostart.userFilePath(),
                      systemEntry + "[Desktop Action other]\nName=Other\nHidden=true\n"));
    QVERIFY(autostart.isEnabled());
    QVERIFY(writeFile(autostart.userFilePath(), "not a desktop entry"));
    QVERIFY(!autostart.isEnabled());
}

void TestPlatformAutostart::saysWhyItCouldNotWrite()
{
    // A file where the autostart folder should be.
    QVERIFY(writeFile(m_configHome + QStringLiteral("/autostart"), "in the way"));
    XdgAutostart autostart;
    const Status status = autostart.setEnabled(true);
    QVERIFY(!status.ok());
    QVERIFY2(status.error().message.contains(m_configHome), qPrintable(status.error().message));
    QVERIFY(!autostart.isEnabled());
}

QTEST_GUILESS_MAIN(TestPlatformAutostart)
#include "test_platform_autostart.moc"
