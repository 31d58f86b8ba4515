#pragma once

#include "app/authenticator.h"

#include <QWidget>

class QComboBox;
class QLineEdit;
class QPushButton;

namespace countersign {

class PlainLabel;

// The passkey step of the approval dialog: what the security key needs from
// the person right now (insert it, enter its PIN, touch it) and what went
// wrong, in words that say what to do next. It shows; the dialog decides:
// the PIN goes out with pinEntered() and "Stop" with stopRequested().
//
// Its buttons are never default, so Enter in the PIN field does nothing: the
// person presses Continue.
class PasskeyPanel : public QWidget {
    Q_OBJECT

public:
    static constexpr int maxPinLength = 63; // CTAP2: at most 63 bytes

    explicit PasskeyPanel(QWidget *parent = nullptr);
    ~PasskeyPanel() override;

    // Words for a state of the key (empty for Idle/Done).
    static QString stateText(Authenticator::State state);

    // Idle: the key is not in use (before Approve, after an ending).
    void showIdle(const QString &hint);
    // The key's progress while an operation runs.
    void showState(Authenticator::State state);
    // An ending that failed: the message says what to do; Approve may be
    // pressed again.
    void showFailure(Authenticator::State state, const QString &detail);
    // The key wants its PIN. retriesLeft -1: unknown.
    void askForPin(int retriesLeft, bool wrongBefore);
    // Several keys are connected: let the person say which one to use.
    void showKeyChoice(const QList<countersign::AuthenticatorDevice> &devices);

    QString statusText() const;

Q_SIGNALS:
    void pinEntered(const QString &pin);
    void stopRequested();
    void keyChosen(const QString &deviceId);

private:
    void setStatus(const QString &text, bool problem);
    void hidePin();
    void hideChoices();

    PlainLabel *m_status = nullptr;
    QWidget *m_pinRow = nullptr;
    QLineEdit *m_pin = nullptr;
    QPushButton *m_continue = nullptr;
    QPushButton *m_stop = nullptr;
    QWidget *m_keyRow = nullptr;
    QComboBox *m_keys = nullptr;
};

} // namespace countersign
