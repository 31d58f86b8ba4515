#include "softctap.h"

#include <cbor.h>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

namespace countersign::testing {

namespace {

constexpr uint8_t CmdMakeCredential = 0x01;
constexpr uint8_t CmdGetAssertion = 0x02;
constexpr uint8_t CmdGetInfo = 0x04;
constexpr uint8_t CmdClientPin = 0x06;

constexpr uint8_t FlagUp = 0x01;
constexpr uint8_t FlagUv = 0x04;
constexpr uint8_t FlagBe = 0x08;
constexpr uint8_t FlagBs = 0x10;
constexpr uint8_t FlagAt = 0x40;

constexpr int CoseEs256 = -7;
constexpr int CoseEcdhEsHkdf256 = -25;

struct CborDeleter {
    void operator()(cbor_item_t *item) const { cbor_decref(&item); }
};
using CborPtr = std::unique_ptr<cbor_item_t, CborDeleter>;

// --- reading CBOR ----------------------------------------------------------

const cbor_item_t *mapGet(const cbor_item_t *map, int64_t key)
{
    if (map == nullptr || !cbor_isa_map(map))
        return nullptr;
    const cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); ++i) {
        const cbor_item_t *k = pairs[i].key;
        if (key >= 0 && cbor_isa_uint(k) && cbor_get_int(k) == static_cast<uint64_t>(key))
            return pairs[i].value;
        if (key < 0 && cbor_isa_negint(k) && cbor_get_int(k) == static_cast<uint64_t>(-1 - key))
            return pairs[i].value;
    }
    return nullptr;
}

const cbor_item_t *mapGet(const cbor_item_t *map, const char *key)
{
    if (map == nullptr || !cbor_isa_map(map))
        return nullptr;
    const cbor_pair *pairs = cbor_map_handle(map);
    const size_t length = std::strlen(key);
    for (size_t i = 0; i < cbor_map_size(map); ++i) {
        const cbor_item_t *k = pairs[i].key;
        if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == length
            && std::memcmp(cbor_string_handle(k), key, length) == 0)
            return pairs[i].value;
    }
    return nullptr;
}

QByteArray bytesOf(const cbor_item_t *item)
{
    if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item))
        return {};
    return QByteArray(reinterpret_cast<const char *>(cbor_bytestring_handle(item)),
                      static_cast<qsizetype>(cbor_bytestring_length(item)));
}

QByteArray textOf(const cbor_item_t *item)
{
    if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item))
        return {};
    return QByteArray(reinterpret_cast<const char *>(cbor_string_handle(item)),
                      static_cast<qsizetype>(cbor_string_length(item)));
}

std::optional<bool> boolOf(const cbor_item_t *item)
{
    if (item == nullptr || !cbor_is_bool(item))
        return std::nullopt;
    return cbor_get_bool(item);
}

std::optional<int64_t> intOf(const cbor_item_t *item)
{
    if (item == nullptr)
        return std::nullopt;
    if (cbor_isa_uint(item))
        return static_cast<int64_t>(cbor_get_int(item));
    if (cbor_isa_negint(item))
        return -1 - static_cast<int64_t>(cbor_get_int(item));
    return std::nullopt;
}

// --- writing CBOR (shortest integer encodings, as CTAP2 canonical CBOR wants) --

cbor_item_t *intItem(int64_t value)
{
    const uint64_t magnitude =
        value >= 0 ? static_cast<uint64_t>(value) : static_cast<uint64_t>(-1 - value);
    cbor_item_t *item = nullptr;
    if (magnitude <= 0xff)
        item = value >= 0 ? cbor_build_uint8(static_cast<uint8_t>(magnitude))
                          : cbor_build_negint8(static_cast<uint8_t>(magnitude));
    else if (magnitude <= 0xffff)
        item = value >= 0 ? cbor_build_uint16(static_cast<uint16_t>(magnitude))
                          : cbor_build_negint16(static_cast<uint16_t>(magnitude));
    else
        item = value >= 0 ? cbor_build_uint32(static_cast<uint32_t>(magnitude))
                          : cbor_build_negint32(static_cast<uint32_t>(magnitude));
    return item;
}

cbor_item_t *bytesItem(const QByteArray &bytes)
{
    return cbor_build_bytestring(reinterpret_cast<cbor_data>(bytes.constData()),
                                 static_cast<size_t>(bytes.size()));
}

cbor_item_t *textItem(const char *text)
{
    return cbor_build_string(text);
}

void put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
    cbor_pair pair{};
    pair.key = cbor_move(key);
    pair.value = cbor_move(value);
    cbor_map_add(map, pair);
}

QByteArray serialize(const cbor_item_t *item)
{
    unsigned char *buffer = nullptr;
    size_t capacity = 0;
    const size_t length = cbor_serialize_alloc(item, &buffer, &capacity);
    QByteArray out(reinterpret_cast<const char *>(buffer), static_cast<qsizetype>(length));
    free(buffer);
    return out;
}

QByteArray success(const cbor_item_t *map)
{
    return QByteArray(1, static_cast<char>(ctap::Ok)) + serialize(map);
}

QByteArray status(uint8_t code)
{
    return QByteArray(1, static_cast<char>(code));
}

// --- crypto ------------------------------------------------------------------

QByteArray sha256(const QByteArray &data)
{
    QByteArray out(SHA256_DIGEST_LENGTH, Qt::Uninitialized);
    SHA256(reinterpret_cast<const unsigned char *>(data.constData()),
           static_cast<size_t>(data.size()), reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

QByteArray random(int count)
{
    QByteArray out(count, Qt::Uninitialized);
    RAND_bytes(reinterpret_cast<unsigned char *>(out.data()), count);
    return out;
}

EVP_PKEY *generateP256()
{
    return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
}

// 04 || x || y
QByteArray publicPoint(const EVP_PKEY *key)
{
    QByteArray point(65, Qt::Uninitialized);
    size_t length = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY,
                                        reinterpret_cast<unsigned char *>(point.data()), 65,
                                        &length)
            != 1
        || length != 65)
        return {};
    return point;
}

// DER ECDSA over SHA-256(data), the WebAuthn ES256 signature format.
QByteArray signEs256(EVP_PKEY *key, const QByteArray &data)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t length = 0;
    QByteArray signature;
    const auto *input = reinterpret_cast<const unsigned char *>(data.constData());
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
        && EVP_DigestSign(ctx, nullptr, &length, input, static_cast<size_t>(data.size())) == 1) {
        signature.resize(static_cast<qsizetype>(length));
        if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length, input,
                           static_cast<size_t>(data.size()))
            == 1)
            signature.resize(static_cast<qsizetype>(length));
        else
            signature.clear();
    }
    EVP_MD_CTX_free(ctx);
    return signature;
}

cbor_item_t *coseKey(const QByteArray &point, int algorithm)
{
    cbor_item_t *key = cbor_new_definite_map(5);
    put(key, intItem(1), intItem(2)); // kty: EC2
    put(key, intItem(3), intItem(algorithm));
    put(key, intItem(-1), intItem(1)); // crv: P-256
    put(key, intItem(-2), bytesItem(point.mid(1, 32)));
    put(key, intItem(-3), bytesItem(point.mid(33, 32)));
    return key;
}

EVP_PKEY *publicKeyFromCose(const cbor_item_t *cose)
{
    const QByteArray x = bytesOf(mapGet(cose, -2));
    const QByteArray y = bytesOf(mapGet(cose, -3));
    if (x.size() != 32 || y.size() != 32)
        return nullptr;
    QByteArray point = QByteArray(1, '\x04') + x + y;
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                           OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                                             static_cast<size_t>(point.size())),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY *key = nullptr;
    if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = nullptr;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

// PIN protocol 1: SHA-256 of the x coordinate of the ECDH point.
QByteArray sharedSecret(EVP_PKEY *ours, EVP_PKEY *peer)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ours, nullptr);
    QByteArray z(32, Qt::Uninitialized);
    size_t length = 32;
    const bool ok = ctx != nullptr && EVP_PKEY_derive_init(ctx) == 1
        && EVP_PKEY_derive_set_peer(ctx, peer) == 1
        && EVP_PKEY_derive(ctx, reinterpret_cast<unsigned char *>(z.data()), &length) == 1
        && length == 32;
    EVP_PKEY_CTX_free(ctx);
    return ok ? sha256(z) : QByteArray();
}

// AES-256-CBC with a zero IV and no padding (PIN protocol 1).
QByteArray aesCbc(const QByteArray &key, const QByteArray &data, bool encrypt)
{
    if (key.size() != 32 || data.isEmpty() || data.size() % 16 != 0)
        return {};
    const unsigned char iv[16] = {};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    QByteArray out(data.size() + 16, Qt::Uninitialized);
    int written = 0;
    int final = 0;
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    const bool ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), nullptr,
                                      reinterpret_cast<const unsigned char *>(key.constData()), iv,
                                      encrypt ? 1 : 0)
            == 1
        && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1
        && EVP_CipherUpdate(ctx, o, &written,
                            reinterpret_cast<const unsigned char *>(data.constData()),
                            static_cast<int>(data.size()))
            == 1
        && EVP_CipherFinal_ex(ctx, o + written, &final) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        return {};
    out.resize(written + final);
    return out;
}

QByteArray hmacSha256(const QByteArray &key, const QByteArray &data)
{
    QByteArray out(32, Qt::Uninitialized);
    unsigned int length = 32;
    HMAC(EVP_sha256(), key.constData(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char *>(data.constData()),
         static_cast<size_t>(data.size()), reinterpret_cast<unsigned char *>(out.data()), &length);
    return out;
}

// A self-signed certificate for "full" (basic) attestation, with the subject
// fields WebAuthn section 8.2.1 asks of packed attestation certificates.
QByteArray selfSignedCertificate(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    const auto add = [name](const char *field, const char *value) {
        X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char *>(value), -1, -1, 0);
    };
    add("C", "SE");
    add("O", "Countersign Tests");
    add("OU", "Authenticator Attestation");
    add("CN", "Countersign Soft Authenticator");
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    unsigned char *der = nullptr;
    const int length = i2d_X509(cert, &der);
    QByteArray out;
    if (length > 0)
        out = QByteArray(reinterpret_cast<const char *>(der), length);
    OPENSSL_free(der);
    X509_free(cert);
    return out;
}

QByteArray bigEndian(uint32_t value, int bytes)
{
    QByteArray out;
    for (int i = bytes - 1; i >= 0; --i)
        out.append(static_cast<char>((value >> (8 * i)) & 0xff));
    return out;
}

} // namespace

struct SoftCtap::Credential {
    ~Credential() { EVP_PKEY_free(key); }
    EVP_PKEY *key = nullptr;
    QByteArray rpIdHash;
    uint32_t signCount = 0;
};

struct SoftCtap::Pending {
    enum class Kind { MakeCredential, GetAssertion } kind;
    QByteArray clientDataHash;
    QByteArray rpIdHash;
    QByteArray credentialId; // GetAssertion: the allowed credential found
    bool userPresent = true;
    bool userVerified = false;
};

SoftCtap::SoftCtap(SoftAuthenticatorConfig config)
    : m_config(std::move(config))
    , m_pinRetries(m_config.pinRetries)
    , m_keyAgreement(generateP256())
    , m_pinToken(random(32))
{
    if (m_config.attestation == SoftAuthenticatorConfig::Attestation::Basic) {
        m_attestationKey = generateP256();
        m_attestationCertificate = selfSignedCertificate(m_attestationKey);
    }
}

SoftCtap::~SoftCtap()
{
    EVP_PKEY_free(m_keyAgreement);
    EVP_PKEY_free(m_attestationKey);
}

SoftCtap::Answer SoftCtap::handle(const QByteArray &message)
{
    m_pending.reset();
    if (message.isEmpty())
        return {status(ctap::InvalidCommand)};
    const QByteArray body = message.mid(1);
    switch (static_cast<uint8_t>(message.at(0))) {
    case CmdGetInfo:
        return {getInfo()};
    case CmdMakeCredential:
        return makeCredential(body);
    case CmdGetAssertion:
        return getAssertion(body);
    case CmdClientPin:
        return {clientPin(body)};
    default:
        return {status(ctap::InvalidCommand)};
    }
}

bool SoftCtap::hasPendingPresence() const
{
    return m_pending != nullptr;
}

void SoftCtap::dropPending()
{
    m_pending.reset();
}

QByteArray SoftCtap::finish(bool approved)
{
    if (!m_pending)
        return status(ctap::InvalidCommand);
    const std::unique_ptr<Pending> pending = std::move(m_pending);
    if (!approved)
        return status(ctap::OperationDenied);
    return pending->kind == Pending::Kind::MakeCredential ? completeMakeCredential(*pending)
                                                          : completeGetAssertion(*pending);
}

QByteArray SoftCtap::getInfo() const
{
    CborPtr map(cbor_new_definite_map(6));
    CborPtr versions(cbor_new_definite_array(1));
    cbor_array_push(versions.get(), cbor_move(textItem("FIDO_2_0")));
    put(map.get(), intItem(1), cbor_incref(versions.get()));
    put(map.get(), intItem(3), bytesItem(m_config.aaguid));

    const bool hasPin = !m_config.pin.isEmpty();
    CborPtr options(cbor_new_definite_map(hasPin ? 5 : 4));
    put(options.get(), textItem("rk"), cbor_build_bool(false));
    put(options.get(), textItem("up"), cbor_build_bool(true));
    put(options.get(), textItem("uv"), cbor_build_bool(m_config.builtInUv));
    put(options.get(), textItem("plat"), cbor_build_bool(false));
    if (hasPin)
        put(options.get(), textItem("clientPin"), cbor_build_bool(true));
    put(map.get(), intItem(4), cbor_incref(options.get()));
    put(map.get(), intItem(5), intItem(1200));

    CborPtr protocols(cbor_new_definite_array(1));
    cbor_array_push(protocols.get(), cbor_move(intItem(1)));
    put(map.get(), intItem(6), cbor_incref(protocols.get()));

    CborPtr algorithms(cbor_new_definite_array(static_cast<size_t>(m_config.algorithms.size())));
    for (const int algorithm : m_config.algorithms) {
        CborPtr entry(cbor_new_definite_map(2));
        put(entry.get(), textItem("alg"), intItem(algorithm));
        put(entry.get(), textItem("type"), textItem("public-key"));
        cbor_array_push(algorithms.get(), entry.get());
    }
    put(map.get(), intItem(10), cbor_incref(algorithms.get()));
    return success(map.get());
}

uint8_t SoftCtap::checkPinAuth(const QByteArray &clientDataHash, const QByteArray &pinAuth) const
{
    const QByteArray expected = hmacSha256(m_pinToken, clientDataHash).left(16);
    return pinAuth.size() == 16 && CRYPTO_memcmp(expected.constData(), pinAuth.constData(), 16) == 0
        ? ctap::Ok
        : ctap::PinAuthInvalid;
}

SoftCtap::Answer SoftCtap::makeCredential(const QByteArray &cbor)
{
    cbor_load_result loaded{};
    CborPtr request(cbor_load(reinterpret_cast<cbor_data>(cbor.constData()),
                              static_cast<size_t>(cbor.size()), &loaded));
    if (!request || !cbor_isa_map(request.get()))
        return {status(ctap::InvalidCbor)};
    const QByteArray clientDataHash = bytesOf(mapGet(request.get(), 1));
    const QByteArray rpId = textOf(mapGet(mapGet(request.get(), 2), "id"));
    const cbor_item_t *user = mapGet(request.get(), 3);
    const cbor_item_t *parameters = mapGet(request.get(), 4);
    if (clientDataHash.size() != 32 || rpId.isEmpty() || user == nullptr || parameters == nullptr
        || !cbor_isa_array(parameters))
        return {status(ctap::MissingParameter)};

    bool es256Requested = false;
    for (size_t i = 0; i < cbor_array_size(parameters); ++i) {
        const cbor_item_t *entry = cbor_array_handle(parameters)[i];
        if (intOf(mapGet(entry, "alg")) == CoseEs256
            && textOf(mapGet(entry, "type")) == "public-key")
            es256Requested = true;
    }
    if (!es256Requested || !m_config.algorithms.contains(CoseEs256))
        return {status(ctap::UnsupportedAlgorithm)};

    const QByteArray rpIdHash = sha256(rpId);
    if (const cbor_item_t *excluded = mapGet(request.get(), 5);
        excluded && cbor_isa_array(excluded)) {
        for (size_t i = 0; i < cbor_array_size(excluded); ++i) {
            const auto found =
                m_credentials.find(bytesOf(mapGet(cbor_array_handle(excluded)[i], "id")));
            if (found != m_credentials.end() && found->second->rpIdHash == rpIdHash)
                return {status(ctap::CredentialExcluded)};
        }
    }

    const cbor_item_t *options = mapGet(request.get(), 7);
    if (boolOf(mapGet(options, "rk")).value_or(false))
        return {status(ctap::UnsupportedOption)};
    const bool uvOption = boolOf(mapGet(options, "uv")).value_or(false);
    if (uvOption && !m_config.builtInUv)
        return {status(ctap::UnsupportedOption)};

    bool userVerified = uvOption;
    if (const cbor_item_t *pinAuth = mapGet(request.get(), 8)) {
        if (intOf(mapGet(request.get(), 9)) != 1)
            return {status(ctap::PinAuthInvalid)};
        if (const uint8_t checked = checkPinAuth(clientDataHash, bytesOf(pinAuth));
            checked != ctap::Ok)
            return {status(checked)};
        userVerified = true;
    } else if (!m_config.pin.isEmpty() && !userVerified) {
        // CTAP 2.0 section 5.1 step 6: a key with a PIN makes no credential
        // without user verification.
        return {status(ctap::PinRequired)};
    }

    m_pending = std::make_unique<Pending>(
        Pending{Pending::Kind::MakeCredential, clientDataHash, rpIdHash, {}, true, userVerified});
    return {{}, true};
}

QByteArray SoftCtap::authenticatorDataHeader(const QByteArray &rpIdHash, bool userVerified,
                                             bool attested, uint32_t count) const
{
    uint8_t flags = FlagUp;
    if (userVerified)
        flags |= FlagUv;
    if (m_backupEligible)
        flags |= FlagBe;
    if (m_backupState)
        flags |= FlagBs;
    if (attested)
        flags |= FlagAt;
    return rpIdHash + QByteArray(1, static_cast<char>(flags)) + bigEndian(count, 4);
}

QByteArray SoftCtap::completeMakeCredential(const Pending &pending)
{
    auto credential = std::make_unique<Credential>();
    credential->key = generateP256();
    credential->rpIdHash = pending.rpIdHash;
    const QByteArray credentialId = random(32);
    const QByteArray point = publicPoint(credential->key);

    CborPtr cose(coseKey(point, CoseEs256));
    const QByteArray authenticatorData =
        authenticatorDataHeader(pending.rpIdHash, pending.userVerified, true, 0) + m_config.aaguid
        + bigEndian(static_cast<uint32_t>(credentialId.size()), 2) + credentialId
        + serialize(cose.get());

    const bool basic = m_attestationKey != nullptr;
    const QByteArray signature = signEs256(basic ? m_attestationKey : credential->key,
                                           authenticatorData + pending.clientDataHash);
    CborPtr statement(cbor_new_definite_map(basic ? 3 : 2));
    put(statement.get(), textItem("alg"), intItem(CoseEs256));
    put(statement.get(), textItem("sig"), bytesItem(signature));
    if (basic) {
        CborPtr chain(cbor_new_definite_array(1));
        cbor_array_push(chain.get(), cbor_move(bytesItem(m_attestationCertificate)));
        put(statement.get(), textItem("x5c"), cbor_incref(chain.get()));
    }

    CborPtr response(cbor_new_definite_map(3));
    put(response.get(), intItem(1), textItem("packed"));
    put(response.get(), intItem(2), bytesItem(authenticatorData));
    put(response.get(), intItem(3), cbor_incref(statement.get()));
    m_credentials.emplace(credentialId, std::move(credential));
    return success(response.get());
}

SoftCtap::Answer SoftCtap::getAssertion(const QByteArray &cbor)
{
    cbor_load_result loaded{};
    CborPtr request(cbor_load(reinterpret_cast<cbor_data>(cbor.constData()),
                              static_cast<size_t>(cbor.size()), &loaded));
    if (!request || !cbor_isa_map(request.get()))
        return {status(ctap::InvalidCbor)};
    const QByteArray rpId = textOf(mapGet(request.get(), 1));
    const QByteArray clientDataHash = bytesOf(mapGet(request.get(), 2));
    if (rpId.isEmpty() || clientDataHash.size() != 32)
        return {status(ctap::MissingParameter)};

    // No resident keys: only an allow-list entry made here for this RP matches.
    const QByteArray rpIdHash = sha256(rpId);
    QByteArray credentialId;
    if (const cbor_item_t *allowed = mapGet(request.get(), 3); allowed && cbor_isa_array(allowed)) {
        for (size_t i = 0; i < cbor_array_size(allowed) && credentialId.isEmpty(); ++i) {
            const QByteArray id = bytesOf(mapGet(cbor_array_handle(allowed)[i], "id"));
            const auto found = m_credentials.find(id);
            if (found != m_credentials.end() && found->second->rpIdHash == rpIdHash)
                credentialId = id;
        }
    }
    if (credentialId.isEmpty())
        return {status(ctap::NoCredentials)};

    const cbor_item_t *options = mapGet(request.get(), 5);
    const bool userPresence = boolOf(mapGet(options, "up")).value_or(true);
    const bool uvOption = boolOf(mapGet(options, "uv")).value_or(false);
    if (uvOption && !m_config.builtInUv)
        return {status(ctap::UnsupportedOption)};
    bool userVerified = uvOption;
    if (const cbor_item_t *pinAuth = mapGet(request.get(), 6)) {
        if (intOf(mapGet(request.get(), 7)) != 1)
            return {status(ctap::PinAuthInvalid)};
        if (const uint8_t checked = checkPinAuth(clientDataHash, bytesOf(pinAuth));
            checked != ctap::Ok)
            return {status(checked)};
        userVerified = true;
    }

    m_pending =
        std::make_unique<Pending>(Pending{Pending::Kind::GetAssertion, clientDataHash, rpIdHash,
                                          credentialId, userPresence, userVerified});
    if (!userPresence)
        return {finish(true)};
    return {{}, true};
}

QByteArray SoftCtap::completeGetAssertion(const Pending &pending)
{
    Credential &credential = *m_credentials.at(pending.credentialId);
    if (!m_frozenSignCount)
        ++credential.signCount;
    QByteArray authenticatorData = authenticatorDataHeader(pending.rpIdHash, pending.userVerified,
                                                           false, credential.signCount);
    if (!pending.userPresent)
        authenticatorData[32] = static_cast<char>(authenticatorData.at(32) & ~FlagUp);
    const QByteArray signature =
        signEs256(credential.key, authenticatorData + pending.clientDataHash);

    CborPtr descriptor(cbor_new_definite_map(2));
    put(descriptor.get(), textItem("id"), bytesItem(pending.credentialId));
    put(descriptor.get(), textItem("type"), textItem("public-key"));
    CborPtr response(cbor_new_definite_map(3));
    put(response.get(), intItem(1), cbor_incref(descriptor.get()));
    put(response.get(), intItem(2), bytesItem(authenticatorData));
    put(response.get(), intItem(3), bytesItem(signature));
    return success(response.get());
}

QByteArray SoftCtap::clientPin(const QByteArray &cbor)
{
    cbor_load_result loaded{};
    CborPtr request(cbor_load(reinterpret_cast<cbor_data>(cbor.constData()),
                              static_cast<size_t>(cbor.size()), &loaded));
    if (!request || !cbor_isa_map(request.get()))
        return status(ctap::InvalidCbor);
    if (intOf(mapGet(request.get(), 1)) != 1)
        return status(ctap::InvalidCommand);
    CborPtr response(cbor_new_definite_map(1));
    switch (intOf(mapGet(request.get(), 2)).value_or(0)) {
    case 0x01: // getRetries
        put(response.get(), intItem(3), intItem(m_pinRetries));
        return success(response.get());
    case 0x02: { // getKeyAgreement
        put(response.get(), intItem(1), coseKey(publicPoint(m_keyAgreement), CoseEcdhEsHkdf256));
        return success(response.get());
    }
    case 0x05: { // getPinToken
        if (m_config.pin.isEmpty())
            return status(ctap::PinAuthInvalid);
        if (m_pinRetries <= 0)
            return status(ctap::PinBlocked);
        EVP_PKEY *platform = publicKeyFromCose(mapGet(request.get(), 3));
        const QByteArray pinHashEnc = bytesOf(mapGet(request.get(), 6));
        if (platform == nullptr || pinHashEnc.isEmpty()) {
            EVP_PKEY_free(platform);
            return status(ctap::MissingParameter);
        }
        const QByteArray secret = sharedSecret(m_keyAgreement, platform);
        EVP_PKEY_free(platform);
        --m_pinRetries;
        const QByteArray pinHash = aesCbc(secret, pinHashEnc, false);
        const QByteArray expected = sha256(m_config.pin).left(16);
        if (pinHash.size() != 16
            || CRYPTO_memcmp(pinHash.constData(), expected.constData(), 16) != 0) {
            // A wrong PIN also renews the key agreement (CTAP 2.0 section 5.5.5).
            EVP_PKEY_free(m_keyAgreement);
            m_keyAgreement = generateP256();
            return status(m_pinRetries <= 0 ? ctap::PinBlocked : ctap::PinInvalid);
        }
        m_pinRetries = m_config.pinRetries;
        put(response.get(), intItem(2), bytesItem(aesCbc(secret, m_pinToken, true)));
        return success(response.get());
    }
    default:
        return status(ctap::InvalidCommand);
    }
}

QList<QByteArray> SoftCtap::credentialIds() const
{
    QList<QByteArray> ids;
    for (const auto &[id, credential] : m_credentials)
        ids.append(id);
    return ids;
}

QByteArray SoftCtap::publicKey(const QByteArray &credentialId) const
{
    const auto found = m_credentials.find(credentialId);
    return found == m_credentials.end() ? QByteArray() : publicPoint(found->second->key);
}

std::optional<uint32_t> SoftCtap::signCount(const QByteArray &credentialId) const
{
    const auto found = m_credentials.find(credentialId);
    if (found == m_credentials.end())
        return std::nullopt;
    return found->second->signCount;
}

void SoftCtap::setSignCount(const QByteArray &credentialId, uint32_t count)
{
    const auto found = m_credentials.find(credentialId);
    if (found != m_credentials.end())
        found->second->signCount = count;
}

} // namespace countersign::testing
