#include "testpasskey.h"

#include "protocol/base64url.h"

#include <cbor.h>

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace countersign::testing {

namespace {

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(base64UrlEncode(bytes));
}

QByteArray randomId(int size)
{
    QByteArray id(size, Qt::Uninitialized);
    for (char &byte : id)
        byte = static_cast<char>(QRandomGenerator::global()->bounded(256));
    return id;
}

EVP_PKEY *newP256Key()
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key)
        qFatal("EVP_EC_gen failed");
    return key;
}

QByteArray coordinate(EVP_PKEY *key, const char *name)
{
    BIGNUM *value = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &value) != 1)
        qFatal("cannot read the public key");
    QByteArray bytes(32, '\0');
    BN_bn2binpad(value, reinterpret_cast<unsigned char *>(bytes.data()), 32);
    BN_free(value);
    return bytes;
}

// RFC 9053 / WebAuthn 6.5.1.1: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
QByteArray coseKey(EVP_PKEY *key)
{
    const QByteArray x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
    const QByteArray y = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    cbor_item_t *map = cbor_new_definite_map(5);
    auto add = [map](cbor_item_t *k, cbor_item_t *v) {
        (void)cbor_map_add(map, cbor_pair{cbor_move(k), cbor_move(v)});
    };
    add(cbor_build_uint8(1), cbor_build_uint8(2));
    add(cbor_build_uint8(3), cbor_build_negint8(6)); // -7
    add(cbor_build_negint8(0), cbor_build_uint8(1)); // -1: crv P-256
    add(cbor_build_negint8(1),                       // -2: x
        cbor_build_bytestring(reinterpret_cast<const unsigned char *>(x.constData()), 32));
    add(cbor_build_negint8(2), // -3: y
        cbor_build_bytestring(reinterpret_cast<const unsigned char *>(y.constData()), 32));
    unsigned char *buffer = nullptr;
    size_t size = 0;
    const size_t written = cbor_serialize_alloc(map, &buffer, &size);
    cbor_decref(&map);
    QByteArray encoded(reinterpret_cast<const char *>(buffer), static_cast<qsizetype>(written));
    free(buffer);
    return encoded;
}

QByteArray signWith(EVP_PKEY *key, const QByteArray &data)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t size = 0;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1
        || EVP_DigestSign(ctx, nullptr, &size,
                          reinterpret_cast<const unsigned char *>(data.constData()),
                          static_cast<size_t>(data.size()))
            != 1) {
        qFatal("cannot sign");
    }
    QByteArray signature(static_cast<qsizetype>(size), '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &size,
                       reinterpret_cast<const unsigned char *>(data.constData()),
                       static_cast<size_t>(data.size()))
        != 1) {
        qFatal("cannot sign");
    }
    EVP_MD_CTX_free(ctx);
    signature.resize(static_cast<qsizetype>(size));
    return signature;
}

// A self-signed certificate for the attestation key (what a maker's batch
// certificate would be; libfido2 checks only the signature with it).
QByteArray certificateFor(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("Test Attestation"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    unsigned char *der = nullptr;
    const int size = i2d_X509(cert, &der);
    QByteArray bytes(reinterpret_cast<const char *>(der), size);
    OPENSSL_free(der);
    X509_free(cert);
    return bytes;
}

} // namespace

struct TestPasskey::Keys {
    EVP_PKEY *credential = newP256Key();
    EVP_PKEY *attestation = newP256Key();
    ~Keys()
    {
        EVP_PKEY_free(credential);
        EVP_PKEY_free(attestation);
    }
};

TestPasskey::TestPasskey(QString rpId)
    : m_rpId(std::move(rpId))
    , m_credentialId(randomId(32))
    , m_keys(std::make_unique<Keys>())
{
}

TestPasskey::~TestPasskey() = default;
TestPasskey::TestPasskey(TestPasskey &&) noexcept = default;

QByteArray TestPasskey::clientData(const QString &type, const QString &challenge,
                                   const QString &origin, const QJsonObject &extra)
{
    // In a browser's member order (type, challenge, origin), as the
    // companion's authenticator writes it; QJsonObject would sort them.
    auto quoted = [](const QString &text) {
        return QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    };
    QByteArray json = "{\"type\":" + quoted(type) + ",\"challenge\":" + quoted(challenge)
        + ",\"origin\":" + quoted(origin);
    for (auto it = extra.begin(); it != extra.end(); ++it) {
        json += ',' + quoted(it.key()) + ':'
            + QJsonDocument(QJsonArray{it.value()})
                  .toJson(QJsonDocument::Compact)
                  .mid(1)
                  .chopped(1);
    }
    return json + '}';
}

QByteArray TestPasskey::authenticatorData(Flags flags, quint32 count, bool attested) const
{
    QByteArray data = QCryptographicHash::hash(m_rpId.toUtf8(), QCryptographicHash::Sha256);
    quint8 bits = 0;
    bits |= flags.up ? 0x01 : 0;
    bits |= flags.uv ? 0x04 : 0;
    bits |= flags.be ? 0x08 : 0;
    bits |= flags.bs ? 0x10 : 0;
    bits |= attested ? 0x40 : 0;
    data.append(static_cast<char>(bits));
    for (int shift = 24; shift >= 0; shift -= 8)
        data.append(static_cast<char>((count >> shift) & 0xff));
    if (attested) {
        data.append(QByteArray(16, '\0')); // AAGUID
        data.append(static_cast<char>((m_credentialId.size() >> 8) & 0xff));
        data.append(static_cast<char>(m_credentialId.size() & 0xff));
        data.append(m_credentialId);
        data.append(coseKey(m_keys->credential));
    }
    return data;
}

QByteArray TestPasskey::sign(const QByteArray &data) const
{
    return signWith(m_keys->credential, data);
}

QJsonObject TestPasskey::registration(const QString &challenge, const QString &origin,
                                      Attestation attestation, Flags flags) const
{
    return registrationWith(clientData(QStringLiteral("webauthn.create"), challenge, origin),
                            authenticatorData(flags, m_signCount, true), attestation);
}

QJsonObject TestPasskey::registrationWith(const QByteArray &clientDataJson,
                                          const QByteArray &authData, Attestation attestation) const
{
    QJsonObject credential{{QStringLiteral("credential_id"), b64(m_credentialId)},
                           {QStringLiteral("client_data_json"), b64(clientDataJson)},
                           {QStringLiteral("authenticator_data"), b64(authData)}};
    const QByteArray signedData =
        authData + QCryptographicHash::hash(clientDataJson, QCryptographicHash::Sha256);
    switch (attestation) {
    case Attestation::None:
        credential.insert(QStringLiteral("fmt"), QStringLiteral("none"));
        break;
    case Attestation::Self:
        credential.insert(QStringLiteral("fmt"), QStringLiteral("packed"));
        credential.insert(QStringLiteral("attestation_signature"), b64(sign(signedData)));
        break;
    case Attestation::Basic:
        credential.insert(QStringLiteral("fmt"), QStringLiteral("packed"));
        credential.insert(QStringLiteral("attestation_signature"),
                          b64(signWith(m_keys->attestation, signedData)));
        credential.insert(QStringLiteral("x5c"),
                          QJsonArray{b64(certificateFor(m_keys->attestation))});
        break;
    }
    return credential;
}

QJsonObject TestPasskey::assertion(const QByteArray &requestHash, const QString &origin,
                                   Flags flags)
{
    if (!(keepZeroCount && m_signCount == 0))
        ++m_signCount;
    const QByteArray client = clientData(QStringLiteral("webauthn.get"), b64(requestHash), origin);
    const QByteArray authData = authenticatorData(flags, m_signCount, false);
    return evidence(authData, client,
                    sign(authData + QCryptographicHash::hash(client, QCryptographicHash::Sha256)));
}

QJsonObject TestPasskey::evidence(const QByteArray &authData, const QByteArray &clientDataJson,
                                  const QByteArray &signature) const
{
    return QJsonObject{{QStringLiteral("credential_id"), b64(m_credentialId)},
                       {QStringLiteral("authenticator_data"), b64(authData)},
                       {QStringLiteral("client_data_json"), b64(clientDataJson)},
                       {QStringLiteral("signature"), b64(signature)}};
}

} // namespace countersign::testing
