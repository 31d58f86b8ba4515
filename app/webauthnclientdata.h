#pragma once

#include <QByteArray>
#include <QString>

namespace countersign {

// The clientDataJSON of docs/protocol.md 8.2/8.3, in the member order and
// compact form a browser produces: {"type":...,"challenge":...,"origin":...}.
// Verifiers hash these exact bytes, so they are built by hand: QJsonObject
// would sort the members.
QByteArray webAuthnClientData(const QString &type, const QString &challenge, const QString &origin);

// type "webauthn.get", challenge = base64url(requestHash).
QByteArray webAuthnAssertionClientData(const QByteArray &requestHash, const QString &origin);
// type "webauthn.create" with the gateway's challenge text.
QByteArray webAuthnRegistrationClientData(const QString &challenge, const QString &origin);

// The WebAuthn client's rule for an RP id: the origin's host itself, or a
// parent domain of it (never of an IP address, never a bare top-level name).
// Browsers enforce it; here the companion is the client, so it does too: a
// gateway's `welcome` names the RP id, and a gateway must not get the
// person's security key to sign for another site (docs/threat-model.md).
bool rpIdFitsOrigin(const QString &rpId, const QString &origin);

} // namespace countersign
