// Passkey (WebAuthn) data from the companion, as the gateway reads it
// (gateway/passkeys): the `credential` of passkey.register, the evidence of
// a passkey approval, the clientDataJSON both carry and the authenticator
// data, which libfido2 parses as CBOR. The first byte picks what the rest
// is:
//   0: the credential JSON of passkey.register (PasskeyRegistration::fromJson
//      then verifyRegistration);
//   1: a registration built from the bytes (client data, authenticator data,
//      format, signature, certificates), to reach libfido2's CBOR parsing
//      without base64url in the way;
//   2: an assertion built from the bytes, verified against a stored key.
// Properties: nothing crashes; an assertion never verifies (nobody here
// holds the stored key's private half); a verified registration names the
// credential id it was given and carries an ES256 public key; client data
// passes checkClientData only with exactly the expected type, challenge and
// origin; the authenticator data head reads its fixed 37 bytes exactly.
#include "gateway/passkeys/assertionverifier.h"
#include "gateway/passkeys/authenticatordata.h"
#include "gateway/passkeys/clientdata.h"
#include "gateway/passkeys/registrationverifier.h"
#include "gateway/passkeys/relyingparty.h"
#include "gateway/store/store.h"
#include "protocol/strictjson.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QUrl>

using namespace countersign;
using namespace countersign::gateway;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

const QString challenge = QStringLiteral("q0Jd1gJxyQYbH2hvHGvDcMZkB1mN4pP5tTz6eYbq3kE");

const RelyingParty &relyingParty()
{
    static const RelyingParty rp =
        RelyingParty::forGateway(QUrl(QStringLiteral("https://gw.example.com")), QString());
    return rp;
}

QByteArray bytesOf(const std::string &text)
{
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

// Client data that passes checkClientData half of the time, so that the
// fuzzer spends its time on what comes after it.
QByteArray clientData(FuzzedDataProvider &input, const char *type, const QString &expected)
{
    if (input.ConsumeBool())
        return bytesOf(input.ConsumeRandomLengthString(512));
    return QJsonDocument(QJsonObject{{QStringLiteral("type"), QLatin1StringView(type)},
                                     {QStringLiteral("challenge"), expected},
                                     {QStringLiteral("origin"), relyingParty().origin}})
        .toJson(QJsonDocument::Compact);
}

// Authenticator data with the right rp id hash half of the time.
QByteArray authenticatorData(FuzzedDataProvider &input)
{
    QByteArray data = bytesOf(input.ConsumeRandomLengthString(1024));
    if (input.ConsumeBool() && data.size() >= 32) {
        const QByteArray rpIdHash =
            QCryptographicHash::hash(relyingParty().id.toUtf8(), QCryptographicHash::Sha256);
        data.replace(0, 32, rpIdHash);
    }
    return data;
}

void checkRegistration(const PasskeyRegistration &registration)
{
    const auto verified = verifyRegistration(registration, relyingParty(), challenge);
    if (!verified) {
        require(!verified.error().message.isEmpty());
        return;
    }
    require(verified->credentialId == registration.credentialId);
    require(!verified->publicKey.isEmpty());
}

void fuzzRegistrationJson(const QByteArray &json)
{
    const auto object = parseStrictJsonObject(json, QStringLiteral("credential"));
    if (!object)
        return;
    const auto registration = PasskeyRegistration::fromJson(object.value());
    if (!registration) {
        require(!registration.error().message.isEmpty());
        return;
    }
    require(!registration->credentialId.isEmpty() && registration->credentialId.size() <= 1023);
    require(registration->authenticatorData.size() >= AuthenticatorDataHead::size);
    checkRegistration(registration.value());
}

void fuzzRegistrationParts(FuzzedDataProvider &input)
{
    PasskeyRegistration registration;
    registration.clientDataJson = clientData(input, "webauthn.create", challenge);
    registration.credentialId = bytesOf(input.ConsumeRandomLengthString(64));
    registration.fmt = input.ConsumeBool() ? QStringLiteral("none") : QStringLiteral("packed");
    if (registration.fmt == QLatin1String("packed")) {
        registration.attestationSignature = bytesOf(input.ConsumeRandomLengthString(80));
        if (input.ConsumeBool())
            registration.x5c.append(bytesOf(input.ConsumeRandomLengthString(1024)));
    }
    registration.authenticatorData = authenticatorData(input);
    checkRegistration(registration);
}

const PasskeyCredential &storedCredential()
{
    static const PasskeyCredential credential = [] {
        PasskeyCredential stored;
        stored.credentialId = QByteArrayLiteral("fuzz-credential");
        stored.userId = QStringLiteral("alice@example.com");
        stored.name = QStringLiteral("fuzz key");
        // A P-256 public key (SubjectPublicKeyInfo DER) whose private half
        // was thrown away.
        stored.publicKey = QByteArray::fromBase64(
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbYTitvlMVEF9Op1iUkiDIf2VyP1VImfxSdvoqGF/GuAlU0wC"
            "0FQ4fJJ56KEAkARtif6t6REyKBfZfTRGikEsVQ==");
        return stored;
    }();
    return credential;
}

void fuzzAssertion(FuzzedDataProvider &input)
{
    const QByteArray requestHash = QByteArray(32, '\x5a');
    const QString expected = QString::fromLatin1(
        requestHash.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    PasskeyAssertion assertion;
    assertion.credentialId = storedCredential().credentialId;
    assertion.clientDataJson = clientData(input, "webauthn.get", expected);
    assertion.signature = bytesOf(input.ConsumeRandomLengthString(80));
    const bool uvRequired = input.ConsumeBool();
    assertion.authenticatorData = authenticatorData(input);
    const auto verified =
        verifyAssertion(assertion, storedCredential(), relyingParty(), requestHash, uvRequired);
    require(!verified.ok());
    require(!verified.error().message.isEmpty());
}

void checkHead(QByteArrayView raw)
{
    const auto head = AuthenticatorDataHead::parse(raw);
    require(head.has_value() == (raw.size() >= AuthenticatorDataHead::size));
    if (!head)
        return;
    require(head->rpIdHash == raw.first(32).toByteArray());
    const auto flags = static_cast<quint8>(raw[32]);
    require(head->userPresent == ((flags & 0x01) != 0));
    require(head->userVerified == ((flags & 0x04) != 0));
    require(head->signCount
            == ((quint32(quint8(raw[33])) << 24) | (quint32(quint8(raw[34])) << 16)
                | (quint32(quint8(raw[35])) << 8) | quint32(quint8(raw[36]))));
}

void checkClientDataRule(QByteArrayView json)
{
    if (!checkClientData(json, u"webauthn.get", challenge, relyingParty().origin))
        return;
    const auto object = parseStrictJsonObject(json, QStringLiteral("client data"));
    require(object.ok());
    require(object->value(QStringLiteral("type")) == QJsonValue(QStringLiteral("webauthn.get")));
    require(object->value(QStringLiteral("challenge")) == QJsonValue(challenge));
    require(object->value(QStringLiteral("origin")) == QJsonValue(relyingParty().origin));
    require(object->value(QStringLiteral("crossOrigin")) != QJsonValue(true));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView all(data, static_cast<qsizetype>(size));
    checkHead(all);
    checkClientDataRule(all);
    if (size == 0)
        return 0;
    const QByteArray rest = all.sliced(1).toByteArray();
    FuzzedDataProvider input(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        fuzzRegistrationJson(rest);
        break;
    case 1:
        fuzzRegistrationParts(input);
        break;
    default:
        fuzzAssertion(input);
        break;
    }
    return 0;
}
