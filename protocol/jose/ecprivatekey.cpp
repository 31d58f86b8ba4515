#include "ecprivatekey.h"

#include "protocol/base64url.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>

namespace countersign {

namespace {

Error cryptoError(const char *what)
{
    return makeError(ErrorCode::CryptoFailure, QString::fromLatin1(what));
}

bool isP256(EVP_PKEY *key)
{
    char group[32] = {};
    size_t length = 0;
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC
        && EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                          &length)
        == 1
        && qstrcmp(group, "prime256v1") == 0;
}

EcPublicKey publicHalf(EVP_PKEY *key)
{
    QByteArray point(1 + 2 * EcPublicKey::coordinateSize, Qt::Uninitialized);
    size_t written = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                    reinterpret_cast<unsigned char *>(point.data()),
                                    static_cast<size_t>(point.size()), &written);
    // A key this class holds is always a valid P-256 pair, so its point is too.
    return EcPublicKey::fromUncompressedPoint(point).value();
}

} // namespace

EcPrivateKey::EcPrivateKey(openssl::SharedPkey key)
    : m_key(std::move(key))
    , m_public(publicHalf(m_key.get()))
{
}

Result<EcPrivateKey> EcPrivateKey::generate()
{
    EVP_PKEY *raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (!raw)
        return cryptoError("could not generate a P-256 key");
    return EcPrivateKey(openssl::adoptPkey(raw));
}

Result<EcPrivateKey> EcPrivateKey::fromPkcs8Der(QByteArrayView der)
{
    const auto *cursor = reinterpret_cast<const unsigned char *>(der.data());
    const auto *end = cursor + der.size();
    EVP_PKEY *raw = d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der.size()));
    if (!raw) {
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("stored private key is not valid PKCS#8 DER"));
    }
    openssl::SharedPkey key = openssl::adoptPkey(raw);
    if (cursor != end) {
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("stored private key has trailing bytes"));
    }
    if (!isP256(key.get())) {
        return makeError(ErrorCode::UnsupportedKey,
                         QStringLiteral("stored private key is not a P-256 key"));
    }
    return EcPrivateKey(std::move(key));
}

Result<EcPrivateKey> EcPrivateKey::fromJwk(const QJsonObject &jwk)
{
    // The public half validates kty, crv and the point itself.
    const auto publicHalf = EcPublicKey::fromJwk(jwk);
    if (!publicHalf)
        return publicHalf.error();
    const QJsonValue dValue = jwk.value(QStringLiteral("d"));
    auto d = base64UrlDecode(dValue.toString().toLatin1());
    if (!dValue.isString() || !d || d->size() != EcPublicKey::coordinateSize) {
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("JWK member \"d\" must be 32 bytes of base64url"));
    }
    const QByteArray point = publicHalf->uncompressedPoint();
    openssl::BnPtr privateScalar(BN_bin2bn(reinterpret_cast<const unsigned char *>(d->constData()),
                                           static_cast<int>(d->size()), nullptr));
    d.value().fill('\0');
    openssl::ParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!privateScalar || !builder
        || !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                            0)
        || !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                             point.constData(), static_cast<size_t>(point.size()))
        || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, privateScalar.get())) {
        return cryptoError("could not prepare the private key");
    }
    openssl::ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    openssl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY *raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
        || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
        return makeError(ErrorCode::MalformedKey, QStringLiteral("JWK is not a valid P-256 key"));
    }
    openssl::SharedPkey key = openssl::adoptPkey(raw);
    openssl::PkeyCtxPtr checkCtx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!checkCtx || EVP_PKEY_pairwise_check(checkCtx.get()) != 1) {
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("JWK \"d\" does not belong to its \"x\"/\"y\" point"));
    }
    return EcPrivateKey(std::move(key));
}

QByteArray EcPrivateKey::toPkcs8Der() const
{
    PKCS8_PRIV_KEY_INFO *info = EVP_PKEY2PKCS8(m_key.get());
    if (!info)
        return {};
    unsigned char *der = nullptr;
    const int length = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
    PKCS8_PRIV_KEY_INFO_free(info);
    if (length <= 0)
        return {};
    QByteArray out(reinterpret_cast<const char *>(der), length);
    OPENSSL_clear_free(der, static_cast<size_t>(length));
    return out;
}

Result<QByteArray> EcPrivateKey::signEs256(QByteArrayView data) const
{
    openssl::MdCtxPtr ctx(EVP_MD_CTX_new());
    size_t derLength = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key.get()) != 1
        || EVP_DigestSign(ctx.get(), nullptr, &derLength,
                          reinterpret_cast<const unsigned char *>(data.data()),
                          static_cast<size_t>(data.size()))
            != 1) {
        return cryptoError("could not start an ES256 signature");
    }
    QByteArray der(static_cast<qsizetype>(derLength), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(der.data()), &derLength,
                       reinterpret_cast<const unsigned char *>(data.data()),
                       static_cast<size_t>(data.size()))
        != 1) {
        return cryptoError("ES256 signing failed");
    }
    const auto *cursor = reinterpret_cast<const unsigned char *>(der.constData());
    openssl::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(derLength)));
    if (!sig)
        return cryptoError("could not decode the ECDSA signature");
    // JWS wants r and s as fixed-size big-endian integers (RFC 7518 3.4).
    QByteArray raw(2 * EcPublicKey::coordinateSize, Qt::Uninitialized);
    auto *out = reinterpret_cast<unsigned char *>(raw.data());
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, EcPublicKey::coordinateSize)
            != EcPublicKey::coordinateSize
        || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + EcPublicKey::coordinateSize,
                        EcPublicKey::coordinateSize)
            != EcPublicKey::coordinateSize) {
        return cryptoError("ECDSA signature does not fit P-256");
    }
    return raw;
}

} // namespace countersign
