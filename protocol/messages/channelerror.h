#pragma once

#include <optional>

#include <QString>
#include <QStringView>

namespace countersign {

// Every code an `error` message of the companion channel can carry
// (docs/protocol.md 4.1, 5.3 and 8.2): the one vocabulary the gateway refuses
// with and the companion matches on. The wire name of each is in brackets.
enum class ChannelErrorCode {
    // Proof checks (4.1)
    BadSignature,        // bad_signature
    UnknownDevice,       // unknown_device
    DeviceRevoked,       // device_revoked (also for passkey changes, 8.2)
    UnknownRequest,      // unknown_request
    AlreadyResolved,     // already_resolved
    WrongDevice,         // wrong_device
    RequestHashMismatch, // request_hash_mismatch
    Replayed,            // replayed
    Expired,             // expired
    MethodNotAllowed,    // method_not_allowed
    InvalidEvidence,     // invalid_evidence
    InvalidCode,         // invalid_code, with attempts_left
    Locked,              // locked
    PossibleClone,       // possible_clone
    // Passkey registration and removal (8.2)
    InvalidRegistration, // invalid_registration
    PasskeyExists,       // passkey_exists
    TooManyPasskeys,     // too_many_passkeys
    UnknownPasskey,      // unknown_passkey
    // The second factor a passkey change needs (8.2, since v1.3)
    FactorRequired, // factor_required: none sent, or the user has none enrolled
    InvalidFactor,  // invalid_factor, with attempts_left (0 while locked)
    // The channel itself (5.3)
    MalformedMessage,   // malformed_message
    UnsupportedMessage, // unsupported_message
    UnsupportedVersion, // unsupported_version: a signed payload's "v" is not 1 (9)
    StorageUnavailable, // storage_unavailable: the gateway could not store it; try again later
    // Never on the wire: the companion's own refusal of a proof whose answer
    // cannot come because the connection dropped.
    ConnectionLost, // connection_lost
};

QString channelErrorCodeName(ChannelErrorCode code);
std::optional<ChannelErrorCode> parseChannelErrorCode(QStringView name);

// The codes that answer passkey.register and passkey.remove only (8.2);
// device_revoked answers either kind of message and is not among them.
bool isPasskeyChangeError(ChannelErrorCode code);

} // namespace countersign
