#pragma once

#include <memory>

#include <fido.h>
#include <fido/es256.h>

namespace countersign::gateway {

// Owning handles for libfido2 objects, freed with their own free functions.
struct FidoCredFree {
    void operator()(fido_cred_t *cred) const { fido_cred_free(&cred); }
};
struct FidoAssertFree {
    void operator()(fido_assert_t *assert) const { fido_assert_free(&assert); }
};
struct Es256PkFree {
    void operator()(es256_pk_t *key) const { es256_pk_free(&key); }
};
using FidoCred = std::unique_ptr<fido_cred_t, FidoCredFree>;
using FidoAssert = std::unique_ptr<fido_assert_t, FidoAssertFree>;
using Es256Pk = std::unique_ptr<es256_pk_t, Es256PkFree>;

} // namespace countersign::gateway
