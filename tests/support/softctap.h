#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include <QByteArray>
#include <QList>
#include <QString>

typedef struct evp_pkey_st EVP_PKEY;

namespace countersign::testing {

// CTAP2 status codes the soft authenticator answers with (CTAP 2.0 section 6.3).
namespace ctap {
constexpr uint8_t Ok = 0x00;
constexpr uint8_t InvalidCommand = 0x01;
constexpr uint8_t InvalidCbor = 0x12;
constexpr uint8_t MissingParameter = 0x14;
constexpr uint8_t CredentialExcluded = 0x19;
constexpr uint8_t UnsupportedAlgorithm = 0x26;
constexpr uint8_t OperationDenied = 0x27;
constexpr uint8_t KeepaliveCancel = 0x2d;
constexpr uint8_t NoCredentials = 0x2e;
constexpr uint8_t UnsupportedOption = 0x2b;
constexpr uint8_t PinInvalid = 0x31;
constexpr uint8_t PinBlocked = 0x32;
constexpr uint8_t PinAuthInvalid = 0x33;
constexpr uint8_t PinRequired = 0x36;
} // namespace ctap

// How the soft authenticator is built; fixed for its lifetime.
struct SoftAuthenticatorConfig {
    enum class Attestation { Self, Basic };

    QByteArray aaguid = QByteArray(16, '\x5a');
    // COSE algorithms offered in getInfo and accepted by makeCredential.
    QList<int> algorithms{-7};
    // Built-in user verification (a fingerprint reader): getInfo says uv:true.
    bool builtInUv = false;
    // A client PIN (PIN protocol 1); empty means clientPin is not set.
    QByteArray pin;
    int pinRetries = 8;
    Attestation attestation = Attestation::Self;
};

// The command processor of a software CTAP2 authenticator: authenticatorGetInfo,
// MakeCredential, GetAssertion and ClientPIN (protocol 1) over CBOR, with ES256
// credentials made by OpenSSL. No framing and no threads: SoftAuthenticator
// feeds it whole messages under its lock.
class SoftCtap {
public:
    // A request that waits for the user's touch: `complete` makes the answer.
    struct Answer {
        QByteArray reply; // status byte || CBOR
        bool needsPresence = false;
    };

    explicit SoftCtap(SoftAuthenticatorConfig config);
    ~SoftCtap();
    SoftCtap(const SoftCtap &) = delete;
    SoftCtap &operator=(const SoftCtap &) = delete;

    // Checks and prepares the command; when needsPresence is true the reply
    // is made by finish() once the user touched (or refused).
    Answer handle(const QByteArray &message);
    QByteArray finish(bool approved);
    bool hasPendingPresence() const;
    void dropPending();

    // Behaviours the tests switch at run time.
    void setFrozenSignCount(bool frozen) { m_frozenSignCount = frozen; }
    void setBackupFlags(bool eligible, bool state)
    {
        m_backupEligible = eligible;
        m_backupState = state;
    }

    QList<QByteArray> credentialIds() const;
    // 65 bytes 04 || x || y, or empty for an unknown id.
    QByteArray publicKey(const QByteArray &credentialId) const;
    std::optional<uint32_t> signCount(const QByteArray &credentialId) const;
    void setSignCount(const QByteArray &credentialId, uint32_t count);
    int pinRetries() const { return m_pinRetries; }
    QByteArray attestationCertificate() const { return m_attestationCertificate; }

private:
    struct Credential;
    struct Pending;

    QByteArray getInfo() const;
    Answer makeCredential(const QByteArray &cbor);
    Answer getAssertion(const QByteArray &cbor);
    QByteArray clientPin(const QByteArray &cbor);
    QByteArray completeMakeCredential(const Pending &pending);
    QByteArray completeGetAssertion(const Pending &pending);
    uint8_t checkPinAuth(const QByteArray &clientDataHash, const QByteArray &pinAuth) const;
    QByteArray authenticatorDataHeader(const QByteArray &rpIdHash, bool userVerified, bool attested,
                                       uint32_t count) const;

    SoftAuthenticatorConfig m_config;
    std::map<QByteArray, std::unique_ptr<Credential>> m_credentials;
    std::unique_ptr<Pending> m_pending;
    bool m_frozenSignCount = false;
    bool m_backupEligible = false;
    bool m_backupState = false;
    int m_pinRetries;
    EVP_PKEY *m_keyAgreement = nullptr; // PIN protocol key, regenerated after use
    QByteArray m_pinToken;
    EVP_PKEY *m_attestationKey = nullptr;
    QByteArray m_attestationCertificate; // DER, for Attestation::Basic
};

} // namespace countersign::testing
