#pragma once

#include "app/autostart.h"

#include <memory>

#include <QCoreApplication>
#include <QStringList>

class QSettings;

namespace countersign {

// Autostart on Windows: a value named after the application under
// HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run holding
// the quoted program path and --minimized, which Windows runs at login.
// Turning it off removes the value (the NSIS uninstaller removes it too,
// packaging/windows/windows.cmake).
//
// The registry is reached through QSettings (NativeFormat on Windows), so
// tests elsewhere give it an INI file instead.
class RunKeyAutostart final : public Autostart {
    Q_DECLARE_TR_FUNCTIONS(RunKeyAutostart)

public:
    static QString registryPath();

    // The companion: the Run key, AppId::applicationName(), this program
    // with --minimized.
    RunKeyAutostart();
    // Other settings storage, value name or command; for tests.
    RunKeyAutostart(std::unique_ptr<QSettings> settings, const QString &valueName,
                    const QString &program, const QStringList &arguments);
    ~RunKeyAutostart() override;

    bool isEnabled() const override;
    Status setEnabled(bool enabled) override;

    // The command line Windows runs: the program in double quotes (with
    // native separators), then the arguments, each quoted when it holds a
    // space.
    QString command() const;

private:
    std::unique_ptr<QSettings> m_settings;
    QString m_valueName;
    QString m_program;
    QStringList m_arguments;
};

} // namespace countersign
