#include "channelerror.h"

#include <array>
#include <utility>

namespace countersign {

namespace {

using Entry = std::pair<ChannelErrorCode, const char16_t *>;

// One table for both directions, so a name and its parse cannot drift apart.
constexpr std::array<Entry, 25> names{{
    {ChannelErrorCode::BadSignature, u"bad_signature"},
    {ChannelErrorCode::UnknownDevice, u"unknown_device"},
    {ChannelErrorCode::DeviceRevoked, u"device_revoked"},
    {ChannelErrorCode::UnknownRequest, u"unknown_request"},
    {ChannelErrorCode::AlreadyResolved, u"already_resolved"},
    {ChannelErrorCode::WrongDevice, u"wrong_device"},
    {ChannelErrorCode::RequestHashMismatch, u"request_hash_mismatch"},
    {ChannelErrorCode::Replayed, u"replayed"},
    {ChannelErrorCode::Expired, u"expired"},
    {ChannelErrorCode::MethodNotAllowed, u"method_not_allowed"},
    {ChannelErrorCode::InvalidEvidence, u"invalid_evidence"},
    {ChannelErrorCode::InvalidCode, u"invalid_code"},
    {ChannelErrorCode::Locked, u"locked"},
    {ChannelErrorCode::PossibleClone, u"possible_clone"},
    {ChannelErrorCode::InvalidRegistration, u"invalid_registration"},
    {ChannelErrorCode::PasskeyExists, u"passkey_exists"},
    {ChannelErrorCode::TooManyPasskeys, u"too_many_passkeys"},
    {ChannelErrorCode::UnknownPasskey, u"unknown_passkey"},
    {ChannelErrorCode::FactorRequired, u"factor_required"},
    {ChannelErrorCode::InvalidFactor, u"invalid_factor"},
    {ChannelErrorCode::MalformedMessage, u"malformed_message"},
    {ChannelErrorCode::UnsupportedMessage, u"unsupported_message"},
    {ChannelErrorCode::UnsupportedVersion, u"unsupported_version"},
    {ChannelErrorCode::StorageUnavailable, u"storage_unavailable"},
    {ChannelErrorCode::ConnectionLost, u"connection_lost"},
}};

} // namespace

QString channelErrorCodeName(ChannelErrorCode code)
{
    for (const auto &[value, name] : names) {
        if (value == code)
            return QString::fromUtf16(name);
    }
    Q_UNREACHABLE();
    return {};
}

std::optional<ChannelErrorCode> parseChannelErrorCode(QStringView name)
{
    for (const auto &[value, wire] : names) {
        if (name == QStringView(wire))
            return value;
    }
    return std::nullopt;
}

bool isPasskeyChangeError(ChannelErrorCode code)
{
    switch (code) {
    case ChannelErrorCode::InvalidRegistration:
    case ChannelErrorCode::PasskeyExists:
    case ChannelErrorCode::TooManyPasskeys:
    case ChannelErrorCode::UnknownPasskey:
    case ChannelErrorCode::FactorRequired:
    case ChannelErrorCode::InvalidFactor:
        return true;
    default:
        return false;
    }
}

} // namespace countersign
