#include "passkeypanel.h"

#include "plainlabel.h"
#include "ui/plainbutton.h"
#include "ui/uistyle.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace countersign {

PasskeyPanel::PasskeyPanel(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("passkeyPanel"));
    auto *column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(6);

    auto *statusRow = new QHBoxLayout;
    m_status = new PlainLabel(QString(), this);
    m_status->setObjectName(QStringLiteral("passkeyStatusLabel"));
    m_status->setWordWrap(true);
    // Read out as it changes ("touch your key" must reach a screen reader
    // user in time).
    m_status->setAccessibleName(tr("Security key status"));
    statusRow->addWidget(m_status, 1);
    m_stop = makePlainButton(tr("S&top"), QStringLiteral("passkeyStopButton"), this);
    m_stop->setToolTip(tr("Stop waiting for the security key"));
    m_stop->hide();
    connect(m_stop, &QPushButton::clicked, this, &PasskeyPanel::stopRequested);
    statusRow->addWidget(m_stop);
    column->addLayout(statusRow);

    m_pinRow = new QWidget(this);
    auto *pinLayout = new QHBoxLayout(m_pinRow);
    pinLayout->setContentsMargins(0, 0, 0, 0);
    auto *pinLabel = new PlainLabel(tr("Security key &PIN:"), m_pinRow);
    m_pin = new QLineEdit(m_pinRow);
    m_pin->setObjectName(QStringLiteral("passkeyPinEdit"));
    m_pin->setEchoMode(QLineEdit::Password);
    m_pin->setMaxLength(maxPinLength);
    m_pin->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhNoPredictiveText | Qt::ImhSensitiveData);
    pinLabel->setBuddy(m_pin);
    m_continue = makePlainButton(tr("C&ontinue"), QStringLiteral("passkeyPinButton"), m_pinRow);
    m_continue->setEnabled(false);
    // CTAP2 PINs are at least 4 characters.
    connect(m_pin, &QLineEdit::textChanged, this,
            [this](const QString &text) { m_continue->setEnabled(text.size() >= 4); });
    connect(m_continue, &QPushButton::clicked, this, [this] {
        const QString pin = m_pin->text();
        m_pin->clear();
        hidePin();
        Q_EMIT pinEntered(pin);
    });
    pinLayout->addWidget(pinLabel);
    pinLayout->addWidget(m_pin, 1);
    pinLayout->addWidget(m_continue);
    m_pinRow->hide();
    column->addWidget(m_pinRow);

    m_keyRow = new QWidget(this);
    auto *keyLayout = new QHBoxLayout(m_keyRow);
    keyLayout->setContentsMargins(0, 0, 0, 0);
    auto *keyLabel = new PlainLabel(tr("Security &key:"), m_keyRow);
    m_keys = new QComboBox(m_keyRow);
    m_keys->setObjectName(QStringLiteral("passkeyDeviceCombo"));
    keyLabel->setBuddy(m_keys);
    auto *useKey =
        makePlainButton(tr("&Use this key"), QStringLiteral("passkeyDeviceButton"), m_keyRow);
    connect(useKey, &QPushButton::clicked, this, [this] {
        const QString id = m_keys->currentData().toString();
        if (id.isEmpty())
            return;
        m_keyRow->hide();
        Q_EMIT keyChosen(id);
    });
    keyLayout->addWidget(keyLabel);
    keyLayout->addWidget(m_keys, 1);
    keyLayout->addWidget(useKey);
    m_keyRow->hide();
    column->addWidget(m_keyRow);
}

void PasskeyPanel::hideChoices()
{
    m_pinRow->hide();
    m_keyRow->hide();
}

void PasskeyPanel::showKeyChoice(const QList<AuthenticatorDevice> &devices)
{
    m_keys->clear();
    for (const AuthenticatorDevice &device : devices) {
        // What the key says it is, plus where it is plugged in: two keys of
        // the same model still differ.
        QString name = device.product.isEmpty() ? tr("Security key") : device.product;
        if (!device.manufacturer.isEmpty() && !name.contains(device.manufacturer))
            name = device.manufacturer + u' ' + name;
        m_keys->addItem(name.left(64) + QStringLiteral(" (") + device.id.left(64) + u')',
                        device.id);
    }
    m_pinRow->hide();
    setStatus(stateText(Authenticator::State::ChooseKey), false);
    m_keyRow->setVisible(!devices.isEmpty());
    m_stop->show();
    m_keys->setFocus();
}

PasskeyPanel::~PasskeyPanel() = default;

QString PasskeyPanel::stateText(Authenticator::State state)
{
    using State = Authenticator::State;
    switch (state) {
    case State::Idle:
    case State::Done:
        return {};
    case State::NoKey:
    case State::InsertKey:
        return tr("Insert your security key.");
    case State::ChooseKey:
        return tr("Several security keys are connected: choose the one to use.");
    case State::PinNeeded:
        return tr("Enter your security key's PIN.");
    case State::PinWrong:
        return tr("That PIN was wrong. Enter it again.");
    case State::TouchKey:
        return tr("Touch your security key now.");
    case State::PinBlocked:
        return tr("The key's PIN is blocked after too many wrong tries. Reset the key with its "
                  "maker's tool (this erases its passkeys), or approve with another method.");
    case State::Timeout:
        return tr("The key was not touched in time. Press Approve to try again.");
    case State::Cancelled:
        return tr("Stopped. Press Approve to use the key again.");
    case State::Refused:
        return tr("The key declined. Press Approve to try again.");
    case State::NotRegistered:
        return tr("This key is not registered with this gateway. Use the key you registered, or "
                  "register this one in Settings.");
    case State::AlreadyRegistered:
        return tr("This key is already registered with this gateway.");
    case State::UnsupportedAlgorithm:
        return tr("This key cannot make the kind of passkey Countersign uses (ES256). Use another "
                  "key.");
    case State::VerificationUnavailable:
        return tr("This request needs the key to verify you (a PIN or fingerprint), and this key "
                  "has neither set up. Set a PIN with the key maker's tool, or use another key.");
    case State::KeyRemoved:
        return tr("The key was removed. Insert it and press Approve again.");
    case State::Failed:
        return tr("The security key did not answer as expected.");
    }
    return {};
}

void PasskeyPanel::setStatus(const QString &text, bool problem)
{
    m_status->setText(text);
    setForeground(m_status,
                  problem ? problemColour() : this->palette().color(QPalette::WindowText));
    m_status->setVisible(!text.isEmpty());
}

void PasskeyPanel::hidePin()
{
    m_pinRow->hide();
}

void PasskeyPanel::showIdle(const QString &hint)
{
    hideChoices();
    m_stop->hide();
    setStatus(hint, false);
}

void PasskeyPanel::showState(Authenticator::State state)
{
    if (state != Authenticator::State::PinNeeded && state != Authenticator::State::PinWrong)
        hidePin();
    if (state != Authenticator::State::ChooseKey)
        m_keyRow->hide();
    m_stop->setVisible(!Authenticator::isFailure(state) && state != Authenticator::State::Idle
                       && state != Authenticator::State::Done);
    setStatus(stateText(state), state == Authenticator::State::PinWrong);
}

void PasskeyPanel::showFailure(Authenticator::State state, const QString &detail)
{
    hideChoices();
    m_stop->hide();
    QString text = stateText(state);
    // libfido2's own words help a person searching for the problem; they
    // come after ours.
    if (state == Authenticator::State::Failed && !detail.isEmpty())
        text += u' ' + detail;
    setStatus(text, true);
}

void PasskeyPanel::askForPin(int retriesLeft, bool wrongBefore)
{
    QString text = wrongBefore ? stateText(Authenticator::State::PinWrong)
                               : stateText(Authenticator::State::PinNeeded);
    if (retriesLeft >= 0)
        text += u' ' + tr("%n tries left before the key locks.", nullptr, retriesLeft);
    setStatus(text, wrongBefore);
    m_pinRow->show();
    m_stop->show();
    m_pin->setFocus();
}

QString PasskeyPanel::statusText() const
{
    return m_status->isVisible() ? m_status->text() : QString();
}

} // namespace countersign
