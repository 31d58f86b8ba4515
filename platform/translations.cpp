#include "translations.h"

#include <memory>

#include <QCoreApplication>
#include <QDir>
#include <QLibraryInfo>
#include <QLoggingCategory>
#include <QTranslator>

Q_LOGGING_CATEGORY(lcTranslations, "countersign.platform.translations", QtInfoMsg)

namespace countersign {

QStringList Translations::searchPaths(const QString &applicationDir)
{
    const QDir dir(applicationDir);
    return {
        QDir::cleanPath(dir.filePath(QStringLiteral("../share/countersign/translations"))),
        QDir::cleanPath(dir.filePath(QStringLiteral("../Resources/translations"))),
        QDir::cleanPath(dir.filePath(QStringLiteral("translations"))),
    };
}

QString Translations::install(QCoreApplication &app, const QLocale &locale,
                              const QStringList &directories)
{
    // The person's languages in their order: the first one that is English
    // (the source text) or has a translation wins.
    for (QString language : locale.uiLanguages()) {
        language.replace(u'-', u'_');
        if (language == u"C" || language == u"en" || language.startsWith(u"en_"))
            return {};
        for (const QString &directory : directories) {
            auto translator = std::make_unique<QTranslator>(&app);
            // Tries countersign_de_AT.qm, then countersign_de.qm.
            if (!translator->load(QStringLiteral("countersign_") + language, directory))
                continue;
            const QString loaded = translator->filePath();
            QCoreApplication::installTranslator(translator.release());
            qCDebug(lcTranslations) << "loaded" << loaded;
            // Qt's own strings in the same language, where the system has
            // them (Debian: qt6-translations-l10n).
            auto qt = std::make_unique<QTranslator>(&app);
            if (qt->load(QStringLiteral("qtbase_") + language,
                         QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
                QCoreApplication::installTranslator(qt.release());
            return loaded;
        }
    }
    qCDebug(lcTranslations) << "no translation for" << locale.uiLanguages() << "in" << directories;
    return {};
}

QString Translations::install(QCoreApplication &app, const QLocale &locale)
{
    return install(app, locale, searchPaths(QCoreApplication::applicationDirPath()));
}

} // namespace countersign
