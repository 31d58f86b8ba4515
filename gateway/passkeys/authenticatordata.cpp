#include "authenticatordata.h"

namespace countersign::gateway {

std::optional<AuthenticatorDataHead> AuthenticatorDataHead::parse(QByteArrayView raw)
{
    if (raw.size() < size)
        return std::nullopt;
    AuthenticatorDataHead head;
    head.rpIdHash = raw.first(32).toByteArray();
    const auto flags = static_cast<quint8>(raw[32]);
    head.userPresent = (flags & 0x01) != 0;
    head.userVerified = (flags & 0x04) != 0;
    head.backupEligible = (flags & 0x08) != 0;
    head.backedUp = (flags & 0x10) != 0;
    head.attestedCredential = (flags & 0x40) != 0;
    head.extensions = (flags & 0x80) != 0;
    for (int i = 33; i < 37; ++i)
        head.signCount = (head.signCount << 8) | static_cast<quint8>(raw[i]);
    return head;
}

} // namespace countersign::gateway
