#include "companioncontroller.h"

#include "ui/approvaldialog.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcCompanion, "countersign.ui.companion")

namespace countersign {

namespace {

QString titleOf(const VerifiedApprovalRequest &request)
{
    const Sarc &sarc = request.request.sarc;
    return CompanionController::tr("%1 wants to run %2")
        .arg(sarc.subject.agent.left(64), sarc.action.name.left(64));
}

} // namespace

CompanionController::CompanionController(PairedGateways &gateways, SecretStore &secrets,
                                         History &history, Notifier *notifier, const Clock &clock,
                                         QObject *parent)
    : QObject(parent)
    , m_gateways(gateways)
    , m_secrets(secrets)
    , m_history(history)
    , m_notifier(notifier)
    , m_clock(clock)
    , m_inbox(clock)
{
    connect(&m_inbox, &ApprovalInbox::added, this, &CompanionController::onAdded);
    connect(&m_inbox, &ApprovalInbox::removed, this, &CompanionController::onRemoved);
    connect(&m_inbox, &ApprovalInbox::countChanged, this, &CompanionController::emitSummary);
    connect(&m_gateways, &PairedGateways::changed, this, &CompanionController::syncClients);
    if (m_notifier) {
        connect(m_notifier, &Notifier::activated, this, [this](const QString &id) {
            const qsizetype slash = id.lastIndexOf(u'\n');
            if (slash > 0)
                openApproval(id.left(slash), id.mid(slash + 1));
        });
    }
}

CompanionController::~CompanionController()
{
    for (const auto &dialog : std::as_const(m_dialogs)) {
        if (dialog)
            dialog->deleteLater();
    }
    // Clients go before the inbox that watches them.
    for (auto &[id, client] : m_clients)
        m_inbox.removeClient(client.get());
    m_clients.clear();
}

QString CompanionController::key(const QString &gatewayId, const QString &requestId)
{
    return gatewayId + u'\n' + requestId;
}

void CompanionController::start()
{
    syncClients();
    emitSummary();
}

GatewayClient *CompanionController::client(const QString &gatewayId) const
{
    const auto found = m_clients.find(gatewayId);
    return found == m_clients.end() ? nullptr : found->second.get();
}

QList<GatewayClient *> CompanionController::clients() const
{
    QList<GatewayClient *> all;
    for (const auto &[id, client] : m_clients)
        all.append(client.get());
    return all;
}

ApprovalDialog *CompanionController::dialog(const QString &gatewayId,
                                            const QString &requestId) const
{
    return m_dialogs.value(key(gatewayId, requestId)).data();
}

void CompanionController::syncClients()
{
    const QList<GatewayProfile> profiles = m_gateways.all();
    QStringList paired;
    for (const GatewayProfile &profile : profiles)
        paired.append(profile.gatewayId);
    // Unpaired: stop talking to it and drop what it had pending.
    for (auto it = m_clients.begin(); it != m_clients.end();) {
        if (paired.contains(it->first)) {
            ++it;
            continue;
        }
        m_inbox.removeClient(it->second.get());
        m_inbox.removeGateway(it->first);
        it = m_clients.erase(it);
    }
    for (const GatewayProfile &profile : profiles) {
        if (m_clients.count(profile.gatewayId) > 0)
            continue;
        m_secrets.read(SecretStore::deviceKeyName(profile.gatewayId), this,
                       [this, profile](Result<std::optional<QByteArray>> secret) {
                           if (m_clients.count(profile.gatewayId) > 0)
                               return;
                           if (!secret || !secret.value()) {
                               Q_EMIT gatewayProblem(
                                   profile.name,
                                   secret ? tr("This computer's key for it is missing from the "
                                               "keychain. Unpair it and pair again.")
                                          : secret.error().message);
                               return;
                           }
                           auto key = EcPrivateKey::fromPkcs8Der(*secret.value());
                           if (!key) {
                               Q_EMIT gatewayProblem(profile.name,
                                                     tr("This computer's key for it is "
                                                        "unreadable. Unpair it and pair again."));
                               return;
                           }
                           connectClient(profile, std::move(key).value());
                       });
    }
    emitSummary();
}

void CompanionController::connectClient(const GatewayProfile &profile, EcPrivateKey key)
{
    auto client = std::make_unique<GatewayClient>(profile, std::move(key), m_clock);
    GatewayClient *raw = client.get();
    connect(raw, &GatewayClient::stateChanged, this, [this, raw](GatewayClient::State state) {
        emitSummary();
        Q_EMIT gatewayStateChanged(raw->profile().gatewayId, state);
        if (state == GatewayClient::State::Revoked) {
            Q_EMIT gatewayProblem(raw->profile().name,
                                  tr("The gateway revoked this computer. Pair it again to "
                                     "approve its requests."));
        } else if (state == GatewayClient::State::Refused) {
            Q_EMIT gatewayProblem(raw->profile().name, raw->lastError());
        }
    });
    connect(raw, &GatewayClient::proofAccepted, this,
            [this, raw](const QString &requestId, ApprovalOutcome) {
                if (ApprovalDialog *open = dialog(raw->profile().gatewayId, requestId))
                    open->markResolvedElsewhere();
            });
    connect(raw, &GatewayClient::proofRefused, this, [this, raw](const ProofRefusal &refusal) {
        ApprovalDialog *open = dialog(raw->profile().gatewayId, refusal.requestId);
        if (!open)
            return;
        if (refusal.code == u"invalid_code" && refusal.attemptsLeft)
            open->showCodeRejected(*refusal.attemptsLeft);
        else if (refusal.code == u"locked")
            open->showLocked();
        else
            open->showNotDelivered();
    });
    m_clients.emplace(profile.gatewayId, std::move(client));
    m_inbox.addClient(raw);
    raw->start();
}

void CompanionController::onAdded(const PendingApproval &approval)
{
    m_seen.insert(key(approval.gatewayId(), approval.requestId()), approval);
    if (Notifier *notifier = m_notifier.data(); notifier && m_notificationsEnabled) {
        const Sarc &sarc = approval.request.request.sarc;
        notifier->notify(titleOf(approval.request),
                         tr("%1 for %2, through %3. Open Countersign to review it.")
                             .arg(sarc.resource.id.left(128), sarc.subject.id.left(128),
                                  approval.gatewayName.left(64)),
                         key(approval.gatewayId(), approval.requestId()));
    }
    presentApproval(approval.gatewayId(), approval.requestId());
}

ApprovalDialog *CompanionController::ensureDialog(const QString &gatewayId,
                                                  const QString &requestId)
{
    const QString id = key(gatewayId, requestId);
    if (ApprovalDialog *open = m_dialogs.value(id).data())
        return open;
    const auto approval = m_inbox.find(gatewayId, requestId);
    if (!approval || !client(gatewayId))
        return nullptr;
    QList<ApprovalMethod> methods = approval->request.request.methods;
    if (m_preferredMethod && methods.removeOne(*m_preferredMethod))
        methods.prepend(*m_preferredMethod);
    auto *dialog = new ApprovalDialog(approval->request, approval->gatewayName, methods, m_clock);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialogs.insert(id, dialog);
    connect(dialog, &ApprovalDialog::approveWithTotp, this,
            [this, gatewayId, requestId, dialog](const QString &code) {
                GatewayClient *gateway = client(gatewayId);
                const Status sent = gateway
                    ? gateway->approveWithTotp(requestId, code)
                    : Status(makeError(ErrorCode::InvalidField, QStringLiteral("not paired")));
                if (!sent) {
                    qCInfo(lcCompanion).noquote() << "approval not sent:" << sent.error().message;
                    dialog->showNotDelivered();
                    return;
                }
                m_answered.insert(key(gatewayId, requestId), ApprovalMethod::Totp);
            });
    connect(dialog, &ApprovalDialog::denied, this,
            [this, gatewayId, requestId, dialog](const QString &reason) {
                GatewayClient *gateway = client(gatewayId);
                const Status sent = gateway
                    ? gateway->deny(requestId, reason)
                    : Status(makeError(ErrorCode::InvalidField, QStringLiteral("not paired")));
                if (!sent) {
                    dialog->showNotDelivered();
                    return;
                }
                m_answered.insert(key(gatewayId, requestId), std::nullopt);
            });
    if (m_notifier) {
        // The dialog is up: the notification has done its job.
        m_notifier->close(id);
    }
    return dialog;
}

void CompanionController::openApproval(const QString &gatewayId, const QString &requestId)
{
    ApprovalDialog *dialog = ensureDialog(gatewayId, requestId);
    if (!dialog)
        return;
    // The person asked for it: bring it forward with the keyboard.
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
}

void CompanionController::presentApproval(const QString &gatewayId, const QString &requestId)
{
    if (ApprovalDialog *dialog = ensureDialog(gatewayId, requestId))
        dialog->present();
}

void CompanionController::onRemoved(const QString &gatewayId, const QString &requestId,
                                    ApprovalOutcome outcome)
{
    const QString id = key(gatewayId, requestId);
    if (m_notifier)
        m_notifier->close(id);
    if (ApprovalDialog *open = m_dialogs.take(id).data())
        open->markResolvedElsewhere();
    const auto answered = m_answered.take(id);
    HistoryEntry entry;
    entry.time = m_clock.secondsSinceEpoch();
    entry.gatewayId = gatewayId;
    entry.requestId = requestId;
    entry.outcome = outcome;
    // The inbox has let go of it; what it was is kept from its arrival.
    if (m_seen.contains(id)) {
        const PendingApproval seen = m_seen.take(id);
        const Sarc &sarc = seen.request.request.sarc;
        entry.gatewayName = seen.gatewayName;
        entry.user = sarc.subject.id;
        entry.agent = sarc.subject.agent;
        entry.action = sarc.action.name;
        entry.resource = sarc.resource.id;
    }
    if (outcome == ApprovalOutcome::Approved && answered.has_value())
        entry.method = answered;
    const Status written = m_history.append(entry);
    if (!written)
        qCWarning(lcCompanion).noquote() << "history:" << written.error().message;
    emitSummary();
}

void CompanionController::emitSummary()
{
    Q_EMIT summaryChanged(summary());
}

TrayIconState CompanionController::summary() const
{
    TrayIconState state;
    state.pairedGateways = static_cast<int>(m_gateways.all().size());
    for (const auto &[id, client] : m_clients) {
        if (client->state() == GatewayClient::State::Online)
            ++state.connectedGateways;
    }
    for (const PendingApproval &approval : m_inbox.pending()) {
        const Sarc &sarc = approval.request.request.sarc;
        state.pending.append(TrayPendingItem{approval.gatewayId(), approval.requestId(),
                                             approval.gatewayName, sarc.subject.agent,
                                             sarc.action.name});
    }
    return state;
}

} // namespace countersign
