#pragma once

#include "app/secretstore.h"

#include <QHash>
#include <QTimer>

namespace countersign::testing {

// A SecretStore in memory, for tests that need no real keychain. It answers
// later from the event loop, as a keychain does (SecretStore's contract);
// `refuseWrites` and `refuseRemoval` make write() and remove() fail like a
// locked keychain.
class MemorySecretStore final : public SecretStore {
public:
    void write(const QString &key, const QByteArray &secret, const QObject *context,
               StatusCallback done) override
    {
        if (refuseWrites) {
            QTimer::singleShot(0, context, [done] {
                done(makeError(ErrorCode::StorageFailure,
                               QStringLiteral("keychain: the keychain is locked")));
            });
            return;
        }
        m_secrets.insert(key, secret);
        QTimer::singleShot(0, context, [done] { done(Ok{}); });
    }
    void read(const QString &key, const QObject *context, ReadCallback done) override
    {
        const auto value = m_secrets.contains(key) ? std::optional(m_secrets.value(key))
                                                   : std::optional<QByteArray>();
        QTimer::singleShot(0, context, [done, value] { done(value); });
    }
    void remove(const QString &key, const QObject *context, StatusCallback done) override
    {
        if (refuseRemoval) {
            QTimer::singleShot(0, context, [done] {
                done(makeError(ErrorCode::StorageFailure,
                               QStringLiteral("keychain: the keychain is locked")));
            });
            return;
        }
        m_secrets.remove(key);
        QTimer::singleShot(0, context, [done] { done(Ok{}); });
    }
    bool contains(const QString &key) const { return m_secrets.contains(key); }
    // Stores at once (test set-up, no callback).
    void put(const QString &key, const QByteArray &secret) { m_secrets.insert(key, secret); }

    bool refuseWrites = false;
    bool refuseRemoval = false;

private:
    QHash<QString, QByteArray> m_secrets;
};

} // namespace countersign::testing
