#pragma once

#include "protocol/result.h"

#include <QJsonObject>
#include <QString>

namespace countersign {

// RFC 7638 JWK thumbprint (SHA-256, base64url) of any EC, RSA or OKP public
// JWK: the required members only, in lexicographic order, no whitespace.
Result<QString> jwkThumbprint(const QJsonObject &jwk);

} // namespace countersign
