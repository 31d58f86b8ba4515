#include "assertionverifier.h"

#include "gateway/passkeys/authenticatordata.h"
#include "gateway/passkeys/clientdata.h"
#include "gateway/passkeys/fidohandles.h"
#include "protocol/base64url.h"

#include <QCryptographicHash>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace countersign::gateway {

namespace {

Error refused(const QString &message)
{
    return makeError(ErrorCode::InvalidField, message);
}

Error fidoRefused(const char *what, int code)
{
    return refused(QStringLiteral("%1 (libfido2: %2)")
                       .arg(QLatin1StringView(what), QString::fromUtf8(fido_strerr(code))));
}

const unsigned char *bytes(const QByteArray &data)
{
    return reinterpret_cast<const unsigned char *>(data.constData());
}

size_t length(const QByteArray &data)
{
    return static_cast<size_t>(data.size());
}

Result<Es256Pk> storedKey(const QByteArray &spki)
{
    const unsigned char *cursor = bytes(spki);
    EVP_PKEY *pkey = d2i_PUBKEY(nullptr, &cursor, static_cast<long>(spki.size()));
    Es256Pk key(es256_pk_new());
    const bool ok = pkey && key && es256_pk_from_EVP_PKEY(key.get(), pkey) == FIDO_OK;
    EVP_PKEY_free(pkey);
    if (!ok)
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("the stored passkey public key is unusable"));
    return key;
}

} // namespace

Result<PasskeyAssertion> PasskeyAssertion::fromEvidence(const QJsonObject &evidence)
{
    PasskeyAssertion assertion;
    const std::pair<const char *, QByteArray *> members[] = {
        {"credential_id", &assertion.credentialId},
        {"authenticator_data", &assertion.authenticatorData},
        {"client_data_json", &assertion.clientDataJson},
        {"signature", &assertion.signature},
    };
    for (const auto &[name, target] : members) {
        const QJsonValue value = evidence.value(QLatin1StringView(name));
        auto decoded = value.isString() ? base64UrlDecode(value.toString().toLatin1())
                                        : Result<QByteArray>(refused(QString()));
        if (!decoded || decoded->isEmpty())
            return refused(
                QStringLiteral("evidence.%1 is not base64url").arg(QLatin1StringView(name)));
        *target = std::move(decoded).value();
    }
    return assertion;
}

Result<VerifiedAssertion> verifyAssertion(const PasskeyAssertion &assertion,
                                          const PasskeyCredential &credential,
                                          const RelyingParty &rp, const QByteArray &requestHash,
                                          bool userVerificationRequired)
{
    const QString challenge = QString::fromLatin1(base64UrlEncode(requestHash));
    if (auto client =
            checkClientData(assertion.clientDataJson, u"webauthn.get", challenge, rp.origin);
        !client) {
        return client.error();
    }
    const auto head = AuthenticatorDataHead::parse(assertion.authenticatorData);
    if (!head)
        return refused(QStringLiteral("the authenticator data is too short"));
    if (head->attestedCredential)
        return refused(QStringLiteral("an assertion carries no attested credential (AT is set)"));
    // None are asked for, and libfido2 would decode them (see
    // checkAuthenticatorDataLayout) only to refuse them afterwards.
    if (head->extensions)
        return refused(QStringLiteral("the authenticator data has extensions nobody asked for"));
    if (auto layout = checkAuthenticatorDataLayout(assertion.authenticatorData, *head); !layout)
        return refused(layout.error().message);
    if (head->backedUp && !head->backupEligible)
        return refused(QStringLiteral("the key claims a backup (BS) without being eligible (BE)"));
    // BE is fixed when a credential is made: a change means another key.
    if (head->backupEligible != credential.backupEligible)
        return refused(QStringLiteral("the backup eligibility (BE) differs from registration"));
    if (!head->userPresent)
        return refused(QStringLiteral("the key did not test user presence (UP is not set)"));
    if (userVerificationRequired && !head->userVerified) {
        return refused(QStringLiteral("this approval requires user verification (the key's PIN "
                                      "or biometrics), and UV is not set"));
    }

    auto key = storedKey(credential.publicKey);
    if (!key)
        return key.error();
    const FidoAssert verifier(fido_assert_new());
    if (!verifier)
        return makeError(ErrorCode::CryptoFailure, QStringLiteral("libfido2: out of memory"));
    const QByteArray clientDataHash =
        QCryptographicHash::hash(assertion.clientDataJson, QCryptographicHash::Sha256);
    const QByteArray rpId = rp.id.toUtf8();
    if (int r = fido_assert_set_rp(verifier.get(), rpId.constData()); r != FIDO_OK)
        return fidoRefused("cannot set the RP id", r);
    if (int r = fido_assert_set_clientdata_hash(verifier.get(), bytes(clientDataHash),
                                                length(clientDataHash));
        r != FIDO_OK) {
        return fidoRefused("cannot set the client data hash", r);
    }
    if (int r = fido_assert_set_count(verifier.get(), 1); r != FIDO_OK)
        return fidoRefused("cannot set the assertion count", r);
    if (int r = fido_assert_set_authdata_raw(verifier.get(), 0, bytes(assertion.authenticatorData),
                                             length(assertion.authenticatorData));
        r != FIDO_OK) {
        return fidoRefused("the authenticator data is malformed", r);
    }
    if (int r = fido_assert_set_sig(verifier.get(), 0, bytes(assertion.signature),
                                    length(assertion.signature));
        r != FIDO_OK) {
        return fidoRefused("cannot set the signature", r);
    }
    // libfido2 checks a flag only when it is set to FIDO_OPT_TRUE.
    if (int r = fido_assert_set_up(verifier.get(), FIDO_OPT_TRUE); r != FIDO_OK)
        return fidoRefused("cannot require user presence", r);
    if (int r = fido_assert_set_uv(verifier.get(),
                                   userVerificationRequired ? FIDO_OPT_TRUE : FIDO_OPT_OMIT);
        r != FIDO_OK) {
        return fidoRefused("cannot set user verification", r);
    }
    if (int r = fido_assert_verify(verifier.get(), 0, COSE_ES256, key->get()); r != FIDO_OK)
        return fidoRefused("the assertion does not verify with the registered key", r);
    return VerifiedAssertion{head->signCount, head->userVerified};
}

} // namespace countersign::gateway
