#include "companioncontroller.h"

#include "ui/approvaldialog.h"

namespace countersign {

CompanionController::CompanionController(Companion &companion, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_companion(companion)
    , m_clock(clock)
{
    connect(&m_companion, &Companion::requestChanged, this, &CompanionController::onRequestChanged);
    connect(&m_companion, &Companion::openRequested, this, [this](const RequestKey &request) {
        openApproval(request.gatewayId, request.requestId);
    });
    connect(&m_companion, &Companion::summaryChanged, this, &CompanionController::emitSummary);
}

CompanionController::~CompanionController()
{
    for (const auto &dialog : std::as_const(m_dialogs)) {
        if (dialog)
            dialog->deleteLater();
    }
}

ApprovalDialog *CompanionController::dialog(const RequestKey &request) const
{
    return m_dialogs.value(request).data();
}

void CompanionController::onRequestChanged(const RequestKey &request, const RequestEvent &event)
{
    using Kind = RequestEvent::Kind;
    if (event.kind == Kind::Arrived) {
        presentApproval(request.gatewayId, request.requestId);
        return;
    }
    // It is gone from the inbox: its dialog too.
    ApprovalDialog *open =
        event.kind == Kind::Resolved ? m_dialogs.take(request).data() : dialog(request);
    if (!open)
        return;
    switch (event.kind) {
    case Kind::Arrived:
        break;
    case Kind::Accepted:
        open->showAccepted(event.outcome);
        break;
    case Kind::Resolved:
        open->showResolved(event.outcome);
        break;
    case Kind::NotDelivered:
        open->showNotDelivered();
        break;
    case Kind::CodeRejected:
        open->showCodeRejected(event.attemptsLeft);
        break;
    case Kind::Locked:
        open->showLocked();
        break;
    case Kind::PasskeyRefused:
        open->showPasskeyRefused(event.message);
        break;
    case Kind::AgentWaiting:
        open->showAgentWaiting(event.agentWaiting);
        break;
    case Kind::KeyState:
    case Kind::KeyPinNeeded:
    case Kind::KeySent:
    case Kind::KeyFailed:
        showKeyEvent(*open, event);
        break;
    }
}

void CompanionController::showKeyEvent(ApprovalDialog &open, const RequestEvent &event)
{
    switch (event.kind) {
    case RequestEvent::Kind::KeyState:
        if (event.keyState == Authenticator::State::ChooseKey && m_companion.authenticator())
            open.askForKey(m_companion.authenticator()->devices());
        else
            open.showPasskeyState(event.keyState);
        break;
    case RequestEvent::Kind::KeyPinNeeded:
        open.askForPin(event.pinRetries);
        break;
    case RequestEvent::Kind::KeySent:
        open.showPasskeySent();
        break;
    case RequestEvent::Kind::KeyFailed:
        open.passkeyFailed(event.keyState, event.message);
        break;
    default:
        break;
    }
}

ApprovalDialog *CompanionController::ensureDialog(const RequestKey &request)
{
    if (ApprovalDialog *open = dialog(request))
        return open;
    const auto approval = m_companion.find(request);
    if (!approval || !m_companion.client(request.gatewayId))
        return nullptr;
    auto *dialog = new ApprovalDialog(approval->request, approval->gatewayName,
                                      m_companion.methodsFor(*approval), m_clock);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialogs.insert(request, dialog);
    connectDialog(dialog, request);
    if (!m_companion.isAgentWaiting(request))
        dialog->showAgentWaiting(false);
    // The notification stays while the dialog waits unseen (it never takes
    // the keyboard, so it may sit behind other windows or a locked screen):
    // it goes once the person switches to the dialog, or the request ends.
    Companion *companion = &m_companion;
    connect(dialog, &ApprovalDialog::seen, companion,
            [companion, request] { companion->withdrawNotification(request); });
    return dialog;
}

void CompanionController::connectDialog(ApprovalDialog *dialog, const RequestKey &request)
{
    Companion *companion = &m_companion;
    connect(
        dialog, &ApprovalDialog::approveWithTotp, companion,
        [companion, request](const QString &code) { companion->approveWithCode(request, code); });
    connect(dialog, &ApprovalDialog::approveWithPasskey, companion,
            [companion, request] { companion->approveWithPasskey(request); });
    connect(dialog, &ApprovalDialog::passkeyPinEntered, companion,
            [companion, request](const QString &pin) { companion->setPasskeyPin(request, pin); });
    connect(dialog, &ApprovalDialog::passkeyKeyChosen, companion,
            [companion, request](const QString &deviceId) {
                companion->choosePasskeyDevice(request, deviceId);
            });
    // Stop, Escape or the dialog going away: the key stops waiting (deny
    // stops it too, in the Companion).
    const auto stopKey = [companion, request] { companion->stopPasskey(request); };
    connect(dialog, &ApprovalDialog::passkeyStopped, companion, stopKey);
    connect(dialog, &ApprovalDialog::dismissed, companion, stopKey);
    connect(dialog, &QObject::destroyed, companion,
            [companion, request] { companion->abandonPasskey(request); });
    connect(dialog, &ApprovalDialog::denied, companion,
            [companion, request](const QString &reason) { companion->deny(request, reason); });
}

void CompanionController::openApproval(const QString &gatewayId, const QString &requestId)
{
    ApprovalDialog *dialog = ensureDialog({gatewayId, requestId});
    if (!dialog)
        return;
    // The person asked for it: bring it forward with the keyboard; its
    // notification has done its job.
    m_companion.withdrawNotification({gatewayId, requestId});
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
}

void CompanionController::presentApproval(const QString &gatewayId, const QString &requestId)
{
    if (ApprovalDialog *dialog = ensureDialog({gatewayId, requestId}))
        dialog->present();
}

void CompanionController::emitSummary()
{
    Q_EMIT summaryChanged(summary());
}

TrayIconState CompanionController::summary() const
{
    const CompanionSummary summary = m_companion.summary();
    TrayIconState state;
    state.pairedGateways = summary.pairedGateways;
    state.connectedGateways = summary.connectedGateways;
    for (const GatewaySummary &gateway : summary.gateways)
        state.gateways.append(TrayGatewayItem{gateway.name, gateway.online});
    for (const PendingApproval &approval : summary.pending) {
        const Sarc &sarc = approval.request.request.sarc;
        state.pending.append(TrayPendingItem{approval.gatewayId(), approval.requestId(),
                                             approval.gatewayName, sarc.subject.agent,
                                             sarc.action.name});
    }
    return state;
}

} // namespace countersign
