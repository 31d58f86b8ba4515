#include "fallbackwindow.h"

#include "app/appid.h"
#include "ui/plainbutton.h"
#include "ui/plainlabel.h"
#include "ui/statusicons.h"
#include "ui/uistyle.h"

#include <QCloseEvent>
#include <QFrame>
#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QVBoxLayout>

namespace countersign {

namespace {

const QString explainedKey = QStringLiteral("fallbackWindow/explained");
constexpr int headerIconSize = 40;

} // namespace

FallbackWindow::FallbackWindow(QWidget *parent)
    : QWidget(parent, Qt::Window)
{
    setObjectName(QStringLiteral("fallbackWindow"));
    setWindowTitle(QStringLiteral("Countersign"));
    setWindowIcon(StatusIcons::appIcon());

    auto *column = new QVBoxLayout(this);
    column->setContentsMargins(18, 16, 18, 14);
    column->setSpacing(12);
    column->addWidget(buildHeader());
    m_explanation = buildExplanation();
    m_explanation->setVisible(!hasExplained());
    column->addWidget(m_explanation);

    m_pendingTitle = new PlainLabel(QString(), this);
    m_pendingTitle->setObjectName(QStringLiteral("pendingTitle"));
    scaleFont(m_pendingTitle, 1.0, true);
    column->addWidget(m_pendingTitle);

    m_pending = new QListWidget(this);
    m_pending->setObjectName(QStringLiteral("pendingList"));
    m_pending->setAccessibleName(tr("Requests waiting for you"));
    m_pending->setUniformItemSizes(true);
    m_pending->setTextElideMode(Qt::ElideRight);
    m_pending->setAlternatingRowColors(true);
    m_pendingTitle->setBuddy(m_pending);
    connect(m_pending, &QListWidget::itemActivated, this, &FallbackWindow::openItem);
    connect(m_pending, &QListWidget::currentItemChanged, this, &FallbackWindow::updateOpenEnabled);
    column->addWidget(m_pending, 1);

    m_empty = new PlainLabel(tr("Nothing is waiting for your approval. Requests from your agents "
                                "appear here when a gateway asks for you."),
                             this);
    m_empty->setObjectName(QStringLiteral("emptyLabel"));
    m_empty->setWordWrap(true);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    // Drawn like the empty list it stands for.
    m_empty->setFrameShape(QFrame::StyledPanel);
    m_empty->setAutoFillBackground(true);
    m_empty->setBackgroundRole(QPalette::Base);
    m_empty->setMargin(24);
    m_empty->setMinimumHeight(90);
    column->addWidget(m_empty, 1);

    auto *openRow = new QHBoxLayout;
    openRow->addStretch(1);
    m_open = makePlainButton(tr("&Open"), QStringLiteral("openButton"), this);
    m_open->setToolTip(tr("Show the selected request"));
    connect(m_open, &QPushButton::clicked, this, [this] { openItem(m_pending->currentItem()); });
    openRow->addWidget(m_open);
    column->addLayout(openRow);

    column->addWidget(buildButtons());
    setState(TrayIconState{});
    resize(460, 400);
}

FallbackWindow::~FallbackWindow() = default;

QWidget *FallbackWindow::buildHeader()
{
    auto *header = new QWidget(this);
    auto *row = new QHBoxLayout(header);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(12);
    m_icon = new PlainLabel(QString(), header);
    m_icon->setObjectName(QStringLiteral("statusIcon"));
    m_icon->setFixedSize(headerIconSize, headerIconSize);
    row->addWidget(m_icon, 0, Qt::AlignTop);

    auto *texts = new QVBoxLayout;
    texts->setSpacing(2);
    auto *title = new PlainLabel(QStringLiteral("Countersign"), header);
    scaleFont(title, 1.3, true);
    texts->addWidget(title);
    m_status = new PlainLabel(QString(), header);
    m_status->setObjectName(QStringLiteral("statusLabel"));
    m_status->setAccessibleName(tr("Status"));
    m_status->setForegroundRole(QPalette::PlaceholderText);
    texts->addWidget(m_status);
    row->addLayout(texts, 1);
    // As in the tray menu: while a paired gateway is offline.
    m_reconnect = makePlainButton(tr("&Reconnect now"), QStringLiteral("reconnectButton"), header);
    m_reconnect->hide();
    connect(m_reconnect, &QPushButton::clicked, this, &FallbackWindow::reconnectNow);
    row->addWidget(m_reconnect, 0, Qt::AlignVCenter);
    return header;
}

QFrame *FallbackWindow::buildExplanation()
{
    auto *frame = new QFrame(this);
    frame->setObjectName(QStringLiteral("explanation"));
    frame->setFrameShape(QFrame::StyledPanel);
    // A soft tint of the highlight colour: information, not a warning.
    QColor tint = palette().color(QPalette::Highlight);
    tint.setAlpha(28);
    QColor border = palette().color(QPalette::Highlight);
    border.setAlpha(90);
    frame->setStyleSheet(QStringLiteral("QFrame#explanation { background: %1; border: 1px solid "
                                        "%2; border-radius: 6px; }")
                             .arg(tint.name(QColor::HexArgb), border.name(QColor::HexArgb)));
    auto *row = new QHBoxLayout(frame);
    row->setContentsMargins(12, 10, 12, 10);
    row->setSpacing(10);
    auto *icon = new PlainLabel(QString(), frame);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize) * 3 / 2;
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxInformation).pixmap(iconSize));
    row->addWidget(icon, 0, Qt::AlignTop);
    auto *text = new PlainLabel(
        tr("Your desktop shows no tray icons, so Countersign lives in this window. (On GNOME, "
           "the AppIndicator extension adds them.) Closing the window keeps Countersign running "
           "so that requests still reach you; use Quit to stop it."),
        frame);
    text->setObjectName(QStringLiteral("explanationText"));
    text->setWordWrap(true);
    row->addWidget(text, 1);
    auto *gotIt = makePlainButton(tr("&Got it"), QStringLiteral("gotItButton"), frame);
    connect(gotIt, &QPushButton::clicked, frame, &QWidget::hide);
    row->addWidget(gotIt, 0, Qt::AlignBottom);
    return frame;
}

QWidget *FallbackWindow::buildButtons()
{
    auto *buttons = new QWidget(this);
    auto *row = new QHBoxLayout(buttons);
    row->setContentsMargins(0, 4, 0, 0);
    auto *history = makePlainButton(tr("&History"), QStringLiteral("historyButton"), buttons);
    connect(history, &QPushButton::clicked, this, &FallbackWindow::openHistory);
    auto *pair = makePlainButton(tr("&Pair a gateway…"), QStringLiteral("pairButton"), buttons);
    connect(pair, &QPushButton::clicked, this, &FallbackWindow::openPairing);
    auto *settings = makePlainButton(tr("&Settings…"), QStringLiteral("settingsButton"), buttons);
    connect(settings, &QPushButton::clicked, this, &FallbackWindow::openSettings);
    auto *quit = makePlainButton(tr("&Quit"), QStringLiteral("quitButton"), buttons);
    connect(quit, &QPushButton::clicked, this, &FallbackWindow::quit);
    row->addWidget(history);
    row->addWidget(pair);
    row->addWidget(settings);
    row->addStretch(1);
    row->addWidget(quit);
    return buttons;
}

void FallbackWindow::setState(const TrayIconState &state)
{
    m_state = state;
    const int size = headerIconSize;
    const QIcon icon = m_state.iconKind() == StatusIconKind::Pending
        ? StatusIcons::pendingIcon(static_cast<int>(m_state.pending.size()))
        : StatusIcons::icon(m_state.iconKind());
    m_icon->setPixmap(icon.pixmap(QSize(size, size)));
    m_status->setText(m_state.statusText());
    m_reconnect->setVisible(m_state.hasOfflineGateway());

    const QString selectedGateway = m_pending->currentItem()
        ? m_pending->currentItem()->data(Qt::UserRole).toString()
        : QString();
    const QString selectedRequest = m_pending->currentItem()
        ? m_pending->currentItem()->data(Qt::UserRole + 1).toString()
        : QString();
    m_pending->clear();
    for (const TrayPendingItem &item : std::as_const(m_state.pending)) {
        auto *row = new QListWidgetItem(TrayIconState::itemText(item), m_pending);
        row->setData(Qt::UserRole, item.gatewayId);
        row->setData(Qt::UserRole + 1, item.requestId);
        row->setIcon(StatusIcons::icon(StatusIconKind::Pending));
        if (item.gatewayId == selectedGateway && item.requestId == selectedRequest)
            m_pending->setCurrentItem(row);
    }
    const auto count = static_cast<int>(m_state.pending.size());
    m_pendingTitle->setText(count == 0 ? tr("&Waiting for you")
                                       : tr("&Waiting for you (%1)").arg(count));
    m_pending->setVisible(count > 0);
    m_open->setVisible(count > 0);
    m_empty->setVisible(count == 0);
    if (count > 0 && !m_pending->currentItem())
        m_pending->setCurrentRow(0);
    updateOpenEnabled();

    const QString title =
        count == 0 ? QStringLiteral("Countersign") : tr("(%1) Countersign").arg(count);
    setWindowTitle(title);
}

bool FallbackWindow::hasExplained()
{
    return QSettings(AppId::organizationName(), AppId::applicationName())
        .value(explainedKey, false)
        .toBool();
}

void FallbackWindow::present()
{
    if (isMinimized())
        showNormal();
    else
        show();
    raise();
    activateWindow();
}

void FallbackWindow::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_explanation->isVisibleTo(this) && !hasExplained()) {
        QSettings settings(AppId::organizationName(), AppId::applicationName());
        settings.setValue(explainedKey, true);
    }
}

void FallbackWindow::closeEvent(QCloseEvent *event)
{
    // Requests reach the person only while Countersign runs: closing puts
    // the window away, Quit stops.
    event->ignore();
    showMinimized();
}

void FallbackWindow::openItem(QListWidgetItem *item)
{
    if (!item)
        return;
    Q_EMIT openApproval(item->data(Qt::UserRole).toString(),
                        item->data(Qt::UserRole + 1).toString());
}

void FallbackWindow::updateOpenEnabled()
{
    m_open->setEnabled(m_pending->currentItem() != nullptr);
}

} // namespace countersign
