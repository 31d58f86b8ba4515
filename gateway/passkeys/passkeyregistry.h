#pragma once

#include "gateway/passkeys/relyingparty.h"
#include "gateway/store/store.h"
#include "protocol/clock.h"
#include "protocol/messages/channelmessage.h"

#include <optional>

#include <QJsonObject>
#include <QObject>

namespace countersign::gateway {

// Why a passkey.register or passkey.remove was refused: the `error` message
// the device gets (docs/protocol.md 8.2): invalid_registration,
// passkey_exists, too_many_passkeys, unknown_passkey or device_revoked.
using PasskeyRefusal = channel::ErrorReply;

// The users' registered security keys as the companion channel sees them:
// the `passkey` object of welcome and passkeys messages, registration and
// removal (each audited), and a signal so every device of the user hears
// about a change.
class PasskeyRegistry : public QObject {
    Q_OBJECT

public:
    static constexpr qsizetype userHandleBytes = 32;
    static constexpr qsizetype maxNameLength = channel::maxPasskeyNameLength;

    PasskeyRegistry(Store &store, const Clock &clock, RelyingParty rp, QObject *parent = nullptr);

    const RelyingParty &relyingParty() const { return m_rp; }

    // {"rp_id", "user_handle", "user_name", "credentials": [...]} (8.1); the
    // user's handle is made on first use.
    Result<QJsonObject> context(const QString &userId);

    // A passkey.register message from `device`, whose connection issued
    // `challenge` (its hello nonce).
    std::optional<PasskeyRefusal> registerPasskey(const DeviceRecord &device,
                                                  const channel::PasskeyRegister &message,
                                                  const QString &challenge);
    // A passkey.remove message from `device`: only the user's own keys.
    std::optional<PasskeyRefusal> removePasskey(const DeviceRecord &device,
                                                const channel::PasskeyRemove &message);

Q_SIGNALS:
    void changed(const QString &userId);

private:
    // The device may have been revoked since its channel was opened.
    std::optional<PasskeyRefusal> refuseRevoked(const DeviceRecord &device) const;
    void audit(const QString &kind, const DeviceRecord &device, const QJsonObject &details);

    Store &m_store;
    const Clock &m_clock;
    RelyingParty m_rp;
};

} // namespace countersign::gateway
