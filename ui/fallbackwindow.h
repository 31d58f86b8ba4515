#pragma once

#include "ui/trayiconstate.h"

#include <QWidget>

class QFrame;
class QListWidget;
class QListWidgetItem;
class QPushButton;

namespace countersign {

class PlainLabel;

// The tray's stand-in where the desktop has no system tray (GNOME without
// the AppIndicator extension, a bare X server, the offscreen platform): a
// small window with the same state (status, waiting requests) and the same
// actions as the tray menu, emitting the same intents.
//
// The first time it is ever shown it says why it is there (remembered as
// "fallbackWindow/explained" in the QSettings of AppId). Closing the window
// minimizes it rather than quitting, since approvals arrive only while
// Countersign runs; Quit stops it.
class FallbackWindow : public QWidget {
    Q_OBJECT

public:
    explicit FallbackWindow(QWidget *parent = nullptr);
    ~FallbackWindow() override;

    void setState(const TrayIconState &state);

    // Whether the one-time explanation has been shown before.
    static bool hasExplained();

public Q_SLOTS:
    // Shows, raises and activates the window (the person asked for it or
    // just started the companion).
    void present();

Q_SIGNALS:
    void openApproval(const QString &gatewayId, const QString &requestId);
    void openHistory();
    void openPairing();
    void openSettings();
    void reconnectNow();
    void quit();

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    QWidget *buildHeader();
    QFrame *buildExplanation();
    QWidget *buildButtons();
    void openItem(QListWidgetItem *item);
    void updateOpenEnabled();

    TrayIconState m_state;
    PlainLabel *m_icon = nullptr;
    PlainLabel *m_status = nullptr;
    QPushButton *m_reconnect = nullptr;
    QFrame *m_explanation = nullptr;
    PlainLabel *m_pendingTitle = nullptr;
    QListWidget *m_pending = nullptr;
    PlainLabel *m_empty = nullptr;
    QPushButton *m_open = nullptr;
};

} // namespace countersign
