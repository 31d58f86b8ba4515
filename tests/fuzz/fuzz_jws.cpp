// Any bytes as a compact JWS: decoding and verifying must refuse or accept
// without crashing, and nothing unsigned by the key may verify.
#include "protocol/jose/jws.h"

#include <cstddef>
#include <cstdint>

using namespace countersign;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const EcPrivateKey key = EcPrivateKey::generate().value();
    const QByteArrayView input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const auto decoded = Jws::decodeUnverified(input);
    const auto verified = Jws::verify(input, key.publicKey());
    // Random input never carries a valid signature by our fresh key.
    if (verified.ok())
        __builtin_trap();
    if (decoded.ok() && decoded->signature.size() != 64)
        __builtin_trap();
    return 0;
}
