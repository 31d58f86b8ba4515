#pragma once

#include <memory>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

// Owning handles for the OpenSSL objects the JOSE code uses, so that every
// early return frees what was allocated.
namespace countersign::openssl {

struct PkeyDeleter {
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
    void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
};
struct BnDeleter {
    void operator()(BIGNUM *p) const { BN_clear_free(p); }
};
struct EcdsaSigDeleter {
    void operator()(ECDSA_SIG *p) const { ECDSA_SIG_free(p); }
};
struct ParamBldDeleter {
    void operator()(OSSL_PARAM_BLD *p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
    void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); }
};

using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamDeleter>;

// Keys are shared between copies of EcPublicKey/EcPrivateKey values.
using SharedPkey = std::shared_ptr<EVP_PKEY>;
inline SharedPkey adoptPkey(EVP_PKEY *key)
{
    return SharedPkey(key, PkeyDeleter{});
}

} // namespace countersign::openssl
