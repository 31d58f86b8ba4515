#include "registrationverifier.h"

#include "gateway/passkeys/authenticatordata.h"
#include "gateway/passkeys/clientdata.h"
#include "gateway/passkeys/fidohandles.h"
#include "protocol/base64url.h"
#include "protocol/messages/jsonfields.h"

#include <QCryptographicHash>
#include <QJsonArray>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace countersign::gateway {

namespace {

constexpr qsizetype maxCredentialIdBytes = 1023;
constexpr qsizetype maxAuthenticatorDataBytes = 2048;
constexpr qsizetype maxClientDataBytes = 4096;
constexpr qsizetype maxSignatureBytes = 128;
constexpr qsizetype maxCertificateBytes = 4096;
constexpr qsizetype maxCertificates = 5;

Error refused(const QString &message)
{
    return makeError(ErrorCode::InvalidField, message);
}

Error fidoRefused(const char *what, int code)
{
    return refused(QStringLiteral("%1 (libfido2: %2)")
                       .arg(QLatin1StringView(what), QString::fromUtf8(fido_strerr(code))));
}

// libfido2 hands out an ES256 key as x||y; the store keeps the standard
// SubjectPublicKeyInfo DER, which any tool can read.
Result<QByteArray> spkiFromCredential(const fido_cred_t *cred)
{
    const Es256Pk key(es256_pk_new());
    if (!key
        || es256_pk_from_ptr(key.get(), fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred))
            != FIDO_OK) {
        return refused(QStringLiteral("the credential public key is not a P-256 point"));
    }
    EVP_PKEY *pkey = es256_pk_to_EVP_PKEY(key.get());
    if (!pkey)
        return refused(QStringLiteral("the credential public key is not a P-256 point"));
    unsigned char *der = nullptr;
    const int length = i2d_PUBKEY(pkey, &der);
    EVP_PKEY_free(pkey);
    if (length <= 0 || !der)
        return makeError(ErrorCode::CryptoFailure, QStringLiteral("cannot encode the public key"));
    QByteArray spki(reinterpret_cast<const char *>(der), length);
    OPENSSL_free(der);
    return spki;
}

const unsigned char *bytes(const QByteArray &data)
{
    return reinterpret_cast<const unsigned char *>(data.constData());
}

size_t length(const QByteArray &data)
{
    return static_cast<size_t>(data.size());
}

} // namespace

Result<PasskeyRegistration> PasskeyRegistration::fromJson(const QJsonObject &credential)
{
    const JsonFields fields(credential, QStringLiteral("credential"));
    if (auto known =
            fields.checkOnly({QStringLiteral("credential_id"), QStringLiteral("client_data_json"),
                              QStringLiteral("authenticator_data"), QStringLiteral("fmt"),
                              QStringLiteral("attestation_signature"), QStringLiteral("x5c")});
        !known) {
        return known.error();
    }
    PasskeyRegistration registration;
    auto id = fields.requiredBase64Url(QStringLiteral("credential_id"), 1, maxCredentialIdBytes);
    auto clientData =
        fields.requiredBase64Url(QStringLiteral("client_data_json"), 2, maxClientDataBytes);
    auto authData =
        fields.requiredBase64Url(QStringLiteral("authenticator_data"), AuthenticatorDataHead::size,
                                 maxAuthenticatorDataBytes);
    auto fmt = fields.requiredString(QStringLiteral("fmt"), 16);
    for (const Error *error :
         {id ? nullptr : &id.error(), clientData ? nullptr : &clientData.error(),
          authData ? nullptr : &authData.error(), fmt ? nullptr : &fmt.error()}) {
        if (error)
            return *error;
    }
    registration.credentialId = std::move(id).value();
    registration.clientDataJson = std::move(clientData).value();
    registration.authenticatorData = std::move(authData).value();
    registration.fmt = std::move(fmt).value();
    if (registration.fmt != u"packed" && registration.fmt != u"none")
        return refused(QStringLiteral("credential.fmt must be \"packed\" or \"none\""));
    const bool none = registration.fmt == u"none";
    if (credential.contains(QStringLiteral("attestation_signature"))) {
        if (none)
            return refused(QStringLiteral("credential.fmt \"none\" carries no signature"));
        auto signature =
            fields.requiredBase64Url(QStringLiteral("attestation_signature"), 8, maxSignatureBytes);
        if (!signature)
            return signature.error();
        registration.attestationSignature = std::move(signature).value();
    } else if (!none) {
        return refused(QStringLiteral("credential.attestation_signature is required for packed"));
    }
    if (credential.contains(QStringLiteral("x5c"))) {
        const QJsonValue list = credential.value(QStringLiteral("x5c"));
        if (none || !list.isArray() || list.toArray().isEmpty()
            || list.toArray().size() > maxCertificates) {
            return refused(QStringLiteral("credential.x5c must be 1 to %1 certificates, and only "
                                          "for packed")
                               .arg(maxCertificates));
        }
        for (const QJsonValue &certificate : list.toArray()) {
            const auto der = certificate.isString()
                ? base64UrlDecode(certificate.toString().toLatin1())
                : Result<QByteArray>(refused(QStringLiteral("not a string")));
            if (!der || der->isEmpty() || der->size() > maxCertificateBytes)
                return refused(QStringLiteral("credential.x5c holds a malformed certificate"));
            registration.x5c.append(der.value());
        }
    }
    return registration;
}

Result<VerifiedRegistration> verifyRegistration(const PasskeyRegistration &registration,
                                                const RelyingParty &rp, const QString &challenge)
{
    if (auto client =
            checkClientData(registration.clientDataJson, u"webauthn.create", challenge, rp.origin);
        !client) {
        return client.error();
    }
    const auto head = AuthenticatorDataHead::parse(registration.authenticatorData);
    if (!head)
        return refused(QStringLiteral("the authenticator data is too short"));
    // libfido2 checks these only inside fido_cred_verify*, which "none"
    // never reaches; checking them for every format keeps one rule.
    if (head->rpIdHash != QCryptographicHash::hash(rp.id.toUtf8(), QCryptographicHash::Sha256))
        return refused(QStringLiteral("the credential is for another RP id than %1").arg(rp.id));
    if (!head->userPresent)
        return refused(QStringLiteral("the key did not test user presence (UP is not set)"));
    if (!head->attestedCredential)
        return refused(QStringLiteral("the authenticator data has no attested credential"));
    if (head->extensions)
        return refused(QStringLiteral("the authenticator data has extensions nobody asked for"));
    // Before libfido2 decodes the COSE key with libcbor (see the function).
    if (auto layout = checkAuthenticatorDataLayout(registration.authenticatorData, *head); !layout)
        return refused(layout.error().message);
    if (head->backedUp && !head->backupEligible)
        return refused(QStringLiteral("the key claims a backup (BS) without being eligible (BE)"));

    const FidoCred cred(fido_cred_new());
    if (!cred)
        return makeError(ErrorCode::CryptoFailure, QStringLiteral("libfido2: out of memory"));
    const QByteArray clientDataHash =
        QCryptographicHash::hash(registration.clientDataJson, QCryptographicHash::Sha256);
    const QByteArray rpId = rp.id.toUtf8();
    const QByteArray fmt = registration.fmt.toLatin1();
    if (int r = fido_cred_set_type(cred.get(), COSE_ES256); r != FIDO_OK)
        return fidoRefused("cannot set ES256", r);
    if (int r = fido_cred_set_clientdata_hash(cred.get(), bytes(clientDataHash),
                                              length(clientDataHash));
        r != FIDO_OK) {
        return fidoRefused("cannot set the client data hash", r);
    }
    if (int r = fido_cred_set_rp(cred.get(), rpId.constData(), nullptr); r != FIDO_OK)
        return fidoRefused("cannot set the RP id", r);
    // Parses the attested credential data with the COSE key; a key of
    // another algorithm than the type set above fails here.
    if (int r = fido_cred_set_authdata_raw(cred.get(), bytes(registration.authenticatorData),
                                           length(registration.authenticatorData));
        r != FIDO_OK) {
        return fidoRefused("the authenticator data is malformed or its key is not ES256", r);
    }
    if (int r = fido_cred_set_fmt(cred.get(), fmt.constData()); r != FIDO_OK)
        return fidoRefused("unsupported attestation format", r);
    if (fido_cred_type(cred.get()) != COSE_ES256)
        return refused(QStringLiteral("the credential's algorithm is not ES256"));

    if (registration.fmt == u"packed") {
        if (int r = fido_cred_set_sig(cred.get(), bytes(registration.attestationSignature),
                                      length(registration.attestationSignature));
            r != FIDO_OK) {
            return fidoRefused("cannot set the attestation signature", r);
        }
        // libfido2 checks the signature with the first certificate only and
        // never the chain: attestation proves the key's maker, and no list
        // of trusted makers is configured.
        if (!registration.x5c.isEmpty()) {
            if (int r = fido_cred_set_x509(cred.get(), bytes(registration.x5c.constFirst()),
                                           length(registration.x5c.constFirst()));
                r != FIDO_OK) {
                return fidoRefused("cannot set the attestation certificate", r);
            }
        }
        const int verified = registration.x5c.isEmpty() ? fido_cred_verify_self(cred.get())
                                                        : fido_cred_verify(cred.get());
        if (verified != FIDO_OK)
            return fidoRefused("the attestation does not verify", verified);
    }

    const QByteArray idInData(reinterpret_cast<const char *>(fido_cred_id_ptr(cred.get())),
                              static_cast<qsizetype>(fido_cred_id_len(cred.get())));
    if (idInData != registration.credentialId) {
        return refused(QStringLiteral("credential_id is not the id in the authenticator data"));
    }
    auto spki = spkiFromCredential(cred.get());
    if (!spki)
        return spki.error();
    VerifiedRegistration verified;
    verified.credentialId = idInData;
    verified.publicKey = std::move(spki).value();
    verified.signCount = head->signCount;
    verified.userVerified = head->userVerified;
    verified.backupEligible = head->backupEligible;
    return verified;
}

} // namespace countersign::gateway
