#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QString>

namespace countersign::gateway {

// Authenticated encryption for the few secrets the gateway must be able to
// read back (TOTP seeds): AES-256-GCM with a fresh random 12-byte nonce per
// seal. The caller's associated data (the user id) is authenticated but not
// stored, so a sealed value copied into another user's row does not open.
//
// Sealed layout: version byte 0x01 | nonce (12) | ciphertext | tag (16).
//
// The key lives in its own file next to the database, so a leaked database
// alone reveals no seed. A SecretBox is move-only and wipes its key copy when
// destroyed.
class SecretBox {
public:
    static constexpr qsizetype KeySize = 32;

    // Reads the key file, or creates it (mode 0600, 32 bytes from RAND_bytes)
    // when it does not exist. Refuses a key file that group or others can
    // access, that is not a regular file, or that has the wrong size, rather
    // than using a key that may have been read or replaced.
    static Result<SecretBox> loadOrCreate(const QString &keyPath);

    // For tests and tools that manage the key themselves.
    static Result<SecretBox> fromKey(const QByteArray &key);

    SecretBox(SecretBox &&other) noexcept;
    SecretBox &operator=(SecretBox &&other) noexcept;
    SecretBox(const SecretBox &) = delete;
    SecretBox &operator=(const SecretBox &) = delete;
    ~SecretBox();

    Result<QByteArray> seal(const QByteArray &plaintext, const QByteArray &associatedData) const;
    // Fails (CryptoFailure) when the sealed bytes were altered, were sealed
    // with another key, or belong to other associated data.
    Result<QByteArray> open(const QByteArray &sealed, const QByteArray &associatedData) const;

private:
    explicit SecretBox(QByteArray key);
    void wipe();

    QByteArray m_key;
};

} // namespace countersign::gateway
