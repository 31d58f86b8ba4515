#include "platform/keychainsecretstore.h"
#include "protocol/jose/ecprivatekey.h"

#include <QTest>

using namespace countersign;

namespace {

constexpr int timeoutMs = 10'000;

// Waits for one asynchronous keychain answer (with a deadline, no sleeping).
template <typename Value>
class Answer {
public:
    auto callback()
    {
        return [this](Value value) { m_value.emplace(std::move(value)); };
    }
    bool wait()
    {
        return QTest::qWaitFor([this] { return m_value.has_value(); }, timeoutMs);
    }
    bool arrived() const { return m_value.has_value(); }
    const Value &value() const { return *m_value; }

private:
    std::optional<Value> m_value;
};

using ReadAnswer = Answer<Result<std::optional<QByteArray>>>;
using StatusAnswer = Answer<Status>;

} // namespace

// KeychainSecretStore against a real Secret Service: gnome-keyring-daemon on
// a private D-Bus session in a throwaway HOME (tests/support/with-keyring).
class TestPlatformKeychain : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void usesTheAppIdAsService();
    void writesReadsAndRemoves();
    void keepsBinarySecretsExactly();
    void replacesOnWrite();
    void readsMissingKeyAsNothing();
    void removesMissingKeyWithoutError();
    void keepsKeysApart();
    void keepsServicesApart();
    void roundTripsADeviceKey();
    void refusesEmptyKey();
    void neverCallsBackInsideTheCall();
    void skipsCallbackOfDestroyedContext();

private:
    Status write(SecretStore &store, const QString &key, const QByteArray &secret);
    Result<std::optional<QByteArray>> read(SecretStore &store, const QString &key);
    Status remove(SecretStore &store, const QString &key);
};

Status TestPlatformKeychain::write(SecretStore &store, const QString &key, const QByteArray &secret)
{
    StatusAnswer answer;
    store.write(key, secret, this, answer.callback());
    if (!answer.wait())
        return makeError(ErrorCode::StorageFailure, QStringLiteral("test: no answer in time"));
    return answer.value();
}

Result<std::optional<QByteArray>> TestPlatformKeychain::read(SecretStore &store, const QString &key)
{
    ReadAnswer answer;
    store.read(key, this, answer.callback());
    if (!answer.wait())
        return makeError(ErrorCode::StorageFailure, QStringLiteral("test: no answer in time"));
    return answer.value();
}

Status TestPlatformKeychain::remove(SecretStore &store, const QString &key)
{
    StatusAnswer answer;
    store.remove(key, this, answer.callback());
    if (!answer.wait())
        return makeError(ErrorCode::StorageFailure, QStringLiteral("test: no answer in time"));
    return answer.value();
}

void TestPlatformKeychain::usesTheAppIdAsService()
{
    KeychainSecretStore store;
    QCOMPARE(store.service(), AppId::keychainService());
    QCOMPARE(SecretStore::deviceKeyName(QStringLiteral("https://gw.example.com")),
             QStringLiteral("device-key/https://gw.example.com"));
}

void TestPlatformKeychain::writesReadsAndRemoves()
{
    KeychainSecretStore store;
    const QString key = SecretStore::deviceKeyName(QStringLiteral("https://gw.example.com"));
    const Status written = write(store, key, "secret bytes");
    QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.error().message));

    const auto found = read(store, key);
    QVERIFY2(found.ok(), qPrintable(found.ok() ? QString() : found.error().message));
    QVERIFY(found->has_value());
    QCOMPARE(found->value(), QByteArray("secret bytes"));

    QVERIFY(remove(store, key).ok());
    const auto gone = read(store, key);
    QVERIFY(gone.ok());
    QVERIFY(!gone->has_value());
}

void TestPlatformKeychain::keepsBinarySecretsExactly()
{
    KeychainSecretStore store;
    QByteArray secret;
    for (int i = 0; i < 256; ++i)
        secret.append(static_cast<char>(i)); // NUL, high bytes, everything
    QVERIFY(write(store, QStringLiteral("binary"), secret).ok());
    const auto found = read(store, QStringLiteral("binary"));
    QVERIFY(found.ok() && found->has_value());
    QCOMPARE(found->value(), secret);
}

void TestPlatformKeychain::replacesOnWrite()
{
    KeychainSecretStore store;
    QVERIFY(write(store, QStringLiteral("replaced"), "first").ok());
    QVERIFY(write(store, QStringLiteral("replaced"), "second").ok());
    const auto found = read(store, QStringLiteral("replaced"));
    QVERIFY(found.ok() && found->has_value());
    QCOMPARE(found->value(), QByteArray("second"));
}

void TestPlatformKeychain::readsMissingKeyAsNothing()
{
    KeychainSecretStore store;
    const auto found = read(store, QStringLiteral("never-written"));
    QVERIFY2(found.ok(), qPrintable(found.ok() ? QString() : found.error().message));
    QVERIFY(!found->has_value());
}

void TestPlatformKeychain::removesMissingKeyWithoutError()
{
    KeychainSecretStore store;
    const Status removed = remove(store, QStringLiteral("never-written-either"));
    QVERIFY2(removed.ok(), qPrintable(removed.ok() ? QString() : removed.error().message));
}

void TestPlatformKeychain::keepsKeysApart()
{
    KeychainSecretStore store;
    const QString first = SecretStore::deviceKeyName(QStringLiteral("https://one.example"));
    const QString second = SecretStore::deviceKeyName(QStringLiteral("https://two.example"));
    QVERIFY(write(store, first, "one").ok());
    QVERIFY(write(store, second, "two").ok());
    QVERIFY(remove(store, first).ok());
    QVERIFY(!read(store, first)->has_value());
    const auto kept = read(store, second);
    QVERIFY(kept.ok() && kept->has_value());
    QCOMPARE(kept->value(), QByteArray("two"));
}

void TestPlatformKeychain::keepsServicesApart()
{
    KeychainSecretStore app;
    KeychainSecretStore other(QStringLiteral("io.github.countersign.Test"), nullptr);
    QVERIFY(write(app, QStringLiteral("shared-name"), "app").ok());
    QVERIFY(!read(other, QStringLiteral("shared-name"))->has_value());
    QVERIFY(write(other, QStringLiteral("shared-name"), "other").ok());
    QCOMPARE(read(app, QStringLiteral("shared-name"))->value(), QByteArray("app"));
    QCOMPARE(read(other, QStringLiteral("shared-name"))->value(), QByteArray("other"));
}

void TestPlatformKeychain::roundTripsADeviceKey()
{
    KeychainSecretStore store;
    const EcPrivateKey key = EcPrivateKey::generate().value();
    const QString name = SecretStore::deviceKeyName(QStringLiteral("http://127.0.0.1:8080"));
    QVERIFY(write(store, name, key.toPkcs8Der()).ok());
    const auto found = read(store, name);
    QVERIFY(found.ok() && found->has_value());
    const auto restored = EcPrivateKey::fromPkcs8Der(found->value());
    QVERIFY(restored.ok());
    QCOMPARE(restored->publicKey().thumbprint(), key.publicKey().thumbprint());
}

void TestPlatformKeychain::refusesEmptyKey()
{
    KeychainSecretStore store;
    const Status written = write(store, QString(), "x");
    QVERIFY(!written.ok());
    QCOMPARE(written.error().code, ErrorCode::InvalidField);
    QVERIFY(written.error().message.contains(u"key name is empty"));
    QVERIFY(!read(store, QString()).ok());
    QVERIFY(!remove(store, QString()).ok());
}

void TestPlatformKeychain::neverCallsBackInsideTheCall()
{
    KeychainSecretStore store;
    StatusAnswer refused;
    store.write(QString(), "x", this, refused.callback());
    QVERIFY(!refused.arrived());
    ReadAnswer found;
    store.read(QStringLiteral("never-written"), this, found.callback());
    QVERIFY(!found.arrived());
    QVERIFY(refused.wait());
    QVERIFY(found.wait());
}

void TestPlatformKeychain::skipsCallbackOfDestroyedContext()
{
    KeychainSecretStore store;
    bool called = false;
    {
        QObject context;
        store.write(QStringLiteral("orphan"), "x", &context,
                    [&called](const Status &) { called = true; });
    }
    // The write itself still completes: it is visible to the next read.
    const auto found = read(store, QStringLiteral("orphan"));
    QVERIFY(found.ok() && found->has_value());
    QVERIFY(!called);
}

QTEST_GUILESS_MAIN(TestPlatformKeychain)
#include "test_platform_keychain.moc"
