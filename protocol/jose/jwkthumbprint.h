#pragma once

#include "protocol/result.h"

#include <QJsonObject>
#include <QString>

namespace countersign {

// RFC 7638 JWK thumbprint (SHA-256, base64url) of any EC, RSA or OKP public
// JWK: the required members only, in lexicographic order, no whitespace.
Result<QString> jwkThumbprint(const QJsonObject &jwk);

// A thumbprint or pin as people compare it: groups of four characters
// separated by spaces ("Xl3B 9kq2 ..."), the same in the companion's
// dialogs and the gateway's command line, so two screens can be read side
// by side. Shown in a monospace font wherever it stands alone.
QString fingerprintForReading(const QString &thumbprint);

} // namespace countersign
