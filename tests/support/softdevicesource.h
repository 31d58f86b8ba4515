#pragma once

#include "platform/fidodevicesource.h"
#include "tests/support/softauthenticator.h"

#include <mutex>

#include <QList>

namespace countersign::testing {

// Soft authenticators as the keys FidoAuthenticator finds: plug() and
// unplug() are what a user does with USB keys. Header-only so that
// countersign_soft_authenticator does not depend on platform/.
class SoftDeviceSource final : public FidoDeviceSource {
public:
    void plug(SoftAuthenticator *key)
    {
        std::lock_guard lock(m_mutex);
        m_keys.append(key);
    }
    void unplug(SoftAuthenticator *key)
    {
        std::lock_guard lock(m_mutex);
        m_keys.removeAll(key);
    }

    QList<AuthenticatorDevice> devices() override
    {
        std::lock_guard lock(m_mutex);
        QList<AuthenticatorDevice> list;
        for (const SoftAuthenticator *key : std::as_const(m_keys))
            list.append({key->path(), key->product(), QStringLiteral("Countersign Tests")});
        return list;
    }

    fido_dev_t *open(const QString &id, std::chrono::milliseconds timeout, int *error) override
    {
        std::lock_guard lock(m_mutex);
        for (const SoftAuthenticator *key : std::as_const(m_keys)) {
            if (key->path() == id)
                return key->openDevice(error, static_cast<int>(timeout.count()));
        }
        *error = FIDO_ERR_RX; // what opening an unplugged hidraw path gives
        return nullptr;
    }

private:
    std::mutex m_mutex;
    QList<SoftAuthenticator *> m_keys;
};

} // namespace countersign::testing
