#pragma once

#include "app/gatewayprofile.h"
#include "app/secretstore.h"

#include <optional>

#include <QList>
#include <QObject>

namespace countersign {

// The gateways this companion is paired with, remembered across runs in
// QSettings (organization and application from AppId). Only what is not
// secret is kept there; each device key lives in the SecretStore, and
// unpairing removes both.
class PairedGateways : public QObject {
    Q_OBJECT

public:
    explicit PairedGateways(SecretStore &secrets, QObject *parent = nullptr);

    // In the order they were first paired. Records that do not read back as
    // valid (a hand-edited settings file) are left out, with a warning.
    QList<GatewayProfile> all() const;
    std::optional<GatewayProfile> find(const QString &gatewayId) const;

    // Adds the record, or replaces the one with the same gateway id (pairing
    // again with a gateway). StorageFailure when the settings cannot be written.
    Status save(const GatewayProfile &profile);

    // Forgets a gateway: removes its device key from the keychain first and
    // then its record, so that a keychain failure leaves both in place to
    // try again rather than a key nobody knows about. Succeeds when neither
    // exists any more. The gateway itself is not told (the protocol has no
    // call for it): revoke the device there to lock it out.
    void unpair(const QString &gatewayId, const QObject *context, SecretStore::StatusCallback done);

Q_SIGNALS:
    // After any change to the list.
    void changed();

private:
    Status writeAll(const QList<GatewayProfile> &profiles);

    SecretStore &m_secrets;
};

} // namespace countersign
