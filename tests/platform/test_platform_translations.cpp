#include "platform/translations.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTest>
#include <QTranslator>

using namespace countersign;

// The companion's translations as the program loads them: the .qm files the
// build made from resources/translations (COUNTERSIGN_TRANSLATIONS_BUILD_DIR,
// the same place relative to bin/ as after installing).
class TestPlatformTranslations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void searchPathsFollowTheInstalledLayout();
    void buildTreeHasTheGermanFile();
    void germanLocaleLoadsGerman();
    void regionalVariantFallsBackToTheLanguage();
    void englishAndUntranslatedLanguagesLoadNothing();

private:
    static QString translate(const char *context, const char *source, int n = -1)
    {
        return QCoreApplication::translate(context, source, nullptr, n);
    }
};

namespace {
const QString buildDir = QStringLiteral(COUNTERSIGN_TRANSLATIONS_BUILD_DIR);
} // namespace

void TestPlatformTranslations::cleanup()
{
    // Install() parents its translators to the application: remove them.
    const auto translators = QCoreApplication::instance()->findChildren<QTranslator *>();
    for (QTranslator *translator : translators) {
        QCoreApplication::removeTranslator(translator);
        delete translator;
    }
}

void TestPlatformTranslations::searchPathsFollowTheInstalledLayout()
{
    const QStringList paths = Translations::searchPaths(QStringLiteral("/usr/bin"));
    QCOMPARE(paths.first(), QStringLiteral("/usr/share/countersign/translations"));
    QVERIFY(paths.contains(QStringLiteral("/usr/bin/translations")));
    // The build folder has the installed layout: bin/ and share/ side by side.
    QVERIFY(QFileInfo(buildDir).isDir());
    QCOMPARE(QDir::cleanPath(buildDir),
             Translations::searchPaths(
                 QFileInfo(buildDir + QStringLiteral("/../../../bin")).absoluteFilePath())
                 .first());
}

void TestPlatformTranslations::buildTreeHasTheGermanFile()
{
    QVERIFY(QFileInfo(buildDir + QStringLiteral("/countersign_de.qm")).isFile());
}

void TestPlatformTranslations::germanLocaleLoadsGerman()
{
    const QString loaded = Translations::install(*QCoreApplication::instance(),
                                                 QLocale(QStringLiteral("de_DE")), {buildDir});
    QCOMPARE(QFileInfo(loaded).fileName(), QStringLiteral("countersign_de.qm"));
    QCOMPARE(translate("countersign::TrayIcon", "&Quit Countersign"),
             QStringLiteral("Countersign &beenden"));
    QCOMPARE(translate("countersign::ApprovalDialog", "&Approve"), QStringLiteral("&Freigeben"));
    QCOMPARE(translate("main", "Start in the tray without opening a window."),
             QStringLiteral("Im Systembereich starten, ohne ein Fenster zu öffnen."));
    // Plural forms.
    QCOMPARE(translate("countersign::TrayIcon", "%n approvals waiting", 3),
             QStringLiteral("3 Freigaben warten"));
    QCOMPARE(translate("countersign::TrayIcon", "%n approvals waiting", 1),
             QStringLiteral("1 Freigabe wartet"));
}

void TestPlatformTranslations::regionalVariantFallsBackToTheLanguage()
{
    const QString loaded = Translations::install(*QCoreApplication::instance(),
                                                 QLocale(QStringLiteral("de_AT")), {buildDir});
    QCOMPARE(QFileInfo(loaded).fileName(), QStringLiteral("countersign_de.qm"));
    QCOMPARE(translate("countersign::ApprovalDialog", "&Deny"), QStringLiteral("&Ablehnen"));
}

void TestPlatformTranslations::englishAndUntranslatedLanguagesLoadNothing()
{
    for (const char *name : {"en_US", "en_GB", "C", "ja_JP"}) {
        QCOMPARE(Translations::install(*QCoreApplication::instance(),
                                       QLocale(QString::fromLatin1(name)), {buildDir}),
                 QString());
        QCOMPARE(translate("countersign::ApprovalDialog", "&Approve"), QStringLiteral("&Approve"));
    }
}

QTEST_GUILESS_MAIN(TestPlatformTranslations)
#include "test_platform_translations.moc"
