#include "runkeyautostart.h"

#include "app/appid.h"

#include <QDir>
#include <QSettings>

namespace countersign {

namespace {

QString quoted(const QString &argument)
{
    if (!argument.isEmpty() && !argument.contains(u' ') && !argument.contains(u'\t')
        && !argument.contains(u'"'))
        return argument;
    QString escaped = argument;
    escaped.replace(QStringLiteral("\""), QStringLiteral("\\\""));
    return u'"' + escaped + u'"';
}

} // namespace

QString RunKeyAutostart::registryPath()
{
    return QStringLiteral("HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run");
}

RunKeyAutostart::RunKeyAutostart()
    : RunKeyAutostart(std::make_unique<QSettings>(registryPath(), QSettings::NativeFormat),
                      AppId::applicationName(), QCoreApplication::applicationFilePath(),
                      {QStringLiteral("--minimized")})
{
}

RunKeyAutostart::RunKeyAutostart(std::unique_ptr<QSettings> settings, const QString &valueName,
                                 const QString &program, const QStringList &arguments)
    : m_settings(std::move(settings))
    , m_valueName(valueName)
    , m_program(program)
    , m_arguments(arguments)
{
}

RunKeyAutostart::~RunKeyAutostart() = default;

QString RunKeyAutostart::command() const
{
    // The program is always quoted: Windows would otherwise try
    // "C:\Program" for "C:\Program Files\...".
    QString line = u'"' + QDir::toNativeSeparators(m_program) + u'"';
    for (const QString &argument : m_arguments)
        line += u' ' + quoted(argument);
    return line;
}

bool RunKeyAutostart::isEnabled() const
{
    m_settings->sync();
    return !m_settings->value(m_valueName).toString().trimmed().isEmpty();
}

Status RunKeyAutostart::setEnabled(bool enabled)
{
    if (enabled)
        m_settings->setValue(m_valueName, command());
    else
        m_settings->remove(m_valueName);
    m_settings->sync();
    if (m_settings->status() != QSettings::NoError) {
        return makeError(
            ErrorCode::StorageFailure,
            enabled ? tr("Could not write the Run entry %1\\%2.").arg(registryPath(), m_valueName)
                    : tr("Could not remove the Run entry %1\\%2, so Countersign "
                         "will still start at login.")
                          .arg(registryPath(), m_valueName));
    }
    return Ok{};
}

} // namespace countersign
