#pragma once

#include "app/notifier.h"

namespace countersign {

class TrayIcon;

// Notifications as tray balloons (QSystemTrayIcon::showMessage), for
// desktops where platform/ has nothing better (Windows, macOS without a
// native notifier). A balloon cannot be withdrawn or told apart from the
// next one, so activated() names the last notification shown, and close()
// only forgets it. With no tray icon visible nothing is shown.
class TrayIconNotifier : public Notifier {
    Q_OBJECT

public:
    explicit TrayIconNotifier(TrayIcon &tray, QObject *parent = nullptr);

    void notify(const QString &title, const QString &body, const QString &id) override;
    void close(const QString &id) override;

private:
    TrayIcon &m_tray;
    QString m_lastId;
};

} // namespace countersign
