#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QString>
#include <QStringView>
#include <QUrl>

namespace countersign {

// The one-time link the gateway shows as a QR code and the companion reads
// (scanned, pasted, from the command line or from the OS URL-scheme handler):
//
//   countersign://pair?v=1&gw=https://gw.example:8443&code=...&kid=...&spki=...&name=My%20Gateway
//
// It tells the companion where the gateway is, which gateway key to pin (its
// RFC 7638 thumbprint), optionally which self-signed TLS key to pin, and the
// single-use code that proves the person holds the link. A PairingLink only
// exists in valid form: create() and parse() apply the same checks.
class PairingLink {
public:
    static constexpr int currentVersion = 1;
    static constexpr qsizetype maxLinkLength = 2048; // characters, after trimming
    static constexpr qsizetype minCodeBytes = 16;    // 128 bits: not guessable while it lives
    static constexpr qsizetype maxCodeBytes = 64;
    static constexpr qsizetype sha256Bytes = 32;   // kid and spki are SHA-256 digests
    static constexpr qsizetype maxNameLength = 64; // characters (code points)

    // What the gateway puts in a link, each text field exactly as it appears
    // there (base64url without padding).
    struct Fields {
        QUrl gatewayUrl;       // http(s); plain http only to a loopback host
        QString code;          // base64url of 16..64 random bytes, single use
        QString keyThumbprint; // "kid": RFC 7638 SHA-256 thumbprint of the signing JWK
        QString spki;          // optional (empty: none): SHA-256 of the TLS SubjectPublicKeyInfo
        QString displayName;   // 1..64 characters, no control or formatting characters
    };

    // Gateway side. Fails with the same errors parse() gives for the link,
    // and with InputTooLarge when the link would be longer than parse accepts.
    static Result<PairingLink> create(const Fields &fields);

    // Companion side. Surrounding whitespace is ignored; everything else is
    // checked strictly and every failure names the part at fault.
    static Result<PairingLink> parse(QStringView text);

    // The link in a stable parameter order, values percent-encoded, so that
    // parse(link.toString()) == link.
    QString toString() const;

    int version() const;
    QUrl gatewayUrl() const;
    QString code() const;
    QString keyThumbprint() const;
    bool hasSpkiPin() const;
    QString spki() const;          // base64url, empty when there is no pin
    QByteArray spkiSha256() const; // the 32 raw bytes, empty when there is no pin
    QString displayName() const;

    friend bool operator==(const PairingLink &, const PairingLink &) = default;

private:
    PairingLink() = default;

    int m_version = currentVersion;
    QUrl m_gatewayUrl;
    QString m_code;
    QString m_keyThumbprint;
    QString m_spki;
    QString m_displayName;
};

} // namespace countersign
