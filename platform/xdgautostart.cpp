#include "xdgautostart.h"

#include "app/appid.h"

#include <algorithm>
#include <utility>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace countersign {

namespace {

// The general escaping of a desktop entry string value.
QString escapeValue(const QString &value)
{
    QString escaped;
    escaped.reserve(value.size());
    for (const QChar c : value) {
        switch (c.unicode()) {
        case u'\\':
            escaped += QStringLiteral("\\\\");
            break;
        case u'\n':
            escaped += QStringLiteral("\\n");
            break;
        case u'\t':
            escaped += QStringLiteral("\\t");
            break;
        case u'\r':
            escaped += QStringLiteral("\\r");
            break;
        default:
            escaped += c;
        }
    }
    if (escaped.startsWith(u' '))
        escaped.replace(0, 1, QStringLiteral("\\s"));
    return escaped;
}

// Whether the entry at `path` starts anything: the [Desktop Entry] group's
// Hidden=true, or GNOME's X-GNOME-Autostart-enabled=false, turn it off.
bool entryEnabled(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    bool inMainGroup = false;
    bool sawMainGroup = false;
    // Desktop entries are small; a huge file is not one.
    constexpr qint64 maxLine = 64 * 1024;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine(maxLine).trimmed();
        if (line.startsWith('[')) {
            inMainGroup = line == "[Desktop Entry]";
            sawMainGroup = sawMainGroup || inMainGroup;
            continue;
        }
        if (!inMainGroup)
            continue;
        const qsizetype equals = line.indexOf('=');
        if (equals < 0)
            continue;
        const QByteArray key = line.left(equals).trimmed();
        const QByteArray value = line.mid(equals + 1).trimmed();
        if (key == "Hidden" && value == "true")
            return false;
        if (key == "X-GNOME-Autostart-enabled" && value == "false")
            return false;
    }
    return sawMainGroup;
}

QString defaultProgram()
{
    // An AppImage runs from a temporary mount that is gone at the next login:
    // start the image itself.
    const QString appImage = qEnvironmentVariable("APPIMAGE");
    if (!appImage.isEmpty())
        return appImage;
    return QCoreApplication::applicationFilePath();
}

} // namespace

XdgAutostart::XdgAutostart()
    : XdgAutostart(AppId::id(), defaultProgram(), {QStringLiteral("--minimized")})
{
}

XdgAutostart::XdgAutostart(const QString &desktopId, const QString &program,
                           const QStringList &arguments)
    : m_desktopId(desktopId)
    , m_program(program)
    , m_arguments(arguments)
{
}

QString XdgAutostart::fileName() const
{
    return QStringLiteral("autostart/") + m_desktopId + QStringLiteral(".desktop");
}

QString XdgAutostart::userFilePath() const
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(fileName());
}

QString XdgAutostart::systemFilePath() const
{
    const QString userDirectory =
        QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    const QStringList directories =
        QStandardPaths::standardLocations(QStandardPaths::GenericConfigLocation);
    for (const QString &directory : directories) {
        if (directory == userDirectory)
            continue;
        const QString path = QDir(directory).filePath(fileName());
        if (QFileInfo(path).isFile())
            return path;
    }
    return {};
}

bool XdgAutostart::isEnabled() const
{
    // The user's entry, when there is one, replaces the system's.
    const QString user = userFilePath();
    if (QFileInfo::exists(user))
        return entryEnabled(user);
    const QString system = systemFilePath();
    return !system.isEmpty() && entryEnabled(system);
}

Status XdgAutostart::setEnabled(bool enabled)
{
    if (enabled)
        return write(false);
    const QString system = systemFilePath();
    if (!system.isEmpty() && entryEnabled(system))
        return write(true);
    const QString user = userFilePath();
    if (QFileInfo::exists(user) && !QFile::remove(user))
        return makeError(ErrorCode::StorageFailure,
                         tr("Could not remove %1, so Countersign will still start at login.")
                             .arg(QDir::toNativeSeparators(user)));
    return Ok{};
}

Status XdgAutostart::write(bool hidden) const
{
    const QString path = userFilePath();
    const QString directory = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(directory))
        return makeError(
            ErrorCode::StorageFailure,
            tr("Could not create the folder %1.").arg(QDir::toNativeSeparators(directory)));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(desktopEntry(hidden)) < 0 || !file.commit())
        return makeError(
            ErrorCode::StorageFailure,
            tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    return Ok{};
}

QString XdgAutostart::quoteExecArgument(const QString &argument)
{
    static const QString reserved = QStringLiteral(" \t\n\"'\\><~|&;$*?#()`");
    QString quoted = argument;
    quoted.replace(u'%', QStringLiteral("%%"));
    const bool needsQuotes = quoted.isEmpty()
        || std::any_of(quoted.cbegin(), quoted.cend(),
                       [](QChar c) { return reserved.contains(c); });
    if (!needsQuotes)
        return quoted;
    QString result = QStringLiteral("\"");
    for (const QChar c : std::as_const(quoted)) {
        if (c == u'"' || c == u'`' || c == u'$' || c == u'\\')
            result += u'\\';
        result += c;
    }
    result += u'"';
    return result;
}

QString XdgAutostart::execLine() const
{
    QStringList parts{quoteExecArgument(m_program)};
    for (const QString &argument : m_arguments)
        parts.append(quoteExecArgument(argument));
    return parts.join(u' ');
}

QByteArray XdgAutostart::desktopEntry(bool hidden) const
{
    QString entry = QStringLiteral("[Desktop Entry]\n"
                                   "Type=Application\n"
                                   "Version=1.4\n");
    entry += QStringLiteral("Name=") + escapeValue(AppId::applicationName()) + u'\n';
    entry += QStringLiteral("Comment=")
        + escapeValue(tr("Approve your AI agents' sensitive actions")) + u'\n';
    entry += QStringLiteral("Exec=") + escapeValue(execLine()) + u'\n';
    entry += QStringLiteral("Icon=") + escapeValue(AppId::id()) + u'\n';
    entry += QStringLiteral("Terminal=false\n");
    if (hidden) {
        entry += QStringLiteral("Hidden=true\n"
                                "X-GNOME-Autostart-enabled=false\n");
    } else {
        entry += QStringLiteral("X-GNOME-Autostart-enabled=true\n");
    }
    return entry.toUtf8();
}

} // namespace countersign
