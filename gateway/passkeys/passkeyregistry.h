#pragma once

#include "gateway/passkeys/relyingparty.h"
#include "gateway/store/store.h"
#include "protocol/clock.h"
#include "protocol/messages/channelmessage.h"

#include <functional>
#include <optional>

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>

namespace countersign::gateway {

// Why a passkey.register or passkey.remove was refused: the `error` message
// the device gets (docs/protocol.md 8.2): invalid_registration,
// passkey_exists, too_many_passkeys, unknown_passkey, factor_required,
// invalid_factor or device_revoked.
using PasskeyRefusal = channel::ErrorReply;

// The users' registered security keys as the companion channel sees them:
// the `passkey` object of welcome and passkeys messages, registration and
// removal (each audited), and a signal so every device of the user hears
// about a change.
//
// A paired device alone cannot change the user's keys: its key is a thing a
// local process, a thief or whoever used a leaked pairing link may hold, and
// a passkey it could register would turn it into an approval factor. So
// every change is proven with a fresh TOTP code of the user, checked like an
// approval's (single use, shared replay memory, so a code that registered a
// key cannot approve and vice versa). A user without TOTP cannot change
// keys until the gateway admin enrols one ('totp enroll'): that enrolment is
// the admin's word that the person holds the seed. Wrong codes are limited
// per user (maxFactorFailures in factorLockSeconds) so the code cannot be
// guessed through this door.
class PasskeyRegistry : public QObject {
    Q_OBJECT

public:
    // How a user's TOTP code fared; the runtime wires in the approvals'
    // TotpChecker (approvals depend on passkeys, not the other way round).
    // StorageUnavailable: the code's use could not be recorded, so it proves nothing.
    enum class CodeCheck { Valid, Wrong, NotEnrolled, StorageUnavailable };
    using TotpCheck = std::function<CodeCheck(const QString &userId, QStringView code)>;

    static constexpr qsizetype userHandleBytes = 32;
    static constexpr qsizetype maxNameLength = channel::maxPasskeyNameLength;
    // Wrong factor codes a user's devices may send before passkey changes
    // are locked for the rest of the window (the approval's limit, 5).
    static constexpr int maxFactorFailures = 5;
    static constexpr qint64 factorLockSeconds = 15 * 60;

    PasskeyRegistry(Store &store, const Clock &clock, RelyingParty rp, TotpCheck totp,
                    QObject *parent = nullptr);

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
    // Every device of the user is told (a passkeys message with `change`).
    void changed(const QString &userId, const channel::PasskeyChange &change);

private:
    // The device may have been revoked since its channel was opened.
    std::optional<PasskeyRefusal> refuseRevoked(const DeviceRecord &device) const;
    // The factor of 8.2; nullopt when it proves the change. `action` names
    // the change for messages and the audit ("register", "remove").
    std::optional<PasskeyRefusal> checkFactor(const DeviceRecord &device,
                                              const std::optional<channel::PasskeyFactor> &factor,
                                              const QString &action);
    // Failures within the window, oldest first; expired ones are dropped.
    int recentFactorFailures(const QString &userId);
    void audit(const QString &kind, const DeviceRecord &device, const QJsonObject &details);

    Store &m_store;
    const Clock &m_clock;
    RelyingParty m_rp;
    TotpCheck m_totp;
    // Times of wrong factor codes per user, in memory: a restart forgets
    // them, which gives a guesser at most maxFactorFailures more tries per
    // restart, and restarts are the admin's, not the guesser's.
    QHash<QString, QList<qint64>> m_factorFailures;
};

} // namespace countersign::gateway
