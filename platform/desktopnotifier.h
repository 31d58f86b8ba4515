#pragma once

#include "app/notifier.h"

#include <chrono>
#include <optional>

#include <QDBusConnection>
#include <QHash>
#include <QList>
#include <QPointer>
#include <QSet>

class QDBusPendingCallWatcher;

namespace countersign {

// Notifier on the freedesktop notification service
// (org.freedesktop.Notifications over the session bus, through QtDBus): GNOME,
// KDE Plasma, XFCE, dunst, mako...
//
// Each notification carries exactly one action, "default" (clicking it),
// which emits activated(id) and nothing else: there is no approve action.
// The body is escaped when the service reads markup (the "body-markup"
// capability), so text from a request cannot turn into a link or formatting.
//
// Where no service answers (none running, no session bus), the notification
// goes to `fallback` instead (the tray's balloon messages, which ui/
// provides), and that one's activated() is passed on. Without a fallback the
// notification is dropped and logged.
class DesktopNotifier final : public Notifier {
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds callTimeout{5000};

    // On the session bus.
    explicit DesktopNotifier(Notifier *fallback = nullptr, QObject *parent = nullptr);
    // On another connection; for tests (a private bus).
    DesktopNotifier(const QDBusConnection &connection, Notifier *fallback,
                    QObject *parent = nullptr);
    // Withdraws the notifications still shown: nobody would answer them.
    ~DesktopNotifier() override;

    void notify(const QString &title, const QString &body, const QString &id) override;
    void close(const QString &id) override;

private Q_SLOTS:
    void onActionInvoked(uint notificationId, const QString &actionKey);
    void onNotificationClosed(uint notificationId, uint reason);

private:
    struct Queued {
        QString title;
        QString body;
        QString id;
    };
    struct Shown {
        uint notificationId = 0; // the service's id; 0 until Notify answered
        quint64 generation = 0;  // which Notify call this entry waits for
    };

    void requestCapabilities();
    void onCapabilities(QDBusPendingCallWatcher *watcher);
    void send(const Queued &notification);
    void onNotifyReply(QDBusPendingCallWatcher *watcher, const Queued &notification,
                       quint64 generation);
    void useFallback(const Queued &notification);
    void closeOnService(uint notificationId);
    std::optional<QString> idOf(uint notificationId) const;

    QDBusConnection m_connection;
    QPointer<Notifier> m_fallback;
    QHash<QString, Shown> m_shown;
    QSet<QString> m_withFallback;
    // Unknown until GetCapabilities answered; asked again after a failure.
    std::optional<bool> m_bodyMarkup;
    bool m_capabilitiesRequested = false;
    QList<Queued> m_queued;
    quint64 m_nextGeneration = 1;
};

} // namespace countersign
