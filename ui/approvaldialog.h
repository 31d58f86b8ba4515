#pragma once

#include "app/approvaloutcome.h"
#include "app/authenticator.h"
#include "protocol/clock.h"
#include "protocol/messages/approvalmethod.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"

#include <chrono>

#include <QDialog>
#include <QList>
#include <QString>
#include <QTimer>

class QLineEdit;
class QPushButton;
class QRadioButton;
class QWidget;

namespace countersign {

class BindingCodePicker;
class PlainLabel;
class PasskeyPanel;
class RequestDetails;

// The decision a person makes about one pending request: what the signed
// request says (Subject, Action, Resource, gateway-verified Context, and the
// agent's own unverified words set apart), the binding code to match against
// the agent's conversation, then the approval method; or deny.
//
// The dialog only reports intent (approveWithTotp, approveWithPasskey,
// denied, dismissed, expired); the owner runs the security key, signs and
// sends the proof, and feeds the key's progress and the gateway's answer
// back through the slots. When the request allows both methods the person
// chooses between them; the first of `methods` is chosen at first. Safety rules it keeps on its
// own: no button is ever default and Enter never approves; Approve needs the matching code and a
// complete TOTP code; it shows without taking focus from what the person is typing elsewhere; it
// closes at expiry; remote text is always plain and display-safe.
//
// The dialog hides itself when done (finished() is emitted); the owner
// deletes it (deleteLater). Each signal is the last thing its handler does,
// so deleting the dialog in a slot is safe. `clock` must outlive it.
class ApprovalDialog : public QDialog {
    Q_OBJECT

public:
    // The denial reason sent when the person picks a code that is not this
    // request's: the request may not be the one their agent started.
    static inline const QString bindingCodeMismatchReason =
        ApprovalProof::bindingCodeMismatchReason;
    // docs/protocol.md section 4: a denial reason is at most 500 characters.
    static constexpr int maxDenyReasonLength = 500;
    static constexpr int totpDigits = 6;
    // The countdown is re-read from the clock this often; the text only
    // changes once a second, but a coarse timer could show a stale second
    // for a while.
    static constexpr std::chrono::milliseconds countdownInterval{250};
    // Approve stays disabled this long after the dialog appears or its
    // layout changes: longer than a double click (400 ms by default), so
    // the second click of a double click elsewhere, or a click aimed at a
    // button that just moved, cannot land on Approve. Firefox's security
    // dialogs hold their accept button back the same way.
    static constexpr std::chrono::milliseconds approveHoldBack{600};
    // How long the outcome (Approved, Denied, Expired, decided elsewhere)
    // stays in the dialog before it closes by itself; Close or Escape end it
    // sooner. Outcomes the person must act on (a code that did not match, a
    // locked request) stay until closed.
    static constexpr std::chrono::milliseconds outcomeShownFor{4000};

    // `methods`: what the owner can carry out for this gateway; the dialog
    // offers those the request allows and it supports (see
    // offeredMethods()).
    ApprovalDialog(VerifiedApprovalRequest request, QString gatewayName,
                   QList<ApprovalMethod> methods, const Clock &clock, QWidget *parent = nullptr);
    ~ApprovalDialog() override;

    // The methods this dialog can carry out, in their default order.
    static QList<ApprovalMethod> supportedMethods();

    const VerifiedApprovalRequest &request() const;
    QList<ApprovalMethod> offeredMethods() const;
    // Whether Approve is being held back after the dialog appeared or moved
    // (approveHoldBack).
    bool isApproveHeldBack() const;

public Q_SLOTS:
    // Shows and raises the dialog without activating it: a request arriving
    // must not take the keyboard from whatever the person is typing. Does
    // nothing once the request has expired or the dialog is done.
    void present();

    // The gateway refused the TOTP code (invalid_code): say so and let the
    // person try again. At zero attempts left this is showLocked().
    void showCodeRejected(int attemptsLeft);
    // The gateway locked the request after too many wrong codes.
    void showLocked();
    // The answer could not be delivered (no connection): nothing was decided,
    // the person may try again.
    void showNotDelivered();

    // Passkeys: the key's progress while approveWithPasskey() runs, and its
    // ending. passkeyFailed leaves the person free to press Approve again.
    void showPasskeyState(countersign::Authenticator::State state);
    void askForPin(int retriesLeft);
    void askForKey(const QList<countersign::AuthenticatorDevice> &devices);
    void passkeyFailed(countersign::Authenticator::State state, const QString &message);
    // The assertion is made and sent: wait for the gateway like for a code.
    void showPasskeySent();
    // The gateway refused the passkey evidence (invalid_evidence): say why.
    void showPasskeyRefused(const QString &message);
    // Whether the agent behind the request still waits for the answer. While
    // it does not, a notice says that approving runs nothing until the
    // agent calls again (the request itself stays answerable).
    void showAgentWaiting(bool waiting);
    // The gateway accepted this device's answer: show the outcome for a
    // moment (outcomeShownFor), then close. No signal.
    void showAccepted(countersign::ApprovalOutcome outcome);
    // The request is no longer pending (decided on another device, expired,
    // cancelled, or this device's own answer): show how it ended for a
    // moment, then close. No signal.
    void showResolved(countersign::ApprovalOutcome outcome);

    // Escape and the window's close button: close without deciding. The
    // request stays pending at the gateway; emits dismissed() unless the
    // request is already settled.
    void reject() override;

Q_SIGNALS:
    void approveWithTotp(const QString &code);
    // Approve was pressed with the security key chosen: the owner starts the
    // key (and cancels it on passkeyStopped, deny or close).
    void approveWithPasskey();
    void passkeyPinEntered(const QString &pin);
    void passkeyStopped();
    void passkeyKeyChosen(const QString &deviceId);
    void denied(const QString &reason);
    void dismissed();
    void expired();
    // The dialog became the active window for the first time: the person
    // switched to it (it never activates itself), so it has their attention
    // and its notification can go.
    void seen();

private:
    enum class State {
        ChoosingCode, // binding code not picked yet
        EnteringCode, // matching code picked; TOTP entry or the key's Approve open
        UsingKey,     // the security key is working (touch, PIN)
        Checking,     // approval sent, waiting for the gateway
        Denying,      // denial sent, waiting for the gateway
        Settled,      // it ended (outcome shown, denied by mismatch, locked): only Close is left
        Closed,       // done; no more signals
    };
    // What this dialog answered, to tell "Approved" from "approved on
    // another device".
    enum class Answer { None, Approve, Deny };
    enum class Tone { Neutral, Success, Problem };

    QWidget *buildHeader();
    QWidget *buildSteps();
    QWidget *buildFooter();
    void setUpTabOrder();

    void onCodePicked(const QString &code);
    void onApproveClicked();
    void onDenyClicked();
    void refreshCountdown();
    void showTimeLeft(qint64 left);
    qint64 secondsLeft() const;
    void updateApproveEnabled();
    void chooseMethod(ApprovalMethod method);
    void settle(const QString &message, Tone tone = Tone::Problem);
    void showOutcome(ApprovalOutcome outcome);
    void closeQuietly();
    void fitDetailsHeight();
    void holdBackApprove();
    void showStatus(const QString &text, Tone tone);
    QString outcomeText(ApprovalOutcome outcome) const;

    void showEvent(QShowEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

    static bool isSupported(ApprovalMethod method);
    static QString timeLeftText(qint64 seconds);

    VerifiedApprovalRequest m_request;
    QString m_gatewayName;
    QList<ApprovalMethod> m_offered;
    const Clock &m_clock;
    State m_state = State::ChoosingCode;
    State m_stateBeforeDenying = State::ChoosingCode;
    Answer m_answer = Answer::None;
    bool m_seen = false;
    QTimer m_countdownTimer;
    QTimer m_approveHoldBack;
    QTimer m_outcomeTimer;

    PlainLabel *m_countdown = nullptr;
    RequestDetails *m_details = nullptr;
    QWidget *m_steps = nullptr;
    QWidget *m_technical = nullptr;
    BindingCodePicker *m_picker = nullptr;
    QLineEdit *m_totpCode = nullptr;
    PlainLabel *m_totpHint = nullptr;
    PlainLabel *m_agentGoneNotice = nullptr;
    ApprovalMethod m_method = ApprovalMethod::Totp;
    QWidget *m_methodChoice = nullptr;
    QRadioButton *m_passkeyChoice = nullptr;
    QRadioButton *m_totpChoice = nullptr;
    QWidget *m_totpStep = nullptr;
    PasskeyPanel *m_passkeyPanel = nullptr;
    bool m_pinAsked = false; // a PIN was asked for in this use of the key
    PlainLabel *m_status = nullptr;
    QLineEdit *m_denyReason = nullptr;
    QPushButton *m_approve = nullptr;
    QPushButton *m_deny = nullptr;
    QPushButton *m_close = nullptr;
};

} // namespace countersign
