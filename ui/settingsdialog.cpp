#include "settingsdialog.h"

#include "app/autostart.h"
#include "app/companionsettings.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "protocol/displaytext.h"
#include "protocol/jose/ecpublickey.h"
#include "ui/confirmation.h"
#include "ui/pairingdialogtext.h"
#include "ui/passkeypanel.h"
#include "ui/plainbutton.h"
#include "ui/plainlabel.h"
#include "ui/safetext.h"
#include "ui/statusicons.h"
#include "ui/uistyle.h"

#include <algorithm>

#include <QAccessible>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QStandardItemModel>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace countersign {

namespace {

enum Column { NameColumn, UserColumn, StateColumn };

QString shown(const QString &remote)
{
    return displaySafeText(remote).text;
}

} // namespace

SettingsDialog::SettingsDialog(CompanionSettings &settings, PairedGateways &gateways,
                               Autostart *autostart, QList<ApprovalMethod> methods, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_gateways(gateways)
    , m_autostart(autostart)
    , m_methods(std::move(methods))
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings — Countersign"));
    setWindowIcon(StatusIcons::appIcon());

    auto *column = new QVBoxLayout(this);
    column->setContentsMargins(18, 16, 18, 14);
    column->setSpacing(14);
    column->addWidget(buildGeneral());
    column->addWidget(buildGateways(), 1);
    column->addWidget(buildPasskeys());

    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    auto *close = makePlainButton(tr("C&lose"), QStringLiteral("closeButton"), this);
    close->setMinimumWidth(96);
    connect(close, &QPushButton::clicked, this, &SettingsDialog::accept);
    buttons->addWidget(close);
    column->addLayout(buttons);

    // Queued: a change may come from inside the list's own editing (a
    // rename), which must finish before its items are replaced.
    connect(&m_gateways, &PairedGateways::changed, this, &SettingsDialog::reloadGateways,
            Qt::QueuedConnection);
    reloadGateways();
    // The lists' own size hints are generous; their minimums (four gateways) count.
    resize(std::max(640, sizeHint().width()), std::max(560, minimumSizeHint().height()));
}

SettingsDialog::~SettingsDialog() = default;

QWidget *SettingsDialog::buildGeneral()
{
    auto *group = new QGroupBox(tr("General"), this);
    auto *column = new QVBoxLayout(group);
    column->setSpacing(8);

    m_startAtLogin = new QCheckBox(tr("&Start Countersign when you log in"), group);
    m_startAtLogin->setObjectName(QStringLiteral("startAtLoginCheck"));
    m_startAtLogin->setToolTip(tr("Approval requests reach you only while Countersign runs."));
    if (m_autostart) {
        m_startAtLogin->setChecked(m_autostart->isEnabled());
        connect(m_startAtLogin, &QCheckBox::toggled, this, &SettingsDialog::onAutostartToggled);
    } else {
        m_startAtLogin->hide();
    }
    column->addWidget(m_startAtLogin);
    m_autostartError = new PlainLabel(QString(), group);
    m_autostartError->setObjectName(QStringLiteral("autostartErrorLabel"));
    m_autostartError->setWordWrap(true);
    setForeground(m_autostartError, problemColour());
    m_autostartError->hide();
    column->addWidget(m_autostartError);

    m_notifications = new QCheckBox(tr("Show a &notification when a request arrives"), group);
    m_notifications->setObjectName(QStringLiteral("notificationsCheck"));
    m_notifications->setToolTip(tr("A notification only opens the request; approving always "
                                   "happens in Countersign's own window."));
    m_notifications->setChecked(m_settings.notificationsEnabled());
    connect(m_notifications, &QCheckBox::toggled, this, [this](bool enabled) {
        m_settings.setNotificationsEnabled(enabled);
        Q_EMIT notificationsEnabledChanged(enabled);
    });
    column->addWidget(m_notifications);

    // With one method there is nothing to choose: the row stays hidden.
    auto *methodRow = new QWidget(group);
    methodRow->setObjectName(QStringLiteral("defaultMethodRow"));
    auto *methodLayout = new QHBoxLayout(methodRow);
    methodLayout->setContentsMargins(0, 0, 0, 0);
    auto *methodLabel = new PlainLabel(tr("Default approval &method:"), methodRow);
    m_defaultMethod = new QComboBox(methodRow);
    m_defaultMethod->setObjectName(QStringLiteral("defaultMethodCombo"));
    for (ApprovalMethod method : std::as_const(m_methods)) {
        m_defaultMethod->addItem(method == ApprovalMethod::Passkey ? tr("Security key (passkey)")
                                                                   : tr("Authenticator app code"),
                                 approvalMethodName(method));
    }
    methodLabel->setBuddy(m_defaultMethod);
    connect(m_defaultMethod, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index < 0 || index >= m_methods.size())
            return;
        const ApprovalMethod method = m_methods.at(index);
        m_settings.setDefaultMethod(method);
        Q_EMIT defaultMethodChanged(method);
    });
    methodLayout->addWidget(methodLabel);
    methodLayout->addWidget(m_defaultMethod, 1);
    methodRow->setVisible(m_methods.size() > 1);
    column->addWidget(methodRow);
    updateDefaultMethod();

    auto *nameRow = new QHBoxLayout;
    auto *nameLabel = new PlainLabel(tr("Name for this &computer when pairing:"), group);
    m_deviceName = new QLineEdit(group);
    m_deviceName->setObjectName(QStringLiteral("defaultDeviceNameEdit"));
    m_deviceName->setMaxLength(static_cast<int>(PairingClient::maxDeviceNameLength));
    m_deviceName->setPlaceholderText(PairingClient::defaultDeviceName());
    m_deviceName->setText(m_settings.chosenDeviceName());
    m_deviceName->setClearButtonEnabled(true);
    nameLabel->setBuddy(m_deviceName);
    connect(m_deviceName, &QLineEdit::editingFinished, this, &SettingsDialog::onDeviceNameEdited);
    nameRow->addWidget(nameLabel);
    nameRow->addWidget(m_deviceName, 1);
    column->addLayout(nameRow);
    m_deviceNameError = new PlainLabel(QString(), group);
    m_deviceNameError->setObjectName(QStringLiteral("deviceNameErrorLabel"));
    setForeground(m_deviceNameError, problemColour());
    m_deviceNameError->hide();
    column->addWidget(m_deviceNameError);
    return group;
}

QWidget *SettingsDialog::buildGateways()
{
    auto *group = new QGroupBox(tr("Paired gateways"), this);
    auto *column = new QVBoxLayout(group);
    column->setSpacing(8);

    m_list = new QTreeWidget(group);
    m_list->setObjectName(QStringLiteral("gatewayList"));
    m_list->setAccessibleName(tr("Paired gateways"));
    m_list->setHeaderLabels({tr("Gateway"), tr("Account"), tr("Status")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAllColumnsShowFocus(true);
    m_list->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::DoubleClicked);
    m_list->header()->setStretchLastSection(false);
    m_list->header()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    m_list->header()->setSectionResizeMode(UserColumn, QHeaderView::ResizeToContents);
    m_list->header()->setSectionResizeMode(StateColumn, QHeaderView::ResizeToContents);
    // Names give way (elided) before the account or the state is cut.
    m_list->setTextElideMode(Qt::ElideMiddle);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    connect(m_list, &QTreeWidget::currentItemChanged, this, &SettingsDialog::updateGatewayDetails);
    connect(m_list, &QTreeWidget::itemChanged, this, &SettingsDialog::onItemChanged);
    column->addWidget(m_list, 1);

    m_empty = new PlainLabel(tr("No gateway is paired yet. Pair one to receive its approval "
                                "requests."),
                             group);
    m_empty->setObjectName(QStringLiteral("noGatewaysLabel"));
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    column->addWidget(m_empty);

    m_details = new QWidget(group);
    m_details->setObjectName(QStringLiteral("gatewayDetails"));
    auto *form = new QFormLayout(m_details);
    form->setContentsMargins(0, 0, 0, 0);
    form->setHorizontalSpacing(12);
    form->setVerticalSpacing(4);
    form->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    const auto addDetail = [this, form](const QString &caption, const QString &name) {
        auto *captionLabel = new PlainLabel(caption, m_details);
        captionLabel->setForegroundRole(QPalette::PlaceholderText);
        auto *value = new PlainLabel(QString(), m_details);
        value->setObjectName(name);
        value->setWordWrap(true);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setAccessibleName(caption);
        form->addRow(captionLabel, value);
        return value;
    };
    m_detailAddress = addDetail(tr("Address"), QStringLiteral("gatewayAddressValue"));
    m_detailFingerprint =
        addDetail(tr("Key fingerprint"), QStringLiteral("gatewayFingerprintValue"));
    m_detailFingerprint->setFont(PairingDialogText::fingerprintFont(m_detailFingerprint->font()));
    m_detailDevice = addDetail(tr("This computer there"), QStringLiteral("gatewayDeviceValue"));
    m_detailPin = addDetail(tr("Certificate pin"), QStringLiteral("gatewayPinValue"));
    m_detailPin->setFont(PairingDialogText::fingerprintFont(m_detailPin->font()));
    column->addWidget(m_details);

    m_gatewayMessage = new PlainLabel(QString(), group);
    m_gatewayMessage->setObjectName(QStringLiteral("gatewayMessageLabel"));
    m_gatewayMessage->setWordWrap(true);
    m_gatewayMessage->hide();
    column->addWidget(m_gatewayMessage);

    auto *buttons = new QHBoxLayout;
    auto *pair = makePlainButton(tr("&Pair a gateway…"), QStringLiteral("pairButton"), group);
    connect(pair, &QPushButton::clicked, this, &SettingsDialog::openPairing);
    m_rename = makePlainButton(tr("&Rename"), QStringLiteral("renameButton"), group);
    connect(m_rename, &QPushButton::clicked, this, [this] {
        if (QTreeWidgetItem *item = m_list->currentItem())
            m_list->editItem(item, NameColumn);
    });
    m_unpair = makePlainButton(tr("&Unpair…"), QStringLiteral("unpairButton"), group);
    connect(m_unpair, &QPushButton::clicked, this, &SettingsDialog::onUnpairClicked);
    buttons->addWidget(pair);
    buttons->addStretch(1);
    buttons->addWidget(m_rename);
    buttons->addWidget(m_unpair);
    column->addLayout(buttons);
    return group;
}

void SettingsDialog::reloadGateways()
{
    m_reloading = true;
    m_profiles = m_gateways.all();
    // Rows are updated in place rather than rebuilt, so that a selection and
    // an open rename editor survive a change made elsewhere.
    QHash<QString, QTreeWidgetItem *> rows;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_list->topLevelItem(i);
        rows.insert(item->data(NameColumn, Qt::UserRole).toString(), item);
    }
    for (int i = 0; i < m_profiles.size(); ++i) {
        const GatewayProfile &profile = m_profiles.at(i);
        QTreeWidgetItem *item = rows.take(profile.gatewayId);
        if (!item) {
            item = new QTreeWidgetItem;
            item->setData(NameColumn, Qt::UserRole, profile.gatewayId);
            item->setFlags(item->flags() | Qt::ItemIsEditable);
            m_list->insertTopLevelItem(i, item);
        } else if (const int at = m_list->indexOfTopLevelItem(item); at != i) {
            m_list->takeTopLevelItem(at);
            m_list->insertTopLevelItem(i, item);
        }
        const auto setText = [item](int column, const QString &text) {
            if (item->text(column) != text)
                item->setText(column, text);
        };
        setText(NameColumn, shown(profile.name));
        setText(UserColumn, shown(profile.userId));
        setText(StateColumn, stateText(profile.gatewayId));
        setRowIcon(item, m_states.value(profile.gatewayId) == GatewayClient::State::Online);
    }
    qDeleteAll(rows); // unpaired meanwhile
    if (!m_list->currentItem() && m_list->topLevelItemCount() > 0)
        m_list->setCurrentItem(m_list->topLevelItem(0));
    m_reloading = false;
    const bool any = !m_profiles.isEmpty();
    m_list->setVisible(any);
    m_empty->setVisible(!any);
    fitGatewayList();
    updateGatewayDetails();
    updateDefaultMethod();
}

void SettingsDialog::fitGatewayList()
{
    // Room for minVisibleGateways rows before it scrolls, and a dialog
    // wide enough for the account and state columns beside a name.
    const int row = m_list->topLevelItemCount() > 0
        ? std::max(m_list->sizeHintForRow(0), fontMetrics().height() + 4)
        : fontMetrics().height() + 8;
    const int frame = 2 * m_list->frameWidth();
    m_list->setMinimumHeight(m_list->header()->sizeHint().height() + minVisibleGateways * row
                             + frame + 2);
    const auto widest = [this](int column) {
        int width = m_list->header()->sectionSizeHint(column);
        for (int i = 0; i < m_list->topLevelItemCount(); ++i)
            width = std::max(
                width,
                m_list->fontMetrics().horizontalAdvance(m_list->topLevelItem(i)->text(column)));
        return width + 2 * m_list->style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 16;
    };
    const int wanted = fontMetrics().horizontalAdvance(QLatin1Char('M')) * 12 // a name
        + widest(UserColumn) + widest(StateColumn) + frame;
    m_list->setMinimumWidth(std::min(wanted, 900));
}

void SettingsDialog::setRowIcon(QTreeWidgetItem *item, bool online)
{
    // Only on a change: any change to a row's name cell reloads an open
    // rename editor with the stored name, losing what is being typed.
    constexpr int onlineRole = Qt::UserRole + 1;
    const QVariant shown = item->data(NameColumn, onlineRole);
    if (shown.isValid() && shown.toBool() == online)
        return;
    item->setData(NameColumn, onlineRole, online);
    item->setIcon(NameColumn,
                  StatusIcons::icon(online ? StatusIconKind::Connected : StatusIconKind::Offline));
}

std::optional<GatewayProfile> SettingsDialog::selectedGateway() const
{
    const QTreeWidgetItem *item = m_list ? m_list->currentItem() : nullptr;
    if (!item)
        return std::nullopt;
    const QString id = item->data(NameColumn, Qt::UserRole).toString();
    for (const GatewayProfile &profile : m_profiles) {
        if (profile.gatewayId == id)
            return profile;
    }
    return std::nullopt;
}

QWidget *SettingsDialog::buildPasskeys()
{
    auto *group = new QGroupBox(tr("Security keys at this gateway"), this);
    m_passkeyGroup = group;
    group->setObjectName(QStringLiteral("passkeyGroup"));
    auto *column = new QVBoxLayout(group);
    column->setSpacing(6);
    m_passkeyList = new QListWidget(group);
    m_passkeyList->setObjectName(QStringLiteral("passkeyList"));
    m_passkeyList->setAccessibleName(tr("Security keys registered at the selected gateway"));
    m_passkeyList->setMaximumHeight(90);
    connect(m_passkeyList, &QListWidget::currentRowChanged, this, [this] { updatePasskeys(); });
    column->addWidget(m_passkeyList);

    auto *row = new QHBoxLayout;
    auto *nameLabel = new PlainLabel(tr("&Key name:"), group);
    m_passkeyName = new QLineEdit(group);
    m_passkeyName->setObjectName(QStringLiteral("passkeyNameEdit"));
    m_passkeyName->setMaxLength(64);
    m_passkeyName->setPlaceholderText(tr("e.g. YubiKey on my keyring"));
    nameLabel->setBuddy(m_passkeyName);
    m_addPasskey =
        makePlainButton(tr("&Add security key…"), QStringLiteral("addPasskeyButton"), group);
    m_addPasskey->setToolTip(tr("Insert the key, press this, then touch the key."));
    connect(m_addPasskey, &QPushButton::clicked, this, [this] {
        const auto profile = selectedGateway();
        if (!profile || !m_registering.isEmpty())
            return;
        const QString code = takePasskeyCode();
        if (code.isEmpty())
            return;
        m_registering = profile->gatewayId;
        m_stopRequested = false;
        m_passkeyPanel->showState(Authenticator::State::InsertKey);
        updatePasskeys();
        Q_EMIT addPasskey(profile->gatewayId, m_passkeyName->text().trimmed(), code);
    });
    m_removePasskey = makePlainButton(tr("Remo&ve…"), QStringLiteral("removePasskeyButton"), group);
    connect(m_removePasskey, &QPushButton::clicked, this, [this] {
        const auto profile = selectedGateway();
        QListWidgetItem *item = m_passkeyList->currentItem();
        if (!profile || !item)
            return;
        QMessageBox confirm(QMessageBox::Question, tr("Remove security key?"),
                            tr("Remove “%1” from %2? It can no longer approve requests there.")
                                .arg(item->text(), shown(profile->name)),
                            QMessageBox::Cancel, this);
        confirm.setObjectName(QStringLiteral("removePasskeyConfirmation"));
        QPushButton *remove = confirm.addButton(tr("Remove"), QMessageBox::DestructiveRole);
        confirm.setDefaultButton(QMessageBox::Cancel);
        confirm.exec();
        if (confirm.clickedButton() != remove)
            return;
        // Asked after the confirmation, so that the code is as fresh as can be.
        const QString code = takePasskeyCode();
        if (code.isEmpty())
            return;
        m_passkeyPanel->showIdle(tr("Asking the gateway to remove the key…"));
        Q_EMIT removePasskey(profile->gatewayId, item->data(Qt::UserRole).toByteArray(), code);
    });
    row->addWidget(nameLabel);
    row->addWidget(m_passkeyName, 1);
    row->addWidget(m_addPasskey);
    row->addWidget(m_removePasskey);
    column->addLayout(row);

    // Adding or removing a key needs a code the person's authenticator app
    // shows: a paired computer alone must not be able to add an approval
    // factor (docs/protocol.md 8.2).
    auto *codeRow = new QHBoxLayout;
    auto *codeLabel = new PlainLabel(tr("Authenticator app co&de:"), group);
    m_passkeyCode = new QLineEdit(group);
    m_passkeyCode->setObjectName(QStringLiteral("passkeyCodeEdit"));
    m_passkeyCode->setMaxLength(8);
    m_passkeyCode->setValidator(
        new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,8}")), group));
    m_passkeyCode->setInputMethodHints(Qt::ImhDigitsOnly | Qt::ImhSensitiveData
                                       | Qt::ImhNoPredictiveText);
    m_passkeyCode->setPlaceholderText(tr("6 or 8 digits"));
    m_passkeyCode->setAccessibleName(tr("Authenticator app code"));
    m_passkeyCode->setAccessibleDescription(
        tr("The current code of your authenticator app for this gateway, needed to add or "
           "remove a security key"));
    m_passkeyCode->setToolTip(m_passkeyCode->accessibleDescription());
    codeLabel->setBuddy(m_passkeyCode);
    codeRow->addWidget(codeLabel);
    codeRow->addWidget(m_passkeyCode, 1);
    column->addLayout(codeRow);
    setTabOrder(m_passkeyName, m_passkeyCode);
    setTabOrder(m_passkeyCode, m_addPasskey);

    m_passkeyPanel = new PasskeyPanel(group);
    connect(m_passkeyPanel, &PasskeyPanel::pinEntered, this, &SettingsDialog::passkeyPinEntered);
    connect(m_passkeyPanel, &PasskeyPanel::stopRequested, this, [this] {
        if (!m_registering.isEmpty()) {
            m_stopRequested = true;
            m_passkeyPanel->showIdle(tr("Stopping…"));
        }
        Q_EMIT passkeyStopped();
    });
    connect(m_passkeyPanel, &PasskeyPanel::keyChosen, this, &SettingsDialog::passkeyKeyChosen);
    m_passkeyPanel->showIdle(QString());
    column->addWidget(m_passkeyPanel);
    // Without security key support there is nothing to manage here.
    group->setVisible(m_methods.contains(ApprovalMethod::Passkey));
    return group;
}

void SettingsDialog::setPasskeys(const QString &gatewayId, const PasskeyContext &context)
{
    m_passkeys.insert(gatewayId, context);
    updatePasskeys();
    updateDefaultMethod();
}

bool SettingsDialog::anySecurityKeyRegistered() const
{
    for (const GatewayProfile &profile : m_profiles) {
        const auto context = m_passkeys.constFind(profile.gatewayId);
        if (context != m_passkeys.cend() && !context->credentials.isEmpty())
            return true;
    }
    return false;
}

void SettingsDialog::updateDefaultMethod()
{
    if (!m_defaultMethod)
        return;
    const bool keyUsable = anySecurityKeyRegistered();
    const int passkeyIndex = static_cast<int>(m_methods.indexOf(ApprovalMethod::Passkey));
    // Disabled, saying why where the person looks for it: in the list.
    if (auto *model = qobject_cast<QStandardItemModel *>(m_defaultMethod->model());
        model && passkeyIndex >= 0) {
        if (QStandardItem *item = model->item(passkeyIndex)) {
            item->setEnabled(keyUsable);
            item->setText(keyUsable ? tr("Security key (passkey)")
                                    : tr("Security key: add one to a gateway below first"));
        }
    }
    // Shown, not stored: the person's choice stays for when a key exists
    // (the companion never opens a request with a method it cannot offer).
    ApprovalMethod shownMethod = m_settings.defaultMethod(m_methods);
    const bool fallBack = shownMethod == ApprovalMethod::Passkey && !keyUsable;
    if (fallBack) {
        for (ApprovalMethod method : std::as_const(m_methods)) {
            if (method != ApprovalMethod::Passkey) {
                shownMethod = method;
                break;
            }
        }
    }
    {
        const QSignalBlocker blocker(m_defaultMethod);
        m_defaultMethod->setCurrentIndex(
            std::max(0, static_cast<int>(m_methods.indexOf(shownMethod))));
    }
    m_defaultMethod->setToolTip(
        keyUsable || passkeyIndex < 0
            ? tr("The method a request opens with when it allows several. You can still switch "
                 "in the request.")
            : tr("The method a request opens with when it allows several. A security key can be "
                 "the default once one is registered at a gateway (Security keys, below)."));
}

void SettingsDialog::showPasskeyRegistration(const QString &gatewayId, Authenticator::State state,
                                             bool done, bool ok, const QString &message)
{
    if (gatewayId != m_registering && !(done && m_registering.isEmpty()))
        return;
    // Stop is the person's own doing: it reads as a cancel, never as the
    // key failing (the Companion ends a stopped registration as Failed).
    const bool stopped =
        state == Authenticator::State::Cancelled || (done && !ok && m_stopRequested);
    if (!done) {
        if (stopped)
            m_passkeyPanel->showIdle(tr("Stopping…"));
        else if (state == Authenticator::State::PinNeeded)
            m_passkeyPanel->askForPin(message.toInt(), false);
        else if (state == Authenticator::State::ChooseKey)
            m_passkeyPanel->showKeyChoice(m_securityKeys);
        else if (state == Authenticator::State::Done)
            m_passkeyPanel->showIdle(tr("Checking the new key with the gateway…"));
        else
            m_passkeyPanel->showState(state);
        return;
    }
    m_registering.clear();
    m_stopRequested = false;
    if (ok) {
        m_passkeyName->clear();
        m_passkeyPanel->showIdle(tr("The security key was added. It can now approve requests "
                                    "from this gateway."));
    } else if (stopped) {
        m_passkeyPanel->showIdle(tr("Cancelled. No security key was added."));
    } else if (state == Authenticator::State::Failed) {
        m_passkeyPanel->showFailure(Authenticator::State::Failed, message);
    } else {
        m_passkeyPanel->showFailure(state, message);
    }
    updatePasskeys();
}

void SettingsDialog::showPasskeyRemovalRefused(const QString &gatewayId, const QString &message)
{
    const auto profile = selectedGateway();
    if (!profile || profile->gatewayId != gatewayId || !m_registering.isEmpty())
        return;
    m_passkeyPanel->showFailure(Authenticator::State::Failed,
                                tr("The security key was not removed: %1").arg(message));
}

QString SettingsDialog::takePasskeyCode()
{
    const QString code = m_passkeyCode->text().trimmed();
    // Used once whatever happens next: the gateway takes each code once.
    m_passkeyCode->clear();
    if (code.size() == 6 || code.size() == 8)
        return code;
    m_passkeyPanel->showFailure(Authenticator::State::Failed,
                                tr("Enter the 6- or 8-digit code your authenticator app shows "
                                   "for this gateway first."));
    m_passkeyCode->setFocus();
    return {};
}

void SettingsDialog::startAddingSecurityKey(const QString &gatewayId)
{
    reloadGateways(); // a gateway paired a moment ago may not be listed yet
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_list->topLevelItem(i);
        if (item->data(NameColumn, Qt::UserRole).toString() == gatewayId)
            m_list->setCurrentItem(item);
    }
    m_passkeyName->setFocus();
    m_passkeyPanel->showIdle(tr("Name the key, enter your authenticator app's code, click Add "
                                "security key…, then touch it."));
}

void SettingsDialog::setSecurityKeys(const QList<AuthenticatorDevice> &devices)
{
    m_securityKeys = devices;
}

void SettingsDialog::updatePasskeys()
{
    if (!m_passkeyList)
        return;
    const auto profile = selectedGateway();
    const auto context = profile ? m_passkeys.find(profile->gatewayId) : m_passkeys.end();
    const QByteArray current = m_passkeyList->currentItem()
        ? m_passkeyList->currentItem()->data(Qt::UserRole).toByteArray()
        : QByteArray();
    {
        const QSignalBlocker blocker(m_passkeyList);
        m_passkeyList->clear();
        if (context != m_passkeys.end()) {
            for (const PasskeyCredentialInfo &credential : context->credentials) {
                const QString added = QLocale().toString(
                    QDateTime::fromSecsSinceEpoch(credential.created).date(), QLocale::ShortFormat);
                auto *item = new QListWidgetItem(shown(credential.name), m_passkeyList);
                item->setData(Qt::UserRole, credential.credentialId);
                item->setToolTip(
                    credential.userVerification
                        ? tr("Added %1; verifies you with a PIN or fingerprint").arg(added)
                        : tr("Added %1").arg(added));
                if (credential.credentialId == current)
                    m_passkeyList->setCurrentItem(item);
            }
        }
    }
    const bool online =
        profile && m_states.value(profile->gatewayId) == GatewayClient::State::Online;
    const bool accepts = context != m_passkeys.end();
    const bool idle = m_registering.isEmpty();
    m_addPasskey->setEnabled(online && accepts && idle
                             && context->credentials.size() < PasskeyContext::maxCredentials);
    m_removePasskey->setEnabled(online && idle && m_passkeyList->currentItem() != nullptr);
    if (!idle)
        return;
    // The line follows the state: a hint of an earlier state is replaced
    // (or cleared), while a result the person has not read yet ("added",
    // "stopped", a failure) stays until the next hint has something to say.
    QString hint;
    if (profile && !online)
        hint = tr("Connect to the gateway to add or remove security keys.");
    else if (profile && !accepts)
        hint = tr("This gateway does not accept security keys.");
    else if (profile && context->credentials.isEmpty())
        hint = tr("No security key is registered here yet. Insert one, name it and click Add "
                  "security key….");
    const bool showingHint =
        !m_passkeyHint.isEmpty() && m_passkeyPanel->statusText() == m_passkeyHint;
    if (!hint.isEmpty()) {
        // A new state, or nothing else to read: the hint.
        if (hint != m_passkeyHint || showingHint || m_passkeyPanel->statusText().isEmpty())
            m_passkeyPanel->showIdle(hint);
        m_passkeyHint = hint;
    } else {
        if (showingHint)
            m_passkeyPanel->showIdle(QString());
        m_passkeyHint.clear();
    }
}

void SettingsDialog::updateGatewayDetails()
{
    updatePasskeys();
    const auto profile = selectedGateway();
    const bool busy = !m_unpairing.isEmpty();
    m_unpair->setEnabled(profile.has_value() && !busy);
    m_rename->setEnabled(profile.has_value() && !busy);
    m_details->setVisible(profile.has_value());
    if (!profile)
        return;
    QString fingerprint;
    if (const auto key = EcPublicKey::fromJwk(profile->gatewayKey))
        fingerprint = PairingDialogText::groupedFingerprint(key->thumbprint());
    m_detailAddress->setText(wrappableText(shown(profile->baseUrl.toDisplayString())));
    m_detailFingerprint->setText(fingerprint);
    // The name it was paired under, as the gateway lists it; the id only
    // for records from before names were kept.
    m_detailDevice->setText(wrappableText(
        shown(profile->deviceName.isEmpty() ? profile->deviceId : profile->deviceName)));
    m_detailDevice->setToolTip(tr("Device id at the gateway: %1").arg(shown(profile->deviceId)));
    m_detailPin->setText(PairingDialogText::groupedFingerprint(profile->spkiPin));
    if (auto *form = qobject_cast<QFormLayout *>(m_details->layout()))
        form->setRowVisible(m_detailPin, !profile->spkiPin.isEmpty());
}

QString SettingsDialog::stateText(const QString &gatewayId) const
{
    if (!m_states.contains(gatewayId))
        return tr("Not connected");
    switch (m_states.value(gatewayId)) {
    case GatewayClient::State::Offline:
        return tr("Offline");
    case GatewayClient::State::Connecting:
        return tr("Connecting…");
    case GatewayClient::State::Online:
        return tr("Connected");
    case GatewayClient::State::Refused:
        return tr("Refused this computer");
    case GatewayClient::State::Revoked:
        return tr("Revoked: unpair, then pair again");
    }
    return tr("Not connected");
}

void SettingsDialog::setGatewayState(const QString &gatewayId, GatewayClient::State state)
{
    m_states.insert(gatewayId, state);
    updatePasskeys();
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_list->topLevelItem(i);
        if (item->data(NameColumn, Qt::UserRole).toString() != gatewayId)
            continue;
        const QSignalBlocker blocker(m_list);
        if (item->text(StateColumn) != stateText(gatewayId))
            item->setText(StateColumn, stateText(gatewayId));
        setRowIcon(item, state == GatewayClient::State::Online);
    }
}

void SettingsDialog::onAutostartToggled(bool enabled)
{
    const Status changed = m_autostart->setEnabled(enabled);
    if (changed) {
        m_autostartError->hide();
        return;
    }
    {
        const QSignalBlocker blocker(m_startAtLogin);
        m_startAtLogin->setChecked(m_autostart->isEnabled());
    }
    m_autostartError->setText(
        enabled ? tr("Could not turn on starting at login: %1").arg(changed.error().message)
                : tr("Could not turn off starting at login: %1").arg(changed.error().message));
    m_autostartError->show();
}

void SettingsDialog::onDeviceNameEdited()
{
    const QString name = m_deviceName->text().trimmed();
    if (const auto problem = CompanionSettings::deviceNameProblem(name);
        problem && !problem->isEmpty()) {
        m_deviceNameError->setText(*problem);
        m_deviceNameError->show();
        return;
    }
    m_deviceNameError->hide();
    if (m_settings.setChosenDeviceName(name))
        Q_EMIT defaultDeviceNameChanged(m_settings.defaultDeviceName());
}

void SettingsDialog::onItemChanged(QTreeWidgetItem *item, int column)
{
    if (m_reloading || column != NameColumn)
        return;
    const QString id = item->data(NameColumn, Qt::UserRole).toString();
    auto profile = m_gateways.find(id);
    if (!profile)
        return;
    const QString name = item->text(NameColumn).trimmed();
    if (name.isEmpty() || name.size() > maxGatewayNameLength || !isDisplaySafe(name)) {
        showGatewayMessage(tr("A gateway's name is 1 to 64 ordinary characters."), true);
        // The old name comes back once the editor has closed.
        QMetaObject::invokeMethod(this, &SettingsDialog::reloadGateways, Qt::QueuedConnection);
        return;
    }
    if (name == profile->name)
        return;
    profile->name = name;
    if (const Status saved = m_gateways.save(*profile); !saved) {
        showGatewayMessage(tr("Could not rename: %1").arg(saved.error().message), true);
        QMetaObject::invokeMethod(this, &SettingsDialog::reloadGateways, Qt::QueuedConnection);
        return;
    }
    m_gatewayMessage->hide();
    Q_EMIT gatewayRenamed(id, name);
}

void SettingsDialog::onUnpairClicked()
{
    const auto profile = selectedGateway();
    if (!profile || !m_unpairing.isEmpty() || m_confirm)
        return;
    // Window-modal and asynchronous (open, not exec): the person answers in
    // their own time and tests can answer it too.
    const Confirmation asked = makeConfirmation(
        {tr("Unpair %1?").arg(shown(profile->name)), tr("Unpair %1?").arg(shown(profile->name)),
         tr("This computer's key for the gateway is deleted from the keychain and the gateway is "
            "forgotten: its requests will no longer reach you here. The gateway still lists this "
            "computer until its administrator revokes it. To use it again, pair with a new link."),
         tr("&Unpair")},
        QStringLiteral("unpairConfirmation"), QStringLiteral("confirmUnpairButton"),
        QStringLiteral("cancelUnpairButton"), this);
    m_confirm = asked.box;
    QPushButton *confirm = asked.action;
    connect(m_confirm, &QMessageBox::buttonClicked, this,
            [this, confirm, profile = *profile](QAbstractButton *button) {
                if (button == confirm)
                    unpair(profile);
            });
    m_confirm->open();
}

void SettingsDialog::unpair(const GatewayProfile &profile)
{
    m_unpairing = profile.gatewayId;
    updateGatewayDetails();
    showGatewayMessage(tr("Unpairing %1…").arg(shown(profile.name)), false);
    m_gateways.unpair(profile.gatewayId, this, [this, profile](const Status &done) {
        m_unpairing.clear();
        if (!done) {
            showGatewayMessage(
                tr("Could not unpair %1: %2").arg(shown(profile.name), shown(done.error().message)),
                true);
            updateGatewayDetails();
            return;
        }
        m_states.remove(profile.gatewayId);
        showGatewayMessage(tr("Unpaired %1.").arg(shown(profile.name)), false);
        reloadGateways();
        Q_EMIT unpaired(profile.gatewayId);
    });
}

void SettingsDialog::showGatewayMessage(const QString &text, bool problem)
{
    m_gatewayMessage->setText(text);
    setForeground(m_gatewayMessage,
                  problem ? problemColour() : palette().color(QPalette::WindowText));
    m_gatewayMessage->show();
    QAccessibleEvent event(m_gatewayMessage, QAccessible::Alert);
    QAccessible::updateAccessibility(&event);
}

} // namespace countersign
