#include "trayiconnotifier.h"

#include "ui/trayicon.h"

namespace countersign {

TrayIconNotifier::TrayIconNotifier(TrayIcon &tray, QObject *parent)
    : Notifier(parent)
    , m_tray(tray)
{
    connect(&m_tray, &TrayIcon::messageClicked, this, [this] {
        if (!m_lastId.isEmpty())
            Q_EMIT activated(m_lastId);
    });
}

void TrayIconNotifier::notify(const QString &title, const QString &body, const QString &id)
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    // There Qt hands balloons to org.freedesktop.Notifications, whose
    // servers may read the body as markup.
    const QString shown = body.toHtmlEscaped();
#else
    const QString shown = body;
#endif
    if (m_tray.showMessage(title, shown))
        m_lastId = id;
}

void TrayIconNotifier::close(const QString &id)
{
    if (id == m_lastId)
        m_lastId.clear();
}

} // namespace countersign
