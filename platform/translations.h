#pragma once

#include <QLocale>
#include <QStringList>

class QCoreApplication;

namespace countersign {

// The companion's translations (resources/translations, Qt Linguist):
// countersign_<language>.qm for the system's UI languages, and Qt's own
// qtbase_<language>.qm (standard buttons, file dialogs) from Qt's
// translations folder. English is the source text and needs no file.
class Translations {
public:
    // Where countersign_*.qm may be for a program in `applicationDir`, in
    // order: share/countersign/translations beside bin/ (installed under any
    // prefix, Flatpak's /app, and the build folder, which has the same
    // layout), a macOS bundle's Contents/Resources/translations, and
    // translations/ next to the program (Windows).
    static QStringList searchPaths(const QString &applicationDir);

    // Loads the best match for `locale` from the first of `directories` that
    // has one and installs it, with Qt's own, into `app` (which owns them).
    // Returns the file loaded, or an empty string when there is none (an
    // English locale, or a language without a translation).
    static QString install(QCoreApplication &app, const QLocale &locale,
                           const QStringList &directories);
    // The same for the running program's searchPaths().
    static QString install(QCoreApplication &app, const QLocale &locale = QLocale());
};

} // namespace countersign
