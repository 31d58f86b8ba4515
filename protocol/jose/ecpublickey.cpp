#include "ecpublickey.h"

#include "protocol/base64url.h"
#include "protocol/jose/jwkthumbprint.h"

#include <openssl/core_names.h>

namespace countersign {

namespace {

constexpr qsizetype pointSize = 1 + 2 * EcPublicKey::coordinateSize;

Error keyError(ErrorCode code, const char *what)
{
    return makeError(code, QString::fromLatin1(what));
}

Result<QByteArray> decodeCoordinate(const QJsonObject &jwk, const QString &name)
{
    const QJsonValue value = jwk.value(name);
    if (!value.isString()) {
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("JWK member \"%1\" is missing or not a string").arg(name));
    }
    auto decoded = base64UrlDecode(value.toString().toLatin1());
    if (!decoded) {
        return makeError(
            ErrorCode::MalformedKey,
            QStringLiteral("JWK member \"%1\": %2").arg(name, decoded.error().message));
    }
    if (decoded->size() != EcPublicKey::coordinateSize) {
        return makeError(ErrorCode::MalformedKey,
                         QStringLiteral("JWK member \"%1\" must be %2 bytes for P-256, not %3")
                             .arg(name)
                             .arg(EcPublicKey::coordinateSize)
                             .arg(decoded->size()));
    }
    return std::move(decoded).value();
}

} // namespace

EcPublicKey::EcPublicKey(openssl::SharedPkey key)
    : m_key(std::move(key))
{
    // toJwk() always has the required members, so this cannot fail.
    m_thumbprint = jwkThumbprint(toJwk()).value();
}

Result<EcPublicKey> EcPublicKey::fromJwk(const QJsonObject &jwk)
{
    if (jwk.value(QStringLiteral("kty")).toString() != u"EC") {
        return keyError(ErrorCode::UnsupportedKey, "JWK key type must be \"EC\"");
    }
    if (jwk.value(QStringLiteral("crv")).toString() != u"P-256") {
        return keyError(ErrorCode::UnsupportedKey, "JWK curve must be \"P-256\"");
    }
    const auto x = decodeCoordinate(jwk, QStringLiteral("x"));
    if (!x)
        return x.error();
    const auto y = decodeCoordinate(jwk, QStringLiteral("y"));
    if (!y)
        return y.error();
    const QByteArray point = QByteArray(1, '\x04') + x.value() + y.value();
    return fromUncompressedPoint(point);
}

Result<EcPublicKey> EcPublicKey::fromUncompressedPoint(QByteArrayView point)
{
    if (point.size() != pointSize || point.front() != '\x04') {
        return keyError(ErrorCode::MalformedKey,
                        "P-256 public key must be a 65-byte uncompressed point");
    }
    openssl::ParamBldPtr builder(OSSL_PARAM_BLD_new());
    if (!builder
        || !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                            0)
        || !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             static_cast<size_t>(point.size()))) {
        return keyError(ErrorCode::CryptoFailure, "could not prepare the public key");
    }
    openssl::ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    openssl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY *raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
        || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        // OpenSSL refuses points that are not on the curve here.
        return keyError(ErrorCode::MalformedKey, "the point is not a valid P-256 public key");
    }
    openssl::SharedPkey key = openssl::adoptPkey(raw);
    openssl::PkeyCtxPtr checkCtx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!checkCtx || EVP_PKEY_public_check(checkCtx.get()) != 1) {
        return keyError(ErrorCode::MalformedKey, "the point is not a valid P-256 public key");
    }
    return EcPublicKey(std::move(key));
}

QByteArray EcPublicKey::uncompressedPoint() const
{
    QByteArray point(pointSize, Qt::Uninitialized);
    size_t written = 0;
    if (EVP_PKEY_get_octet_string_param(m_key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                        reinterpret_cast<unsigned char *>(point.data()),
                                        static_cast<size_t>(point.size()), &written)
            != 1
        || written != static_cast<size_t>(pointSize)) {
        return {};
    }
    return point;
}

QJsonObject EcPublicKey::toJwk() const
{
    const QByteArray point = uncompressedPoint();
    return QJsonObject{
        {QStringLiteral("kty"), QStringLiteral("EC")},
        {QStringLiteral("crv"), QStringLiteral("P-256")},
        {QStringLiteral("x"),
         QString::fromLatin1(base64UrlEncode(QByteArrayView(point).sliced(1, coordinateSize)))},
        {QStringLiteral("y"),
         QString::fromLatin1(base64UrlEncode(QByteArrayView(point).sliced(1 + coordinateSize)))},
    };
}

bool EcPublicKey::verifyEs256(QByteArrayView data, QByteArrayView signature) const
{
    if (signature.size() != 2 * coordinateSize)
        return false;
    const auto *raw = reinterpret_cast<const unsigned char *>(signature.data());
    openssl::BnPtr r(BN_bin2bn(raw, coordinateSize, nullptr));
    openssl::BnPtr s(BN_bin2bn(raw + coordinateSize, coordinateSize, nullptr));
    openssl::EcdsaSigPtr sig(ECDSA_SIG_new());
    if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
        return false;
    // ECDSA_SIG owns r and s now.
    (void)r.release();
    (void)s.release();

    unsigned char *der = nullptr;
    const int derLength = i2d_ECDSA_SIG(sig.get(), &der);
    if (derLength <= 0)
        return false;
    openssl::MdCtxPtr ctx(EVP_MD_CTX_new());
    const bool valid = ctx
        && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key.get()) == 1
        && EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(derLength),
                            reinterpret_cast<const unsigned char *>(data.data()),
                            static_cast<size_t>(data.size()))
            == 1;
    OPENSSL_free(der);
    return valid;
}

} // namespace countersign
