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

PasskeyRegistry::PasskeyRegistry(Store &store, const Clock &clock, RelyingParty rp, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
    , m_rp(std::move(rp))
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
    Q_EMIT changed(device.userId);
    return std::nullopt;
}

std::optional<PasskeyRefusal> PasskeyRegistry::removePasskey(const DeviceRecord &device,
                                                             const channel::PasskeyRemove &message)
{
    if (auto revoked = refuseRevoked(device))
        return revoked;
    const QByteArray &id = message.credentialId;
    const auto removed = m_store.removePasskey(device.userId, id);
    if (!removed)
        return refusal(Code::UnknownPasskey, removed.error().message);
    if (!removed.value()) {
        return refusal(
            Code::UnknownPasskey,
            QStringLiteral("no such security key is registered for %1").arg(device.userId));
    }
    audit(QStringLiteral("passkey.removed"), device,
          QJsonObject{{QStringLiteral("credential_id"), b64(id)}});
    qCInfo(lcPasskeys) << "passkey removed for" << device.userId;
    Q_EMIT changed(device.userId);
    return std::nullopt;
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
