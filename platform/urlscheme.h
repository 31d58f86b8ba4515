#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

namespace countersign {

// The countersign:// URL scheme of pairing links. The desktop hands a clicked
// link to the program registered for the scheme (packaging/, docs/packaging.md):
// - Linux: the desktop file's MimeType=x-scheme-handler/countersign runs
//   "countersign %u", so the link is a command-line argument;
// - Windows: HKCU\Software\Classes\countersign\shell\open\command runs
//   countersign.exe "%1", the same;
// - macOS: CFBundleURLTypes in Info.plist; the link arrives as a
//   QFileOpenEvent, which UrlOpenEvents turns into a signal.
// A second launch hands its arguments to the running companion
// (SingleInstance), which finds the link with linkInArguments() again. A link
// only ever fills in the pairing dialog: pairing needs the person's click.
class UrlScheme {
public:
    static QString scheme();   // "countersign"
    static QString mimeType(); // "x-scheme-handler/countersign"

    // The pairing link in command-line arguments (without the program):
    // "--pair LINK", "--pair=LINK", or an argument that is a countersign: URL
    // (any letter case, as desktops may pass it). Empty when there is none.
    static QString linkInArguments(const QStringList &arguments);
};

// Watches the application for the URL open events of macOS (QEvent::FileOpen
// with a countersign: URL) and emits linkOpened for each. Install it on the
// QCoreApplication before the event loop starts: macOS delivers the link
// that launched the program right after.
class UrlOpenEvents : public QObject {
    Q_OBJECT

public:
    explicit UrlOpenEvents(QObject *parent = nullptr);

Q_SIGNALS:
    void linkOpened(const QString &link);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
};

} // namespace countersign
