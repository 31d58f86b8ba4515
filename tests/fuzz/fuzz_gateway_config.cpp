// Any bytes as a gateway configuration file and as a policy file: parsing
// must refuse or accept with a message, never crash (yaml-cpp throws; every
// exception must be caught).
#include "gateway/config/gatewayconfig.h"
#include "gateway/pdp/policy.h"

#include <cstddef>
#include <cstdint>

using namespace countersign::gateway;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const auto config = GatewayConfig::parse(input, QStringLiteral("/fuzz/gateway.yaml"));
    if (!config.ok() && config.error().message.isEmpty())
        __builtin_trap();
    const auto policy = Policy::parse(input, QStringLiteral("/fuzz/policy.yaml"));
    if (!policy.ok() && policy.error().message.isEmpty())
        __builtin_trap();
    return 0;
}
