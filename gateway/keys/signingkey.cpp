#include "signingkey.h"

#include "gateway/keys/privatefile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

namespace countersign::gateway {

Result<EcPrivateKey> SigningKey::loadOrCreate(const QString &dataDir)
{
    const QString path = QDir(dataDir).filePath(fileName);
    if (QFileInfo::exists(path)) {
        const auto der = readPrivateFile(path);
        if (!der)
            return der.error();
        auto key = EcPrivateKey::fromPkcs8Der(der.value());
        if (!key) {
            return makeError(key.error().code,
                             QStringLiteral("%1: %2. Restore it from a backup; "
                                            "a new key would unpair every "
                                            "companion.")
                                 .arg(path, key.error().message));
        }
        return key;
    }
    auto key = EcPrivateKey::generate();
    if (!key)
        return key;
    if (auto written = writePrivateFile(path, key->toPkcs8Der()); !written)
        return written.error();
    return key;
}

QJsonObject SigningKey::jwks(const EcPublicKey &key)
{
    QJsonObject jwk = key.toJwk();
    jwk.insert(QStringLiteral("kid"), key.thumbprint());
    jwk.insert(QStringLiteral("alg"), QStringLiteral("ES256"));
    jwk.insert(QStringLiteral("use"), QStringLiteral("sig"));
    return QJsonObject{{QStringLiteral("keys"), QJsonArray{jwk}}};
}

} // namespace countersign::gateway
