#pragma once

#include <QMetaType>
#include <QString>

namespace countersign {

// Why pairing with a gateway did not complete. The kind is for code (which
// advice to show, what tests expect); the message is for people and says what
// to do next. Messages never contain the one-time code or any key material.
struct PairingFailure {
    enum class Kind {
        InvalidDeviceName,    // refused before contacting the gateway
        Unreachable,          // no connection, unknown host, timeout
        UntrustedCertificate, // TLS without a pin, and the system does not trust the certificate
        PinMismatch,          // TLS key differs from the link's spki pin
        InvalidCode,          // the code is wrong, already used or expired (HTTP 401)
        RateLimited,          // too many attempts from this address (HTTP 429)
        Refused,              // any other refusal by the gateway
        MalformedAnswer,      // not the answer docs/protocol.md 2.2 describes
        GatewayKeyMismatch,   // the gateway key is not the one the link names (kid)
        KeychainUnavailable,  // the keychain failed its check: nothing was sent
        KeychainFailure,      // paired, but the device key could not be stored
        Internal,             // key generation or signing failed
    };

    Kind kind = Kind::Internal;
    QString message;
};

} // namespace countersign

Q_DECLARE_METATYPE(countersign::PairingFailure)
