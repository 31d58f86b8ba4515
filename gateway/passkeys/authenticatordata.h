#pragma once

#include "protocol/result.h"

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

// The CBOR after the head (the attested credential's COSE key, extensions),
// checked before libfido2 sees any of it: libfido2 decodes it with libcbor,
// which allocates and zeroes the items an array or map header declares
// before reading them, so 5 bytes declaring 2^32 items cost the gateway
// 32 GB (found by fuzz_passkeys). Here every array and map declares at most
// as many items as bytes remain, lengths are definite, nesting is at most 16
// deep, and the data ends exactly after what the flags announce: the
// attested credential data (AAGUID, credential id, one CBOR item) when AT
// is set, then one CBOR item of extensions when ED is set.
Status checkAuthenticatorDataLayout(QByteArrayView raw, const AuthenticatorDataHead &head);

// The size of the well-formed, bounded CBOR item at the start of data (the
// rules above), or nullopt.
std::optional<qsizetype> boundedCborItemSize(QByteArrayView data);

} // namespace countersign::gateway
