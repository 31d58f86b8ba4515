#pragma once

#include <QString>

namespace countersign {

// Every way a protocol input can be refused. Callers and tests match on the
// code; the message is for people (logs, dialogs) and says what was wrong.
enum class ErrorCode {
    // Encoding
    InputTooLarge,
    MalformedBase64,
    MalformedBase32,
    MalformedJson,
    // JOSE
    MalformedJws,
    AlgorithmNone,
    UnsupportedAlgorithm,
    UnsupportedHeader,
    UnexpectedType,
    BadSignature,
    UnknownKeyId, // a device JWS whose kid is not its key's thumbprint
    MalformedKey,
    UnsupportedKey,
    CryptoFailure,
    // Protocol messages
    MissingField,
    InvalidField,
    UnsupportedVersion,
    UnsupportedMessage, // a channel message of a type nobody defined
    Expired,
    NotYetValid,
    // Pairing links and otpauth URIs
    MalformedLink,
    InsecureTransport,
    // Local resources
    StorageFailure,
    ConfigError,
};

struct Error {
    ErrorCode code;
    QString message;
};

// A short stable name for an error code ("bad_signature"), used on the wire
// and in logs so that both ends and people reading logs agree on it.
QString errorCodeName(ErrorCode code);

} // namespace countersign
