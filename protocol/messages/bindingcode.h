#pragma once

#include <QByteArrayView>
#include <QString>

namespace countersign {

// The short code a person matches between their agent's conversation and the
// companion's dialog, so that they approve the request their agent caused and
// not another one arriving at the same moment.
//
// It is derived from the request hash (SHA-256 of the exact signed request
// bytes), so gateway and companion compute it independently and neither can
// show a code that does not belong to the request. It is therefore not a
// field inside the signed payload: the hash it comes from covers the payload.
//
// Two decimal digits: big-endian uint32 of the hash's first four bytes,
// modulo 100, zero-padded.
QString bindingCodeForRequestHash(QByteArrayView requestHash);

} // namespace countersign
