#pragma once

#include "app/autostart.h"

#include <QCoreApplication>
#include <QStringList>

namespace countersign {

// Autostart on Linux and other XDG desktops: a desktop entry in
// $XDG_CONFIG_HOME/autostart (QStandardPaths::GenericConfigLocation) named
// after the app id, which the session starts at login with --minimized (the
// companion goes straight to the tray).
//
// Turning it off removes that file; when the system also installs an entry
// of that name (in $XDG_CONFIG_DIRS/autostart), it writes a user entry with
// Hidden=true instead, which is how the XDG autostart specification lets a
// user turn a system entry off. isEnabled() reads what the session would do.
class XdgAutostart final : public Autostart {
    Q_DECLARE_TR_FUNCTIONS(XdgAutostart)

public:
    // The companion: AppId::id(), this program (the AppImage when run as one)
    // with --minimized.
    XdgAutostart();
    // Another desktop id or command; for tests.
    XdgAutostart(const QString &desktopId, const QString &program, const QStringList &arguments);

    // Where the user's entry is: <config home>/autostart/<desktop id>.desktop.
    QString userFilePath() const;

    bool isEnabled() const override;
    Status setEnabled(bool enabled) override;

    // The entry setEnabled() writes (hidden: the one that turns a system
    // entry off).
    QByteArray desktopEntry(bool hidden = false) const;
    // The Exec= value for this program and arguments, quoted as the desktop
    // entry specification says (before the value's own escaping).
    QString execLine() const;
    // One argument of an Exec= line: quoted when it holds a reserved
    // character, with "%" doubled.
    static QString quoteExecArgument(const QString &argument);

private:
    QString fileName() const;
    // The first system entry of that name ($XDG_CONFIG_DIRS), or empty.
    QString systemFilePath() const;
    Status write(bool hidden) const;

    QString m_desktopId;
    QString m_program;
    QStringList m_arguments;
};

} // namespace countersign
