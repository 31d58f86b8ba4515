// Any bytes as a gateway configuration file and as a policy file: parsing
// must refuse or accept with a message, never crash (yaml-cpp throws; every
// exception must be caught). The sections parse() leaves to others (agents,
// upstreams, policy, pdp) are read by their own parsers, as GatewayRuntime
// does, so the whole file is fuzzed, not only its top level. A `file:` or
// a path would make a parser read the disk; the folder named here does not
// exist, so what is fuzzed is the text.
#include "gateway/config/gatewayconfig.h"
#include "gateway/mcp/agentdirectory.h"
#include "gateway/mcp/upstreamconfig.h"
#include "gateway/pdp/externalpdpconfig.h"
#include "gateway/pdp/policy.h"

#include <cstddef>
#include <cstdint>

using namespace countersign::gateway;

namespace {

template <typename T>
void requireMessage(const countersign::Result<T> &result)
{
    if (!result.ok() && result.error().message.isEmpty())
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const QString path = QStringLiteral("/nonexistent/fuzz/gateway.yaml");
    const auto config = GatewayConfig::parse(input, path);
    requireMessage(config);
    requireMessage(Policy::parse(input, QStringLiteral("/nonexistent/fuzz/policy.yaml")));
    if (!config)
        return 0;
    const auto &reserved = config->reserved;
    if (const auto agents = reserved.find(QStringLiteral("agents")); agents != reserved.end())
        requireMessage(AgentDirectory::fromConfigSection(agents->yaml, agents->line, path));
    if (const auto ups = reserved.find(QStringLiteral("upstreams")); ups != reserved.end())
        requireMessage(UpstreamConfig::fromConfigSection(ups->yaml, ups->line, path));
    if (const auto policy = reserved.find(QStringLiteral("policy"));
        policy != reserved.end() && !policy->yaml.contains("file"))
        requireMessage(Policy::fromConfigSection(policy->yaml, policy->line, path));
    if (const auto pdp = reserved.find(QStringLiteral("pdp")); pdp != reserved.end())
        requireMessage(ExternalPdpConfig::fromConfigSection(pdp->yaml, pdp->line, path));
    return 0;
}
