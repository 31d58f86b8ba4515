#include "approvaldialog.h"

#include "bindingcodechoices.h"
#include "bindingcodepicker.h"
#include "passkeypanel.h"
#include "plainbutton.h"
#include "plainlabel.h"
#include "requestdetails.h"
#include "safetext.h"
#include "ui/uistyle.h"

#include <QAccessible>
#include <QApplication>
#include <QFontDatabase>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QRadioButton>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QScreen>
#include <QSignalBlocker>
#include <QToolButton>
#include <QVBoxLayout>

namespace countersign {

namespace {

// Below this the countdown turns urgent: enough to finish a TOTP entry, not
// enough to start reading the request.
constexpr qint64 urgentSeconds = 30;
constexpr int defaultWidth = 560;
// Room kept for a status message whether or not one shows, so that a
// message appearing (a wrong code, "checking…") never moves the buttons.
constexpr int statusLinesReserved = 2;
// The request details never shrink below this to fit a small screen.
constexpr int minimumDetailsHeight = 120;

// Remote text for a label: display-safe, plain, wrappable.
QString shown(const QString &remote)
{
    return wrappableText(displaySafeText(remote).text);
}

// A shield with a check mark: the product's "a person decides here" sign,
// drawn in the palette's highlight colour so it follows the theme.
QPixmap shieldPixmap(int size, qreal devicePixelRatio, const QColor &colour)
{
    QPixmap pixmap(QSize(size, size) * devicePixelRatio);
    pixmap.setDevicePixelRatio(devicePixelRatio);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    QPainterPath shield;
    shield.moveTo(s * 0.5, s * 0.04);
    shield.lineTo(s * 0.9, s * 0.18);
    shield.cubicTo(s * 0.9, s * 0.58, s * 0.72, s * 0.82, s * 0.5, s * 0.96);
    shield.cubicTo(s * 0.28, s * 0.82, s * 0.1, s * 0.58, s * 0.1, s * 0.18);
    shield.closeSubpath();
    painter.fillPath(shield, colour);
    QPen pen(Qt::white, s * 0.09, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    painter.setPen(pen);
    QPainterPath check;
    check.moveTo(s * 0.32, s * 0.5);
    check.lineTo(s * 0.45, s * 0.63);
    check.lineTo(s * 0.69, s * 0.36);
    painter.drawPath(check);
    return pixmap;
}

} // namespace

ApprovalDialog::ApprovalDialog(VerifiedApprovalRequest request, QString gatewayName,
                               QList<ApprovalMethod> methods, const Clock &clock, QWidget *parent)
    : QDialog(parent)
    , m_request(std::move(request))
    , m_gatewayName(std::move(gatewayName))
    , m_clock(clock)
{
    for (ApprovalMethod method : std::as_const(methods)) {
        if (isSupported(method) && m_request.request.methods.contains(method)
            && !m_offered.contains(method))
            m_offered.append(method);
    }

    setObjectName(QStringLiteral("approvalDialog"));
    setWindowTitle(tr("Approve agent action? — Countersign"));
    // Arriving requests must not take the keyboard from what the person is
    // typing (present() raises without activating).
    setAttribute(Qt::WA_ShowWithoutActivating);
    setSizeGripEnabled(true);

    auto *column = new QVBoxLayout(this);
    column->setContentsMargins(20, 18, 20, 16);
    column->setSpacing(16);
    column->addWidget(buildHeader());
    m_agentGoneNotice = new PlainLabel(
        tr("The agent is no longer waiting: approving now runs nothing until it calls again."),
        this);
    m_agentGoneNotice->setObjectName(QStringLiteral("agentGoneNotice"));
    m_agentGoneNotice->setWordWrap(true);
    m_agentGoneNotice->setStyleSheet(QStringLiteral(
        "background: rgba(232, 160, 0, 0.16); border-radius: 6px; padding: 6px 10px;"));
    m_agentGoneNotice->hide();
    column->addWidget(m_agentGoneNotice);
    m_details = new RequestDetails(m_request, m_gatewayName, this);
    column->addWidget(m_details, 1);
    column->addWidget(buildSteps());
    column->addWidget(buildFooter());
    setUpTabOrder();

    m_approveHoldBack.setSingleShot(true);
    m_approveHoldBack.setInterval(approveHoldBack);
    connect(&m_approveHoldBack, &QTimer::timeout, this, &ApprovalDialog::updateApproveEnabled);
    m_outcomeTimer.setSingleShot(true);
    m_outcomeTimer.setInterval(outcomeShownFor);
    connect(&m_outcomeTimer, &QTimer::timeout, this, &ApprovalDialog::closeQuietly);
    keepDisabledLookDistinct(m_approve);

    // The first tick runs from the event loop, after the owner has connected
    // to expired(); until then the label shows the time left as it is.
    m_countdownTimer.setInterval(countdownInterval);
    connect(&m_countdownTimer, &QTimer::timeout, this, &ApprovalDialog::refreshCountdown);
    showTimeLeft(secondsLeft());
    m_countdownTimer.start();
    resize(defaultWidth, sizeHint().height());
}

ApprovalDialog::~ApprovalDialog() = default;

const VerifiedApprovalRequest &ApprovalDialog::request() const
{
    return m_request;
}

QList<ApprovalMethod> ApprovalDialog::offeredMethods() const
{
    return m_offered;
}

bool ApprovalDialog::isApproveHeldBack() const
{
    return m_approveHoldBack.isActive();
}

QList<ApprovalMethod> ApprovalDialog::supportedMethods()
{
    QList<ApprovalMethod> supported;
    for (ApprovalMethod method : {ApprovalMethod::Passkey, ApprovalMethod::Totp}) {
        if (isSupported(method))
            supported.append(method);
    }
    return supported;
}

bool ApprovalDialog::isSupported(ApprovalMethod method)
{
    switch (method) {
    case ApprovalMethod::Totp:
        return true;
    case ApprovalMethod::Passkey:
        // Offered only when the owner passes it: it knows whether a key is
        // registered for this gateway.
        return true;
    }
    return false;
}

QWidget *ApprovalDialog::buildHeader()
{
    const Sarc &sarc = m_request.request.sarc;
    auto *header = new QWidget(this);
    auto *grid = new QGridLayout(header);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(14);
    grid->setVerticalSpacing(4);

    constexpr int iconSize = 44;
    auto *icon = new PlainLabel(QString(), header);
    icon->setPixmap(
        shieldPixmap(iconSize, devicePixelRatioF(), palette().color(QPalette::Highlight)));
    icon->setFixedSize(iconSize, iconSize);
    grid->addWidget(icon, 0, 0, 2, 1, Qt::AlignTop);

    // QString::arg with several arguments substitutes in one pass, so a "%1"
    // inside a remote value stays text.
    auto *headline = new PlainLabel(
        tr("%1 wants to run %2").arg(shown(sarc.subject.agent), shown(sarc.action.name)), header);
    headline->setObjectName(QStringLiteral("headline"));
    headline->setWordWrap(true);
    scaleFont(headline, 1.3, true);
    grid->addWidget(headline, 0, 1);

    auto *subline = new PlainLabel(
        tr("For %1, through %2").arg(shown(sarc.subject.id), shown(m_gatewayName)), header);
    subline->setObjectName(QStringLiteral("subline"));
    subline->setWordWrap(true);
    subline->setForegroundRole(QPalette::PlaceholderText);
    // Under the headline and the chip both: the chip beside it would make
    // even a short subtitle wrap.
    grid->addWidget(subline, 1, 1, 1, 2, Qt::AlignVCenter);

    m_countdown = new PlainLabel(QString(), header);
    m_countdown->setObjectName(QStringLiteral("countdownLabel"));
    m_countdown->setAccessibleName(tr("Time left"));
    m_countdown->setAlignment(Qt::AlignCenter);
    // One width for every text it will show (the longest countdown this
    // request can have, "Ended"), so the headline beside it never rewraps
    // when the text changes. Digits are equally wide in the usual fonts.
    const int chipPadding = 2 * 10 + 8;
    const QFontMetrics chipFont = m_countdown->fontMetrics();
    const qint64 lifetime = qMax<qint64>(secondsLeft(), 0);
    m_countdown->setFixedWidth(
        chipPadding
        + qMax(chipFont.horizontalAdvance(tr("Expires in %1").arg(timeLeftText(lifetime))),
               chipFont.horizontalAdvance(tr("Ended"))));
    grid->addWidget(m_countdown, 0, 2, Qt::AlignTop | Qt::AlignRight);
    grid->setColumnStretch(1, 1);
    return header;
}

QWidget *ApprovalDialog::buildSteps()
{
    auto *steps = new QWidget(this);
    m_steps = steps;
    auto *layout = new QVBoxLayout(steps);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);

    m_picker = new BindingCodePicker(
        bindingCodeChoices(m_request.bindingCode, *QRandomGenerator::system()), steps);
    m_picker->setObjectName(QStringLiteral("bindingCodePicker"));
    connect(m_picker, &BindingCodePicker::picked, this, &ApprovalDialog::onCodePicked);

    m_totpCode = new QLineEdit(steps);
    m_totpCode->setObjectName(QStringLiteral("totpCodeEdit"));
    m_totpCode->setMaxLength(totpDigits);
    m_totpCode->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[0-9]{%1}").arg(totpDigits)), m_totpCode));
    m_totpCode->setInputMethodHints(Qt::ImhDigitsOnly);
    m_totpCode->setPlaceholderText(tr("6 digits"));
    m_totpCode->setAlignment(Qt::AlignCenter);
    m_totpCode->setEnabled(false);
    m_totpCode->setFixedWidth(170);
    QFont codeFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    codeFont.setPointSizeF(m_totpCode->font().pointSizeF() * 1.5);
    codeFont.setLetterSpacing(QFont::AbsoluteSpacing, 2);
    m_totpCode->setFont(codeFont);
    connect(m_totpCode, &QLineEdit::textChanged, this, &ApprovalDialog::updateApproveEnabled);

    const bool totp = m_offered.contains(ApprovalMethod::Totp);
    const bool passkey = m_offered.contains(ApprovalMethod::Passkey);
    m_passkeyPanel = new PasskeyPanel(steps);
    connect(m_passkeyPanel, &PasskeyPanel::pinEntered, this, [this](const QString &pin) {
        if (m_state == State::UsingKey)
            Q_EMIT passkeyPinEntered(pin);
    });
    connect(m_passkeyPanel, &PasskeyPanel::keyChosen, this, [this](const QString &id) {
        if (m_state == State::UsingKey)
            Q_EMIT passkeyKeyChosen(id);
    });
    connect(m_passkeyPanel, &PasskeyPanel::stopRequested, this, [this] {
        if (m_state == State::UsingKey)
            Q_EMIT passkeyStopped();
    });
    if (totp || passkey) {
        auto *pickTitle =
            new PlainLabel(tr("1.  Pick the code &shown in your agent's conversation"), steps);
        pickTitle->setObjectName(QStringLiteral("bindingCodeTitle"));
        scaleFont(pickTitle, 1.0, true);
        pickTitle->setBuddy(m_picker); // focus only: see BindingCodePicker
        layout->addWidget(pickTitle);
        layout->addWidget(m_picker);
        layout->addSpacing(4);

        // Step 2: how to approve. With one method there is nothing to choose.
        m_methodChoice = new QWidget(steps);
        m_methodChoice->setObjectName(QStringLiteral("methodChoice"));
        auto *choiceRow = new QHBoxLayout(m_methodChoice);
        choiceRow->setContentsMargins(0, 0, 0, 0);
        auto *choiceTitle = new PlainLabel(tr("2.  Approve with"), m_methodChoice);
        scaleFont(choiceTitle, 1.0, true);
        m_passkeyChoice = new QRadioButton(tr("Security &key"), m_methodChoice);
        m_passkeyChoice->setObjectName(QStringLiteral("methodPasskeyRadio"));
        m_totpChoice = new QRadioButton(tr("Aut&henticator app code"), m_methodChoice);
        m_totpChoice->setObjectName(QStringLiteral("methodTotpRadio"));
        connect(m_passkeyChoice, &QRadioButton::toggled, this, [this](bool on) {
            if (on)
                chooseMethod(ApprovalMethod::Passkey);
        });
        connect(m_totpChoice, &QRadioButton::toggled, this, [this](bool on) {
            if (on)
                chooseMethod(ApprovalMethod::Totp);
        });
        choiceRow->addWidget(choiceTitle);
        choiceRow->addWidget(m_passkeyChoice);
        choiceRow->addWidget(m_totpChoice);
        choiceRow->addStretch(1);
        m_methodChoice->setVisible(totp && passkey);
        layout->addWidget(m_methodChoice);

        m_totpStep = new QWidget(steps);
        auto *totpColumn = new QVBoxLayout(m_totpStep);
        totpColumn->setContentsMargins(0, 0, 0, 0);
        auto *codeTitle =
            new PlainLabel(passkey ? tr("Enter the &code from your authenticator app")
                                   : tr("2.  Enter the &code from your authenticator app"),
                           m_totpStep);
        codeTitle->setObjectName(QStringLiteral("totpTitle"));
        scaleFont(codeTitle, 1.0, !passkey);
        codeTitle->setBuddy(m_totpCode);
        m_totpCode->setParent(m_totpStep);
        totpColumn->addWidget(codeTitle);
        // Why the field does not take input yet: beside it until the code
        // is picked.
        auto *codeRow = new QHBoxLayout;
        codeRow->setContentsMargins(0, 0, 0, 0);
        codeRow->addWidget(m_totpCode);
        m_totpHint = new PlainLabel(tr("Pick the code shown by your agent first."), m_totpStep);
        m_totpHint->setObjectName(QStringLiteral("totpHint"));
        m_totpHint->setForegroundRole(QPalette::PlaceholderText);
        m_totpHint->setWordWrap(true);
        QSizePolicy keepRoom = m_totpHint->sizePolicy();
        keepRoom.setRetainSizeWhenHidden(true);
        m_totpHint->setSizePolicy(keepRoom);
        codeRow->addWidget(m_totpHint, 1);
        totpColumn->addLayout(codeRow);
        layout->addWidget(m_totpStep);

        if (!totp) {
            auto *keyTitle = new PlainLabel(tr("2.  Approve with your security key"), steps);
            keyTitle->setObjectName(QStringLiteral("passkeyTitle"));
            scaleFont(keyTitle, 1.0, true);
            layout->addWidget(keyTitle);
        }
        layout->addWidget(m_passkeyPanel);
        chooseMethod(m_offered.constFirst());
    } else {
        // Nothing this dialog can approve with: say so; Deny still works.
        m_picker->hide();
        m_totpCode->hide();
        m_passkeyPanel->hide();
        auto *none = new PlainLabel(
            tr("This request can only be approved with a method this computer cannot use. You "
               "can deny it here or approve it on another device."),
            steps);
        none->setObjectName(QStringLiteral("noMethodNotice"));
        none->setWordWrap(true);
        layout->addWidget(none);
    }

    m_status = new PlainLabel(QString(), steps);
    m_status->setObjectName(QStringLiteral("statusLabel"));
    m_status->setWordWrap(true);
    m_status->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_status->setMinimumHeight(m_status->fontMetrics().lineSpacing() * statusLinesReserved);
    QSizePolicy keepRoom = m_status->sizePolicy();
    keepRoom.setRetainSizeWhenHidden(true);
    m_status->setSizePolicy(keepRoom);
    m_status->hide();
    layout->addWidget(m_status);
    return steps;
}

QWidget *ApprovalDialog::buildFooter()
{
    auto *footer = new QWidget(this);
    auto *layout = new QVBoxLayout(footer);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);

    auto *line = new QFrame(footer);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    layout->addWidget(line);

    auto *reasonRow = new QHBoxLayout;
    auto *reasonLabel = new PlainLabel(tr("&Reason for denying (optional):"), footer);
    m_denyReason = new QLineEdit(footer);
    m_denyReason->setObjectName(QStringLiteral("denyReasonEdit"));
    m_denyReason->setMaxLength(maxDenyReasonLength);
    m_denyReason->setPlaceholderText(tr("Sent to the gateway with the denial"));
    reasonLabel->setBuddy(m_denyReason);
    reasonRow->addWidget(reasonLabel);
    reasonRow->addWidget(m_denyReason, 1);
    layout->addLayout(reasonRow);

    auto *buttonRow = new QHBoxLayout;
    // The ids matter to whoever looks the request up in the gateway's audit
    // log, not to the decision: folded away until asked for.
    auto *technicalToggle = new QToolButton(footer);
    technicalToggle->setObjectName(QStringLiteral("technicalDetailsToggle"));
    technicalToggle->setText(tr("Details"));
    technicalToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    technicalToggle->setArrowType(Qt::RightArrow);
    technicalToggle->setAutoRaise(true);
    technicalToggle->setCheckable(true);
    technicalToggle->setAccessibleName(tr("Show the request's technical details"));
    buttonRow->addWidget(technicalToggle);
    buttonRow->addStretch(1);

    // No QDialogButtonBox: it makes its first accept-role button the default
    // when shown, and nothing here may ever be default. Every button is
    // explicitly not auto-default, so Enter anywhere in the dialog does
    // nothing.
    const auto makeButton = [footer](const QString &text, const QString &name) {
        return makePlainButton(text, name, footer, 96);
    };
    m_deny = makeButton(tr("&Deny"), QStringLiteral("denyButton"));
    m_approve = makeButton(tr("&Approve"), QStringLiteral("approveButton"));
    m_close = makeButton(tr("C&lose"), QStringLiteral("closeButton"));
    m_approve->setEnabled(false);
    m_approve->setVisible(!m_offered.isEmpty());
    m_close->hide();
    buttonRow->addWidget(m_deny);
    buttonRow->addWidget(m_approve);
    buttonRow->addWidget(m_close);
    layout->addLayout(buttonRow);

    m_technical = new QWidget(footer);
    m_technical->setObjectName(QStringLiteral("technicalDetails"));
    auto *technicalRows = new QVBoxLayout(m_technical);
    technicalRows->setContentsMargins(0, 0, 0, 0);
    technicalRows->setSpacing(2);
    const auto addTechnical = [this, technicalRows](const QString &text, const QString &name) {
        auto *label = new PlainLabel(text, m_technical);
        label->setObjectName(name);
        label->setWordWrap(true);
        label->setForegroundRole(QPalette::PlaceholderText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
        technicalRows->addWidget(label);
    };
    addTechnical(tr("Request %1").arg(shown(m_request.request.requestId)),
                 QStringLiteral("requestIdLabel"));
    addTechnical(tr("Gateway %1").arg(shown(m_request.request.gatewayId)),
                 QStringLiteral("gatewayIdLabel"));
    m_technical->hide();
    layout->addWidget(m_technical);
    connect(technicalToggle, &QToolButton::toggled, this, [this, technicalToggle](bool open) {
        technicalToggle->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
        m_technical->setVisible(open);
        if (isVisible())
            fitDetailsHeight();
    });

    connect(m_deny, &QPushButton::clicked, this, &ApprovalDialog::onDenyClicked);
    connect(m_approve, &QPushButton::clicked, this, &ApprovalDialog::onApproveClicked);
    connect(m_close, &QPushButton::clicked, this, &ApprovalDialog::closeQuietly);
    return footer;
}

void ApprovalDialog::setUpTabOrder()
{
    // The order a person works in: match the code, type the TOTP code,
    // approve; or give a reason and deny. The details come last: they are
    // read, not operated, and scroll with the keyboard once focused.
    QList<QWidget *> order;
    for (QPushButton *button : m_picker->buttons())
        order.append(button);
    if (m_passkeyChoice)
        order << m_passkeyChoice << m_totpChoice;
    order << m_totpCode << m_approve;
    for (QWidget *inPanel : m_passkeyPanel->findChildren<QWidget *>()) {
        if (inPanel->focusPolicy() & Qt::TabFocus)
            order << inPanel;
    }
    order << m_denyReason << m_deny << m_close;
    if (auto *toggle = findChild<QToolButton *>(QStringLiteral("technicalDetailsToggle")))
        order << toggle;
    order << m_details;
    for (qsizetype i = 0; i + 1 < order.size(); ++i)
        setTabOrder(order.at(i), order.at(i + 1));
    // Where the keyboard lands when the person switches to the dialog.
    if (m_picker->isVisibleTo(this))
        m_picker->buttons().constFirst()->setFocus();
    else
        m_denyReason->setFocus();
}

void ApprovalDialog::present()
{
    if (m_state == State::Closed)
        return;
    if (secondsLeft() <= 0) {
        refreshCountdown();
        return;
    }
    fitDetailsHeight();
    show();
    // raise() orders the window up; activateWindow() would take the keyboard,
    // so it is never called. alert() asks the desktop to flag the window.
    raise();
    QApplication::alert(this);
}

void ApprovalDialog::fitDetailsHeight()
{
    // Lay out at the current width first: the details' height depends on
    // where their text wraps.
    layout()->activate();
    m_details->fitContentHeight();
    int dialogHeight = layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width())
                                                     : sizeHint().height();
    // A dialog taller than the screen hides Approve and Deny below its
    // edge: the details scroll instead (a 768-pixel laptop screen included).
    if (const QScreen *shownOn = screen()) {
        const int frame = frameGeometry().height() - geometry().height();
        const int available = shownOn->availableGeometry().height() - qMax(frame, 0);
        const int excess = dialogHeight - available;
        if (excess > 0) {
            m_details->setMinimumHeight(
                qMax(minimumDetailsHeight, m_details->minimumHeight() - excess));
            dialogHeight = layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width())
                                                         : sizeHint().height();
        }
    }
    resize(width(), qMax(dialogHeight, minimumSizeHint().height()));
}

void ApprovalDialog::onCodePicked(const QString &code)
{
    if (m_state != State::ChoosingCode)
        return;
    if (code == m_request.bindingCode) {
        m_picker->keepOnly(code);
        m_state = State::EnteringCode;
        m_totpCode->setEnabled(true);
        if (m_totpHint)
            m_totpHint->hide();
        // The person is working in the dialog now, so moving the keyboard
        // within it is what they expect.
        if (m_method == ApprovalMethod::Totp)
            m_totpCode->setFocus();
        else if (m_passkeyChoice && m_methodChoice->isVisible())
            m_passkeyChoice->setFocus();
        m_status->hide();
        updateApproveEnabled();
        return;
    }
    // A code that is not this request's: this may not be the request the
    // person's agent started (or another one arrived at the same moment).
    // Deny it; the agent's own request, if different, is still waiting.
    m_picker->setEnabled(false);
    m_answer = Answer::Deny;
    settle(tr("The code you picked (%1) did not match: this request may not be yours — it was "
              "denied. If your agent still shows %1, look for another pending request.")
               .arg(code));
    // Signals go last everywhere: an owner may delete the dialog in its slot.
    Q_EMIT denied(bindingCodeMismatchReason);
}

void ApprovalDialog::onApproveClicked()
{
    if (m_state != State::EnteringCode)
        return;
    if (m_method == ApprovalMethod::Passkey) {
        m_state = State::UsingKey;
        m_answer = Answer::Approve;
        if (m_methodChoice)
            m_methodChoice->setEnabled(false);
        m_status->hide();
        updateApproveEnabled();
        m_passkeyPanel->showState(Authenticator::State::InsertKey);
        Q_EMIT approveWithPasskey();
        return;
    }
    if (!m_totpCode->hasAcceptableInput())
        return;
    m_state = State::Checking;
    m_answer = Answer::Approve;
    m_totpCode->setEnabled(false);
    updateApproveEnabled();
    showStatus(tr("Checking the code with %1…").arg(shown(m_gatewayName)), Tone::Neutral);
    Q_EMIT approveWithTotp(m_totpCode->text());
}

void ApprovalDialog::onDenyClicked()
{
    if (m_state == State::Settled || m_state == State::Closed || m_state == State::Denying)
        return;
    const QString reason = m_denyReason->text().trimmed();
    // The key stops with the denial (the owner sees to it); if the denial
    // does not get through, the person starts again from Approve.
    const bool keyWasWorking = m_state == State::UsingKey || m_state == State::Checking;
    m_stateBeforeDenying = keyWasWorking ? State::EnteringCode : m_state;
    if (keyWasWorking && m_method == ApprovalMethod::Passkey)
        m_passkeyPanel->showIdle(tr("Press Approve, then touch your security key."));
    m_state = State::Denying;
    m_answer = Answer::Deny;
    m_steps->setEnabled(false);
    m_denyReason->setEnabled(false);
    m_deny->setEnabled(false);
    updateApproveEnabled();
    showStatus(tr("Sending your denial to %1…").arg(shown(m_gatewayName)), Tone::Neutral);
    Q_EMIT denied(reason);
}

void ApprovalDialog::showCodeRejected(int attemptsLeft)
{
    if (m_state == State::Settled || m_state == State::Closed)
        return;
    if (attemptsLeft <= 0) {
        showLocked();
        return;
    }
    m_state = State::EnteringCode;
    m_totpCode->clear();
    m_totpCode->setEnabled(true);
    m_totpCode->setFocus();
    updateApproveEnabled();
    // Two strings rather than "attempt(s)": English needs no translation
    // file this way, and translators still get %n for their plural rules.
    const QString wrong = attemptsLeft == 1
        ? tr("Wrong code, 1 attempt left.")
        : tr("Wrong code, %n attempts left.", nullptr, attemptsLeft);
    showStatus(wrong + QLatin1Char(' ')
                   + tr("If the code was about to change, wait for the next one."),
               Tone::Problem);
}

void ApprovalDialog::showLocked()
{
    if (m_state == State::Settled || m_state == State::Closed)
        return;
    settle(tr("Too many wrong codes: the gateway locked this request and it can no longer be "
              "approved."));
}

void ApprovalDialog::showNotDelivered()
{
    if (m_state == State::Denying) {
        m_state = m_stateBeforeDenying;
        m_answer = Answer::None;
        m_steps->setEnabled(true);
        m_denyReason->setEnabled(true);
        m_deny->setEnabled(true);
        if (m_methodChoice)
            m_methodChoice->setEnabled(true);
        m_totpCode->setEnabled(m_state == State::EnteringCode);
        updateApproveEnabled();
        showStatus(tr("Your denial did not reach %1. Nothing was decided; deny again when it is "
                      "back.")
                       .arg(shown(m_gatewayName)),
                   Tone::Problem);
        return;
    }
    if (m_state != State::Checking && m_state != State::UsingKey)
        return;
    m_state = State::EnteringCode;
    m_answer = Answer::None;
    if (m_methodChoice)
        m_methodChoice->setEnabled(true);
    if (m_method == ApprovalMethod::Passkey)
        m_passkeyPanel->showIdle(tr("Press Approve to try again."));
    m_totpCode->setEnabled(true);
    updateApproveEnabled();
    showStatus(tr("Your answer did not reach %1. Nothing was decided; try again when it is back.")
                   .arg(shown(m_gatewayName)),
               Tone::Problem);
}

void ApprovalDialog::chooseMethod(ApprovalMethod method)
{
    if (!m_offered.contains(method))
        return;
    m_method = method;
    const bool passkey = method == ApprovalMethod::Passkey;
    if (m_passkeyChoice) {
        const QSignalBlocker blockPasskey(m_passkeyChoice);
        const QSignalBlocker blockTotp(m_totpChoice);
        m_passkeyChoice->setChecked(passkey);
        m_totpChoice->setChecked(!passkey);
    }
    m_totpStep->setVisible(!passkey);
    m_passkeyPanel->setVisible(passkey);
    if (passkey)
        m_passkeyPanel->showIdle(tr("Press Approve, then touch your security key."));
    updateApproveEnabled();
    if (isVisible()) {
        fitDetailsHeight();
        holdBackApprove(); // the steps changed: Approve may have moved
    }
}

void ApprovalDialog::showPasskeyState(Authenticator::State state)
{
    if (m_state == State::UsingKey)
        m_passkeyPanel->showState(state);
}

void ApprovalDialog::askForPin(int retriesLeft)
{
    if (m_state != State::UsingKey)
        return;
    m_passkeyPanel->askForPin(retriesLeft, m_pinAsked);
    m_pinAsked = true;
}

void ApprovalDialog::askForKey(const QList<AuthenticatorDevice> &devices)
{
    if (m_state == State::UsingKey)
        m_passkeyPanel->showKeyChoice(devices);
}

void ApprovalDialog::passkeyFailed(Authenticator::State state, const QString &message)
{
    if (m_state != State::UsingKey)
        return;
    m_state = State::EnteringCode;
    m_pinAsked = false;
    if (m_methodChoice)
        m_methodChoice->setEnabled(true);
    m_passkeyPanel->showFailure(state, message);
    updateApproveEnabled();
}

void ApprovalDialog::showPasskeySent()
{
    if (m_state != State::UsingKey)
        return;
    m_state = State::Checking;
    m_pinAsked = false;
    m_passkeyPanel->showIdle(QString());
    showStatus(tr("Checking the security key's answer with %1…").arg(shown(m_gatewayName)),
               Tone::Neutral);
}

void ApprovalDialog::showPasskeyRefused(const QString &message)
{
    if (m_state != State::Checking && m_state != State::UsingKey)
        return;
    m_state = State::EnteringCode;
    m_answer = Answer::None;
    if (m_methodChoice)
        m_methodChoice->setEnabled(true);
    m_passkeyPanel->showIdle(tr("Press Approve to try again."));
    updateApproveEnabled();
    showStatus(
        tr("%1 refused the security key's answer: %2").arg(shown(m_gatewayName), shown(message)),
        Tone::Problem);
}

void ApprovalDialog::showAgentWaiting(bool waiting)
{
    if (m_state == State::Settled || m_state == State::Closed)
        return;
    if (m_agentGoneNotice->isHidden() == waiting)
        return;
    m_agentGoneNotice->setVisible(!waiting);
    if (isVisible()) {
        fitDetailsHeight();
        holdBackApprove(); // everything below moved
    }
    QAccessibleEvent event(m_agentGoneNotice, QAccessible::Alert);
    QAccessible::updateAccessibility(&event);
}

void ApprovalDialog::showAccepted(ApprovalOutcome outcome)
{
    showResolved(outcome);
}

void ApprovalDialog::showResolved(ApprovalOutcome outcome)
{
    // Settled already says how it ended (a mismatch, a lock, an outcome).
    if (m_state == State::Settled || m_state == State::Closed)
        return;
    if (!isVisible()) {
        closeQuietly();
        return;
    }
    showOutcome(outcome);
}

void ApprovalDialog::showOutcome(ApprovalOutcome outcome)
{
    const bool answeredHere = (outcome == ApprovalOutcome::Approved && m_answer == Answer::Approve)
        || (outcome == ApprovalOutcome::Denied && m_answer == Answer::Deny);
    const Tone tone =
        answeredHere && outcome == ApprovalOutcome::Approved ? Tone::Success : Tone::Neutral;
    settle(outcomeText(outcome), tone);
    m_outcomeTimer.start();
}

QString ApprovalDialog::outcomeText(ApprovalOutcome outcome) const
{
    switch (outcome) {
    case ApprovalOutcome::Approved:
        return m_answer == Answer::Approve ? tr("Approved. The agent's action goes ahead.")
                                           : tr("Decided on another device: approved.");
    case ApprovalOutcome::Denied:
        return m_answer == Answer::Deny ? tr("Denied. The agent was told it may not go ahead.")
                                        : tr("Decided on another device: denied.");
    case ApprovalOutcome::Expired:
        return tr("Expired before anyone approved it. Nothing was run.");
    case ApprovalOutcome::Cancelled:
        return tr("Cancelled at the gateway. Nothing was run.");
    case ApprovalOutcome::Unknown:
        break;
    }
    return tr("This request no longer waits for an answer from this computer.");
}

void ApprovalDialog::reject()
{
    const bool pending =
        m_state != State::Settled && m_state != State::Closed && m_state != State::Denying;
    m_state = State::Closed;
    m_countdownTimer.stop();
    QDialog::reject();
    if (pending)
        Q_EMIT dismissed();
}

qint64 ApprovalDialog::secondsLeft() const
{
    return m_request.request.expiresAt - m_clock.secondsSinceEpoch();
}

void ApprovalDialog::refreshCountdown()
{
    if (m_state == State::Settled || m_state == State::Closed)
        return;
    const qint64 left = secondsLeft();
    if (left <= 0) {
        if (isVisible())
            showOutcome(ApprovalOutcome::Expired);
        else
            closeQuietly();
        Q_EMIT expired();
        return;
    }
    showTimeLeft(left);
}

void ApprovalDialog::showTimeLeft(qint64 left)
{
    const bool urgent = left <= urgentSeconds;
    m_countdown->setText(left > 0 ? tr("Expires in %1").arg(timeLeftText(left)) : tr("Expired"));
    const QString style = urgent ? QStringLiteral("background: rgba(192, 28, 40, 0.16); color: %1;")
                                       .arg(problemColour().name())
                                 : QStringLiteral("background: rgba(127, 127, 127, 0.14);");
    m_countdown->setStyleSheet(style + QStringLiteral(" border-radius: 8px; padding: 3px 10px;"));
}

QString ApprovalDialog::timeLeftText(qint64 seconds)
{
    // A request lives at most a day (ApprovalRequest::maxLifetimeSeconds).
    if (seconds >= 3600) {
        return tr("%1 h %2 min")
            .arg(seconds / 3600)
            .arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
    }
    return QStringLiteral("%1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

void ApprovalDialog::updateApproveEnabled()
{
    if (!m_approve)
        return; // still building: the footer comes after the steps
    m_approve->setEnabled(
        m_state == State::EnteringCode && !m_approveHoldBack.isActive()
        && (m_method == ApprovalMethod::Passkey || m_totpCode->hasAcceptableInput()));
}

void ApprovalDialog::holdBackApprove()
{
    m_approveHoldBack.start();
    updateApproveEnabled();
}

void ApprovalDialog::showEvent(QShowEvent *event)
{
    QDialog::showEvent(event);
    holdBackApprove();
}

void ApprovalDialog::resizeEvent(QResizeEvent *event)
{
    QDialog::resizeEvent(event);
    // Everything below the details moves when the dialog changes size.
    if (isVisible())
        holdBackApprove();
}

void ApprovalDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_approve)
        keepDisabledLookDistinct(m_approve);
    if (event->type() == QEvent::ActivationChange && isActiveWindow() && !m_seen) {
        m_seen = true;
        Q_EMIT seen();
    }
}

void ApprovalDialog::settle(const QString &message, Tone tone)
{
    // The request is decided (denied here or locked by the gateway): leave
    // the explanation up, take every control away but Close.
    m_state = State::Settled;
    m_countdownTimer.stop();
    m_approveHoldBack.stop();
    // The chip keeps its place (the header must not reflow) but says it
    // no longer counts.
    m_countdown->setText(tr("Ended"));
    m_countdown->setStyleSheet(
        QStringLiteral("background: rgba(127, 127, 127, 0.14); border-radius: 8px; "
                       "padding: 3px 10px;"));
    m_steps->setEnabled(true); // a denial on its way disabled it; the parts stay off below
    m_picker->setEnabled(false);
    m_totpCode->setEnabled(false);
    if (m_totpHint)
        m_totpHint->hide();
    if (m_methodChoice)
        m_methodChoice->setEnabled(false);
    m_passkeyPanel->showIdle(QString());
    m_denyReason->setEnabled(false);
    m_approve->hide();
    m_deny->hide();
    m_close->show();
    m_close->setFocus();
    showStatus(message, tone);
}

void ApprovalDialog::closeQuietly()
{
    m_state = State::Closed;
    m_countdownTimer.stop();
    m_outcomeTimer.stop();
    done(QDialog::Rejected);
}

void ApprovalDialog::showStatus(const QString &text, Tone tone)
{
    m_status->setText(text);
    switch (tone) {
    case Tone::Neutral:
        setForeground(m_status, palette().color(QPalette::WindowText));
        break;
    case Tone::Success:
        setForeground(m_status, successColour());
        break;
    case Tone::Problem:
        setForeground(m_status, problemColour());
        break;
    }
    m_status->show();
    // Its room is kept whether or not it shows (statusLinesReserved), so
    // this changes nothing unless the message is longer: then the dialog
    // grows rather than squeezing the details, which must stay readable.
    if (isVisible())
        fitDetailsHeight();
    // Screen readers announce it: the person may not be looking at the label.
    QAccessibleEvent event(m_status, QAccessible::Alert);
    QAccessible::updateAccessibility(&event);
}

} // namespace countersign
