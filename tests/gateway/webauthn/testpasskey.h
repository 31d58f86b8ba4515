#pragma once

#include <memory>

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace countersign::testing {

// Authenticator data flags (outside TestPasskey: GCC refuses a nested
// struct with member initializers as a default argument in its class).
struct TestPasskeyFlags {
    bool up = true;
    bool uv = false;
    bool be = false;
    bool bs = false;
};

// One WebAuthn credential made in software, for tests: builds the
// authenticator data a security key would (rpIdHash, flags, signCount,
// attested credential data with a COSE ES256 key encoded with libcbor) and
// signs with OpenSSL. Everything it produces is standard WebAuthn, so the
// gateway's libfido2 verification runs unchanged on it.
class TestPasskey {
public:
    using Flags = TestPasskeyFlags;
    enum class Attestation {
        Self,  // packed, signed with the credential key, no x5c
        Basic, // packed, signed with a separate attestation key, x5c = its certificate
        None,  // fmt none, no signature
    };

    explicit TestPasskey(QString rpId);
    ~TestPasskey();
    TestPasskey(TestPasskey &&) noexcept;

    const QByteArray &credentialId() const { return m_credentialId; }
    const QString &rpId() const { return m_rpId; }
    quint32 signCount() const { return m_signCount; }
    void setSignCount(quint32 count) { m_signCount = count; }

    static QByteArray clientData(const QString &type, const QString &challenge,
                                 const QString &origin, const QJsonObject &extra = {});

    // Raw authenticator data; with `attested` it carries this credential.
    QByteArray authenticatorData(Flags flags, quint32 count, bool attested) const;
    // DER ECDSA over SHA-256(data) with the credential key.
    QByteArray sign(const QByteArray &data) const;

    // The `credential` member of passkey.register (base64url members).
    QJsonObject registration(const QString &challenge, const QString &origin,
                             Attestation attestation = Attestation::Self, Flags flags = {}) const;
    // A registration with the given client data and authenticator data.
    QJsonObject registrationWith(const QByteArray &clientDataJson, const QByteArray &authData,
                                 Attestation attestation) const;

    // Assertion evidence for a request hash: the signature counter goes up
    // by one first (unless it is 0 and stays 0 with keepZeroCount).
    QJsonObject assertion(const QByteArray &requestHash, const QString &origin, Flags flags = {});
    // Evidence from explicit parts (for tampering tests).
    QJsonObject evidence(const QByteArray &authData, const QByteArray &clientDataJson,
                         const QByteArray &signature) const;

    bool keepZeroCount = false;

private:
    struct Keys;
    QString m_rpId;
    QByteArray m_credentialId;
    quint32 m_signCount = 0;
    std::unique_ptr<Keys> m_keys;
};

} // namespace countersign::testing
