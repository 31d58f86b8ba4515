#pragma once

#include "ui/statusicons.h"
#include "ui/trayiconstate.h"

#include <memory>

#include <QObject>
#include <QPointer>
#include <QSystemTrayIcon>

class QAction;
class QMenu;
class QMessageBox;

namespace countersign {

class FallbackWindow;

// The companion's presence on the desktop: a small adapter that owns the
// QSystemTrayIcon and its menu, shows the state it is given (offline,
// connected, N pending) and emits what the person asks for. It holds no
// gateway logic; the app layer calls setState() whenever a count changes.
//
// Where the desktop has no tray (GNOME without the AppIndicator extension,
// plain X servers, the offscreen platform), show() opens a FallbackWindow
// instead, with the same state and the same actions, which explains once
// why it is there.
//
// Menu, top to bottom: the status line (disabled; it names the gateways),
// "Reconnect now" while a paired gateway is offline, one entry per pending
// request (at most maxMenuItems, then "N more…", which opens the first one
// not listed), History, Pair a gateway…, Settings…, Quit Countersign. The
// icon carries the number of waiting requests. Quit asks first while
// requests wait (they stay pending at the gateway, unanswerable here).
// Clicking the icon opens the oldest pending request, or the menu when
// nothing waits.
class TrayIcon : public QObject {
    Q_OBJECT

public:
    enum class Presence {
        Automatic, // the tray where the desktop has one, else the window
        Tray,      // the tray even if Qt sees none (the desktop knows better)
        Window,    // the fallback window
    };

    static constexpr int maxMenuItems = 10;

    explicit TrayIcon(QObject *parent = nullptr);
    ~TrayIcon() override;

    void setState(const TrayIconState &state);
    const TrayIconState &state() const { return m_state; }

    void setIconStyle(StatusIconStyle style);
    StatusIconStyle iconStyle() const { return m_style; }
    QIcon currentIcon() const;

    // Shows the tray icon or the fallback window (see Presence).
    void show(Presence presence = Presence::Automatic);
    bool isShowingFallbackWindow() const;

    // A balloon message through the tray (the Notifier of last resort);
    // false when there is no tray icon to show it.
    bool showMessage(const QString &title, const QString &body);

    // For the app (placing dialogs) and tests; the window exists only once
    // show() chose it.
    QMenu *menu() const { return m_menu.get(); }
    FallbackWindow *fallbackWindow() const { return m_window.get(); }
    QSystemTrayIcon *systemTrayIcon() const { return m_tray; }

Q_SIGNALS:
    void openApproval(const QString &gatewayId, const QString &requestId);
    void openHistory();
    void openPairing();
    void openSettings();
    void reconnectNow();
    // Quit was chosen (and confirmed, while requests wait).
    void quit();
    // The person clicked the last balloon message.
    void messageClicked();

public Q_SLOTS:
    // Quit Countersign, from the menu or the fallback window: at once when
    // nothing waits, else after the person confirms (the confirmation is a
    // QMessageBox named "quitConfirmation"; Cancel is its default).
    void requestQuit();

private:
    void buildMenu();
    void refreshMenu();
    void refreshIcon();
    void onActivated(QSystemTrayIcon::ActivationReason reason);

    TrayIconState m_state;
    StatusIconStyle m_style = StatusIconStyle::Colour;
    std::unique_ptr<QMenu> m_menu; // a QMenu cannot have a QObject parent
    QSystemTrayIcon *m_tray = nullptr;
    std::unique_ptr<FallbackWindow> m_window; // only where there is no tray
    QPointer<QMessageBox> m_quitConfirmation;
    QAction *m_statusAction = nullptr;
    QAction *m_reconnectAction = nullptr;
    QAction *m_pendingSeparator = nullptr; // pending entries go right before it
    QList<QAction *> m_dynamicActions;     // pending entries and the connection line
};

} // namespace countersign
