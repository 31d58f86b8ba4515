#pragma once

#include "protocol/clock.h"
#include "protocol/messages/approvalmethod.h"
#include "protocol/messages/approvalrequest.h"

#include <QDialog>
#include <QList>
#include <QString>
#include <QTimer>

class QLineEdit;
class QPushButton;
class QWidget;

namespace countersign {

class BindingCodePicker;
class PlainLabel;
class RequestDetails;

// The decision a person makes about one pending request: what the signed
// request says (Subject, Action, Resource, gateway-verified Context, and the
// agent's own unverified words set apart), the binding code to match against
// the agent's conversation, then the approval method; or deny.
//
// The dialog only reports intent (approveWithTotp, denied, dismissed,
// expired); the owner signs and sends the proof and feeds the gateway's
// answer back through the slots. Safety rules it keeps on its own: no button
// is ever default and Enter never approves; Approve needs the matching code
// and a complete TOTP code; it shows without taking focus from what the
// person is typing elsewhere; it closes at expiry; remote text is always
// plain and display-safe.
//
// The dialog hides itself when done (finished() is emitted); the owner
// deletes it (deleteLater). Each signal is the last thing its handler does,
// so deleting the dialog in a slot is safe. `clock` must outlive it.
class ApprovalDialog : public QDialog {
    Q_OBJECT

public:
    // The denial reason sent when the person picks a code that is not this
    // request's: the request may not be the one their agent started.
    static inline const QString bindingCodeMismatchReason = QStringLiteral("binding_code_mismatch");
    // docs/protocol.md section 4: a denial reason is at most 500 characters.
    static constexpr int maxDenyReasonLength = 500;
    static constexpr int totpDigits = 6;

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
    // The request was decided, expired or cancelled elsewhere (another
    // device, or this one's own answer was accepted): close without a signal.
    void markResolvedElsewhere();

    // Escape and the window's close button: close without deciding. The
    // request stays pending at the gateway; emits dismissed() unless the
    // request is already settled.
    void reject() override;

Q_SIGNALS:
    void approveWithTotp(const QString &code);
    void denied(const QString &reason);
    void dismissed();
    void expired();

private:
    enum class State {
        ChoosingCode, // binding code not picked yet
        EnteringCode, // matching code picked; TOTP entry open
        Checking,     // approval sent, waiting for the gateway
        Settled,      // denied here (mismatch) or locked: only Close is left
        Closed,       // done; no more signals
    };

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
    void settle(const QString &message);
    void closeQuietly();
    void fitDetailsHeight();
    void showStatus(const QString &text, bool problem);

    static bool isSupported(ApprovalMethod method);
    static QString timeLeftText(qint64 seconds);

    VerifiedApprovalRequest m_request;
    QString m_gatewayName;
    QList<ApprovalMethod> m_offered;
    const Clock &m_clock;
    State m_state = State::ChoosingCode;
    QTimer m_countdownTimer;

    PlainLabel *m_countdown = nullptr;
    RequestDetails *m_details = nullptr;
    BindingCodePicker *m_picker = nullptr;
    QLineEdit *m_totpCode = nullptr;
    PlainLabel *m_status = nullptr;
    QLineEdit *m_denyReason = nullptr;
    QPushButton *m_approve = nullptr;
    QPushButton *m_deny = nullptr;
    QPushButton *m_close = nullptr;
};

} // namespace countersign
