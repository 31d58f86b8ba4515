#include "companioncontroller.h"

#include "ui/approvaldialog.h"

#include <utility>

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
                                         Authenticator *authenticator, QObject *parent)
    : QObject(parent)
    , m_gateways(gateways)
    , m_secrets(secrets)
    , m_history(history)
    , m_notifier(notifier)
    , m_clock(clock)
    , m_inbox(clock)
    , m_authenticator(authenticator)
{
    connectAuthenticator();
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
        // The answer to a registration comes on the connection it was sent
        // on; once that is gone it will not come.
        if (state != GatewayClient::State::Online && m_keyRegistration == raw->profile().gatewayId
            && !m_registeredCredential.isEmpty())
            endRegistration(false,
                            tr("The connection to the gateway was lost before it "
                               "answered. Add the key again when it is connected."));
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
    connect(raw, &GatewayClient::passkeysChanged, this, [this, raw](const PasskeyContext &context) {
        Q_EMIT passkeysChanged(raw->profile().gatewayId, context);
        // Only the list that holds the new key ends the registration: a
        // reconnect's welcome may come first, without it.
        if (m_keyRegistration == raw->profile().gatewayId && !m_registeredCredential.isEmpty()
            && context.hasCredential(m_registeredCredential))
            endRegistration(true, QString());
    });
    connect(raw, &GatewayClient::passkeyRefused, this, [this, raw](const PasskeyRefusal &refusal) {
        if (m_keyRegistration == raw->profile().gatewayId)
            endRegistration(false, refusal.message);
    });
    connect(raw, &GatewayClient::proofRefused, this, [this, raw](const ProofRefusal &refusal) {
        ApprovalDialog *open = dialog(raw->profile().gatewayId, refusal.requestId);
        if (!open)
            return;
        if (refusal.code == u"invalid_evidence" || refusal.code == u"possible_clone"
            || refusal.code == u"method_not_allowed")
            open->showPasskeyRefused(refusal.message);
        else if (refusal.code == u"invalid_code" && refusal.attemptsLeft)
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
    // A passkey needs the key's code path and a key this gateway knows.
    const auto passkeys = client(gatewayId)->passkeyContext();
    if (!m_authenticator || !passkeys || passkeys->credentials.isEmpty())
        methods.removeAll(ApprovalMethod::Passkey);
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
    connect(dialog, &ApprovalDialog::approveWithPasskey, this,
            [this, gatewayId, requestId] { startAssertion(gatewayId, requestId); });
    connect(dialog, &ApprovalDialog::passkeyPinEntered, this, [this, id](const QString &pin) {
        if (m_keyApproval == id && m_authenticator)
            m_authenticator->setPin(pin);
    });
    // Stop, deny, Escape or the dialog going away: the key stops waiting.
    const auto stopKey = [this, id] {
        if (m_keyApproval == id && m_authenticator && m_authenticator->isBusy())
            m_authenticator->cancel();
    };
    connect(dialog, &ApprovalDialog::passkeyStopped, this, stopKey);
    connect(dialog, &ApprovalDialog::passkeyKeyChosen, this, [this, id](const QString &deviceId) {
        if (m_keyApproval == id && m_authenticator)
            m_authenticator->selectDevice(deviceId);
    });
    connect(dialog, &ApprovalDialog::dismissed, this, stopKey);
    connect(dialog, &QObject::destroyed, this, stopKey);
    connect(dialog, &ApprovalDialog::denied, this, stopKey);
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

void CompanionController::connectAuthenticator()
{
    Authenticator *authenticator = m_authenticator.data();
    if (!authenticator)
        return;
    connect(authenticator, &Authenticator::stateChanged, this, [this](Authenticator::State state) {
        if (ApprovalDialog *open = keyDialog()) {
            if (state == Authenticator::State::ChooseKey)
                open->askForKey(m_authenticator->devices());
            else
                open->showPasskeyState(state);
        } else if (!m_keyRegistration.isEmpty())
            Q_EMIT passkeyRegistration(m_keyRegistration, state, false, false, QString());
    });
    connect(authenticator, &Authenticator::pinRequested, this, [this](int retriesLeft) {
        if (ApprovalDialog *open = keyDialog())
            open->askForPin(retriesLeft);
        else if (!m_keyRegistration.isEmpty())
            Q_EMIT passkeyRegistration(m_keyRegistration, Authenticator::State::PinNeeded, false,
                                       false, QString::number(retriesLeft));
    });
    connect(authenticator, &Authenticator::asserted, this, &CompanionController::onAsserted);
    connect(authenticator, &Authenticator::registered, this, &CompanionController::onRegistered);
    connect(authenticator, &Authenticator::failed, this, &CompanionController::onKeyFailed);
}

ApprovalDialog *CompanionController::keyDialog() const
{
    return m_keyApproval.isEmpty() ? nullptr : m_dialogs.value(m_keyApproval).data();
}

void CompanionController::startAssertion(const QString &gatewayId, const QString &requestId)
{
    ApprovalDialog *open = dialog(gatewayId, requestId);
    GatewayClient *gateway = client(gatewayId);
    Authenticator *authenticator = m_authenticator.data();
    if (!open || !gateway)
        return;
    const auto passkeys = gateway->passkeyContext();
    if (!authenticator || !passkeys || passkeys->credentials.isEmpty()) {
        open->passkeyFailed(Authenticator::State::NotRegistered, QString());
        return;
    }
    if (authenticator->isBusy()) {
        open->passkeyFailed(Authenticator::State::Failed,
                            tr("The security key is busy with another request; finish that "
                               "one first."));
        return;
    }
    AssertionOptions options;
    options.rpId = passkeys->rpId;
    options.origin = gatewayId;
    options.requestHash = open->request().requestHash;
    for (const PasskeyCredentialInfo &credential : passkeys->credentials)
        options.allowCredentialIds.append(credential.credentialId);
    // Verified whenever the key can (docs/protocol.md 8.3): the gateway's
    // policy may demand it, and the request does not say.
    options.userVerification = UserVerification::Preferred;
    m_keyApproval = key(gatewayId, requestId);
    authenticator->getAssertion(options);
}

void CompanionController::onAsserted(const AssertionResult &result)
{
    const QString id = std::exchange(m_keyApproval, QString());
    ApprovalDialog *open = m_dialogs.value(id).data();
    const qsizetype slash = id.lastIndexOf(u'\n');
    if (!open || slash < 0)
        return;
    const QString gatewayId = id.left(slash);
    const QString requestId = id.mid(slash + 1);
    GatewayClient *gateway = client(gatewayId);
    PasskeyEvidence evidence;
    evidence.credentialId = result.credentialId;
    evidence.authenticatorData = result.authenticatorData;
    evidence.clientDataJson = result.clientDataJson;
    evidence.signature = result.signature;
    const Status sent = gateway
        ? gateway->approveWithPasskey(requestId, evidence)
        : Status(makeError(ErrorCode::InvalidField, QStringLiteral("not paired")));
    if (!sent) {
        qCInfo(lcCompanion).noquote() << "passkey approval not sent:" << sent.error().message;
        open->showNotDelivered();
        return;
    }
    m_answered.insert(id, ApprovalMethod::Passkey);
    open->showPasskeySent();
}

void CompanionController::onKeyFailed(Authenticator::State state, const QString &message)
{
    if (!m_keyApproval.isEmpty()) {
        ApprovalDialog *open = keyDialog();
        m_keyApproval.clear();
        if (open)
            open->passkeyFailed(state, message);
        return;
    }
    if (!m_keyRegistration.isEmpty())
        endRegistration(false, message);
}

bool CompanionController::registerPasskey(const QString &gatewayId, const QString &name)
{
    GatewayClient *gateway = client(gatewayId);
    Authenticator *authenticator = m_authenticator.data();
    const auto passkeys = gateway ? gateway->passkeyContext() : std::nullopt;
    QString problem;
    if (!authenticator)
        problem = tr("This computer cannot use security keys.");
    else if (!gateway || gateway->state() != GatewayClient::State::Online)
        problem = tr("The gateway is not connected; try again when it is.");
    else if (!passkeys)
        problem = tr("This gateway does not accept passkeys.");
    else if (authenticator->isBusy() || !m_keyRegistration.isEmpty())
        problem = tr("The security key is busy; finish what it is doing first.");
    if (!problem.isEmpty()) {
        Q_EMIT passkeyRegistration(gatewayId, Authenticator::State::Failed, true, false, problem);
        return false;
    }
    RegistrationOptions options;
    options.rpId = passkeys->rpId;
    options.userHandle = passkeys->userHandle;
    options.userName = passkeys->userName;
    options.origin = gatewayId;
    options.challenge = gateway->passkeyRegistrationChallenge();
    for (const PasskeyCredentialInfo &credential : passkeys->credentials)
        options.excludeIds.append(credential.credentialId);
    m_keyRegistration = gatewayId;
    m_registrationName = name;
    authenticator->registerCredential(options);
    return true;
}

void CompanionController::onRegistered(const RegistrationResult &result)
{
    GatewayClient *gateway = client(m_keyRegistration);
    if (!gateway) {
        endRegistration(false, tr("The gateway was unpaired meanwhile."));
        return;
    }
    PasskeyRegistrationEvidence evidence;
    evidence.credentialId = result.credentialId;
    evidence.clientDataJson = result.clientDataJson;
    evidence.authenticatorData = result.authenticatorData;
    evidence.fmt = result.fmt.toUtf8();
    evidence.attestationSignature = result.attestationSignature;
    evidence.x5c = result.x5c;
    QString name = m_registrationName.trimmed();
    if (name.isEmpty())
        name = result.deviceName.isEmpty() ? tr("Security key") : result.deviceName.left(64);
    const Status sent = gateway->registerPasskey(name, evidence);
    m_registeredCredential = result.credentialId;
    if (!sent) {
        endRegistration(false, sent.error().message);
        return;
    }
    // Waiting for the gateway: passkeysChanged (stored) or passkeyRefused.
    Q_EMIT passkeyRegistration(m_keyRegistration, Authenticator::State::Done, false, false,
                               QString());
}

void CompanionController::endRegistration(bool ok, const QString &message)
{
    const QString gatewayId = std::exchange(m_keyRegistration, QString());
    m_registeredCredential.clear();
    if (gatewayId.isEmpty())
        return;
    Q_EMIT passkeyRegistration(gatewayId,
                               ok ? Authenticator::State::Done : Authenticator::State::Failed, true,
                               ok, message);
}

Status CompanionController::removePasskey(const QString &gatewayId, const QByteArray &credentialId)
{
    GatewayClient *gateway = client(gatewayId);
    if (!gateway)
        return makeError(ErrorCode::InvalidField, tr("That gateway is not paired."));
    return gateway->removePasskey(credentialId);
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
