#include "pairingservice.h"

#include "gateway/store/auditrecord.h"
#include "protocol/messages/deviceproof.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/randombytes.h"
#include "protocol/strictjson.h"

#include <QCryptographicHash>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPairing, "countersign.gateway.pairing")

namespace countersign::gateway {

namespace {

constexpr qsizetype codeBytes = 24;
constexpr qsizetype maxDeviceNameLength = 64;

PairingRefusal malformed(QString message)
{
    return PairingRefusal{400, QStringLiteral("malformed_request"), std::move(message)};
}

// The proof of possession failed: the request is well-formed, but the
// device key did not sign this code now.
PairingRefusal invalidProof(QString message)
{
    return PairingRefusal{400, QStringLiteral("invalid_proof"), std::move(message)};
}

} // namespace

PairingService::PairingService(Store &store, const Clock &clock, GatewayIdentity identity,
                               qint64 offerTtlSeconds)
    : m_store(store)
    , m_clock(clock)
    , m_identity(std::move(identity))
    , m_offerTtlSeconds(offerTtlSeconds)
{
}

QByteArray PairingService::codeHash(const QString &code)
{
    return QCryptographicHash::hash(code.toUtf8(), QCryptographicHash::Sha256);
}

Result<CreatedOffer> PairingService::createOffer(const QString &userId)
{
    const QString code = randomToken(codeBytes);
    auto link = PairingLink::create(PairingLink::Fields{m_identity.publicUrl, code,
                                                        m_identity.signingKey.thumbprint(),
                                                        m_identity.spkiPin, m_identity.name});
    if (!link)
        return link.error();
    PairingOffer offer;
    offer.codeHash = codeHash(code);
    offer.userId = userId;
    offer.createdAt = m_clock.secondsSinceEpoch();
    offer.expiresAt = offer.createdAt + m_offerTtlSeconds;
    if (auto stored = m_store.addPairingOffer(offer); !stored)
        return stored.error();
    AuditEvent event;
    event.at = offer.createdAt;
    event.kind = QStringLiteral("pairing.offered");
    event.userId = userId;
    recordAudit(m_store, event);
    return CreatedOffer{std::move(link).value(), offer.expiresAt};
}

std::variant<QJsonObject, PairingRefusal> PairingService::redeem(QByteArrayView body)
{
    if (body.size() > maxRequestBytes)
        return PairingRefusal{413, QStringLiteral("too_large"),
                              QStringLiteral("request too large")};
    const auto json = parseStrictJsonObject(body, QStringLiteral("pairing request"));
    if (!json)
        return malformed(json.error().message);
    const JsonFields fields(json.value(), QStringLiteral("pair"));
    if (auto known = fields.checkOnly({QStringLiteral("v"), QStringLiteral("code"),
                                       QStringLiteral("device_name"), QStringLiteral("device_key"),
                                       QStringLiteral("proof"), QStringLiteral("passkey")});
        !known) {
        return malformed(known.error().message);
    }
    if (json->contains(QStringLiteral("passkey"))) {
        return PairingRefusal{400, QStringLiteral("unsupported_passkey"),
                              QStringLiteral("passkeys are not registered at pairing: pair "
                                             "without one, then register it on the channel "
                                             "(docs/protocol.md section 8.2)")};
    }
    const auto version = fields.requiredInteger(QStringLiteral("v"));
    if (!version)
        return malformed(version.error().message);
    if (version.value() != 1) {
        return PairingRefusal{400, QStringLiteral("unsupported_version"),
                              QStringLiteral("this gateway speaks pairing version 1")};
    }
    const auto code = fields.requiredString(QStringLiteral("code"), 128);
    const auto name = fields.requiredString(QStringLiteral("device_name"), maxDeviceNameLength);
    const auto keyJson = fields.requiredObject(QStringLiteral("device_key"));
    const auto proofText = fields.requiredString(QStringLiteral("proof"), 8192);
    for (const Error *error :
         {code ? nullptr : &code.error(), name ? nullptr : &name.error(),
          keyJson ? nullptr : &keyJson.error(), proofText ? nullptr : &proofText.error()}) {
        if (error)
            return malformed(error->message);
    }
    const auto deviceKey = EcPublicKey::fromJwk(keyJson.value());
    if (!deviceKey)
        return malformed(QStringLiteral("pair.device_key: ") + deviceKey.error().message);

    // Possession of the device key: it signed this very code, recently,
    // under its own thumbprint as kid. Checked before the code is looked
    // at, so a refused proof leaves the code unspent (docs/protocol.md 2.2).
    const auto proof = verifyPairingProof(proofText->toLatin1(), deviceKey.value());
    if (!proof) {
        if (proof.error().code == ErrorCode::UnsupportedVersion) {
            return PairingRefusal{400, QStringLiteral("unsupported_version"),
                                  proof.error().message};
        }
        return invalidProof(QStringLiteral("pair.proof: ") + proof.error().message);
    }
    const qint64 now = m_clock.secondsSinceEpoch();
    if (proof->code != code.value() || qAbs(proof->issuedAt - now) > proofFreshnessSeconds) {
        return invalidProof(QStringLiteral("pair.proof must sign this code and the current time "
                                           "(iat within %1 seconds of the gateway's clock)")
                                .arg(proofFreshnessSeconds));
    }

    DeviceRecord device;
    // Never a leading '-': `devices revoke ID` would read the id as an
    // option (1 id in 64 did, and could only be revoked after `--`).
    do {
        device.deviceId = randomToken(16);
    } while (device.deviceId.startsWith(u'-'));
    device.name = name.value();
    device.publicJwk = deviceKey->toJwk();
    device.keyThumbprint = deviceKey->thumbprint();
    device.pairedAt = now;
    const auto paired = m_store.redeemPairingOffer(codeHash(code.value()), now, device);
    if (!paired) {
        if (paired.error().code == ErrorCode::StorageFailure) {
            return PairingRefusal{500, QStringLiteral("storage_failure"),
                                  QStringLiteral("the gateway could not store the pairing")};
        }
        return PairingRefusal{401, QStringLiteral("invalid_code"),
                              QStringLiteral("the pairing code is invalid, used or expired; "
                                             "create a new one with 'countersign-gateway pair'")};
    }
    AuditEvent event;
    event.at = now;
    event.kind = QStringLiteral("pairing.completed");
    event.userId = paired->userId;
    event.deviceId = paired->deviceId;
    event.details = QJsonObject{{QStringLiteral("device_name"), paired->name}};
    recordAudit(m_store, event);
    qCInfo(lcPairing) << "device" << paired->deviceId << "paired for" << paired->userId;

    return QJsonObject{
        {QStringLiteral("v"), 1},
        {QStringLiteral("device_id"), paired->deviceId},
        {QStringLiteral("user"), paired->userId},
        {QStringLiteral("gateway_id"), m_identity.gatewayId},
        {QStringLiteral("gateway_name"), m_identity.name},
        {QStringLiteral("gateway_key"), m_identity.signingKey.toJwk()},
    };
}

} // namespace countersign::gateway
