#pragma once

#include "protocol/result.h"

#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

namespace countersign::gateway {

// Loading the gateway's TLS certificate and key when the configuration is
// read, so that a wrong path, a PEM that does not parse, an encrypted key or
// a key that belongs to another certificate stops start-up with a message
// instead of surfacing as failed handshakes later. Errors carry no location;
// the caller adds the key and line.

// The certificate first, then any intermediates, PEM (or one DER certificate).
Result<QList<QSslCertificate>> loadCertificateChain(const QString &path);

// An unencrypted EC or RSA private key, PEM or DER.
Result<QSslKey> loadPrivateKey(const QString &path);

// True when key is the private half of certificate's public key.
bool keyMatchesCertificate(const QSslKey &key, const QSslCertificate &certificate);

} // namespace countersign::gateway
