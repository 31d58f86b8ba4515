#pragma once

#include "protocol/result.h"

#include <chrono>
#include <memory>

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringView>

namespace countersign::gateway {

// What the gateway remembers about a step-up between the two round trips of
// an MCP 2026-07-28 multi round-trip request (`requestState`). The client
// echoes it back unchanged; everything in it was decided by the gateway.
// It never replaces the checks on the retry itself: the retry's
// authenticated agent and its call must match what is in here.
struct RequestState {
    QString approvalId;
    QString agent;         // the authenticated agent it was issued to
    QString user;          // the user the approval is for
    QString method;        // the JSON-RPC method, e.g. "tools/call"
    QByteArray callDigest; // requestStateCallDigest() of the call
    qint64 expiresAt = 0;  // Unix seconds
};

// SHA-256 over the tool name and the RFC 8785 canonical arguments (32 raw
// bytes), so a state issued for one call does not fit another. The name is
// length-prefixed so that no name/arguments split can collide with another.
// Empty when the arguments cannot be canonicalized (NaN, lone surrogates,
// integers a double cannot hold: see protocol/canonicaljson.h); an empty
// digest never matches the digest of a real call.
QByteArray requestStateCallDigest(const QString &toolName, const QJsonObject &arguments);

// Seals a RequestState into an opaque, URL-safe string the client carries,
// and opens it again on the retry: AES-256-GCM (OpenSSL 3 EVP) with a fresh
// random 96-bit nonce per seal, the format version and key id bound as
// associated data, so the client can neither read nor alter it.
//
// Wire form: base64url(version 0x01 | key id (8) | nonce (12) | ciphertext |
// tag (16)), at most MaxSealedLength characters.
//
// Keys rotate: a new key every RotationPeriod; the key before it still opens
// the states it sealed. A state lives at most MaxLifetime (= RotationPeriod),
// so every state sealed under a key expires before that key is dropped at the
// next rotation: after a rotation a state still opens until it expires, and
// a key that leaked stops opening anything at most two periods after it
// stopped sealing. One day: rotating more often buys little (an approval
// lives an hour at most, approvals.timeout) and each rotation rewrites the
// key file.
//
// Copies share their keys (a copy is cheap and sees rotations); all members
// are safe to call from any thread.
class RequestStateSealer {
public:
    static constexpr std::chrono::seconds RotationPeriod{24 * 3600};
    static constexpr std::chrono::seconds MaxLifetime = RotationPeriod;
    // Bounds the input before any decoding; a sealed state of the largest
    // accepted fields is about 2.9 KB.
    static constexpr qsizetype MaxSealedLength = 4096;
    // The largest approvalId/agent/user/method, in UTF-8 bytes, and digest.
    static constexpr qsizetype MaxFieldBytes = 512;
    static constexpr qsizetype MaxDigestBytes = 64;

    // The error codes of open(), so callers can tell the client which it was.
    // Not base64url, wrong size, unknown format, fields out of bounds:
    static constexpr ErrorCode Malformed = ErrorCode::InvalidField;
    // Altered, or sealed under a key this gateway does not have (another
    // gateway's, or one rotated out):
    static constexpr ErrorCode NotIssuedHere = ErrorCode::BadSignature;
    // Authentic but past its expiresAt:
    static constexpr ErrorCode StateExpired = ErrorCode::Expired;

    // A fresh random key held in memory only: for tests, and for a gateway
    // without a data directory (its states die with it).
    static RequestStateSealer ephemeral();

    // Reads the keys from `keyFilePath` (mode 0600, refused if group or
    // others may access it), or creates the file with a fresh key; rotates
    // (and rewrites the file) when the current key is RotationPeriod old.
    static Result<RequestStateSealer> loadOrCreate(const QString &keyFilePath, qint64 now);

    // Rotates when the current key is RotationPeriod old (and rewrites the
    // key file, if there is one). A long-running gateway calls this from
    // time to time (hourly is plenty); without it the keys rotate at start.
    // On a failure to write the file nothing changes. Const because copies
    // and std::shared_ptr<const RequestStateSealer> holders share the keys.
    Status rotateIfDue(qint64 now) const;

    // Seals under the current key. The state must expire within MaxLifetime
    // of now and its fields fit MaxFieldBytes/MaxDigestBytes; a state that
    // does not is a programming error (asserted) and seals to an empty
    // string, which never opens.
    QString seal(const RequestState &state) const;

    // Opens a state sealed by this gateway, refusing (with the codes above)
    // a malformed one, one not issued here, and one that is expired at
    // `now` (Unix seconds) or claims to live longer than MaxLifetime.
    Result<RequestState> open(QStringView sealed, qint64 now) const;

    // The key id that seal() uses now (base64url), for logs and tests.
    QString currentKeyId() const;

private:
    class KeyRing;
    explicit RequestStateSealer(std::shared_ptr<KeyRing> ring);

    std::shared_ptr<KeyRing> m_ring;
};

} // namespace countersign::gateway
