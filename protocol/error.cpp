#include "error.h"

namespace countersign {

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InputTooLarge:
        return QStringLiteral("input_too_large");
    case ErrorCode::MalformedBase64:
        return QStringLiteral("malformed_base64");
    case ErrorCode::MalformedBase32:
        return QStringLiteral("malformed_base32");
    case ErrorCode::MalformedJson:
        return QStringLiteral("malformed_json");
    case ErrorCode::MalformedJws:
        return QStringLiteral("malformed_jws");
    case ErrorCode::AlgorithmNone:
        return QStringLiteral("algorithm_none");
    case ErrorCode::UnsupportedAlgorithm:
        return QStringLiteral("unsupported_algorithm");
    case ErrorCode::UnsupportedHeader:
        return QStringLiteral("unsupported_header");
    case ErrorCode::UnexpectedType:
        return QStringLiteral("unexpected_type");
    case ErrorCode::BadSignature:
        return QStringLiteral("bad_signature");
    case ErrorCode::UnknownKeyId:
        return QStringLiteral("unknown_key_id");
    case ErrorCode::MalformedKey:
        return QStringLiteral("malformed_key");
    case ErrorCode::UnsupportedKey:
        return QStringLiteral("unsupported_key");
    case ErrorCode::CryptoFailure:
        return QStringLiteral("crypto_failure");
    case ErrorCode::MissingField:
        return QStringLiteral("missing_field");
    case ErrorCode::InvalidField:
        return QStringLiteral("invalid_field");
    case ErrorCode::UnsupportedVersion:
        return QStringLiteral("unsupported_version");
    case ErrorCode::UnsupportedMessage:
        return QStringLiteral("unsupported_message");
    case ErrorCode::Expired:
        return QStringLiteral("expired");
    case ErrorCode::NotYetValid:
        return QStringLiteral("not_yet_valid");
    case ErrorCode::MalformedLink:
        return QStringLiteral("malformed_link");
    case ErrorCode::InsecureTransport:
        return QStringLiteral("insecure_transport");
    case ErrorCode::StorageFailure:
        return QStringLiteral("storage_failure");
    case ErrorCode::ConfigError:
        return QStringLiteral("config_error");
    }
    return QStringLiteral("unknown");
}

} // namespace countersign
