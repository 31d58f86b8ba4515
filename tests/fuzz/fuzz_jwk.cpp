// Any bytes as a JWK (JSON) or an EC point: import must refuse or accept
// without crashing; an accepted key must round-trip.
#include "protocol/jose/ecprivatekey.h"
#include "protocol/jose/jwkthumbprint.h"

#include <cstddef>
#include <cstdint>

#include <QJsonDocument>

using namespace countersign;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const QJsonObject jwk = QJsonDocument::fromJson(input).object();
    (void)jwkThumbprint(jwk);
    if (const auto key = EcPublicKey::fromJwk(jwk); key.ok()) {
        if (!(EcPublicKey::fromJwk(key->toJwk()).value() == key.value()))
            __builtin_trap();
    }
    (void)EcPrivateKey::fromJwk(jwk);
    if (const auto key = EcPublicKey::fromUncompressedPoint(input); key.ok()) {
        if (key->uncompressedPoint() != input)
            __builtin_trap();
    }
    (void)EcPrivateKey::fromPkcs8Der(input);
    return 0;
}
