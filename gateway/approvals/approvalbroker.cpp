#include "approvalbroker.h"

#include "gateway/passkeys/assertionverifier.h"
#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/randombytes.h"
#include "protocol/strictjson.h"

#include <algorithm>

#include <QCryptographicHash>
#include <QDateTime>
#include <QLoggingCategory>

#include <openssl/crypto.h>

Q_LOGGING_CATEGORY(lcApprovals, "countersign.gateway.approvals")

namespace countersign::gateway {

namespace {

using Code = ChannelErrorCode;

ProofRejection reject(ChannelErrorCode code, QString message, std::optional<int> attemptsLeft = {})
{
    return ProofRejection{code, std::move(message), {}, attemptsLeft};
}

// Why verifyApprovalProof() refused a proof, as docs/protocol.md 4.1 names
// it: a kid other than the connection's device key names no device of this
// channel (unknown_device); a version the gateway does not speak is said so.
ChannelErrorCode proofRefusalCode(ErrorCode error)
{
    switch (error) {
    case ErrorCode::BadSignature:
        return Code::BadSignature;
    case ErrorCode::UnknownKeyId:
        return Code::UnknownDevice;
    case ErrorCode::UnsupportedVersion:
        return Code::UnsupportedVersion;
    default:
        return Code::MalformedMessage;
    }
}

// The store could not record the proof's use or the outcome: nothing was
// approved or denied, and saying `replayed` or `already_resolved` would
// send the person looking for a problem that is not there.
ProofRejection storageUnavailable(const Error &error)
{
    qCCritical(lcApprovals).noquote() << "proof refused, storage unavailable:" << error.message;
    return reject(Code::StorageUnavailable,
                  QStringLiteral("the gateway could not store the answer, so nothing was decided; "
                                 "try again later or ask the gateway admin to check its disk"));
}

// A resolution that failed: in storage, or because another answer won.
ProofRejection resolveFailed(const Error &error)
{
    if (error.code == ErrorCode::StorageFailure)
        return storageUnavailable(error);
    return reject(Code::AlreadyResolved, error.message);
}

// The request id a proof names, read without trusting it: only echoed in a
// refusal so that the companion can tell which answer was refused.
QString claimedRequestId(QByteArrayView proofJws)
{
    const auto decoded = Jws::decodeUnverified(proofJws);
    if (!decoded)
        return {};
    const auto claims = parseStrictJsonObject(decoded->payload, QStringLiteral("proof"));
    if (!claims || !claims->value(QStringLiteral("request_id")).isString())
        return {};
    return claims->value(QStringLiteral("request_id")).toString().left(channel::maxRequestIdLength);
}

bool sameBytes(const QByteArray &a, const QByteArray &b)
{
    return a.size() == b.size()
        && CRYPTO_memcmp(a.constData(), b.constData(), static_cast<size_t>(a.size())) == 0;
}

// The request as this gateway signed it; it comes from our own store.
std::optional<ApprovalRequest> decodeSignedRequest(const ApprovalRecord &approval)
{
    const auto jws = Jws::decodeUnverified(approval.requestJws);
    if (!jws)
        return std::nullopt;
    const auto json = parseStrictJsonObject(jws->payload, QStringLiteral("stored request"));
    if (!json)
        return std::nullopt;
    auto request = ApprovalRequest::fromJson(json.value());
    if (!request)
        return std::nullopt;
    return std::move(request).value();
}

// What a step's body returns to roll its transaction back once it has set
// the refusal to send; never shown to anyone.
Error rolledBack()
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("step refused, rolled back"));
}

// Parsed device keys kept at most; past it the cache starts again (each
// entry is rebuilt from the store on the device's next proof).
constexpr qsizetype maxCachedDeviceKeys = 100'000;

// An expiry that could not be stored is tried again this much later, not
// in a tight loop against a failing store.
constexpr qint64 expiryRetrySeconds = 1;

} // namespace

ApprovalBroker::ApprovalBroker(Store &store, EcPrivateKey gatewayKey, QString gatewayId,
                               const TokenIssuer &issuer, const Clock &clock,
                               RelyingParty relyingParty, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_gatewayKey(std::move(gatewayKey))
    , m_gatewayId(std::move(gatewayId))
    , m_issuer(issuer)
    , m_clock(clock)
    , m_relyingParty(relyingParty.id.isEmpty() ? RelyingParty::forGateway(QUrl(m_gatewayId), {})
                                               : std::move(relyingParty))
    , m_totp(store, clock)
{
    qRegisterMetaType<ApprovalRecord>();
    m_expiryTimer.setSingleShot(true);
    connect(&m_expiryTimer, &QTimer::timeout, this, [this] {
        m_armedFor.reset();
        expireDue();
    });
    // What was pending when the gateway stopped (expired ones included):
    // those that expired while it was down end now, the others keep waiting.
    const QList<ApprovalRecord> pending = m_store.pendingApprovals({}, 0);
    for (const ApprovalRecord &approval : pending)
        keep(approval);
    expireDue();
}

std::optional<ApprovalRefusal> ApprovalBroker::holdFor(const QString &userId, const QString &agent)
{
    if (m_limits.holdAfterDenials <= 0)
        return std::nullopt;
    const qint64 now = m_clock.secondsSinceEpoch();
    const qint64 window = m_limits.holdWindow.count();
    const auto denials = m_store.denialTimes(userId, agent, now - window);
    if (!denials) {
        return ApprovalRefusal{ApprovalRefusal::Kind::Storage,
                               QStringLiteral("the gateway could not read its approvals (%1); "
                                              "nothing was asked")
                                   .arg(denials.error().message),
                               0, 0};
    }
    if (denials->size() < m_limits.holdAfterDenials)
        return std::nullopt;
    // Held while holdAfterDenials denials stay in the window: until the
    // oldest of the newest ones leaves it.
    const qint64 until = denials->at(m_limits.holdAfterDenials - 1) + window;
    const QString key = userId + u'\n' + agent;
    Hold &hold = m_holds[key];
    const bool started = hold.until != until;
    if (started)
        hold = Hold{until, 0, 0};
    ++hold.heldCount;
    if (started) {
        AuditEvent event;
        event.at = now;
        event.kind = QStringLiteral("agent.held");
        event.userId = userId;
        event.details = QJsonObject{{QStringLiteral("agent"), agent},
                                    {QStringLiteral("until"), until},
                                    {QStringLiteral("denials"), int(denials->size())}};
        if (const Status audited = m_store.appendAudit(event); !audited)
            qCWarning(lcApprovals) << "audit agent.held failed:" << audited.error().message;
        qCWarning(lcApprovals) << "agent" << agent << "of" << userId << "held until" << until
                               << "after" << denials->size() << "denials";
    }
    if (started || now - hold.noticedAt >= heldNoticeInterval) {
        hold.noticedAt = now;
        Q_EMIT agentHeld(userId, agent, hold.heldCount, until);
    }
    return ApprovalRefusal{
        ApprovalRefusal::Kind::Held,
        QStringLiteral("%1 denied %2 requests from this agent in the last %3 minutes, so its "
                       "requests are held and not shown until %4 (UTC). Nothing was asked or "
                       "performed. Do not retry; ask the person what they want instead.")
            .arg(userId, QString::number(denials->size()), QString::number(window / 60),
                 QDateTime::fromSecsSinceEpoch(until).toUTC().toString(Qt::ISODate)),
        until, hold.heldCount};
}

std::optional<ApprovalRefusal> ApprovalBroker::admit(const ApprovalSpec &spec)
{
    using Kind = ApprovalRefusal::Kind;
    const auto sarc = canonicalJson(spec.sarc.toJson());
    if (!sarc)
        return ApprovalRefusal{Kind::SarcTooLarge, sarc.error().message, 0, 0};
    if (sarc->size() > m_limits.maxSarcBytes) {
        return ApprovalRefusal{
            Kind::SarcTooLarge,
            QStringLiteral("the request is too large to show to the person: %1 bytes of "
                           "action, resource and arguments (canonical JSON), the limit is %2 "
                           "(approvals.limits.max_request_bytes). Nothing was asked; call "
                           "with smaller arguments.")
                .arg(sarc->size())
                .arg(m_limits.maxSarcBytes),
            0, 0};
    }
    const QString &userId = spec.sarc.subject.id;
    const QString &agent = spec.sarc.subject.agent;
    if (auto held = holdFor(userId, agent))
        return held;
    const qint64 now = m_clock.secondsSinceEpoch();
    const auto counts = m_store.approvalCounts(userId, agent, now, now - 60);
    if (!counts) {
        return ApprovalRefusal{Kind::Storage,
                               QStringLiteral("the gateway could not count approvals (%1); "
                                              "nothing was asked")
                                   .arg(counts.error().message),
                               0, 0};
    }
    const QString who = agent.isEmpty() ? QStringLiteral("requests without an agent")
                                        : QStringLiteral("approvals from this agent");
    if (counts->pendingForAgent >= m_limits.pendingPerAgent) {
        return ApprovalRefusal{
            Kind::AgentPending,
            QStringLiteral("%1 %2 are already waiting for %3 (approvals.limits.pending_per_agent); "
                           "nothing was asked. Wait for the person to answer them, or for them "
                           "to expire, before asking again.")
                .arg(QString::number(counts->pendingForAgent), who, userId),
            0, 0};
    }
    if (counts->createdForAgent >= m_limits.perMinutePerAgent) {
        return ApprovalRefusal{
            Kind::AgentRate,
            QStringLiteral("%1 %2 were raised for %3 in the last minute "
                           "(approvals.limits.per_minute_per_agent); nothing was asked. Wait a "
                           "minute before asking again.")
                .arg(QString::number(counts->createdForAgent), who, userId),
            now + 60, 0};
    }
    if (counts->pendingForUser >= m_limits.pendingPerUser) {
        return ApprovalRefusal{
            Kind::UserPending,
            QStringLiteral("%1 approvals are already waiting for %2 (approvals.limits."
                           "pending_per_user); nothing was asked. Wait for the person to answer "
                           "them, or for them to expire, before asking again.")
                .arg(QString::number(counts->pendingForUser), userId),
            0, 0};
    }
    if (counts->createdForUser >= m_limits.perMinutePerUser) {
        return ApprovalRefusal{
            Kind::UserRate,
            QStringLiteral("%1 approvals were raised for %2 in the last minute "
                           "(approvals.limits.per_minute_per_user); nothing was asked. Wait a "
                           "minute before asking again.")
                .arg(QString::number(counts->createdForUser), userId),
            now + 60, 0};
    }
    return std::nullopt;
}

Result<ApprovalRecord> ApprovalBroker::create(const ApprovalSpec &spec, ApprovalRefusal *refused)
{
    if (spec.timeoutSeconds < minTimeoutSeconds || spec.timeoutSeconds > maxTimeoutSeconds) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("approval timeout must be %1 to %2 seconds")
                             .arg(minTimeoutSeconds)
                             .arg(maxTimeoutSeconds));
    }
    if (spec.methods.isEmpty())
        return makeError(ErrorCode::InvalidField, QStringLiteral("no approval method allowed"));
    if (auto refusal = admit(spec)) {
        qCInfo(lcApprovals) << "approval for" << spec.sarc.subject.id << spec.sarc.action.name
                            << "refused:" << refusal->message;
        const ErrorCode code = refusal->kind == ApprovalRefusal::Kind::SarcTooLarge
            ? ErrorCode::InputTooLarge
            : refusal->kind == ApprovalRefusal::Kind::Storage ? ErrorCode::StorageFailure
                                                              : ErrorCode::InvalidField;
        Error error = makeError(code, refusal->message);
        if (refused)
            *refused = std::move(*refusal);
        return error;
    }

    ApprovalRequest request;
    request.requestId = randomToken(16);
    request.gatewayId = m_gatewayId;
    request.sarc = spec.sarc;
    request.nonce = randomBytes(16);
    request.issuedAt = m_clock.secondsSinceEpoch();
    request.expiresAt = request.issuedAt + spec.timeoutSeconds;
    request.methods = spec.methods;
    // Validate what we are about to sign exactly as a companion will.
    if (auto valid = ApprovalRequest::fromJson(request.toJson()); !valid)
        return valid.error();
    auto jws = request.sign(m_gatewayKey);
    if (!jws)
        return jws.error();

    ApprovalRecord approval;
    approval.requestId = request.requestId;
    approval.userId = spec.sarc.subject.id;
    approval.requestJws = jws.value();
    approval.requestHash = approvalRequestHash(approval.requestJws);
    approval.methods = spec.methods;
    approval.upstream = spec.upstream;
    approval.argumentsHash = spec.argumentsHash;
    approval.userVerificationRequired = spec.userVerificationRequired;
    approval.createdAt = request.issuedAt;
    approval.expiresAt = request.expiresAt;
    approval.agent = spec.sarc.subject.agent;
    approval.origin = spec.origin;
    approval.dedupeKey = spec.dedupeKey;
    // The request and its record in one transaction: an approval nobody
    // can find in the audit log is never asked.
    const Status stored = m_store.inTransaction([&]() -> Status {
        if (Status added = m_store.addApproval(approval); !added)
            return added;
        return audit(QStringLiteral("approval.requested"), approval, {},
                     QJsonObject{{QStringLiteral("action"), spec.sarc.action.name},
                                 {QStringLiteral("resource"), spec.sarc.resource.id},
                                 {QStringLiteral("agent"), spec.sarc.subject.agent}});
    });
    if (!stored) {
        reload(approval.requestId);
        return stored.error();
    }
    qCInfo(lcApprovals) << "approval" << approval.requestId << "requested for" << approval.userId
                        << spec.sarc.action.name;
    keep(approval);
    armExpiryTimer();
    Q_EMIT requested(approval);
    return approval;
}

Status ApprovalBroker::cancel(const QString &requestId, const QString &reason)
{
    const auto current = approval(requestId);
    if (!current)
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("unknown approval %1").arg(requestId));
    return finish(*current, ApprovalState::Cancelled, std::nullopt, {}, reason);
}

std::variant<ApprovalRecord, ProofRejection>
ApprovalBroker::submitProof(const DeviceRecord &authenticated, QByteArrayView proofJws)
{
    auto outcome = checkProof(authenticated, proofJws);
    if (auto *rejection = std::get_if<ProofRejection>(&outcome))
        rejection->requestId = claimedRequestId(proofJws);
    return outcome;
}

Result<EcPublicKey> ApprovalBroker::deviceKey(const DeviceRecord &device)
{
    // Keyed by the thumbprint the device record names, so a device whose
    // key changed never gets the old one; parsed and validated (the point
    // on the curve) once instead of on every proof.
    const QString cacheKey = device.deviceId + u'\n' + device.keyThumbprint;
    if (const auto cached = m_deviceKeys.constFind(cacheKey); cached != m_deviceKeys.cend())
        return *cached;
    auto parsed = EcPublicKey::fromJwk(device.publicJwk);
    if (!parsed)
        return parsed.error();
    if (m_deviceKeys.size() >= maxCachedDeviceKeys)
        m_deviceKeys.clear();
    // Under the key's own thumbprint: a record whose thumbprint does not
    // match its key is parsed again every time, as before.
    m_deviceKeys.insert(device.deviceId + u'\n' + parsed->thumbprint(), parsed.value());
    return parsed;
}

std::variant<ApprovalRecord, ProofRejection>
ApprovalBroker::checkProof(const DeviceRecord &authenticated, QByteArrayView proofJws)
{
    // The device may have been revoked since its channel was opened, by the
    // command line in another process: read on every proof, never cached.
    const auto device = m_store.device(authenticated.deviceId);
    if (!device)
        return reject(Code::UnknownDevice, QStringLiteral("this device is not paired"));
    if (device->isRevoked()) {
        m_deviceKeys.remove(device->deviceId + u'\n' + device->keyThumbprint);
        return reject(Code::DeviceRevoked, QStringLiteral("this device was revoked"));
    }
    const auto key = deviceKey(*device);
    if (!key)
        return reject(Code::UnknownDevice, QStringLiteral("the device key on file is unusable"));

    const auto proof = verifyApprovalProof(proofJws, key.value());
    if (!proof)
        return reject(proofRefusalCode(proof.error().code), proof.error().message);
    const auto approval = this->approval(proof->requestId);
    if (!approval)
        return reject(Code::UnknownRequest, QStringLiteral("no such request"));
    if (approval->userId != device->userId) {
        return reject(Code::WrongDevice,
                      QStringLiteral("this device is not paired to the request's user"));
    }
    if (approval->state != ApprovalState::Pending) {
        return reject(
            Code::AlreadyResolved,
            QStringLiteral("the request was already %1").arg(approvalStateName(approval->state)));
    }
    if (m_clock.secondsSinceEpoch() >= approval->expiresAt) {
        expireDue();
        return reject(Code::Expired, QStringLiteral("the request expired"));
    }
    if (!sameBytes(proof->requestHash, approval->requestHash)) {
        return reject(Code::RequestHashMismatch,
                      QStringLiteral("the proof is for other request bytes than were sent"));
    }

    if (proof->decision == Decision::Deny) {
        const QString reason =
            proof->reason.isEmpty() ? QStringLiteral("denied by the user") : proof->reason;
        // The proof's mark, the denial and its record: one transaction.
        Refusal refusal;
        std::optional<ApprovalRecord> resolved;
        const Status done = m_store.inTransaction([&]() -> Status {
            if (Status marked = markProofUsed(proofJws, *approval, refusal); !marked)
                return marked;
            auto denied = resolveInStore(*approval, ApprovalState::Denied, std::nullopt,
                                         device->deviceId, reason);
            if (!denied)
                return denied.error();
            resolved = std::move(denied).value();
            return Ok{};
        });
        if (!done) {
            reload(approval->requestId);
            return refusal ? *refusal : resolveFailed(done.error());
        }
        announce(*resolved);
        return *resolved;
    }

    if (!approval->methods.contains(*proof->method)) {
        return reject(Code::MethodNotAllowed,
                      QStringLiteral("%1 is not allowed for this request")
                          .arg(approvalMethodName(*proof->method)));
    }
    switch (*proof->method) {
    case ApprovalMethod::Totp:
        return checkTotp(*approval, *device, proof->evidence, proofJws);
    case ApprovalMethod::Passkey:
        return checkPasskey(*approval, *device, proof->evidence, proofJws);
    }
    return reject(Code::MethodNotAllowed, QStringLiteral("unknown method"));
}

Status ApprovalBroker::markProofUsed(QByteArrayView proofJws, const ApprovalRecord &approval,
                                     Refusal &refusal)
{
    const auto fresh = m_store.markUsed(
        QStringLiteral("proof"), QCryptographicHash::hash(proofJws, QCryptographicHash::Sha256),
        approval.expiresAt);
    if (!fresh)
        return fresh.error();
    if (!fresh.value()) {
        refusal = reject(Code::Replayed, QStringLiteral("this proof was already used"));
        return rolledBack();
    }
    return Ok{};
}

std::variant<ApprovalRecord, ProofRejection>
ApprovalBroker::checkPasskey(const ApprovalRecord &approval, const DeviceRecord &device,
                             const QJsonObject &evidence, QByteArrayView proofJws)
{
    const auto assertion = PasskeyAssertion::fromEvidence(evidence);
    if (!assertion)
        return reject(Code::InvalidEvidence, assertion.error().message);
    const QString credentialId = QString::fromLatin1(base64UrlEncode(assertion->credentialId));
    // The same answer for unknown keys and other users' keys: which
    // credential ids exist is none of this device's business.
    const auto credential = m_store.passkey(assertion->credentialId);
    if (!credential || credential->userId != approval.userId) {
        return reject(
            Code::InvalidEvidence,
            QStringLiteral("this security key is not registered for %1").arg(approval.userId));
    }
    const auto verified = verifyAssertion(*assertion, *credential, m_relyingParty,
                                          approval.requestHash, approval.userVerificationRequired);
    Refusal refusal;
    if (!verified) {
        const Status recorded = m_store.inTransaction([&]() -> Status {
            if (Status marked = markProofUsed(proofJws, approval, refusal); !marked)
                return marked;
            return audit(QStringLiteral("approval.passkey_rejected"), approval, device.deviceId,
                         QJsonObject{{QStringLiteral("credential_id"), credentialId},
                                     {QStringLiteral("reason"), verified.error().message}});
        });
        if (!recorded)
            return refusal ? *refusal : storageUnavailable(recorded.error());
        return reject(Code::InvalidEvidence, verified.error().message);
    }
    // The proof's mark, the counter, the approval and its record (or the
    // possible-clone record): one transaction.
    const qint64 now = m_clock.secondsSinceEpoch();
    std::optional<ApprovalRecord> resolved;
    const Status done = m_store.inTransaction([&]() -> Status {
        if (Status marked = markProofUsed(proofJws, approval, refusal); !marked)
            return marked;
        const auto applied = m_store.approveWithPasskey(
            approval.requestId, device.deviceId, now,
            PasskeyUse{assertion->credentialId, verified->signCount, verified->userVerified});
        if (!applied) {
            if (applied.error().code == ErrorCode::StorageFailure)
                return applied.error();
            const auto current = m_store.approval(approval.requestId);
            refusal =
                reject(current && current->state != ApprovalState::Pending ? Code::AlreadyResolved
                                                                           : Code::InvalidEvidence,
                       applied.error().message);
            return rolledBack();
        }
        if (applied.value() == PasskeyApprovalOutcome::CounterNotIncreased) {
            const auto stored = m_store.passkey(assertion->credentialId);
            refusal = reject(Code::PossibleClone,
                             QStringLiteral("the security key's signature counter did not "
                                            "increase; it may have been cloned. The approval is "
                                            "refused and the gateway admin is told."));
            // Committed: the record of a possible clone is the point.
            return audit(
                QStringLiteral("passkey.possible_clone"), approval, device.deviceId,
                QJsonObject{{QStringLiteral("credential_id"), credentialId},
                            {QStringLiteral("name"), credential->name},
                            {QStringLiteral("stored_count"),
                             qint64{stored ? stored->signCount : credential->signCount}},
                            {QStringLiteral("received_count"), qint64{verified->signCount}}});
        }
        ApprovalRecord approved = approval;
        approved.state = ApprovalState::Approved;
        approved.resolvedMethod = ApprovalMethod::Passkey;
        approved.resolvedByDevice = device.deviceId;
        approved.resolvedAt = now;
        approved.reason.clear();
        approved.userVerified = verified->userVerified;
        if (Status audited = auditResolution(approved); !audited)
            return audited;
        resolved = std::move(approved);
        return Ok{};
    });
    if (!done) {
        reload(approval.requestId);
        if (refusal && refusal->code != Code::PossibleClone)
            return *refusal;
        return storageUnavailable(done.error());
    }
    if (!resolved) {
        qCWarning(lcApprovals) << "passkey" << credentialId << "of" << approval.userId
                               << "sent a counter that did not increase: possible clone";
        return *refusal;
    }
    announce(*resolved);
    return *resolved;
}

std::variant<ApprovalRecord, ProofRejection>
ApprovalBroker::checkTotp(const ApprovalRecord &approval, const DeviceRecord &device,
                          const QJsonObject &evidence, QByteArrayView proofJws)
{
    const QString code = evidence.value(QStringLiteral("code")).toString();
    const QString lockReason = QStringLiteral("locked after %1 wrong codes").arg(maxFailedAttempts);
    // The proof's mark, the code's time step, and then either the approval
    // and its record or the failed attempt, its record and maybe the lock:
    // one transaction.
    Refusal refusal;
    std::optional<ApprovalRecord> resolved;
    bool wrongCode = false;
    int failures = 0;
    const Status done = m_store.inTransaction([&]() -> Status {
        if (Status marked = markProofUsed(proofJws, approval, refusal); !marked)
            return marked;
        switch (m_totp.check(approval.userId, code)) {
        case TotpChecker::Outcome::Valid: {
            auto approved = resolveInStore(approval, ApprovalState::Approved, ApprovalMethod::Totp,
                                           device.deviceId, {});
            if (!approved)
                return approved.error();
            resolved = std::move(approved).value();
            return Ok{};
        }
        case TotpChecker::Outcome::NotEnrolled:
            refusal =
                reject(Code::InvalidEvidence,
                       QStringLiteral("no TOTP authenticator is enrolled for %1; ask the gateway "
                                      "admin to run 'countersign-gateway totp enroll'")
                           .arg(approval.userId));
            return rolledBack();
        case TotpChecker::Outcome::StorageUnavailable:
            refusal = reject(Code::StorageUnavailable,
                             QStringLiteral("the gateway could not record the code's use; nothing "
                                            "was approved. Try again later or ask the gateway "
                                            "admin to check its disk."));
            return rolledBack();
        case TotpChecker::Outcome::Wrong:
        case TotpChecker::Outcome::Reused:
            break;
        }
        wrongCode = true;
        const auto counted = m_store.recordFailedAttempt(approval.requestId);
        if (!counted)
            return counted.error();
        failures = counted.value();
        if (Status audited =
                audit(QStringLiteral("approval.code_rejected"), approval, device.deviceId,
                      QJsonObject{{QStringLiteral("failures"), failures}});
            !audited)
            return audited;
        if (failures < maxFailedAttempts)
            return Ok{};
        ApprovalRecord counting = approval;
        counting.failedAttempts = failures;
        auto locked = resolveInStore(counting, ApprovalState::Denied, std::nullopt, device.deviceId,
                                     lockReason);
        if (!locked)
            return locked.error();
        resolved = std::move(locked).value();
        return Ok{};
    });
    if (!done) {
        reload(approval.requestId);
        if (refusal)
            return *refusal;
        if (!wrongCode)
            return resolveFailed(done.error());
        // A wrong code that could not be counted is refused as if it were
        // the last one allowed: the request is locked if that can be
        // stored, and refused either way (fail closed).
        const ApprovalRecord current = this->approval(approval.requestId).value_or(approval);
        if (const Status lockedNow =
                finish(current, ApprovalState::Denied, std::nullopt, device.deviceId, lockReason);
            !lockedNow)
            qCWarning(lcApprovals) << "approval" << approval.requestId
                                   << "could not be locked:" << lockedNow.error().message;
        return reject(Code::Locked, QStringLiteral("too many wrong codes; the request is denied"));
    }
    if (resolved) {
        announce(*resolved);
        if (!wrongCode)
            return *resolved;
        return reject(Code::Locked, QStringLiteral("too many wrong codes; the request is denied"));
    }
    ApprovalRecord counted = approval;
    counted.failedAttempts = failures;
    keep(counted);
    return reject(Code::InvalidCode, QStringLiteral("the code is wrong or was already used"),
                  maxFailedAttempts - failures);
}

Result<ElevatedToken> ApprovalBroker::redeem(const QString &requestId)
{
    const auto approval = this->approval(requestId);
    if (!approval || approval->state != ApprovalState::Approved) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request %1 is not approved").arg(requestId));
    }
    const auto request = decodeSignedRequest(*approval);
    if (!request) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("stored request %1 is unreadable").arg(requestId));
    }
    ElevatedGrant grant;
    grant.userId = approval->userId;
    grant.agent = request->sarc.subject.agent;
    grant.audience = approval->upstream;
    grant.action = request->sarc.action.name;
    grant.resource = request->sarc.resource.id;
    grant.argumentsHash = approval->argumentsHash;
    grant.requestHash = approval->requestHash;
    grant.method = approval->resolvedMethod.value_or(ApprovalMethod::Totp);
    grant.userVerified = approval->userVerified;
    // The single use, the token and its record: one transaction, so a token
    // that was never recorded was never redeemed either.
    std::optional<ElevatedToken> token;
    const Status done = m_store.inTransaction([&]() -> Status {
        const auto first = m_store.markUsed(QStringLiteral("redeemed"), requestId.toUtf8(),
                                            approval->expiresAt + 86400);
        if (!first)
            return first.error();
        if (!first.value()) {
            return makeError(
                ErrorCode::InvalidField,
                QStringLiteral("request %1 was already used for a call").arg(requestId));
        }
        auto issued = m_issuer.issue(grant);
        if (!issued)
            return issued.error();
        if (Status audited =
                audit(QStringLiteral("token.issued"), *approval, approval->resolvedByDevice,
                      QJsonObject{{QStringLiteral("jti"), issued->tokenId},
                                  {QStringLiteral("aud"), grant.audience}});
            !audited)
            return audited;
        token = std::move(issued).value();
        return Ok{};
    });
    if (!done)
        return done.error();
    return std::move(*token);
}

Result<std::optional<ApprovalRecord>> ApprovalBroker::forOperation(const QByteArray &dedupeKey,
                                                                   qint64 approvedSince) const
{
    return m_store.approvalForOperation(dedupeKey, m_clock.secondsSinceEpoch(), approvedSince);
}

QList<ApprovalRecord> ApprovalBroker::pending(const QString &userId) const
{
    const qint64 now = m_clock.secondsSinceEpoch();
    QList<ApprovalRecord> found;
    const auto collect = [&](const std::set<std::pair<qint64, QString>> &ids) {
        for (const auto &entry : ids) {
            const ApprovalRecord *approval = live(entry.second);
            if (approval && approval->expiresAt > now)
                found.append(*approval);
        }
    };
    if (!userId.isEmpty()) {
        if (const auto ids = m_pendingByUser.constFind(userId); ids != m_pendingByUser.cend())
            collect(*ids);
        return found;
    }
    for (const auto &ids : m_pendingByUser)
        collect(ids);
    // Oldest first, as the store lists them.
    std::sort(found.begin(), found.end(), [](const ApprovalRecord &a, const ApprovalRecord &b) {
        return std::pair(a.createdAt, a.requestId) < std::pair(b.createdAt, b.requestId);
    });
    return found;
}

std::optional<ApprovalRequest> ApprovalBroker::signedRequest(const ApprovalRecord &approval)
{
    return decodeSignedRequest(approval);
}

std::optional<ApprovalRecord> ApprovalBroker::approval(const QString &requestId) const
{
    if (const ApprovalRecord *kept = live(requestId))
        return *kept;
    // Resolved before this run, or long enough ago to be forgotten; or
    // unknown.
    return m_store.approval(requestId);
}

void ApprovalBroker::expireDue()
{
    const qint64 now = m_clock.secondsSinceEpoch();
    QStringList due;
    for (auto it = m_deadlines.cbegin(); it != m_deadlines.cend() && it->first <= now; ++it)
        due.append(it->second);
    bool retry = false;
    for (const QString &requestId : std::as_const(due)) {
        const ApprovalRecord *approval = live(requestId);
        if (!approval)
            continue;
        if (approval->state == ApprovalState::Pending) {
            // One that cannot be stored as expired stays pending (and is
            // refused as expired by the proof checks); tried again shortly.
            const ApprovalRecord current = *approval;
            if (const Status expired = finish(current, ApprovalState::Expired, std::nullopt, {},
                                              QStringLiteral("nobody approved it in time"));
                !expired) {
                qCWarning(lcApprovals) << "approval" << requestId
                                       << "could not be expired:" << expired.error().message;
                if (const ApprovalRecord *still = live(requestId);
                    still && still->state == ApprovalState::Pending) {
                    retry = true;
                    continue;
                }
            }
        }
        // Resolved and past its expiry: nobody may use it any more, so the
        // store alone answers for it from now on.
        forget(requestId);
    }
    m_expiryRetryAt = retry ? now + expiryRetrySeconds : 0;
    armExpiryTimer();
}

void ApprovalBroker::armExpiryTimer()
{
    if (m_deadlines.empty()) {
        m_expiryTimer.stop();
        m_armedFor.reset();
        return;
    }
    const qint64 deadline = std::max(m_deadlines.cbegin()->first, m_expiryRetryAt);
    // Already armed for it: a new approval that expires later changes nothing.
    if (m_armedFor == deadline && m_expiryTimer.isActive())
        return;
    m_armedFor = deadline;
    ++m_armings;
    const qint64 delay = std::clamp<qint64>(deadline - m_clock.secondsSinceEpoch(), 0, 3600) * 1000;
    m_expiryTimer.start(std::chrono::milliseconds(delay));
}

void ApprovalBroker::keep(const ApprovalRecord &approval)
{
    forget(approval.requestId);
    m_live.insert(approval.requestId, approval);
    m_deadlines.emplace(approval.expiresAt, approval.requestId);
    if (approval.state == ApprovalState::Pending)
        m_pendingByUser[approval.userId].emplace(approval.createdAt, approval.requestId);
}

void ApprovalBroker::forget(const QString &requestId)
{
    const auto kept = m_live.constFind(requestId);
    if (kept == m_live.cend())
        return;
    m_deadlines.erase({kept->expiresAt, requestId});
    if (const auto ids = m_pendingByUser.find(kept->userId); ids != m_pendingByUser.end()) {
        ids->erase({kept->createdAt, requestId});
        if (ids->empty())
            m_pendingByUser.erase(ids);
    }
    m_live.erase(kept);
}

const ApprovalRecord *ApprovalBroker::live(const QString &requestId) const
{
    const auto kept = m_live.constFind(requestId);
    return kept == m_live.cend() ? nullptr : &*kept;
}

void ApprovalBroker::reload(const QString &requestId)
{
    // Only after a failed step, so a read is fine here. An approval the
    // store cannot give back is left as it is.
    const auto stored = m_store.approval(requestId);
    if (!stored)
        return;
    if (live(requestId) || stored->state == ApprovalState::Pending) {
        keep(*stored);
        armExpiryTimer();
    }
}

Status ApprovalBroker::finish(const ApprovalRecord &approval, ApprovalState state,
                              std::optional<ApprovalMethod> method, const QString &deviceId,
                              const QString &reason)
{
    std::optional<ApprovalRecord> resolved;
    const Status done = m_store.inTransaction([&]() -> Status {
        auto result = resolveInStore(approval, state, method, deviceId, reason);
        if (!result)
            return result.error();
        resolved = std::move(result).value();
        return Ok{};
    });
    if (!done) {
        reload(approval.requestId);
        return done;
    }
    announce(*resolved);
    return Ok{};
}

Result<ApprovalRecord> ApprovalBroker::resolveInStore(const ApprovalRecord &approval,
                                                      ApprovalState state,
                                                      std::optional<ApprovalMethod> method,
                                                      const QString &deviceId,
                                                      const QString &reason)
{
    const qint64 at = m_clock.secondsSinceEpoch();
    if (Status done =
            m_store.resolveApproval(approval.requestId, state, method, deviceId, at, reason);
        !done) {
        return done.error();
    }
    // What the store now holds, without reading it back.
    ApprovalRecord resolved = approval;
    resolved.state = state;
    resolved.resolvedMethod = method;
    resolved.resolvedByDevice = deviceId;
    resolved.resolvedAt = at;
    resolved.reason = reason;
    resolved.userVerified = false;
    if (Status audited = auditResolution(resolved); !audited)
        return audited.error();
    return resolved;
}

Status ApprovalBroker::auditResolution(const ApprovalRecord &resolved)
{
    QJsonObject details;
    if (!resolved.reason.isEmpty())
        details.insert(QStringLiteral("reason"), resolved.reason);
    if (resolved.resolvedMethod == ApprovalMethod::Passkey)
        details.insert(QStringLiteral("user_verified"), resolved.userVerified);
    return audit(QStringLiteral("approval.") + approvalStateName(resolved.state), resolved,
                 resolved.resolvedByDevice, details);
}

void ApprovalBroker::announce(const ApprovalRecord &resolved)
{
    keep(resolved);
    qCInfo(lcApprovals) << "approval" << resolved.requestId << approvalStateName(resolved.state);
    m_agentGone.remove(resolved.requestId);
    Q_EMIT this->resolved(resolved);
}

void ApprovalBroker::setAgentWaiting(const QString &requestId, bool waiting)
{
    if (waiting == !m_agentGone.contains(requestId))
        return;
    const ApprovalRecord *approval = live(requestId);
    if (!approval || approval->state != ApprovalState::Pending) {
        m_agentGone.remove(requestId);
        return;
    }
    if (waiting)
        m_agentGone.remove(requestId);
    else
        m_agentGone.insert(requestId);
    qCInfo(lcApprovals) << "approval" << requestId
                        << (waiting ? "has its agent waiting again" : "lost its waiting agent");
    Q_EMIT agentWaitingChanged(*approval, waiting);
}

Status ApprovalBroker::audit(const QString &kind, const ApprovalRecord &approval,
                             const QString &deviceId, const QJsonObject &details)
{
    AuditEvent event;
    event.at = m_clock.secondsSinceEpoch();
    event.kind = kind;
    event.userId = approval.userId;
    event.requestId = approval.requestId;
    event.deviceId = deviceId;
    event.details = details;
    Status written = m_store.appendAudit(event);
    if (!written)
        qCWarning(lcApprovals) << "audit log write failed for" << kind << ":"
                               << written.error().message;
    return written;
}

} // namespace countersign::gateway
