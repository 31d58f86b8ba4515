#pragma once

#include "gateway/store/store.h"
#include "protocol/clock.h"
#include "protocol/jose/ecpublickey.h"
#include "protocol/pairing/pairinglink.h"

#include <variant>

#include <QJsonObject>

namespace countersign::gateway {

// Who the gateway is, as a companion learns it at pairing.
struct GatewayIdentity {
    QString gatewayId; // the public URL, as text
    QUrl publicUrl;
    QString name;
    EcPublicKey signingKey;
    QString spkiPin; // base64url SHA-256 of the TLS SPKI when self-signed, else empty
};

struct CreatedOffer {
    PairingLink link;
    qint64 expiresAt = 0;
};

// An HTTP answer to a refused pairing request (docs/protocol.md 2.2).
struct PairingRefusal {
    int httpStatus = 400;
    QString error; // "malformed_request", "invalid_code", ...
    QString message;
};

// Single-use pairing offers and their redemption by a companion.
class PairingService {
public:
    static inline const QString proofType = QStringLiteral("countersign-pair+jwt");
    static constexpr qint64 proofFreshnessSeconds = 300;
    static constexpr qsizetype maxRequestBytes = 16 * 1024;

    PairingService(Store &store, const Clock &clock, GatewayIdentity identity,
                   qint64 offerTtlSeconds);

    Result<CreatedOffer> createOffer(const QString &userId);

    // The body of POST /companion/v1/pair; on success the 201 response body.
    std::variant<QJsonObject, PairingRefusal> redeem(QByteArrayView body);

    static QByteArray codeHash(const QString &code);

private:
    Store &m_store;
    const Clock &m_clock;
    GatewayIdentity m_identity;
    qint64 m_offerTtlSeconds;
};

} // namespace countersign::gateway
