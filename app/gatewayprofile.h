#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QUrl>

namespace countersign {

// A paired gateway as the companion remembers it: what pairing pinned (the
// gateway key, the gateway id, the TLS key) and who this device is there.
// Nothing in it is secret; the device private key stays in the keychain under
// SecretStore::deviceKeyName(gatewayId).
struct GatewayProfile {
    QString gatewayId;      // the gateway's own id from pairing; every request must carry it
    QString name;           // display name (the gateway's, until the person renames it)
    QUrl baseUrl;           // where the gateway answers (the link's "gw")
    QString deviceId;       // this device's id at the gateway
    QString deviceName;     // the name it was registered under (empty in older records)
    QString userId;         // the person the gateway paired this device for
    QJsonObject gatewayKey; // the gateway's public signing JWK, pinned
    QString spkiPin;        // base64url SHA-256 of the TLS key when pinned, else empty

    friend bool operator==(const GatewayProfile &, const GatewayProfile &) = default;
};

} // namespace countersign

Q_DECLARE_METATYPE(countersign::GatewayProfile)
