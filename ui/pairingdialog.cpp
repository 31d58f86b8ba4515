#include "pairingdialog.h"

#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "app/pairinglinkfinder.h"
#include "app/screenshotsource.h"
#include "protocol/displaytext.h"
#include "protocol/jose/ecpublickey.h"
#include "ui/pairingdialogtext.h"
#include "ui/plainbutton.h"
#include "ui/plainlabel.h"
#include "ui/safetext.h"
#include "ui/statusicons.h"
#include "ui/uistyle.h"

#include <utility>

#include <QAccessible>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QImageReader>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMimeData>
#include <QPainter>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QShowEvent>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace countersign {

namespace {

QPushButton *makeWideButton(const QString &text, const QString &name, QWidget *parent)
{
    return makePlainButton(text, name, parent, 96);
}

constexpr int headerIconSize = 44;
constexpr int defaultWidth = 560;

// Remote text for a label: display-safe, plain, wrappable.
QString shown(const QString &remote)
{
    return wrappableText(displaySafeText(remote).text);
}

// One of the action glyphs (black on transparent) in the palette's button
// text colour, so that it reads on light and dark themes alike.
QIcon actionIcon(const QString &name, const QWidget *widget)
{
    const QIcon glyph(QStringLiteral(":/countersign/icons/action-%1.svg").arg(name));
    const qreal ratio = widget->devicePixelRatioF();
    QIcon icon;
    for (const auto &[mode, role] : {std::pair(QIcon::Normal, QPalette::ButtonText),
                                     std::pair(QIcon::Disabled, QPalette::PlaceholderText)}) {
        for (int size : {24, 32, 48}) {
            QPixmap pixmap = glyph.pixmap(QSize(size, size), ratio);
            QPainter painter(&pixmap);
            painter.setCompositionMode(QPainter::CompositionMode_SourceIn);
            painter.fillRect(pixmap.rect(), widget->palette().color(role));
            painter.end();
            icon.addPixmap(pixmap, mode);
        }
    }
    return icon;
}

void announce(QWidget *label)
{
    QAccessibleEvent event(label, QAccessible::Alert);
    QAccessible::updateAccessibility(&event);
}

} // namespace

PairingDialog::PairingDialog(Services services, QWidget *parent)
    : QDialog(parent)
    , m_services(std::move(services))
{
    setObjectName(QStringLiteral("pairingDialog"));
    setWindowTitle(tr("Pair a gateway — Countersign"));
    setWindowIcon(StatusIcons::appIcon());

    auto *column = new QVBoxLayout(this);
    column->setContentsMargins(20, 18, 20, 16);
    column->setSpacing(14);
    column->addWidget(buildHeader());
    column->addWidget(buildGatewayPanel());

    m_pages = new QStackedWidget(this);
    m_pages->addWidget(buildSourcePage());
    m_pages->addWidget(buildConfirmPage());
    m_pages->addWidget(buildProgressPage());
    m_pages->addWidget(buildDonePage());
    m_pages->addWidget(buildFailedPage());
    m_pages->addWidget(buildAlreadyPairedPage());
    column->addWidget(m_pages, 1);
    column->addWidget(buildFooter());

    m_pairHoldBack.setSingleShot(true);
    m_pairHoldBack.setInterval(pairHoldBack);
    connect(&m_pairHoldBack, &QTimer::timeout, this, [this] { m_pair->setEnabled(true); });

    connect(&m_services.client, &PairingClient::succeeded, this, &PairingDialog::onSucceeded);
    connect(&m_services.client, &PairingClient::failed, this, &PairingDialog::onFailed);

    showPage(Page::Source);
    resize(defaultWidth, sizeHint().height());
}

PairingDialog::~PairingDialog() = default;

QWidget *PairingDialog::buildHeader()
{
    auto *header = new QWidget(this);
    auto *grid = new QGridLayout(header);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(14);
    grid->setVerticalSpacing(4);
    m_headerIcon = new PlainLabel(QString(), header);
    m_headerIcon->setFixedSize(headerIconSize, headerIconSize);
    grid->addWidget(m_headerIcon, 0, 0, 2, 1, Qt::AlignTop);
    m_title = new PlainLabel(QString(), header);
    m_title->setObjectName(QStringLiteral("titleLabel"));
    m_title->setWordWrap(true);
    scaleFont(m_title, 1.3, true);
    grid->addWidget(m_title, 0, 1);
    m_subtitle = new PlainLabel(QString(), header);
    m_subtitle->setObjectName(QStringLiteral("subtitleLabel"));
    m_subtitle->setWordWrap(true);
    m_subtitle->setForegroundRole(QPalette::PlaceholderText);
    grid->addWidget(m_subtitle, 1, 1);
    grid->setColumnStretch(1, 1);
    return header;
}

QWidget *PairingDialog::buildSourcePage()
{
    auto *page = new QWidget(this);
    auto *column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(10);

    const auto makeSource = [page](const QString &text, const QString &name, const QIcon &icon,
                                   const QString &tip) {
        auto *button = new QToolButton(page);
        button->setObjectName(name);
        button->setText(text);
        button->setIcon(icon);
        button->setIconSize(QSize(32, 32));
        button->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
        button->setToolTip(tip);
        button->setMinimumSize(140, 86);
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        button->setFocusPolicy(Qt::StrongFocus);
        return button;
    };
    m_scan = makeSource(tr("&Scan the screen"), QStringLiteral("scanButton"),
                        actionIcon(QStringLiteral("scan-screen"), this),
                        tr("Find the QR code the gateway shows somewhere on your screen"));
    m_openImage =
        makeSource(tr("&Open image…"), QStringLiteral("openImageButton"),
                   actionIcon(QStringLiteral("open-image"), this),
                   tr("Read the QR code from a picture, such as the PNG the gateway wrote"));
    m_paste = makeSource(tr("&Paste"), QStringLiteral("pasteButton"),
                         actionIcon(QStringLiteral("paste"), this),
                         tr("Use a link or a QR code image you copied"));
    m_scan->setVisible(m_services.screenshots != nullptr);
    connect(m_scan, &QToolButton::clicked, this, &PairingDialog::scanScreen);
    connect(m_paste, &QToolButton::clicked, this, &PairingDialog::pasteFromClipboard);
    connect(m_openImage, &QToolButton::clicked, this, [this] {
        auto *chooser = new QFileDialog(this, tr("Open the pairing QR code"));
        chooser->setObjectName(QStringLiteral("imageFileDialog"));
        chooser->setAttribute(Qt::WA_DeleteOnClose);
        chooser->setFileMode(QFileDialog::ExistingFile);
        chooser->setAcceptMode(QFileDialog::AcceptOpen);
        chooser->setNameFilters(
            {tr("Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"), tr("All files (*)")});
        chooser->setDirectory(QStandardPaths::writableLocation(QStandardPaths::DownloadLocation));
        connect(chooser, &QFileDialog::fileSelected, this, &PairingDialog::openImageFile);
        chooser->open();
    });
    auto *sources = new QHBoxLayout;
    sources->setSpacing(10);
    sources->addWidget(m_scan);
    sources->addWidget(m_openImage);
    sources->addWidget(m_paste);
    column->addLayout(sources);

    column->addSpacing(4);
    auto *typeLabel = new PlainLabel(tr("Or type the &link:"), page);
    column->addWidget(typeLabel);
    auto *typeRow = new QHBoxLayout;
    m_linkEdit = new QLineEdit(page);
    m_linkEdit->setObjectName(QStringLiteral("linkEdit"));
    m_linkEdit->setPlaceholderText(QStringLiteral("countersign://pair?v=1&gw=…"));
    m_linkEdit->setMaxLength(static_cast<int>(PairingLink::maxLinkLength) + 64);
    m_linkEdit->setClearButtonEnabled(true);
    m_linkEdit->setAccessibleName(tr("Pairing link"));
    typeLabel->setBuddy(m_linkEdit);
    m_continue = makeWideButton(tr("&Continue"), QStringLiteral("continueButton"), page);
    m_continue->setEnabled(false);
    connect(m_linkEdit, &QLineEdit::textChanged, this,
            [this](const QString &text) { m_continue->setEnabled(!text.trimmed().isEmpty()); });
    // Enter in the field only leads to the confirmation, and is consumed
    // there: passed on, it would reach the confirmation's default button.
    m_linkEdit->installEventFilter(this);
    connect(m_continue, &QPushButton::clicked, this, &PairingDialog::onTypedLink);
    typeRow->addWidget(m_linkEdit, 1);
    typeRow->addWidget(m_continue);
    column->addLayout(typeRow);

    m_sourceError = new PlainLabel(QString(), page);
    m_sourceError->setObjectName(QStringLiteral("sourceErrorLabel"));
    m_sourceError->setWordWrap(true);
    setForeground(m_sourceError, problemColour());
    m_sourceError->hide();
    column->addWidget(m_sourceError);
    column->addStretch(1);
    return page;
}

QWidget *PairingDialog::buildGatewayPanel()
{
    m_panel = new QFrame(this);
    m_panel->setObjectName(QStringLiteral("linkPanel"));
    m_panel->setStyleSheet(
        QStringLiteral("QFrame#linkPanel { background: rgba(127, 127, 127, 0.07);"
                       " border: 1px solid rgba(127, 127, 127, 0.35);"
                       " border-radius: 6px; }"));
    m_panelForm = new QFormLayout(m_panel);
    m_panelForm->setContentsMargins(14, 12, 14, 12);
    m_panelForm->setHorizontalSpacing(16);
    m_panelForm->setVerticalSpacing(8);
    m_panelForm->setRowWrapPolicy(QFormLayout::DontWrapRows);
    m_panelForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_panelForm->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    const auto addRow = [this](const QString &caption, const QString &name) {
        auto *captionLabel = new PlainLabel(caption, m_panel);
        captionLabel->setForegroundRole(QPalette::PlaceholderText);
        auto *value = new PlainLabel(QString(), m_panel);
        value->setObjectName(name);
        value->setWordWrap(true);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setAccessibleName(caption);
        m_panelForm->addRow(captionLabel, value);
        return value;
    };
    m_gatewayName = addRow(tr("Gateway"), QStringLiteral("gatewayNameValue"));
    scaleFont(m_gatewayName, 1.0, true);
    m_gatewayUrl = addRow(tr("Address"), QStringLiteral("gatewayUrlValue"));
    m_fingerprint = addRow(tr("Key fingerprint"), QStringLiteral("fingerprintValue"));
    m_fingerprint->setFont(PairingDialogText::fingerprintFont(m_fingerprint->font()));
    m_connection = addRow(tr("Connection"), QStringLiteral("connectionValue"));
    m_pin = addRow(tr("Certificate pin"), QStringLiteral("pinValue"));
    m_pin->setFont(PairingDialogText::fingerprintFont(m_pin->font()));
    // Known only once paired: the gateway names the account in its answer.
    m_account = addRow(tr("Account"), QStringLiteral("accountValue"));
    m_device = addRow(tr("This computer"), QStringLiteral("deviceValue"));
    return m_panel;
}

QWidget *PairingDialog::buildConfirmPage()
{
    auto *page = new QWidget(this);
    auto *column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(10);

    auto *compare = new PlainLabel(
        tr("The fingerprint must match the \"Gateway key fingerprint\" that countersign-gateway "
           "pair printed. If it does not, cancel: the link may not come from your gateway."),
        page);
    compare->setObjectName(QStringLiteral("compareNote"));
    compare->setWordWrap(true);
    column->addWidget(compare);

    column->addSpacing(4);
    auto *nameLabel = new PlainLabel(tr("This computer's &name at the gateway:"), page);
    column->addWidget(nameLabel);
    m_deviceName = new QLineEdit(page);
    m_deviceName->setObjectName(QStringLiteral("deviceNameEdit"));
    m_deviceName->setMaxLength(static_cast<int>(PairingClient::maxDeviceNameLength));
    m_deviceName->setText(m_services.defaultDeviceName.isEmpty()
                              ? PairingClient::defaultDeviceName()
                              : m_services.defaultDeviceName);
    nameLabel->setBuddy(m_deviceName);
    column->addWidget(m_deviceName);

    m_confirmError = new PlainLabel(QString(), page);
    m_confirmError->setObjectName(QStringLiteral("confirmErrorLabel"));
    m_confirmError->setWordWrap(true);
    setForeground(m_confirmError, problemColour());
    m_confirmError->hide();
    column->addWidget(m_confirmError);
    column->addStretch(1);
    return page;
}

QWidget *PairingDialog::buildProgressPage()
{
    auto *page = new QWidget(this);
    auto *column = new QVBoxLayout(page);
    column->setContentsMargins(0, 8, 0, 0);
    m_progress = new QProgressBar(page);
    m_progress->setObjectName(QStringLiteral("pairingProgress"));
    m_progress->setRange(0, 0); // busy
    m_progress->setTextVisible(false);
    m_progress->setAccessibleName(tr("Pairing"));
    column->addWidget(m_progress);
    column->addStretch(1);
    return page;
}

QWidget *PairingDialog::buildDonePage()
{
    auto *page = new QWidget(this);
    auto *column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    m_doneText = new PlainLabel(QString(), page);
    m_doneText->setObjectName(QStringLiteral("doneText"));
    m_doneText->setWordWrap(true);
    column->addWidget(m_doneText);
    // The moment to register a security key (docs/protocol.md 8.2): the
    // person is here, and approving with it is the strongest option.
    m_addSecurityKey =
        makeWideButton(tr("Add a &security key…"), QStringLiteral("addSecurityKeyButton"), page);
    m_addSecurityKey->setToolTip(
        tr("Approve this gateway's requests with a touch of your FIDO2 security key."));
    m_addSecurityKey->setVisible(m_services.offerSecurityKey);
    connect(m_addSecurityKey, &QPushButton::clicked, this, [this] {
        const QString gatewayId = m_pairedGatewayId;
        accept();
        Q_EMIT addSecurityKey(gatewayId);
    });
    auto *row = new QHBoxLayout;
    row->addWidget(m_addSecurityKey);
    row->addStretch(1);
    column->addLayout(row);
    column->addStretch(1);
    return page;
}

QWidget *PairingDialog::buildFailedPage()
{
    auto *page = new QWidget(this);
    auto *column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(10);
    m_failedAdvice = new PlainLabel(QString(), page);
    m_failedAdvice->setObjectName(QStringLiteral("failedAdvice"));
    m_failedAdvice->setWordWrap(true);
    column->addWidget(m_failedAdvice);
    m_failedDetails = new PlainLabel(QString(), page);
    m_failedDetails->setObjectName(QStringLiteral("failedDetails"));
    m_failedDetails->setWordWrap(true);
    m_failedDetails->setForegroundRole(QPalette::PlaceholderText);
    m_failedDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_failedDetails->setAccessibleName(tr("Details"));
    column->addWidget(m_failedDetails);
    column->addStretch(1);
    return page;
}

QWidget *PairingDialog::buildAlreadyPairedPage()
{
    auto *page = new QWidget(this);
    auto *column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    m_alreadyPairedText = new PlainLabel(QString(), page);
    m_alreadyPairedText->setObjectName(QStringLiteral("alreadyPairedText"));
    m_alreadyPairedText->setWordWrap(true);
    column->addWidget(m_alreadyPairedText);
    column->addStretch(1);
    return page;
}

QWidget *PairingDialog::buildFooter()
{
    auto *footer = new QWidget(this);
    auto *row = new QHBoxLayout(footer);
    row->setContentsMargins(0, 0, 0, 0);
    m_back = makeWideButton(tr("&Back"), QStringLiteral("backButton"), footer);
    m_cancel = makeWideButton(tr("Cancel"), QStringLiteral("cancelButton"), footer);
    m_retry = makeWideButton(tr("&Try again"), QStringLiteral("retryButton"), footer);
    m_pair = makeWideButton(tr("&Pair"), QStringLiteral("pairButton"), footer);
    m_done = makeWideButton(tr("&Done"), QStringLiteral("doneButton"), footer);
    row->addWidget(m_back);
    row->addStretch(1);
    row->addWidget(m_cancel);
    row->addWidget(m_retry);
    row->addWidget(m_pair);
    row->addWidget(m_done);
    connect(m_back, &QPushButton::clicked, this, &PairingDialog::onBackClicked);
    connect(m_cancel, &QPushButton::clicked, this, &PairingDialog::reject);
    connect(m_pair, &QPushButton::clicked, this, &PairingDialog::onPairClicked);
    connect(m_retry, &QPushButton::clicked, this, &PairingDialog::onPairClicked);
    connect(m_done, &QPushButton::clicked, this, &PairingDialog::accept);
    return footer;
}

PairingDialog::Page PairingDialog::page() const
{
    return static_cast<Page>(m_pages->currentIndex());
}

void PairingDialog::setHeader(const QIcon &icon, const QString &title, const QString &subtitle)
{
    m_headerIcon->setPixmap(icon.pixmap(QSize(headerIconSize, headerIconSize)));
    m_title->setText(title);
    m_subtitle->setText(subtitle);
    m_subtitle->setVisible(!subtitle.isEmpty());
}

void PairingDialog::showPage(Page page)
{
    m_pages->setCurrentIndex(static_cast<int>(page));
    const QIcon appIcon = StatusIcons::appIcon();
    const QString gateway = m_link ? shown(m_link->displayName()) : QString();

    // Back only where there is a page the person saw to go back to: a
    // link given from outside (--pair, a countersign:// link) opens the
    // dialog on the confirmation. After a failure the way to another link
    // is there either way, named for what it does.
    m_back->setVisible(((page == Page::Confirm || page == Page::AlreadyPaired) && m_linkFromSources)
                       || page == Page::Failed);
    const bool backToConfirm =
        page == Page::Failed && m_failureKind == PairingFailure::Kind::InvalidDeviceName;
    m_back->setText(m_linkFromSources || backToConfirm ? tr("&Back") : tr("Use &another link"));
    m_cancel->setVisible(page != Page::Done);
    m_cancel->setEnabled(page != Page::Progress);
    m_pair->setVisible(page == Page::Confirm);
    m_retry->setVisible(page == Page::Failed && m_canRetry);
    m_done->setVisible(page == Page::Done);
    m_cancel->setText(page == Page::Failed || page == Page::AlreadyPaired ? tr("C&lose")
                                                                          : tr("Cancel"));
    // Only the safe answer may be default: Cancel on the confirmation
    // (Enter there never pairs) and Close when already paired, Done once
    // paired. Elsewhere nothing.
    m_cancel->setDefault(page == Page::Confirm || page == Page::AlreadyPaired);
    m_done->setDefault(page == Page::Done);

    const bool paired = page == Page::Done;
    m_panel->setVisible(page != Page::Source && m_link.has_value());
    m_panelForm->setRowVisible(m_account, paired);
    m_panelForm->setRowVisible(m_device, paired);
    m_panelForm->setRowVisible(m_pin, m_link && m_link->hasSpkiPin());

    switch (page) {
    case Page::Source:
        setHeader(appIcon, tr("Pair with a gateway"),
                  tr("On the gateway, run countersign-gateway pair --user followed by your "
                     "account. It shows a QR code and a link that work once, for a few minutes. "
                     "Give either to Countersign:"));
        (m_scan->isVisible() ? static_cast<QWidget *>(m_scan) : m_openImage)->setFocus();
        break;
    case Page::Confirm:
        setHeader(appIcon, tr("Pair with %1?").arg(gateway),
                  tr("Check what the link says before pairing. Once paired, this gateway can ask "
                     "you to approve its agents' actions."));
        m_confirmError->hide();
        m_deviceName->setFocus();
        break;
    case Page::Progress:
        setHeader(appIcon, tr("Pairing with %1…").arg(gateway),
                  tr("Creating this computer's key, registering it with the gateway and keeping "
                     "it in the system keychain. This takes a few seconds."));
        m_progress->setFocus();
        break;
    case Page::Done:
        m_done->setFocus();
        break;
    case Page::Failed:
        setHeader(style()->standardIcon(QStyle::SP_MessageBoxWarning), m_title->text(), QString());
        (m_retry->isVisible() ? m_retry : m_cancel)->setFocus();
        break;
    case Page::AlreadyPaired:
        setHeader(appIcon, tr("Already paired with %1").arg(gateway), QString());
        m_cancel->setFocus();
        break;
    }
    if (page == Page::Source && isVisible())
        noteSourcePageShown();
    fitHeight();
    announce(m_title);
}

void PairingDialog::fitHeight()
{
    // Lay out now rather than on the next turn of the event loop (buttons
    // and messages came and went), and grow when wrapped text needs it.
    layout()->activate();
    const int needed = layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width())
                                                     : sizeHint().height();
    if (needed > height())
        resize(width(), needed);
}

void PairingDialog::showSourceError(const QString &text, const QString &linkText)
{
    showPage(Page::Source);
    // The text that was not a link stays in the field, to be corrected
    // rather than typed or pasted again.
    const QString kept = linkText.simplified();
    if (!kept.isEmpty() && kept.size() <= m_linkEdit->maxLength() && m_linkEdit->text() != kept)
        m_linkEdit->setText(kept);
    m_sourceError->setText(text);
    m_sourceError->show();
    fitHeight();
    if (!kept.isEmpty())
        m_linkEdit->setFocus();
    announce(m_sourceError);
}

void PairingDialog::noteSourcePageShown()
{
    // Seen only if it is still there once the event loop has drawn it: a
    // link given right after show() (main.cpp's --pair) replaces it first.
    QTimer::singleShot(0, this, [this] {
        if (isVisible() && page() == Page::Source)
            m_sourcePageSeen = true;
    });
}

void PairingDialog::showEvent(QShowEvent *event)
{
    QDialog::showEvent(event);
    if (page() == Page::Source)
        noteSourcePageShown();
}

void PairingDialog::showLinkText(const QString &text)
{
    if (keepsTheLinkBeingChecked(PairingLink::parse(text)))
        return;
    useLinkText(text, false);
    holdBackPairAfterOutsideLink();
}

void PairingDialog::showLink(const PairingLink &link)
{
    if (keepsTheLinkBeingChecked(link))
        return;
    useLink(link, false);
    holdBackPairAfterOutsideLink();
}

void PairingDialog::holdBackPairAfterOutsideLink()
{
    if (page() != Page::Confirm)
        return;
    m_pair->setEnabled(false);
    m_pairHoldBack.start();
}

bool PairingDialog::keepsTheLinkBeingChecked(const Result<PairingLink> &incoming)
{
    // Any program of this user, and any web page through the countersign://
    // handler, can send a link at any moment: replacing the gateway the
    // person is checking would let it change under their eyes just before
    // they click Pair (docs/threat-model.md, "The countersign:// handler").
    // The same link again changes nothing and is let through.
    if (page() != Page::Confirm || !m_link
        || (incoming && incoming->toString() == m_link->toString()))
        return false;
    m_confirmError->setText(
        tr("Another pairing link arrived while you check this one. It was set aside, so that "
           "what you check cannot change: to use the other link, cancel this pairing and open "
           "that link again."));
    m_confirmError->show();
    fitHeight();
    announce(m_confirmError);
    return true;
}

void PairingDialog::useLinkText(const QString &text, bool fromSources)
{
    auto link = PairingLink::parse(text);
    if (!link) {
        showSourceError(tr("That is not a Countersign pairing link: %1.")
                            .arg(shown(PairingDialogText::linkProblem(link.error().message))),
                        text);
        return;
    }
    useLink(link.value(), fromSources);
}

std::optional<GatewayProfile> PairingDialog::pairedGatewayFor(const PairingLink &link) const
{
    const auto comparable = [](const QUrl &url) {
        return url.adjusted(QUrl::StripTrailingSlash | QUrl::NormalizePathSegments);
    };
    for (const GatewayProfile &profile : m_services.gateways.all()) {
        const auto key = EcPublicKey::fromJwk(profile.gatewayKey);
        if ((key && key->thumbprint() == link.keyThumbprint())
            || comparable(profile.baseUrl) == comparable(link.gatewayUrl()))
            return profile;
    }
    return std::nullopt;
}

void PairingDialog::useLink(const PairingLink &link, bool fromSources)
{
    if (m_pairing)
        return;
    m_link = link;
    m_linkFromSources = fromSources || m_sourcePageSeen;
    m_sourceError->hide();
    m_gatewayName->setText(shown(link.displayName()));
    m_gatewayUrl->setText(shown(link.gatewayUrl().toDisplayString()));
    m_fingerprint->setText(PairingDialogText::groupedFingerprint(link.keyThumbprint()));
    m_connection->setText(shown(PairingDialogText::connectionDescription(link)));
    m_pin->setText(PairingDialogText::groupedFingerprint(link.spki()));
    // Pairing again would register a second device there and replace this
    // one's key and record here, leaving the first registration orphaned.
    if (const auto known = pairedGatewayFor(link)) {
        const QString name = shown(known->name);
        const QString device =
            shown(known->deviceName.isEmpty() ? known->deviceId : known->deviceName);
        m_alreadyPairedText->setText(
            tr("This computer is already paired with %1, as \"%2\" for %3: its requests "
               "already reach you here, and there is nothing to do.\n\nTo pair with it again "
               "(for instance because it revoked this computer, or for another account), first "
               "unpair %1 in Settings, under Paired gateways, then use a new link.")
                .arg(name, device, shown(known->userId)));
        showPage(Page::AlreadyPaired);
        return;
    }
    showPage(Page::Confirm);
}

bool PairingDialog::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_linkEdit && event->type() == QEvent::KeyPress) {
        const auto key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            onTypedLink();
            return true;
        }
    }
    return QDialog::eventFilter(watched, event);
}

void PairingDialog::onTypedLink()
{
    if (m_linkEdit->text().trimmed().isEmpty())
        return;
    useLinkText(m_linkEdit->text(), true);
}

void PairingDialog::useDecodedImages(const QList<QImage> &images, const QString &whereNothing)
{
    QStringList texts;
    for (const QImage &image : images) {
        for (const QString &text : m_services.readQrCodes(image)) {
            if (!texts.contains(text))
                texts.append(text);
        }
    }
    if (texts.isEmpty()) {
        showSourceError(whereNothing);
        return;
    }
    auto link = PairingLinkFinder::fromDecodedTexts(texts);
    if (!link) {
        showSourceError(
            tr("Countersign found a QR code, but %1.").arg(shown(link.error().message)));
        return;
    }
    useLink(link.value(), true);
}

void PairingDialog::openImageFile(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    QImageReader reader(path);
    const QSize size = reader.size();
    if (size.isValid() && (size.width() > maxImageSide || size.height() > maxImageSide)) {
        showSourceError(tr("%1 is too large (%2 × %3 pixels). Use a screenshot or the PNG "
                           "the gateway wrote.")
                            .arg(shown(name))
                            .arg(size.width())
                            .arg(size.height()));
        return;
    }
    const QImage image = reader.read();
    if (image.isNull()) {
        showSourceError(tr("Countersign could not read %1 as an image: %2.")
                            .arg(shown(name), shown(reader.errorString())));
        return;
    }
    useDecodedImages({image},
                     tr("There is no QR code in %1. Open the picture of the code the "
                        "gateway showed, or paste the link.")
                         .arg(shown(name)));
}

void PairingDialog::pasteFromClipboard()
{
    const QMimeData *mime = QApplication::clipboard()->mimeData();
    const QString text = mime ? mime->text().trimmed() : QString();
    // A link is exact; an image only when there is no link.
    if (!text.isEmpty() && PairingLink::parse(text)) {
        useLinkText(text, true);
        return;
    }
    if (mime && mime->hasImage()) {
        const QImage image = qvariant_cast<QImage>(mime->imageData());
        useDecodedImages({image},
                         tr("The copied image has no QR code in it. Copy the QR code "
                            "the gateway showed, or its link."));
        return;
    }
    if (!text.isEmpty()) {
        useLinkText(text, true);
        return;
    }
    showSourceError(tr("The clipboard holds neither a link nor an image. Copy the link or the QR "
                       "code the gateway showed, then paste again."));
}

void PairingDialog::scanScreen()
{
    if (!m_services.screenshots || m_capturing)
        return;
    m_capturing = true;
    m_sourceError->hide();
    // Out of the way, so that the dialog does not cover the code.
    hide();
    QTimer::singleShot(hideBeforeCapture, this, [this] {
        m_services.screenshots->grab(
            this, [this](const QList<QImage> &images) { onScreenCaptured(images); },
            [this](const ScreenshotFailure &failure) { onScreenCaptureFailed(failure); });
    });
}

void PairingDialog::returnFromCapture()
{
    m_capturing = false;
    show();
    raise();
    activateWindow();
}

void PairingDialog::onScreenCaptured(const QList<QImage> &images)
{
    returnFromCapture();
    useDecodedImages(images,
                     tr("No QR code was found on the screen. Show the gateway's QR code "
                        "where nothing covers it and scan again, or paste the link."));
}

void PairingDialog::onScreenCaptureFailed(const ScreenshotFailure &failure)
{
    returnFromCapture();
    if (failure.kind == ScreenshotFailure::Kind::Cancelled) {
        showPage(Page::Source);
        return;
    }
    showSourceError(
        tr("The screen could not be captured: %1 Open an image of the code or paste "
           "the link instead.")
            .arg(shown(failure.message.endsWith(u'.') ? failure.message : failure.message + u'.')));
}

void PairingDialog::onPairClicked()
{
    // Only from the pages that offer it (never for a gateway already paired).
    if (!m_link || m_pairing || (page() != Page::Confirm && page() != Page::Failed)
        || (page() == Page::Confirm && m_pairHoldBack.isActive()))
        return;
    const QString deviceName = m_deviceName->text().trimmed();
    QString problem;
    if (deviceName.isEmpty())
        problem = tr("Give this computer a name, so that you can recognise it at the gateway.");
    else if (!isDisplaySafe(deviceName))
        problem = tr("The name contains control or formatting characters; use ordinary text.");
    if (!problem.isEmpty()) {
        showPage(Page::Confirm);
        m_confirmError->setText(problem);
        m_confirmError->show();
        fitHeight();
        m_deviceName->setFocus();
        announce(m_confirmError);
        return;
    }
    if (!m_services.client.pair(*m_link, deviceName)) {
        showPage(Page::Confirm);
        m_confirmError->setText(tr("Another pairing is still running. Wait for it to finish."));
        m_confirmError->show();
        fitHeight();
        return;
    }
    m_pairing = true;
    m_failureKind.reset();
    showPage(Page::Progress);
}

void PairingDialog::onSucceeded(const GatewayProfile &profile)
{
    if (!m_pairing)
        return; // someone else's pairing
    m_pairing = false;
    if (const Status saved = m_services.gateways.save(profile); !saved) {
        showFailure(PairingFailure::Kind::Internal, tr("Paired, but not saved"),
                    tr("The gateway registered this computer, but Countersign could not save it "
                       "in its settings. Check the free space and the permissions of your "
                       "settings folder, then pair again with a new link."),
                    saved.error().message, false);
        return;
    }
    setHeader(StatusIcons::appIcon(), tr("Paired with %1").arg(shown(profile.name)),
              tr("This computer is registered as \"%1\" for %2.")
                  .arg(shown(m_deviceName->text().trimmed()), shown(profile.userId)));
    m_gatewayName->setText(shown(profile.name));
    m_account->setText(shown(profile.userId));
    m_device->setText(shown(m_deviceName->text().trimmed()));
    m_doneText->setText(tr("When an agent's action through %1 needs your approval, Countersign "
                           "shows it: from the tray, or in a window of its own. Gateways are "
                           "managed in Settings.")
                            .arg(shown(profile.name)));
    m_pairedGatewayId = profile.gatewayId;
    showPage(Page::Done);
    Q_EMIT paired(profile);
}

void PairingDialog::onFailed(const PairingFailure &failure)
{
    if (!m_pairing)
        return;
    m_pairing = false;
    showFailure(failure.kind, PairingDialogText::failureHeadline(failure.kind),
                PairingDialogText::failureAdvice(failure.kind), failure.message,
                PairingDialogText::canRetry(failure.kind));
}

void PairingDialog::showFailure(PairingFailure::Kind kind, const QString &headline,
                                const QString &advice, const QString &details, bool retry)
{
    m_failureKind = kind;
    m_canRetry = retry;
    m_title->setText(headline);
    m_failedAdvice->setText(advice);
    m_failedDetails->setText(details.isEmpty() ? QString() : tr("Details: %1").arg(shown(details)));
    m_failedDetails->setVisible(!details.isEmpty());
    showPage(Page::Failed);
}

void PairingDialog::onBackClicked()
{
    if (page() == Page::Failed && m_failureKind == PairingFailure::Kind::InvalidDeviceName) {
        showPage(Page::Confirm);
        return;
    }
    m_link.reset();
    showPage(Page::Source);
}

void PairingDialog::reject()
{
    if (m_pairing || m_capturing)
        return;
    QDialog::reject();
}

void PairingDialog::closeEvent(QCloseEvent *event)
{
    if (m_pairing) {
        event->ignore();
        return;
    }
    QDialog::closeEvent(event);
}

} // namespace countersign
