#pragma once

#include "protocol/result.h"

#include <QByteArrayView>
#include <QStringView>

namespace countersign::gateway {

// The WebAuthn clientDataJSON checks a browser-less relying party must do
// itself (libfido2 only ever sees its hash): strict JSON (no duplicate
// members), `type`, `challenge` and `origin` exactly as expected, and no
// `crossOrigin: true`. Other members (topOrigin, future ones) are ignored,
// as WebAuthn section 5.8.1 asks of relying parties.
Status checkClientData(QByteArrayView json, QStringView type, QStringView challenge,
                       QStringView origin);

} // namespace countersign::gateway
