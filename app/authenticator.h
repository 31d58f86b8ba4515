#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

namespace countersign {

// A security key the user can choose (one USB/NFC device).
struct AuthenticatorDevice {
    QString id; // what the implementation opens (a libfido2 path)
    QString product;
    QString manufacturer;

    bool operator==(const AuthenticatorDevice &) const = default;
};

enum class UserVerification {
    Preferred, // when the key has a PIN or built-in verification
    Required,  // fail unless the key verified the user
};

// docs/protocol.md 8.2: a credential for the gateway's RP, bound to the
// connection's hello nonce through the client data.
struct RegistrationOptions {
    QString rpId;
    QByteArray userHandle; // from the gateway, 16..64 random bytes
    QString userName;
    QString displayName; // empty: the user name
    QString origin;      // the gateway_id
    QString challenge;   // base64url text, put into client data as is
    QList<QByteArray> excludeIds;
    UserVerification userVerification = UserVerification::Preferred;
};

struct RegistrationResult {
    QByteArray credentialId;
    QByteArray clientDataJson;
    QByteArray authenticatorData; // raw, not CBOR-wrapped
    QString fmt;                  // "packed", "none", ...
    QByteArray attestationSignature;
    QList<QByteArray> x5c; // DER certificates; empty for self attestation
    QByteArray publicKey;  // ES256: 65 bytes 04 || x || y
    bool userVerified = false;
    QString deviceName; // the key's product name, a default for the passkey's name
};

// docs/protocol.md 8.3: an assertion whose challenge is the request hash.
struct AssertionOptions {
    QString rpId;
    QString origin;         // the gateway_id
    QByteArray requestHash; // 32 bytes; the challenge is its base64url
    QList<QByteArray> allowCredentialIds;
    UserVerification userVerification = UserVerification::Preferred;
};

struct AssertionResult {
    QByteArray credentialId;
    QByteArray authenticatorData; // raw, not CBOR-wrapped
    QByteArray clientDataJson;
    QByteArray signature; // DER ECDSA, as WebAuthn carries it
    bool userVerified = false;
    quint32 signCount = 0;
};

// Makes and uses passkeys on a security key. platform/ implements it on
// libfido2; the app and the dialogs see only this.
//
// One operation at a time. Each runs off the GUI thread and reports its
// progress with stateChanged() (TouchKey is announced before the key blocks,
// so the dialog can say "touch your key" in time), then ends with exactly
// one of registered(), asserted() or failed().
class Authenticator : public QObject {
    Q_OBJECT

public:
    enum class State {
        Idle,
        NoKey,     // refreshDevices() found none
        InsertKey, // an operation waits for a key to be plugged in
        ChooseKey, // several keys: waiting for selectDevice()
        PinNeeded, // waiting for setPin()
        PinWrong,  // the PIN was wrong; waiting for setPin() again
        TouchKey,  // the key waits for the user's touch
        Done,
        // Endings of failed operations (the state failed() reports):
        PinBlocked,
        Timeout,
        Cancelled,
        Refused,                 // the key or the user declined
        NotRegistered,           // none of the allowed credentials is on this key
        AlreadyRegistered,       // the key holds an excluded credential
        UnsupportedAlgorithm,    // the key cannot make ES256 credentials
        VerificationUnavailable, // UV required, the key has neither PIN nor built-in UV
        KeyRemoved,
        Failed,
    };
    Q_ENUM(State)

    explicit Authenticator(QObject *parent = nullptr);
    ~Authenticator() override;

    // Lists the keys present; answers with devicesChanged() (and NoKey).
    virtual void refreshDevices() = 0;
    virtual QList<AuthenticatorDevice> devices() const = 0;
    // The key to use now (answering ChooseKey) and for later operations.
    virtual void selectDevice(const QString &id) = 0;

    virtual void registerCredential(const RegistrationOptions &options) = 0;
    virtual void getAssertion(const AssertionOptions &options) = 0;
    // Answers pinRequested(); the PIN is used for this operation only.
    virtual void setPin(const QString &pin) = 0;
    // Ends the running operation with Cancelled (the key stops blinking).
    virtual void cancel() = 0;

    virtual bool isBusy() const = 0;
    virtual State state() const = 0;

    static bool isFailure(State state) { return state >= State::PinBlocked; }

Q_SIGNALS:
    void devicesChanged(const QList<countersign::AuthenticatorDevice> &devices);
    void stateChanged(countersign::Authenticator::State state);
    // retriesLeft: from the key, -1 when it does not say.
    void pinRequested(int retriesLeft);
    void registered(const countersign::RegistrationResult &result);
    void asserted(const countersign::AssertionResult &result);
    // `message` names the cause, with libfido2's fido_strerr text when it
    // came from the key.
    void failed(countersign::Authenticator::State state, const QString &message);
};

} // namespace countersign
