#pragma once

#include "protocol/jose/ecprivatekey.h"

#include <QJsonObject>

namespace countersign::gateway {

// The gateway's ES256 signing key: signs approval requests and elevated
// tokens. Kept as PKCS#8 DER in <data dir>/signing-key.der (mode 0600) and
// created on first start, so that paired companions keep trusting it.
class SigningKey {
public:
    static constexpr QLatin1StringView fileName{"signing-key.der"};

    static Result<EcPrivateKey> loadOrCreate(const QString &dataDir);

    // The JWK Set published at /.well-known/jwks.json.
    static QJsonObject jwks(const EcPublicKey &key);
};

} // namespace countersign::gateway
