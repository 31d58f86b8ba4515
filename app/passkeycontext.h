#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign {

// A security key registered for the user at one gateway.
struct PasskeyCredentialInfo {
    QByteArray credentialId;       // raw
    QString name;                  // display-safe, 1..64 characters
    qint64 created = 0;            // seconds since the epoch
    bool userVerification = false; // registered with UV (PIN or biometrics)

    friend bool operator==(const PasskeyCredentialInfo &, const PasskeyCredentialInfo &) = default;
};

// What a gateway says about passkeys in `welcome` and `passkeys`
// (docs/protocol.md 8.1), checked strictly: the companion passes rp id,
// user handle and allow-list to the security key as they are.
struct PasskeyContext {
    static constexpr qsizetype maxCredentials = 10;

    QString rpId;
    QByteArray userHandle; // raw, 16..64 bytes
    QString userName;
    QList<PasskeyCredentialInfo> credentials; // the allow-list, at most 10

    bool hasCredential(const QByteArray &credentialId) const;

    static Result<PasskeyContext> fromJson(const QJsonObject &json);

    friend bool operator==(const PasskeyContext &, const PasskeyContext &) = default;
};

} // namespace countersign
