#include "relyingparty.h"

namespace countersign::gateway {

RelyingParty RelyingParty::forGateway(const QUrl &gatewayUrl, const QString &configuredId)
{
    return RelyingParty{configuredId.isEmpty() ? gatewayUrl.host().toLower() : configuredId,
                        gatewayUrl.toString(QUrl::FullyEncoded)};
}

} // namespace countersign::gateway
