#include "companion.h"

#include <algorithm>
#include <utility>

#include <QDateTime>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcCompanion, "countersign.app.companion")

namespace countersign {

namespace {

QString titleOf(const VerifiedApprovalRequest &request)
{
    const Sarc &sarc = request.request.sarc;
    return Companion::tr("%1 wants to run %2")
        .arg(sarc.subject.agent.left(64), sarc.action.name.left(64));
}

Status notPaired()
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("not paired"));
}

// What the gateway's refusal of a proof means for the request
// (docs/protocol.md 4.1; the codes are protocol/'s ChannelErrorCode).
RequestEvent eventForRefusal(const ProofRefusal &refusal)
{
    RequestEvent event;
    event.message = refusal.message;
    switch (refusal.code) {
    case ChannelErrorCode::InvalidEvidence:
    case ChannelErrorCode::PossibleClone:
    case ChannelErrorCode::MethodNotAllowed:
        event.kind = RequestEvent::Kind::PasskeyRefused;
        break;
    case ChannelErrorCode::InvalidCode:
        if (refusal.attemptsLeft) {
            event.kind = RequestEvent::Kind::CodeRejected;
            event.attemptsLeft = *refusal.attemptsLeft;
        } else {
            event.kind = RequestEvent::Kind::NotDelivered;
        }
        break;
    case ChannelErrorCode::Locked:
        event.kind = RequestEvent::Kind::Locked;
        break;
    default:
        event.kind = RequestEvent::Kind::NotDelivered;
        break;
    }
    return event;
}

RequestEvent eventOf(RequestEvent::Kind kind)
{
    RequestEvent event;
    event.kind = kind;
    return event;
}

// In the notification id of a held-agent notice ("<gateway>\nagent.held:
// <agent>"): one per gateway and agent, so a new count replaces the old.
const QString heldNoticeMarker = QStringLiteral("\nagent.held:");

} // namespace

Companion::Companion(PairedGateways &gateways, SecretStore &secrets, History &history,
                     Notifier *notifier, const Clock &clock, Authenticator *authenticator,
                     QObject *parent)
    : QObject(parent)
    , m_gateways(gateways)
    , m_secrets(secrets)
    , m_history(history)
    , m_notifier(notifier)
    , m_clock(clock)
    , m_inbox(clock)
    , m_authenticator(authenticator)
{
    qRegisterMetaType<RequestKey>();
    qRegisterMetaType<RequestEvent>();
    connectAuthenticator();
    connect(&m_inbox, &ApprovalInbox::added, this, &Companion::onAdded);
    connect(&m_inbox, &ApprovalInbox::removed, this, &Companion::onRemoved);
    connect(&m_inbox, &ApprovalInbox::countChanged, this, &Companion::summaryChanged);
    connect(&m_gateways, &PairedGateways::changed, this, &Companion::syncClients);
    if (m_notifier) {
        connect(m_notifier, &Notifier::activated, this, [this](const QString &id) {
            // A held-agent notice has nothing to decide: it opens nothing.
            if (id.contains(heldNoticeMarker))
                return;
            if (const auto request = RequestKey::fromNotificationId(id))
                Q_EMIT openRequested(*request);
        });
    }
}

Companion::~Companion()
{
    // Shutting down ends nothing at the gateway: requests still pending
    // there must not go into the history as ended here (they may yet be
    // approved on another device).
    disconnect(&m_inbox, nullptr, this, nullptr);
    // Clients go before the inbox that watches them.
    for (auto &[id, client] : m_clients)
        m_inbox.removeClient(client.get());
    m_clients.clear();
}

void Companion::start()
{
    syncClients();
    Q_EMIT summaryChanged();
}

void Companion::reconnectNow()
{
    for (const auto &[id, client] : m_clients) {
        const GatewayClient::State state = client->state();
        if (state != GatewayClient::State::Online && state != GatewayClient::State::Connecting)
            client->start();
    }
}

std::optional<PendingApproval> Companion::find(const RequestKey &request) const
{
    return m_inbox.find(request.gatewayId, request.requestId);
}

GatewayClient *Companion::client(const QString &gatewayId) const
{
    const auto found = m_clients.find(gatewayId);
    return found == m_clients.end() ? nullptr : found->second.get();
}

QList<GatewayClient *> Companion::clients() const
{
    QList<GatewayClient *> all;
    for (const auto &[id, client] : m_clients)
        all.append(client.get());
    return all;
}

CompanionSummary Companion::summary() const
{
    CompanionSummary summary;
    summary.pairedGateways = static_cast<int>(m_gateways.all().size());
    for (const auto &[id, client] : m_clients) {
        const bool online = client->state() == GatewayClient::State::Online;
        if (online)
            ++summary.connectedGateways;
        summary.gateways.append(GatewaySummary{client->profile().name, online});
    }
    summary.pending = m_inbox.pending();
    return summary;
}

QList<ApprovalMethod> Companion::methodsFor(const PendingApproval &approval) const
{
    QList<ApprovalMethod> methods = approval.request.request.methods;
    // A passkey needs the key's code path and a key this gateway knows.
    GatewayClient *gateway = client(approval.gatewayId());
    const auto passkeys = gateway ? gateway->passkeyContext() : std::nullopt;
    if (!m_authenticator || !passkeys || passkeys->credentials.isEmpty())
        methods.removeAll(ApprovalMethod::Passkey);
    if (m_preferredMethod && methods.removeOne(*m_preferredMethod))
        methods.prepend(*m_preferredMethod);
    return methods;
}

void Companion::syncClients()
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
    Q_EMIT summaryChanged();
}

void Companion::connectClient(const GatewayProfile &profile, EcPrivateKey key)
{
    auto client = std::make_unique<GatewayClient>(profile, std::move(key), m_clock);
    GatewayClient *raw = client.get();
    watchClient(raw);
    m_clients.emplace(profile.gatewayId, std::move(client));
    m_inbox.addClient(raw);
    raw->start();
}

void Companion::watchClient(GatewayClient *raw)
{
    const QString gatewayId = raw->profile().gatewayId;
    connect(raw, &GatewayClient::stateChanged, this,
            [this, raw](GatewayClient::State state) { onClientState(raw, state); });
    connect(raw, &GatewayClient::proofAccepted, this,
            [this, gatewayId](const QString &requestId, ApprovalOutcome outcome) {
                RequestEvent accepted = eventOf(RequestEvent::Kind::Accepted);
                accepted.outcome = outcome;
                emitEvent({gatewayId, requestId}, accepted);
            });
    connect(raw, &GatewayClient::agentWaitingChanged, this,
            [this, gatewayId](const QString &requestId, bool waiting) {
                const RequestKey request{gatewayId, requestId};
                if (waiting)
                    m_agentGone.remove(request);
                else
                    m_agentGone.insert(request);
                RequestEvent changed = eventOf(RequestEvent::Kind::AgentWaiting);
                changed.agentWaiting = waiting;
                emitEvent(request, changed);
            });
    connect(raw, &GatewayClient::agentHeld, this,
            [this, raw](const QString &agent, qint64 heldCount, qint64 until) {
                onAgentHeld(raw->profile(), agent, heldCount, until);
            });
    connect(raw, &GatewayClient::proofRefused, this,
            [this, gatewayId](const ProofRefusal &refusal) {
                emitEvent({gatewayId, refusal.requestId}, eventForRefusal(refusal));
            });
    connect(raw, &GatewayClient::passkeysChanged, this,
            [this, gatewayId](const PasskeyContext &context) {
                Q_EMIT passkeysChanged(gatewayId, context);
                // Only the list that holds the new key ends the registration:
                // a reconnect's welcome may come first, without it.
                if (isAwaitingGateway(gatewayId)
                    && context.hasCredential(m_keyRegistration.credentialId))
                    endRegistration(true, QString());
            });
    connect(raw, &GatewayClient::passkeyRefused, this,
            [this, gatewayId](const PasskeyRefusal &refusal) {
                if (isAwaitingGateway(gatewayId))
                    endRegistration(false, refusal.message);
                else
                    Q_EMIT passkeyRemovalRefused(gatewayId, refusal.message);
            });
    connect(raw, &GatewayClient::passkeyChangeAnnounced, this,
            [this, raw](const channel::PasskeyChange &change) {
                const QString device =
                    change.device.isEmpty() ? tr("an unnamed device") : change.device;
                const QString message = change.action == u"added"
                    ? tr("Security key “%1” was added to your account from %2. If that was not "
                         "you, tell your gateway administrator now.")
                          .arg(change.name, device)
                    : tr("Security key “%1” was removed from your account from %2. If that was "
                         "not you, tell your gateway administrator now.")
                          .arg(change.name, device);
                Q_EMIT securityNotice(raw->profile().name, message);
            });
}

void Companion::onClientState(GatewayClient *client, GatewayClient::State state)
{
    Q_EMIT summaryChanged();
    Q_EMIT gatewayStateChanged(client->profile().gatewayId, state);
    // The answer to a registration comes on the connection it was sent on;
    // once that is gone it will not come.
    if (state != GatewayClient::State::Online && isAwaitingGateway(client->profile().gatewayId))
        endRegistration(false,
                        tr("The connection to the gateway was lost before it "
                           "answered. Add the key again when it is connected."));
    if (state == GatewayClient::State::Revoked) {
        Q_EMIT gatewayProblem(client->profile().name,
                              tr("The gateway revoked this computer. To approve its requests "
                                 "again, unpair it in Settings, then pair again."));
    } else if (state == GatewayClient::State::Refused) {
        Q_EMIT gatewayProblem(client->profile().name, client->lastError());
    }
}

void Companion::emitEvent(const RequestKey &request, RequestEvent event)
{
    Q_EMIT requestChanged(request, event);
}

void Companion::onAdded(const PendingApproval &approval)
{
    const RequestKey request{approval.gatewayId(), approval.requestId()};
    m_seen.insert(request, approval);
    if (Notifier *notifier = m_notifier.data(); notifier && m_notificationsEnabled) {
        const Sarc &sarc = approval.request.request.sarc;
        notifier->notify(titleOf(approval.request),
                         tr("%1 for %2, through %3. Open Countersign to review it.")
                             .arg(sarc.resource.id.left(128), sarc.subject.id.left(128),
                                  approval.gatewayName.left(64)),
                         request.notificationId());
    }
    emitEvent(request, eventOf(RequestEvent::Kind::Arrived));
}

void Companion::onAgentHeld(const GatewayProfile &gateway, const QString &agent, qint64 heldCount,
                            qint64 until)
{
    qCInfo(lcCompanion) << "gateway" << gateway.gatewayId << "holds the requests of" << agent
                        << heldCount << "until" << until;
    if (Notifier *notifier = m_notifier.data(); notifier && m_notificationsEnabled) {
        const QString name = agent.isEmpty() ? tr("an agent") : agent.left(64);
        const QString time =
            QDateTime::fromSecsSinceEpoch(until).toLocalTime().toString(QStringLiteral("HH:mm"));
        notifier->notify(
            tr("Requests from %1 are held").arg(name),
            tr("You denied %1 several times, so %2 holds its new requests until %3 and does not "
               "show them: %4 held so far. Nothing was asked or done.")
                .arg(name, gateway.name.left(64), time, QString::number(heldCount)),
            gateway.gatewayId + heldNoticeMarker + agent.left(64));
    }
    Q_EMIT agentHeld(gateway.gatewayId, agent, heldCount, until);
}

void Companion::onRemoved(const QString &gatewayId, const QString &requestId,
                          ApprovalOutcome outcome)
{
    const RequestKey request{gatewayId, requestId};
    m_agentGone.remove(request);
    withdrawNotification(request);
    RequestEvent resolved = eventOf(RequestEvent::Kind::Resolved);
    resolved.outcome = outcome;
    emitEvent(request, resolved);
    recordInHistory(request, outcome);
    Q_EMIT summaryChanged();
}

void Companion::recordInHistory(const RequestKey &request, ApprovalOutcome outcome)
{
    const auto answered = m_answered.take(request);
    HistoryEntry entry;
    entry.time = m_clock.secondsSinceEpoch();
    entry.gatewayId = request.gatewayId;
    entry.requestId = request.requestId;
    entry.outcome = outcome;
    // The inbox has let go of it; what it was is kept from its arrival.
    if (m_seen.contains(request)) {
        const PendingApproval seen = m_seen.take(request);
        const Sarc &sarc = seen.request.request.sarc;
        entry.gatewayName = seen.gatewayName;
        entry.user = sarc.subject.id;
        entry.agent = sarc.subject.agent;
        entry.action = sarc.action.name;
        entry.resource = sarc.resource.id;
    }
    if (outcome == ApprovalOutcome::Approved)
        entry.method = answered.method;
    // The person's own words (or the companion's, for a code that did not
    // match) when this computer denied it.
    if (outcome == ApprovalOutcome::Denied && !answered.method)
        entry.detail = answered.denyReason;
    const Status written = m_history.append(entry);
    if (!written)
        qCWarning(lcCompanion).noquote() << "history:" << written.error().message;
}

void Companion::withdrawNotification(const RequestKey &request)
{
    if (Notifier *notifier = m_notifier.data())
        notifier->close(request.notificationId());
}

void Companion::notSent(const RequestKey &request, const Status &sent)
{
    qCInfo(lcCompanion).noquote() << "answer not sent:" << sent.error().message;
    emitEvent(request, eventOf(RequestEvent::Kind::NotDelivered));
}

void Companion::approveWithCode(const RequestKey &request, const QString &code)
{
    GatewayClient *gateway = client(request.gatewayId);
    const Status sent = gateway ? gateway->approveWithTotp(request.requestId, code) : notPaired();
    if (!sent) {
        notSent(request, sent);
        return;
    }
    m_answered.insert(request, Answer{ApprovalMethod::Totp, {}});
}

void Companion::deny(const RequestKey &request, const QString &reason)
{
    stopPasskey(request);
    GatewayClient *gateway = client(request.gatewayId);
    const Status sent = gateway ? gateway->deny(request.requestId, reason) : notPaired();
    if (!sent) {
        notSent(request, sent);
        return;
    }
    m_answered.insert(request, Answer{std::nullopt, reason});
}

// The security key for approvals.

void Companion::connectAuthenticator()
{
    Authenticator *authenticator = m_authenticator.data();
    if (!authenticator)
        return;
    connect(authenticator, &Authenticator::stateChanged, this, &Companion::onKeyState);
    connect(authenticator, &Authenticator::pinRequested, this, &Companion::onPinRequested);
    connect(authenticator, &Authenticator::asserted, this, &Companion::onAsserted);
    connect(authenticator, &Authenticator::registered, this, &Companion::onRegistered);
    connect(authenticator, &Authenticator::failed, this, &Companion::onKeyFailed);
}

bool Companion::toKeyApproval(const RequestEvent &event)
{
    switch (m_keyApproval.phase) {
    case KeyApproval::Phase::Asserting:
        emitEvent(m_keyApproval.request, event);
        return true;
    case KeyApproval::Phase::Abandoned:
        return true; // its dialog went away: nobody to tell
    case KeyApproval::Phase::Idle:
        break;
    }
    return false;
}

void Companion::onKeyState(Authenticator::State state)
{
    RequestEvent event = eventOf(RequestEvent::Kind::KeyState);
    event.keyState = state;
    if (toKeyApproval(event))
        return;
    if (m_keyRegistration.phase != KeyRegistration::Phase::Idle)
        Q_EMIT passkeyRegistration(m_keyRegistration.gatewayId, state, false, false, QString());
}

void Companion::onPinRequested(int retriesLeft)
{
    RequestEvent event = eventOf(RequestEvent::Kind::KeyPinNeeded);
    event.pinRetries = retriesLeft;
    if (toKeyApproval(event))
        return;
    if (m_keyRegistration.phase != KeyRegistration::Phase::Idle)
        Q_EMIT passkeyRegistration(m_keyRegistration.gatewayId, Authenticator::State::PinNeeded,
                                   false, false, QString::number(retriesLeft));
}

void Companion::approveWithPasskey(const RequestKey &request)
{
    const auto approval = find(request);
    GatewayClient *gateway = client(request.gatewayId);
    Authenticator *authenticator = m_authenticator.data();
    if (!approval || !gateway)
        return;
    const auto passkeys = gateway->passkeyContext();
    RequestEvent failed = eventOf(RequestEvent::Kind::KeyFailed);
    if (!authenticator || !passkeys || passkeys->credentials.isEmpty()) {
        failed.keyState = Authenticator::State::NotRegistered;
        emitEvent(request, failed);
        return;
    }
    if (authenticator->isBusy()) {
        failed.keyState = Authenticator::State::Failed;
        failed.message = tr("The security key is busy with another request; finish that one "
                            "first.");
        emitEvent(request, failed);
        return;
    }
    AssertionOptions options;
    options.rpId = passkeys->rpId;
    options.origin = request.gatewayId;
    options.requestHash = approval->request.requestHash;
    for (const PasskeyCredentialInfo &credential : passkeys->credentials)
        options.allowCredentialIds.append(credential.credentialId);
    // Verified whenever the key can (docs/protocol.md 8.3): the gateway's
    // policy may demand it, and the request does not say.
    options.userVerification = UserVerification::Preferred;
    m_keyApproval = KeyApproval{KeyApproval::Phase::Asserting, request};
    authenticator->getAssertion(options);
}

// These read m_authenticator (a QPointer) once: each -> on a QPointer reads it
// anew, and GCC at -O3 rightly warns that the second read may be null
// (-Wnull-dereference).
void Companion::setPasskeyPin(const RequestKey &request, const QString &pin)
{
    Authenticator *authenticator = m_authenticator.data();
    if (m_keyApproval.phase == KeyApproval::Phase::Asserting && m_keyApproval.request == request
        && authenticator)
        authenticator->setPin(pin);
}

void Companion::choosePasskeyDevice(const RequestKey &request, const QString &deviceId)
{
    Authenticator *authenticator = m_authenticator.data();
    if (m_keyApproval.phase == KeyApproval::Phase::Asserting && m_keyApproval.request == request
        && authenticator)
        authenticator->selectDevice(deviceId);
}

void Companion::stopPasskey(const RequestKey &request)
{
    Authenticator *authenticator = m_authenticator.data();
    if (m_keyApproval.phase != KeyApproval::Phase::Idle && m_keyApproval.request == request
        && authenticator && authenticator->isBusy())
        authenticator->cancel();
}

void Companion::abandonPasskey(const RequestKey &request)
{
    if (m_keyApproval.phase != KeyApproval::Phase::Asserting || !(m_keyApproval.request == request))
        return;
    m_keyApproval.phase = KeyApproval::Phase::Abandoned;
    if (Authenticator *authenticator = m_authenticator.data();
        authenticator && authenticator->isBusy())
        authenticator->cancel();
}

void Companion::onAsserted(const AssertionResult &result)
{
    const KeyApproval done = std::exchange(m_keyApproval, KeyApproval{});
    // Nobody waits for it any more (abandoned, or resolved meanwhile).
    if (done.phase != KeyApproval::Phase::Asserting || !find(done.request))
        return;
    GatewayClient *gateway = client(done.request.gatewayId);
    PasskeyEvidence evidence;
    evidence.credentialId = result.credentialId;
    evidence.authenticatorData = result.authenticatorData;
    evidence.clientDataJson = result.clientDataJson;
    evidence.signature = result.signature;
    const Status sent =
        gateway ? gateway->approveWithPasskey(done.request.requestId, evidence) : notPaired();
    if (!sent) {
        notSent(done.request, sent);
        return;
    }
    m_answered.insert(done.request, Answer{ApprovalMethod::Passkey, {}});
    emitEvent(done.request, eventOf(RequestEvent::Kind::KeySent));
}

void Companion::onKeyFailed(Authenticator::State state, const QString &message)
{
    if (m_keyApproval.phase != KeyApproval::Phase::Idle) {
        const KeyApproval done = std::exchange(m_keyApproval, KeyApproval{});
        if (done.phase == KeyApproval::Phase::Asserting) {
            RequestEvent failed = eventOf(RequestEvent::Kind::KeyFailed);
            failed.keyState = state;
            failed.message = message;
            emitEvent(done.request, failed);
        }
        return;
    }
    if (m_keyRegistration.phase != KeyRegistration::Phase::Idle)
        endRegistration(false, message);
}

// The security key for registrations.

bool Companion::registerPasskey(const QString &gatewayId, const QString &name,
                                const QString &totpCode)
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
    else if (authenticator->isBusy() || m_keyRegistration.phase != KeyRegistration::Phase::Idle)
        problem = tr("The security key is busy; finish what it is doing first.");
    else if (const QString code = totpCode.trimmed(); !(code.size() == 6 || code.size() == 8)
             || !std::all_of(code.cbegin(), code.cend(),
                             [](QChar c) { return c >= u'0' && c <= u'9'; }))
        // Asked before the key is touched, so that a missing code costs nothing.
        problem = tr("Enter the 6- or 8-digit code your authenticator app shows for this "
                     "gateway: adding a security key needs it.");
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
    m_keyRegistration =
        KeyRegistration{KeyRegistration::Phase::OnKey, gatewayId, name, {}, totpCode.trimmed()};
    authenticator->registerCredential(options);
    return true;
}

void Companion::onRegistered(const RegistrationResult &result)
{
    GatewayClient *gateway = m_keyRegistration.phase == KeyRegistration::Phase::OnKey
        ? client(m_keyRegistration.gatewayId)
        : nullptr;
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
    QString name = m_keyRegistration.name.trimmed();
    if (name.isEmpty())
        name = result.deviceName.isEmpty() ? tr("Security key") : result.deviceName.left(64);
    const Status sent =
        gateway->registerPasskey(name, evidence, std::exchange(m_keyRegistration.totpCode, {}));
    if (!sent) {
        endRegistration(false, sent.error().message);
        return;
    }
    // Waiting for the gateway: passkeysChanged (stored) or passkeyRefused.
    m_keyRegistration.phase = KeyRegistration::Phase::AwaitingGateway;
    m_keyRegistration.credentialId = result.credentialId;
    Q_EMIT passkeyRegistration(m_keyRegistration.gatewayId, Authenticator::State::Done, false,
                               false, QString());
}

bool Companion::isAwaitingGateway(const QString &gatewayId) const
{
    return m_keyRegistration.phase == KeyRegistration::Phase::AwaitingGateway
        && m_keyRegistration.gatewayId == gatewayId;
}

void Companion::endRegistration(bool ok, const QString &message)
{
    const KeyRegistration ended = std::exchange(m_keyRegistration, KeyRegistration{});
    if (ended.phase == KeyRegistration::Phase::Idle)
        return;
    Q_EMIT passkeyRegistration(ended.gatewayId,
                               ok ? Authenticator::State::Done : Authenticator::State::Failed, true,
                               ok, message);
}

Status Companion::removePasskey(const QString &gatewayId, const QByteArray &credentialId,
                                const QString &totpCode)
{
    GatewayClient *gateway = client(gatewayId);
    if (!gateway)
        return makeError(ErrorCode::InvalidField, tr("That gateway is not paired."));
    return gateway->removePasskey(credentialId, totpCode);
}

} // namespace countersign
