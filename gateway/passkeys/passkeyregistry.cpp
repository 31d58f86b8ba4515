#include "passkeyregistry.h"

#include "gateway/passkeys/registrationverifier.h"
#include "protocol/base64url.h"
#include "protocol/randombytes.h"

#include <QJsonArray>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPasskeys, "countersign.gateway.passkeys")

namespace countersign::gateway {

namespace {

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(base64UrlEncode(bytes));
}

using Code = ChannelErrorCode;

PasskeyRefusal refusal(ChannelErrorCode code, QString message)
{
    return PasskeyRefusal{code, std::move(message), {}, {}};
}

} // namespace

PasskeyRegistry::PasskeyRegistry(Store &store, const Clock &clock, RelyingParty rp, TotpCheck totp,
                                 QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
    , m_rp(std::move(rp))
    , m_totp(std::move(totp))
{
}

Result<QJsonObject> PasskeyRegistry::context(const QString &userId)
{
    const auto handle = m_store.passkeyUserHandle(userId, randomBytes(userHandleBytes));
    if (!handle)
        return handle.error();
    QJsonArray credentials;
    for (const PasskeyCredential &credential : m_store.passkeys(userId)) {
        credentials.append(
            QJsonObject{{QStringLiteral("credential_id"), b64(credential.credentialId)},
                        {QStringLiteral("name"), credential.name},
                        {QStringLiteral("created"), credential.createdAt},
                        {QStringLiteral("user_verification"), credential.userVerified}});
    }
    return QJsonObject{{QStringLiteral("rp_id"), m_rp.id},
                       {QStringLiteral("user_handle"), b64(handle.value())},
                       {QStringLiteral("user_name"), userId},
                       {QStringLiteral("credentials"), credentials}};
}

std::optional<PasskeyRefusal>
PasskeyRegistry::registerPasskey(const DeviceRecord &device,
                                 const channel::PasskeyRegister &message, const QString &challenge)
{
    if (auto revoked = refuseRevoked(device))
        return revoked;
    // The name was checked with the message (1..64 printable characters).
    const auto registration = PasskeyRegistration::fromJson(message.credential);
    if (!registration)
        return refusal(Code::InvalidRegistration, registration.error().message);
    const auto verified = verifyRegistration(registration.value(), m_rp, challenge);
    if (!verified) {
        qCInfo(lcPasskeys) << "registration refused for" << device.userId << ":"
                           << verified.error().message;
        audit(QStringLiteral("passkey.register_refused"), device,
              QJsonObject{{QStringLiteral("reason"), verified.error().message}});
        return refusal(Code::InvalidRegistration, verified.error().message);
    }
    // After the registration's own checks, so that a malformed one does not
    // use up the person's code; before anything is stored.
    if (auto unproven = checkFactor(device, message.factor, QStringLiteral("register")))
        return unproven;
    // Before it is stored: the user needs a handle for the welcome anyway.
    if (auto handle = context(device.userId); !handle)
        return refusal(Code::InvalidRegistration, handle.error().message);

    PasskeyCredential credential;
    credential.credentialId = verified->credentialId;
    credential.userId = device.userId;
    credential.name = message.name;
    credential.publicKey = verified->publicKey;
    credential.signCount = verified->signCount;
    credential.userVerified = verified->userVerified;
    credential.backupEligible = verified->backupEligible;
    credential.createdAt = m_clock.secondsSinceEpoch();
    const auto added = m_store.addPasskey(credential, RelyingParty::maxPasskeysPerUser);
    if (!added)
        return refusal(Code::InvalidRegistration, added.error().message);
    switch (added.value()) {
    case PasskeyAddOutcome::Exists:
        return refusal(Code::PasskeyExists,
                       QStringLiteral("this security key is registered already"));
    case PasskeyAddOutcome::TooMany:
        return refusal(Code::TooManyPasskeys,
                       QStringLiteral("%1 security keys are registered, the most a user may have; "
                                      "remove one first")
                           .arg(RelyingParty::maxPasskeysPerUser));
    case PasskeyAddOutcome::Added:
        break;
    }
    audit(QStringLiteral("passkey.registered"), device,
          QJsonObject{{QStringLiteral("credential_id"), b64(credential.credentialId)},
                      {QStringLiteral("name"), credential.name},
                      {QStringLiteral("fmt"), registration->fmt},
                      {QStringLiteral("attestation"),
                       registration->fmt == u"none"
                           ? QStringLiteral("none")
                           : (registration->x5c.isEmpty() ? QStringLiteral("self")
                                                          : QStringLiteral("basic"))},
                      {QStringLiteral("user_verification"), credential.userVerified},
                      {QStringLiteral("backup_eligible"), credential.backupEligible}});
    qCInfo(lcPasskeys) << "passkey" << credential.name << "registered for" << device.userId;
    Q_EMIT changed(device.userId,
                   channel::PasskeyChange{QStringLiteral("added"), credential.name, device.name});
    return std::nullopt;
}

std::optional<PasskeyRefusal> PasskeyRegistry::removePasskey(const DeviceRecord &device,
                                                             const channel::PasskeyRemove &message)
{
    if (auto revoked = refuseRevoked(device))
        return revoked;
    const QByteArray &id = message.credentialId;
    // Whose key it is first: the welcome lists the user's own keys anyway,
    // and a code is not used up on a key that is not there.
    const auto existing = m_store.passkey(id);
    if (!existing || existing->userId != device.userId) {
        return refusal(
            Code::UnknownPasskey,
            QStringLiteral("no such security key is registered for %1").arg(device.userId));
    }
    if (auto unproven = checkFactor(device, message.factor, QStringLiteral("remove")))
        return unproven;
    const auto removed = m_store.removePasskey(device.userId, id);
    if (!removed)
        return refusal(Code::UnknownPasskey, removed.error().message);
    if (!removed.value()) {
        return refusal(
            Code::UnknownPasskey,
            QStringLiteral("no such security key is registered for %1").arg(device.userId));
    }
    audit(QStringLiteral("passkey.removed"), device,
          QJsonObject{{QStringLiteral("credential_id"), b64(id)},
                      {QStringLiteral("name"), existing->name}});
    qCInfo(lcPasskeys) << "passkey removed for" << device.userId;
    Q_EMIT changed(device.userId,
                   channel::PasskeyChange{QStringLiteral("removed"), existing->name, device.name});
    return std::nullopt;
}

std::optional<PasskeyRefusal>
PasskeyRegistry::checkFactor(const DeviceRecord &device,
                             const std::optional<channel::PasskeyFactor> &factor,
                             const QString &action)
{
    const QString what = action == u"register" ? QStringLiteral("registering a security key")
                                               : QStringLiteral("removing a security key");
    if (!m_store.totpEnrollment(device.userId)) {
        audit(QStringLiteral("passkey.%1_refused").arg(action), device,
              QJsonObject{{QStringLiteral("reason"), QStringLiteral("no TOTP enrolled")}});
        return refusal(Code::FactorRequired,
                       QStringLiteral("%1 needs a code from your authenticator app, and none is "
                                      "enrolled for %2; ask the gateway admin to run "
                                      "'countersign-gateway totp enroll --user %2'")
                           .arg(what, device.userId));
    }
    if (!factor) {
        audit(QStringLiteral("passkey.%1_refused").arg(action), device,
              QJsonObject{{QStringLiteral("reason"), QStringLiteral("no factor sent")}});
        return refusal(Code::FactorRequired,
                       QStringLiteral("%1 needs a fresh code from your authenticator app; if "
                                      "Countersign did not ask for one, update it")
                           .arg(what));
    }
    // Checked before the code, so that a locked guesser learns nothing.
    if (recentFactorFailures(device.userId) >= maxFactorFailures) {
        const qint64 unlockAt = m_factorFailures.value(device.userId).first() + factorLockSeconds;
        const qint64 minutes = (unlockAt - m_clock.secondsSinceEpoch() + 59) / 60;
        return PasskeyRefusal{Code::InvalidFactor,
                              QStringLiteral("too many wrong codes; security keys of %1 cannot "
                                             "be changed for %2 more minutes")
                                  .arg(device.userId)
                                  .arg(qMax<qint64>(minutes, 1)),
                              {},
                              0};
    }
    switch (m_totp(device.userId, factor->totpCode)) {
    case CodeCheck::Valid:
        return std::nullopt;
    case CodeCheck::NotEnrolled:
        return refusal(Code::FactorRequired,
                       QStringLiteral("the TOTP enrolment of %1 cannot be read; ask the gateway "
                                      "admin to enrol it again")
                           .arg(device.userId));
    case CodeCheck::StorageUnavailable:
        // Not the person's mistake: no failure counted (docs/protocol.md 5.3).
        return refusal(Code::StorageUnavailable,
                       QStringLiteral("the gateway could not record the code's use, so nothing "
                                      "was changed; try again later or ask the gateway admin to "
                                      "check its disk"));
    case CodeCheck::Wrong:
        break;
    }
    m_factorFailures[device.userId].append(m_clock.secondsSinceEpoch());
    const int failures = recentFactorFailures(device.userId);
    audit(QStringLiteral("passkey.factor_rejected"), device,
          QJsonObject{{QStringLiteral("action"), action}, {QStringLiteral("failures"), failures}});
    qCInfo(lcPasskeys) << "wrong factor code for a passkey change of" << device.userId;
    const int left = qMax(0, maxFactorFailures - failures);
    return PasskeyRefusal{Code::InvalidFactor,
                          left > 0 ? QStringLiteral("the code is wrong or was already used; wait "
                                                    "for the next code and try again")
                                   : QStringLiteral("too many wrong codes; security keys of %1 "
                                                    "cannot be changed for %2 minutes")
                                         .arg(device.userId)
                                         .arg(factorLockSeconds / 60),
                          {},
                          left};
}

int PasskeyRegistry::recentFactorFailures(const QString &userId)
{
    const auto found = m_factorFailures.find(userId);
    if (found == m_factorFailures.end())
        return 0;
    const qint64 since = m_clock.secondsSinceEpoch() - factorLockSeconds;
    QList<qint64> &times = found.value();
    times.removeIf([since](qint64 at) { return at <= since; });
    const int count = static_cast<int>(times.size());
    if (count == 0)
        m_factorFailures.erase(found);
    return count;
}

std::optional<PasskeyRefusal> PasskeyRegistry::refuseRevoked(const DeviceRecord &device) const
{
    const auto current = m_store.device(device.deviceId);
    if (!current || current->isRevoked())
        return refusal(Code::DeviceRevoked, QStringLiteral("this device was revoked"));
    return std::nullopt;
}

void PasskeyRegistry::audit(const QString &kind, const DeviceRecord &device,
                            const QJsonObject &details)
{
    AuditEvent event;
    event.at = m_clock.secondsSinceEpoch();
    event.kind = kind;
    event.userId = device.userId;
    event.deviceId = device.deviceId;
    event.details = details;
    if (auto written = m_store.appendAudit(event); !written)
        qCWarning(lcPasskeys) << "audit log write failed:" << written.error().message;
}

} // namespace countersign::gateway
