#pragma once

#include <optional>

#include <QByteArray>
#include <QByteArrayView>

namespace countersign::gateway {

// The fixed 37-byte head of WebAuthn authenticator data (section 6.1):
// rpIdHash, flags, signCount. Read here for what libfido2 does not check
// (BE/BS, the counter); libfido2 still parses and verifies the whole.
struct AuthenticatorDataHead {
    static constexpr qsizetype size = 37;

    QByteArray rpIdHash;             // 32 bytes
    bool userPresent = false;        // UP, bit 0
    bool userVerified = false;       // UV, bit 2
    bool backupEligible = false;     // BE, bit 3
    bool backedUp = false;           // BS, bit 4
    bool attestedCredential = false; // AT, bit 6
    bool extensions = false;         // ED, bit 7
    quint32 signCount = 0;

    static std::optional<AuthenticatorDataHead> parse(QByteArrayView raw);
};

} // namespace countersign::gateway
