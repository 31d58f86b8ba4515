#include "desktopnotifier.h"

#include "app/appid.h"

#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QLoggingCategory>
#include <QVariantMap>

namespace countersign {

namespace {

Q_LOGGING_CATEGORY(lcNotifier, "countersign.platform.notifications")

const QString service = QStringLiteral("org.freedesktop.Notifications");
const QString path = QStringLiteral("/org/freedesktop/Notifications");
const QString interface = QStringLiteral("org.freedesktop.Notifications");
// The action the service invokes when the notification itself is clicked.
const QString defaultAction = QStringLiteral("default");

QDBusMessage methodCall(const QString &method)
{
    return QDBusMessage::createMethodCall(service, path, interface, method);
}

} // namespace

DesktopNotifier::DesktopNotifier(Notifier *fallback, QObject *parent)
    : DesktopNotifier(QDBusConnection::sessionBus(), fallback, parent)
{
}

DesktopNotifier::DesktopNotifier(const QDBusConnection &connection, Notifier *fallback,
                                 QObject *parent)
    : Notifier(parent)
    , m_connection(connection)
    , m_fallback(fallback)
{
    if (m_fallback)
        connect(m_fallback, &Notifier::activated, this, &Notifier::activated);
    if (!m_connection.isConnected())
        return;
    // Signals are taken only from whoever owns the service's name.
    m_connection.connect(service, path, interface, QStringLiteral("ActionInvoked"), this,
                         SLOT(onActionInvoked(uint, QString)));
    m_connection.connect(service, path, interface, QStringLiteral("NotificationClosed"), this,
                         SLOT(onNotificationClosed(uint, uint)));
}

DesktopNotifier::~DesktopNotifier()
{
    for (const Shown &shown : std::as_const(m_shown)) {
        if (shown.notificationId != 0)
            closeOnService(shown.notificationId);
    }
    if (m_connection.isConnected()) {
        m_connection.disconnect(service, path, interface, QStringLiteral("ActionInvoked"), this,
                                SLOT(onActionInvoked(uint, QString)));
        m_connection.disconnect(service, path, interface, QStringLiteral("NotificationClosed"),
                                this, SLOT(onNotificationClosed(uint, uint)));
    }
}

void DesktopNotifier::notify(const QString &title, const QString &body, const QString &id)
{
    const Queued notification{title, body, id};
    if (!m_connection.isConnected()) {
        useFallback(notification);
        return;
    }
    if (!m_bodyMarkup) {
        // The first notification waits for the service's capabilities, which
        // say whether the body must be escaped.
        m_queued.removeIf([&id](const Queued &queued) { return queued.id == id; });
        m_queued.append(notification);
        requestCapabilities();
        return;
    }
    send(notification);
}

void DesktopNotifier::close(const QString &id)
{
    m_queued.removeIf([&id](const Queued &queued) { return queued.id == id; });
    if (m_withFallback.remove(id)) {
        if (Notifier *fallback = m_fallback.get())
            fallback->close(id);
    }
    const auto shown = m_shown.constFind(id);
    if (shown == m_shown.constEnd())
        return;
    // A Notify still on its way is closed when its answer arrives (the entry
    // it would fill is gone).
    if (shown->notificationId != 0)
        closeOnService(shown->notificationId);
    m_shown.erase(shown);
}

void DesktopNotifier::requestCapabilities()
{
    if (m_capabilitiesRequested)
        return;
    m_capabilitiesRequested = true;
    auto *watcher = new QDBusPendingCallWatcher(
        m_connection.asyncCall(methodCall(QStringLiteral("GetCapabilities")),
                               static_cast<int>(callTimeout.count())),
        this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this,
            [this](QDBusPendingCallWatcher *finished) { onCapabilities(finished); });
}

void DesktopNotifier::onCapabilities(QDBusPendingCallWatcher *watcher)
{
    watcher->deleteLater();
    m_capabilitiesRequested = false;
    const QDBusPendingReply<QStringList> reply = *watcher;
    const QList<Queued> queued = std::exchange(m_queued, {});
    if (reply.isError()) {
        qCInfo(lcNotifier) << "no notification service:" << reply.error().name()
                           << reply.error().message();
        for (const Queued &notification : queued)
            useFallback(notification);
        return;
    }
    m_bodyMarkup = reply.value().contains(QStringLiteral("body-markup"));
    for (const Queued &notification : queued)
        send(notification);
}

void DesktopNotifier::send(const Queued &notification)
{
    Shown &shown = m_shown[notification.id];
    shown.generation = m_nextGeneration++;

    QVariantMap hints;
    hints.insert(QStringLiteral("desktop-entry"), AppId::id());
    hints.insert(QStringLiteral("urgency"), QVariant::fromValue<uchar>(1)); // normal
    const QStringList actions{defaultAction, tr("Review")};
    const QString body =
        m_bodyMarkup.value_or(true) ? notification.body.toHtmlEscaped() : notification.body;

    QDBusMessage call = methodCall(QStringLiteral("Notify"));
    call << AppId::applicationName() << shown.notificationId << AppId::id() << notification.title
         << body << actions << hints << qint32(-1);
    auto *watcher = new QDBusPendingCallWatcher(
        m_connection.asyncCall(call, static_cast<int>(callTimeout.count())), this);
    const quint64 generation = shown.generation;
    connect(watcher, &QDBusPendingCallWatcher::finished, this,
            [this, notification, generation](QDBusPendingCallWatcher *finished) {
                onNotifyReply(finished, notification, generation);
            });
}

void DesktopNotifier::onNotifyReply(QDBusPendingCallWatcher *watcher, const Queued &notification,
                                    quint64 generation)
{
    watcher->deleteLater();
    const QDBusPendingReply<uint> reply = *watcher;
    const auto shown = m_shown.find(notification.id);
    const bool current = shown != m_shown.end() && shown->generation == generation;
    if (reply.isError()) {
        qCInfo(lcNotifier) << "the notification service failed:" << reply.error().name()
                           << reply.error().message();
        // The service went away: ask for its capabilities again next time.
        m_bodyMarkup.reset();
        if (current) {
            m_shown.erase(shown);
            useFallback(notification);
        }
        return;
    }
    const uint notificationId = reply.value();
    if (!current) {
        // Closed, or replaced by a later notify(), while this one was on its
        // way: it must not stay on screen.
        if (shown == m_shown.end() || shown->notificationId != notificationId)
            closeOnService(notificationId);
        return;
    }
    if (shown->notificationId != 0 && shown->notificationId != notificationId)
        closeOnService(shown->notificationId);
    shown->notificationId = notificationId;
}

void DesktopNotifier::useFallback(const Queued &notification)
{
    Notifier *fallback = m_fallback.get();
    if (!fallback) {
        qCWarning(lcNotifier) << "no way to show a notification; dropped" << notification.id;
        return;
    }
    m_withFallback.insert(notification.id);
    fallback->notify(notification.title, notification.body, notification.id);
}

void DesktopNotifier::closeOnService(uint notificationId)
{
    QDBusMessage call = methodCall(QStringLiteral("CloseNotification"));
    call << notificationId;
    // Nothing to do with the answer: a notification already gone is fine.
    m_connection.send(call);
}

std::optional<QString> DesktopNotifier::idOf(uint notificationId) const
{
    if (notificationId == 0)
        return std::nullopt;
    for (auto it = m_shown.cbegin(); it != m_shown.cend(); ++it) {
        if (it->notificationId == notificationId)
            return it.key();
    }
    return std::nullopt;
}

void DesktopNotifier::onActionInvoked(uint notificationId, const QString &actionKey)
{
    // Only the click opens anything; any other key (none is offered) is
    // ignored. Nothing here can approve.
    if (actionKey != defaultAction)
        return;
    if (const std::optional<QString> id = idOf(notificationId))
        Q_EMIT activated(*id);
}

void DesktopNotifier::onNotificationClosed(uint notificationId, uint reason)
{
    Q_UNUSED(reason)
    if (const std::optional<QString> id = idOf(notificationId))
        m_shown.remove(*id);
}

} // namespace countersign
