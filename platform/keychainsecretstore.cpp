#include "keychainsecretstore.h"

#include <QTimer>
#include <qt6keychain/keychain.h>

namespace countersign {

namespace {

// What went wrong in words a person can act on; QtKeychain's own text
// follows in parentheses for the details.
QString describe(QKeychain::Error error)
{
    switch (error) {
    case QKeychain::NoBackendAvailable:
        return QStringLiteral("no keychain is available (on Linux a Secret Service such as "
                              "GNOME Keyring or KWallet must be running and unlocked)");
    case QKeychain::AccessDeniedByUser:
        return QStringLiteral("access to the keychain was refused");
    case QKeychain::AccessDenied:
        return QStringLiteral("the keychain denied access");
    case QKeychain::CouldNotDeleteEntry:
        return QStringLiteral("the keychain could not delete the entry");
    case QKeychain::NotImplemented:
        return QStringLiteral("this keychain does not support the operation");
    case QKeychain::EntryNotFound:
        return QStringLiteral("there is no such entry");
    case QKeychain::NoError:
    case QKeychain::OtherError:
        break;
    }
    return QStringLiteral("the keychain failed");
}

Error keychainError(const QKeychain::Job &job, const QString &action)
{
    QString message = QStringLiteral("keychain: could not %1 \"%2\": %3")
                          .arg(action, job.key(), describe(job.error()));
    if (!job.errorString().isEmpty())
        message += QStringLiteral(" (") + job.errorString() + QStringLiteral(")");
    return makeError(ErrorCode::StorageFailure, message);
}

Error emptyKeyError()
{
    return makeError(ErrorCode::InvalidField, QStringLiteral("keychain: the key name is empty"));
}

// Keeps the promise that callbacks never run inside the call, for refusals
// made before any job exists too.
template <typename Callback, typename Value>
void callLater(const QObject *context, Callback done, Value value)
{
    QTimer::singleShot(0, context,
                       [done = std::move(done), value = std::move(value)] { done(value); });
}

} // namespace

KeychainSecretStore::KeychainSecretStore(QObject *parent)
    : KeychainSecretStore(AppId::keychainService(), parent)
{
}

KeychainSecretStore::KeychainSecretStore(const QString &service, QObject *parent)
    : SecretStore(parent)
    , m_service(service)
{
}

template <typename JobType>
JobType *KeychainSecretStore::makeJob(const QString &key)
{
    // Parented to the store: destroying the store cancels what is pending.
    auto *job = new JobType(m_service, this);
    job->setAutoDelete(true);
    // Never a plain-file fallback: a device key outside the keychain is a
    // secret on disk, which the companion promises not to write.
    job->setInsecureFallback(false);
    job->setKey(key);
    return job;
}

void KeychainSecretStore::write(const QString &key, const QByteArray &secret,
                                const QObject *context, StatusCallback done)
{
    Q_ASSERT(context);
    if (key.isEmpty())
        return callLater(context, std::move(done), Status(emptyKeyError()));
    auto *job = makeJob<QKeychain::WritePasswordJob>(key);
    job->setBinaryData(secret);
    connect(job, &QKeychain::Job::finished, context,
            [done = std::move(done)](QKeychain::Job *finished) {
                if (finished->error() != QKeychain::NoError)
                    return done(keychainError(*finished, QStringLiteral("store")));
                done(Ok{});
            });
    job->start();
}

void KeychainSecretStore::read(const QString &key, const QObject *context, ReadCallback done)
{
    Q_ASSERT(context);
    if (key.isEmpty()) {
        return callLater(context, std::move(done),
                         Result<std::optional<QByteArray>>(emptyKeyError()));
    }
    auto *job = makeJob<QKeychain::ReadPasswordJob>(key);
    connect(job, &QKeychain::Job::finished, context,
            [done = std::move(done), job](QKeychain::Job *finished) {
                if (finished->error() == QKeychain::EntryNotFound)
                    return done(std::optional<QByteArray>());
                if (finished->error() != QKeychain::NoError)
                    return done(keychainError(*finished, QStringLiteral("read")));
                done(std::optional<QByteArray>(job->binaryData()));
            });
    job->start();
}

void KeychainSecretStore::remove(const QString &key, const QObject *context, StatusCallback done)
{
    Q_ASSERT(context);
    if (key.isEmpty())
        return callLater(context, std::move(done), Status(emptyKeyError()));
    auto *job = makeJob<QKeychain::DeletePasswordJob>(key);
    connect(job, &QKeychain::Job::finished, context,
            [done = std::move(done)](QKeychain::Job *finished) {
                // Already gone is what removing wants.
                if (finished->error() != QKeychain::NoError
                    && finished->error() != QKeychain::EntryNotFound) {
                    return done(keychainError(*finished, QStringLiteral("remove")));
                }
                done(Ok{});
            });
    job->start();
}

} // namespace countersign
