#pragma once

#include "protocol/result.h"

#include <functional>
#include <optional>

#include <QByteArray>
#include <QObject>
#include <QString>

namespace countersign {

// Where the companion keeps its secrets (the device private key of each
// paired gateway): the OS keychain, never settings or files. platform/
// implements it on QtKeychain; tests may implement it in memory.
//
// Keychains answer asynchronously (Secret Service over D-Bus, a prompt to
// unlock), so every operation takes a callback. The callback always runs
// later from the event loop, never inside the call, and only while `context`
// still exists: a caller that is destroyed first is simply not called back.
class SecretStore : public QObject {
    Q_OBJECT

public:
    // The secret, or nullopt when nothing is stored under that key: missing
    // is an answer, not a failure (the caller knows whether it expected one).
    using ReadCallback = std::function<void(Result<std::optional<QByteArray>>)>;
    using StatusCallback = std::function<void(Status)>;

    explicit SecretStore(QObject *parent = nullptr);
    ~SecretStore() override;

    // "device-key/<gateway id>": one device key per paired gateway.
    static QString deviceKeyName(const QString &gatewayId);

    // Stores `secret` under `key`, replacing what was there.
    virtual void write(const QString &key, const QByteArray &secret, const QObject *context,
                       StatusCallback done) = 0;
    virtual void read(const QString &key, const QObject *context, ReadCallback done) = 0;
    // Removing a key that does not exist succeeds: the goal (no secret under
    // that key) is reached either way, which keeps unpairing idempotent.
    virtual void remove(const QString &key, const QObject *context, StatusCallback done) = 0;
};

} // namespace countersign
