#pragma once

#include "app/appid.h"
#include "app/secretstore.h"

namespace countersign {

// SecretStore on the OS keychain through QtKeychain: the Secret Service
// (GNOME Keyring, KWallet) on Linux, the Credential Manager on Windows, the
// Keychain on macOS. Every entry is filed under one service name, the app id,
// so people can find (and remove) the companion's entries in their keychain
// manager. There is no fallback to a plain file: without a keychain the
// operations fail and say why.
class KeychainSecretStore final : public SecretStore {
    Q_OBJECT

public:
    explicit KeychainSecretStore(QObject *parent = nullptr);
    // Another service name; for tests that must not touch the app's entries.
    KeychainSecretStore(const QString &service, QObject *parent);

    QString service() const { return m_service; }

    void write(const QString &key, const QByteArray &secret, const QObject *context,
               StatusCallback done) override;
    void read(const QString &key, const QObject *context, ReadCallback done) override;
    void remove(const QString &key, const QObject *context, StatusCallback done) override;

private:
    // The job every operation needs: this service, our key, no plain-file
    // fallback, deleted once finished.
    template <typename JobType>
    JobType *makeJob(const QString &key);

    QString m_service;
};

} // namespace countersign
