#pragma once

#include <QObject>
#include <QString>

namespace countersign {

// Desktop notifications: "a request arrived" while no dialog is in front.
// platform/ implements it (freedesktop notifications over D-Bus on Linux,
// platform/desktopnotifier.h); ui/ may implement it on
// QSystemTrayIcon::showMessage where there is nothing better.
//
// A notification never approves anything. It offers exactly one thing, to
// open the request: activated(id) means "the person clicked it", and the
// receiver shows the approval dialog, where the decision is made.
class Notifier : public QObject {
    Q_OBJECT

public:
    explicit Notifier(QObject *parent = nullptr)
        : QObject(parent)
    {
    }

    // Shows a notification. `id` is the caller's key for it (for example
    // "<gateway id>/<request id>"): notifying again with the same id replaces
    // the earlier notification, and activated() reports it. Title and body are
    // plain text; an implementation escapes them where the desktop would
    // read markup.
    virtual void notify(const QString &title, const QString &body, const QString &id) = 0;
    // Withdraws the notification with this id (the request was answered,
    // resolved elsewhere or expired, or its dialog is open). Unknown ids are
    // ignored.
    virtual void close(const QString &id) = 0;

Q_SIGNALS:
    // The person clicked the notification `id`: open its dialog. Nothing else.
    void activated(const QString &id);
};

} // namespace countersign
