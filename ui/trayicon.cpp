#include "trayicon.h"

#include "ui/confirmation.h"
#include "ui/fallbackwindow.h"

#include <QAction>
#include <QCursor>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>

namespace countersign {

namespace {

// A menu reads '&' as the mnemonic marker: remote text must not pick one.
QString menuText(const QString &text)
{
    QString escaped = text;
    escaped.replace(u'&', QStringLiteral("&&"));
    return escaped;
}

// Long names would make the menu as wide as the screen.
constexpr int maxMenuTextLength = 80;

QString elided(const QString &text)
{
    if (text.size() <= maxMenuTextLength)
        return text;
    qsizetype cut = maxMenuTextLength - 1;
    if (text.at(cut - 1).isHighSurrogate())
        --cut;
    return text.left(cut) + u'…';
}

} // namespace

TrayIcon::TrayIcon(QObject *parent)
    : QObject(parent)
    , m_menu(std::make_unique<QMenu>())
{
    m_menu->setObjectName(QStringLiteral("trayMenu"));
    buildMenu();
    m_tray = new QSystemTrayIcon(this);
    m_tray->setContextMenu(m_menu.get());
    connect(m_tray, &QSystemTrayIcon::activated, this, &TrayIcon::onActivated);
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, &TrayIcon::messageClicked);
    setState(TrayIconState{});
}

TrayIcon::~TrayIcon() = default;

void TrayIcon::buildMenu()
{
    m_statusAction = m_menu->addAction(QString());
    m_statusAction->setObjectName(QStringLiteral("statusAction"));
    m_statusAction->setEnabled(false);
    m_reconnectAction = m_menu->addAction(tr("&Reconnect now"));
    m_reconnectAction->setObjectName(QStringLiteral("reconnectAction"));
    m_reconnectAction->setVisible(false);
    connect(m_reconnectAction, &QAction::triggered, this, &TrayIcon::reconnectNow);
    m_pendingSeparator = m_menu->addSeparator();

    QAction *history = m_menu->addAction(tr("&History"));
    history->setObjectName(QStringLiteral("historyAction"));
    connect(history, &QAction::triggered, this, &TrayIcon::openHistory);

    QAction *pair = m_menu->addAction(tr("&Pair a gateway…"));
    pair->setObjectName(QStringLiteral("pairAction"));
    connect(pair, &QAction::triggered, this, &TrayIcon::openPairing);

    QAction *settings = m_menu->addAction(tr("&Settings…"));
    settings->setObjectName(QStringLiteral("settingsAction"));
    connect(settings, &QAction::triggered, this, &TrayIcon::openSettings);

    m_menu->addSeparator();
    QAction *quit = m_menu->addAction(tr("&Quit Countersign"));
    quit->setObjectName(QStringLiteral("quitAction"));
    connect(quit, &QAction::triggered, this, &TrayIcon::requestQuit);
}

void TrayIcon::requestQuit()
{
    const auto waiting = static_cast<int>(m_state.pending.size());
    if (waiting == 0) {
        Q_EMIT quit();
        return;
    }
    if (QMessageBox *asking = m_quitConfirmation.data(); asking != nullptr && !asking->isHidden()) {
        asking->raise();
        asking->activateWindow();
        return;
    }
    // Enter and Escape both keep Countersign running (Cancel).
    const Confirmation asked = makeConfirmation(
        {tr("Quit Countersign?"),
         waiting == 1 ? tr("1 approval request is waiting.")
                      : tr("%n approval requests are waiting.", nullptr, waiting),
         tr("If you quit, nothing is approved or denied: the requests stay pending at the "
            "gateway until they expire, and this computer cannot answer them until you start "
            "Countersign again."),
         tr("&Quit Anyway")},
        QStringLiteral("quitConfirmation"), QStringLiteral("quitAnywayButton"), QString(), nullptr);
    QMessageBox *box = asked.box;
    QPushButton *quitAnyway = asked.action;
    connect(box, &QMessageBox::finished, this, [this, box, quitAnyway] {
        m_quitConfirmation.clear();
        if (box->clickedButton() == quitAnyway)
            Q_EMIT quit();
    });
    m_quitConfirmation = box;
    box->open();
}

void TrayIcon::setState(const TrayIconState &state)
{
    m_state = state;
    refreshMenu();
    refreshIcon();
    if (m_window)
        m_window->setState(m_state);
}

void TrayIcon::refreshMenu()
{
    for (QAction *action : std::as_const(m_dynamicActions)) {
        m_menu->removeAction(action);
        action->deleteLater();
    }
    m_dynamicActions.clear();

    const auto count = static_cast<int>(m_state.pending.size());
    m_statusAction->setText(count == 0 ? menuText(m_state.statusText())
                                       : (count == 1 ? tr("1 approval waiting")
                                                     : tr("%n approvals waiting", nullptr, count)));
    m_reconnectAction->setVisible(m_state.hasOfflineGateway());

    const auto addPending = [this](const QString &text, const TrayPendingItem &item,
                                   const QString &name) {
        auto *action = new QAction(text, m_menu.get());
        action->setObjectName(name);
        action->setProperty("gatewayId", item.gatewayId);
        action->setProperty("requestId", item.requestId);
        connect(action, &QAction::triggered, this,
                [this, item] { Q_EMIT openApproval(item.gatewayId, item.requestId); });
        m_menu->insertAction(m_pendingSeparator, action);
        m_dynamicActions.append(action);
    };
    const int listed = qMin(count, maxMenuItems);
    for (int i = 0; i < listed; ++i) {
        const TrayPendingItem &item = m_state.pending.at(i);
        addPending(menuText(elided(TrayIconState::itemText(item))), item,
                   QStringLiteral("pendingAction"));
    }
    if (count > listed) {
        addPending(tr("%n more waiting…", nullptr, count - listed), m_state.pending.at(listed),
                   QStringLiteral("morePendingAction"));
    }
    if (count > 0) {
        // Under the waiting requests, the connection state still shows.
        auto *connection = new QAction(menuText(m_state.statusText()), m_menu.get());
        connection->setObjectName(QStringLiteral("connectionAction"));
        connection->setEnabled(false);
        m_menu->insertAction(m_pendingSeparator, connection);
        m_dynamicActions.append(connection);
    }
    // Right under the line that says which gateway is offline.
    m_menu->removeAction(m_reconnectAction);
    m_menu->insertAction(m_pendingSeparator, m_reconnectAction);
}

void TrayIcon::refreshIcon()
{
    m_tray->setIcon(currentIcon());
    m_tray->setToolTip(m_state.toolTip());
}

QIcon TrayIcon::currentIcon() const
{
    if (m_state.iconKind() == StatusIconKind::Pending)
        return StatusIcons::pendingIcon(static_cast<int>(m_state.pending.size()), m_style);
    return StatusIcons::icon(m_state.iconKind(), m_style);
}

void TrayIcon::setIconStyle(StatusIconStyle style)
{
    m_style = style;
    refreshIcon();
}

void TrayIcon::show(Presence presence)
{
    const bool tray = presence == Presence::Tray
        || (presence == Presence::Automatic && QSystemTrayIcon::isSystemTrayAvailable());
    if (tray) {
        m_window.reset();
        m_tray->show();
        return;
    }
    m_tray->hide();
    if (!m_window) {
        m_window = std::make_unique<FallbackWindow>();
        m_window->setState(m_state);
        FallbackWindow *window = m_window.get();
        connect(window, &FallbackWindow::openApproval, this, &TrayIcon::openApproval);
        connect(window, &FallbackWindow::openHistory, this, &TrayIcon::openHistory);
        connect(window, &FallbackWindow::openPairing, this, &TrayIcon::openPairing);
        connect(window, &FallbackWindow::openSettings, this, &TrayIcon::openSettings);
        connect(window, &FallbackWindow::reconnectNow, this, &TrayIcon::reconnectNow);
        connect(window, &FallbackWindow::quit, this, &TrayIcon::requestQuit);
    }
    m_window->present();
}

bool TrayIcon::isShowingFallbackWindow() const
{
    const FallbackWindow *window = m_window.get();
    return window != nullptr && window->isVisible();
}

bool TrayIcon::showMessage(const QString &title, const QString &body)
{
    if (!m_tray->isVisible() || !QSystemTrayIcon::supportsMessages())
        return false;
    m_tray->showMessage(title, body, currentIcon());
    return true;
}

void TrayIcon::onActivated(QSystemTrayIcon::ActivationReason reason)
{
    if (reason != QSystemTrayIcon::Trigger && reason != QSystemTrayIcon::DoubleClick)
        return;
    if (!m_state.pending.isEmpty()) {
        const TrayPendingItem &first = m_state.pending.constFirst();
        Q_EMIT openApproval(first.gatewayId, first.requestId);
        return;
    }
    m_menu->popup(QCursor::pos());
}

} // namespace countersign
