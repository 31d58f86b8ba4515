#include "app/webauthnclientdata.h"
#include "platform/fidoauthenticator.h"
#include "protocol/base64url.h"
#include "tests/support/softauthenticator.h"
#include "tests/support/softdevicesource.h"

#include <memory>

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <fido.h>
#include <fido/es256.h>

using namespace countersign;
using countersign::testing::SoftAuthenticator;
using countersign::testing::SoftAuthenticatorConfig;
using countersign::testing::SoftDeviceSource;
using State = Authenticator::State;

Q_DECLARE_METATYPE(countersign::RegistrationResult)
Q_DECLARE_METATYPE(countersign::AssertionResult)

namespace {

const QString rpId = QStringLiteral("gw.example.com");
const QString origin = QStringLiteral("https://gw.example.com:8443");
const QString helloNonce = QStringLiteral("hN0nce-from_the-gateway");

const unsigned char *data(const QByteArray &bytes)
{
    return reinterpret_cast<const unsigned char *>(bytes.constData());
}

QByteArray randomHash()
{
    QByteArray hash(32, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(hash.data()), 8);
    return hash;
}

RegistrationOptions registrationOptions()
{
    RegistrationOptions options;
    options.rpId = rpId;
    options.userHandle = QByteArrayLiteral("0123456789abcdef-user");
    options.userName = QStringLiteral("alice@example.com");
    options.origin = origin;
    options.challenge = helloNonce;
    return options;
}

AssertionOptions assertionOptions(const QByteArray &requestHash, const QList<QByteArray> &allowed)
{
    AssertionOptions options;
    options.rpId = rpId;
    options.origin = origin;
    options.requestHash = requestHash;
    options.allowCredentialIds = allowed;
    return options;
}

// The gateway's check of section 8.2, done with libfido2 as a relying party.
int verifyRegistration(const RegistrationResult &result)
{
    fido_cred_t *cred = fido_cred_new();
    const QByteArray rp = rpId.toUtf8();
    int r = fido_cred_set_type(cred, COSE_ES256);
    if (r == FIDO_OK)
        r = fido_cred_set_clientdata(cred, data(result.clientDataJson),
                                     static_cast<size_t>(result.clientDataJson.size()));
    if (r == FIDO_OK)
        r = fido_cred_set_rp(cred, rp.constData(), nullptr);
    if (r == FIDO_OK)
        r = fido_cred_set_authdata_raw(cred, data(result.authenticatorData),
                                       static_cast<size_t>(result.authenticatorData.size()));
    if (r == FIDO_OK)
        r = fido_cred_set_fmt(cred, result.fmt.toUtf8().constData());
    if (r == FIDO_OK)
        r = fido_cred_set_sig(cred, data(result.attestationSignature),
                              static_cast<size_t>(result.attestationSignature.size()));
    if (r == FIDO_OK)
        r = fido_cred_verify_self(cred);
    fido_cred_free(&cred);
    return r;
}

// The gateway's check of section 8.3 (the part libfido2 does).
int verifyAssertion(const AssertionResult &result, const QByteArray &publicKey,
                    const QByteArray &clientDataJson)
{
    fido_assert_t *assertion = fido_assert_new();
    es256_pk_t *pk = es256_pk_new();
    const QByteArray rp = rpId.toUtf8();
    int r = fido_assert_set_rp(assertion, rp.constData());
    if (r == FIDO_OK)
        r = fido_assert_set_clientdata(assertion, data(clientDataJson),
                                       static_cast<size_t>(clientDataJson.size()));
    if (r == FIDO_OK)
        r = fido_assert_set_count(assertion, 1);
    if (r == FIDO_OK)
        r = fido_assert_set_authdata_raw(assertion, 0, data(result.authenticatorData),
                                         static_cast<size_t>(result.authenticatorData.size()));
    if (r == FIDO_OK)
        r = fido_assert_set_sig(assertion, 0, data(result.signature),
                                static_cast<size_t>(result.signature.size()));
    if (r == FIDO_OK)
        r = fido_assert_set_up(assertion, FIDO_OPT_TRUE);
    if (r == FIDO_OK)
        r = es256_pk_from_ptr(pk, data(publicKey), static_cast<size_t>(publicKey.size()));
    if (r == FIDO_OK)
        r = fido_assert_verify(assertion, 0, COSE_ES256, pk);
    es256_pk_free(&pk);
    fido_assert_free(&assertion);
    return r;
}

struct Harness {
    Harness()
    {
        auto owned = std::make_unique<SoftDeviceSource>();
        source = owned.get();
        authenticator = std::make_unique<FidoAuthenticator>(std::move(owned));
    }
    SoftDeviceSource *source = nullptr;
    std::unique_ptr<FidoAuthenticator> authenticator;
};

} // namespace

// FidoAuthenticator against soft authenticators through the real libfido2:
// what the user sees (states, in order) and what the gateway gets (results
// that verify as WebAuthn).
class TestPlatformFidoAuthenticator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void clientDataIsExact();
    void registerThenAssert();
    void pinIsAskedRetriedAndUsed();
    void pinBlocked();
    void cancelWhileTouching();
    void timeoutWhileTouching();
    void unresponsiveKeyTimesOut();
    void destroyedWhileTouching();
    void refusedByKey();
    void keyRemovedWhileTouching();
    void notRegisteredOnThisKey();
    void unsupportedAlgorithm();
    void requiredVerificationUnavailable();
    void noKeyThenInsert();
    void chooseAmongTwoKeys();
    void busyWhileRunning();
    void rpIdMustBeTheOriginsHostOrAParent_data();
    void rpIdMustBeTheOriginsHostOrAParent();

private:
    QByteArray registerOn(Harness &harness);
};

void TestPlatformFidoAuthenticator::initTestCase()
{
    qRegisterMetaType<RegistrationResult>();
    qRegisterMetaType<AssertionResult>();
}

void TestPlatformFidoAuthenticator::clientDataIsExact()
{
    // docs/protocol.md 8.2 and 8.3: member order type, challenge, origin; compact.
    const QByteArray registration = "{\"type\":\"webauthn.create\",\"challenge\":\"abc_-\","
                                    "\"origin\":\"https://gw.example.com:8443\"}";
    QCOMPARE(webAuthnRegistrationClientData(QStringLiteral("abc_-"), origin), registration);
    const QByteArray hash =
        QByteArray::fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // JSON escaping of the origin; base64url without padding of the hash.
    const QByteArray assertion = "{\"type\":\"webauthn.get\",\"challenge\":"
                                 "\"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\","
                                 "\"origin\":\"https://a\\\"b\"}";
    QCOMPARE(webAuthnAssertionClientData(hash, QStringLiteral("https://a\"b")), assertion);
}

QByteArray TestPlatformFidoAuthenticator::registerOn(Harness &harness)
{
    QSignalSpy registered(harness.authenticator.get(), &Authenticator::registered);
    harness.authenticator->registerCredential(registrationOptions());
    if (!registered.wait(5000))
        return {};
    return registered.at(0).at(0).value<RegistrationResult>().credentialId;
}

void TestPlatformFidoAuthenticator::registerThenAssert()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    FidoAuthenticator &authenticator = *harness.authenticator;
    QSignalSpy states(&authenticator, &Authenticator::stateChanged);
    QSignalSpy registered(&authenticator, &Authenticator::registered);
    QSignalSpy asserted(&authenticator, &Authenticator::asserted);
    QSignalSpy failed(&authenticator, &Authenticator::failed);

    QElapsedTimer timer;
    timer.start();
    authenticator.registerCredential(registrationOptions());
    QVERIFY(authenticator.isBusy());
    // wait() returns on the signal (QTRY_ polls every 50 ms): the time is real.
    QVERIFY(registered.wait(5000));
    const qint64 registerMs = timer.elapsed();
    QCOMPARE(failed.count(), 0);
    QVERIFY(!authenticator.isBusy());
    QCOMPARE(states.count(), 2);
    QCOMPARE(states.at(0).at(0).value<State>(), State::TouchKey);
    QCOMPARE(states.at(1).at(0).value<State>(), State::Done);

    const auto registration = registered.at(0).at(0).value<RegistrationResult>();
    QCOMPARE(key.credentialIds(), QList<QByteArray>{registration.credentialId});
    QCOMPARE(registration.publicKey, key.publicKey(registration.credentialId));
    QCOMPARE(registration.fmt, QStringLiteral("packed"));
    QVERIFY(registration.x5c.isEmpty());
    QVERIFY(!registration.userVerified);
    QCOMPARE(registration.deviceName, key.product());
    QCOMPARE(registration.clientDataJson, webAuthnRegistrationClientData(helloNonce, origin));
    QCOMPARE(registration.authenticatorData.left(32),
             QCryptographicHash::hash(rpId.toUtf8(), QCryptographicHash::Sha256));
    QCOMPARE(verifyRegistration(registration), FIDO_OK);

    for (quint32 count = 1; count <= 2; ++count) {
        const QByteArray hash = randomHash();
        timer.restart();
        authenticator.getAssertion(
            assertionOptions(hash, {QByteArray(32, 'z'), registration.credentialId}));
        QVERIFY(asserted.wait(5000));
        QCOMPARE(asserted.count(), int(count));
        if (count == 1)
            qInfo("register %lld ms, assert %lld ms (soft authenticator, libfido2, CTAPHID)",
                  registerMs, timer.elapsed());
        const auto assertion = asserted.last().at(0).value<AssertionResult>();
        QCOMPARE(assertion.credentialId, registration.credentialId);
        const QByteArray expectedClientData = "{\"type\":\"webauthn.get\",\"challenge\":\""
            + base64UrlEncode(hash) + "\",\"origin\":\"https://gw.example.com:8443\"}";
        QCOMPARE(assertion.clientDataJson, expectedClientData);
        // Raw authenticator data: rpIdHash, flags, counter, nothing else.
        QCOMPARE(assertion.authenticatorData.size(), 37);
        QCOMPARE(assertion.authenticatorData.left(32), registration.authenticatorData.left(32));
        QCOMPARE(uint8_t(assertion.authenticatorData.at(32)), uint8_t(0x01));
        QCOMPARE(assertion.signCount, count);
        QVERIFY(!assertion.userVerified);
        QCOMPARE(verifyAssertion(assertion, registration.publicKey, assertion.clientDataJson),
                 FIDO_OK);
        // Bound to this request: another hash does not verify.
        QCOMPARE(verifyAssertion(assertion, registration.publicKey,
                                 webAuthnAssertionClientData(QByteArray(32, '\0'), origin)),
                 FIDO_ERR_INVALID_SIG);
    }
    QCOMPARE(failed.count(), 0);
}

void TestPlatformFidoAuthenticator::pinIsAskedRetriedAndUsed()
{
    SoftAuthenticatorConfig config;
    config.pin = "4711";
    SoftAuthenticator key(config);
    Harness harness;
    harness.source->plug(&key);
    FidoAuthenticator &authenticator = *harness.authenticator;
    QSignalSpy pinRequested(&authenticator, &Authenticator::pinRequested);
    QSignalSpy registered(&authenticator, &Authenticator::registered);
    QSignalSpy asserted(&authenticator, &Authenticator::asserted);

    authenticator.registerCredential(registrationOptions());
    QTRY_COMPARE(pinRequested.count(), 1);
    QCOMPARE(pinRequested.at(0).at(0).toInt(), 8);
    QCOMPARE(authenticator.state(), State::PinNeeded);
    authenticator.setPin(QStringLiteral("0000"));
    QTRY_COMPARE(pinRequested.count(), 2);
    QCOMPARE(pinRequested.at(1).at(0).toInt(), 7);
    QCOMPARE(authenticator.state(), State::PinWrong);
    authenticator.setPin(QStringLiteral("4711"));
    QTRY_COMPARE(registered.count(), 1);
    const auto registration = registered.at(0).at(0).value<RegistrationResult>();
    QVERIFY(registration.userVerified);
    QCOMPARE(key.pinRetries(), 8);

    // The PIN was for that operation only: the assertion asks again.
    AssertionOptions options =
        assertionOptions(QByteArray(32, '\x11'), {registration.credentialId});
    options.userVerification = UserVerification::Required;
    authenticator.getAssertion(options);
    QTRY_COMPARE(pinRequested.count(), 3);
    authenticator.setPin(QStringLiteral("4711"));
    QTRY_COMPARE(asserted.count(), 1);
    const auto assertion = asserted.at(0).at(0).value<AssertionResult>();
    QVERIFY(assertion.userVerified);
    QCOMPARE(uint8_t(assertion.authenticatorData.at(32)), uint8_t(0x05));
    QCOMPARE(verifyAssertion(assertion, registration.publicKey, assertion.clientDataJson), FIDO_OK);
}

void TestPlatformFidoAuthenticator::pinBlocked()
{
    SoftAuthenticatorConfig config;
    config.pin = "4711";
    config.pinRetries = 2;
    SoftAuthenticator key(config);
    Harness harness;
    harness.source->plug(&key);
    QSignalSpy pinRequested(harness.authenticator.get(), &Authenticator::pinRequested);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->registerCredential(registrationOptions());
    QTRY_COMPARE(pinRequested.count(), 1);
    harness.authenticator->setPin(QStringLiteral("1"));
    QTRY_COMPARE(pinRequested.count(), 2);
    QCOMPARE(pinRequested.at(1).at(0).toInt(), 1);
    harness.authenticator->setPin(QStringLiteral("2"));
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::PinBlocked);
    QVERIFY(failed.at(0).at(1).toString().contains(QLatin1String("FIDO_ERR_PIN_BLOCKED")));
    QCOMPARE(harness.authenticator->state(), State::PinBlocked);
}

void TestPlatformFidoAuthenticator::cancelWhileTouching()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    const QByteArray id = registerOn(harness);
    QVERIFY(!id.isEmpty());
    key.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->getAssertion(assertionOptions(QByteArray(32, '\x01'), {id}));
    QTRY_COMPARE(harness.authenticator->state(), State::TouchKey);
    QTRY_VERIFY(key.isWaitingForTouch());
    harness.authenticator->cancel();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::Cancelled);
    QVERIFY(key.cancelCount() >= 1);
    QVERIFY(!key.isWaitingForTouch());
    QCOMPARE(key.signCount(id), std::optional<uint32_t>(0));
}

void TestPlatformFidoAuthenticator::timeoutWhileTouching()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    const QByteArray id = registerOn(harness);
    key.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    harness.authenticator->setTimeout(std::chrono::milliseconds(400));
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    QElapsedTimer timer;
    timer.start();
    harness.authenticator->getAssertion(assertionOptions(QByteArray(32, '\x02'), {id}));
    QTRY_COMPARE(failed.count(), 1);
    QVERIFY(timer.elapsed() >= 390);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::Timeout);
    // The key was told to stop waiting.
    QVERIFY(key.cancelCount() >= 1);
    QVERIFY(!key.isWaitingForTouch());
}

void TestPlatformFidoAuthenticator::unresponsiveKeyTimesOut()
{
    // A key that answers nothing, not even CTAPHID_INIT or CANCEL: libfido2's
    // read timeout, one second after our watchdog, ends the operation.
    SoftAuthenticator key;
    key.setPresence(SoftAuthenticator::Presence::Unresponsive);
    Harness harness;
    harness.source->plug(&key);
    harness.authenticator->setTimeout(std::chrono::milliseconds(300));
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->registerCredential(registrationOptions());
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10'000);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::Timeout);
    QVERIFY(!harness.authenticator->isBusy());
}

void TestPlatformFidoAuthenticator::destroyedWhileTouching()
{
    // Closing the companion mid-approval cancels the key and returns at once.
    SoftAuthenticator key;
    key.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    Harness harness;
    harness.source->plug(&key);
    harness.authenticator->registerCredential(registrationOptions());
    QTRY_VERIFY(key.isWaitingForTouch());
    QElapsedTimer timer;
    timer.start();
    harness.authenticator.reset();
    QVERIFY(timer.elapsed() < 1000);
    QCOMPARE(key.cancelCount(), 1);
    QVERIFY(!key.isWaitingForTouch());
    QVERIFY(key.credentialIds().isEmpty());
}

void TestPlatformFidoAuthenticator::refusedByKey()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    const QByteArray id = registerOn(harness);
    key.setPresence(SoftAuthenticator::Presence::Refuse);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->getAssertion(assertionOptions(QByteArray(32, '\x03'), {id}));
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::Refused);
    QVERIFY(failed.at(0).at(1).toString().contains(QLatin1String("FIDO_ERR_OPERATION_DENIED")));
}

void TestPlatformFidoAuthenticator::keyRemovedWhileTouching()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    const QByteArray id = registerOn(harness);
    key.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->getAssertion(assertionOptions(QByteArray(32, '\x04'), {id}));
    QTRY_VERIFY(key.isWaitingForTouch());
    key.remove();
    harness.source->unplug(&key);
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::KeyRemoved);
    QVERIFY(failed.at(0).at(1).toString().contains(QLatin1String("FIDO_ERR_RX")));
}

void TestPlatformFidoAuthenticator::notRegisteredOnThisKey()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    QVERIFY(!registerOn(harness).isEmpty());
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->getAssertion(
        assertionOptions(QByteArray(32, '\x05'), {QByteArray(32, 'q')}));
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::NotRegistered);
    QVERIFY(failed.at(0).at(1).toString().contains(QLatin1String("FIDO_ERR_NO_CREDENTIALS")));
}

void TestPlatformFidoAuthenticator::unsupportedAlgorithm()
{
    SoftAuthenticatorConfig config;
    config.algorithms = {-8};
    SoftAuthenticator key(config);
    Harness harness;
    harness.source->plug(&key);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->registerCredential(registrationOptions());
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::UnsupportedAlgorithm);
    QCOMPARE(key.requestCount(), 0); // found out from getInfo, before any touch
}

void TestPlatformFidoAuthenticator::requiredVerificationUnavailable()
{
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    const QByteArray id = registerOn(harness);
    AssertionOptions options = assertionOptions(QByteArray(32, '\x06'), {id});
    options.userVerification = UserVerification::Required;
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    harness.authenticator->getAssertion(options);
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::VerificationUnavailable);
    QCOMPARE(key.signCount(id), std::optional<uint32_t>(0));
}

void TestPlatformFidoAuthenticator::noKeyThenInsert()
{
    SoftAuthenticator key;
    Harness harness;
    FidoAuthenticator &authenticator = *harness.authenticator;
    QSignalSpy devicesChanged(&authenticator, &Authenticator::devicesChanged);
    authenticator.refreshDevices();
    QTRY_COMPARE(devicesChanged.count(), 1);
    QVERIFY(authenticator.devices().isEmpty());
    QCOMPARE(authenticator.state(), State::NoKey);

    harness.source->plug(&key);
    const QByteArray id = registerOn(harness);
    QVERIFY(!id.isEmpty());
    harness.source->unplug(&key);

    QSignalSpy asserted(&authenticator, &Authenticator::asserted);
    authenticator.getAssertion(assertionOptions(QByteArray(32, '\x07'), {id}));
    QTRY_COMPARE(authenticator.state(), State::InsertKey);
    harness.source->plug(&key);
    QTRY_COMPARE(asserted.count(), 1);
    QCOMPARE(authenticator.devices().size(), 1);
}

void TestPlatformFidoAuthenticator::chooseAmongTwoKeys()
{
    SoftAuthenticator first;
    SoftAuthenticator second;
    Harness harness;
    harness.source->plug(&first);
    harness.source->plug(&second);
    FidoAuthenticator &authenticator = *harness.authenticator;
    QSignalSpy registered(&authenticator, &Authenticator::registered);
    authenticator.registerCredential(registrationOptions());
    QTRY_COMPARE(authenticator.state(), State::ChooseKey);
    QCOMPARE(authenticator.devices().size(), 2);
    QVERIFY(registered.isEmpty());
    authenticator.selectDevice(second.path());
    QTRY_COMPARE(registered.count(), 1);
    QVERIFY(first.credentialIds().isEmpty());
    QCOMPARE(second.credentialIds().size(), 1);
}

void TestPlatformFidoAuthenticator::busyWhileRunning()
{
    SoftAuthenticator key;
    key.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    Harness harness;
    harness.source->plug(&key);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);
    QSignalSpy registered(harness.authenticator.get(), &Authenticator::registered);
    harness.authenticator->registerCredential(registrationOptions());
    QTRY_VERIFY(key.isWaitingForTouch());
    harness.authenticator->registerCredential(registrationOptions());
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::Failed);
    QVERIFY(harness.authenticator->isBusy());
    key.touch();
    QTRY_COMPARE(registered.count(), 1);
    QCOMPARE(key.credentialIds().size(), 1);
}

void TestPlatformFidoAuthenticator::rpIdMustBeTheOriginsHostOrAParent_data()
{
    QTest::addColumn<QString>("rp");
    QTest::addColumn<QString>("site");
    QTest::addColumn<bool>("allowed");
    const QString gateway = QStringLiteral("https://gw.example.com:8443");
    QTest::newRow("the host") << QStringLiteral("gw.example.com") << gateway << true;
    QTest::newRow("a parent") << QStringLiteral("example.com") << gateway << true;
    QTest::newRow("an address itself")
        << QStringLiteral("127.0.0.1") << QStringLiteral("http://127.0.0.1:8780") << true;
    QTest::newRow("another site") << QStringLiteral("github.com") << gateway << false;
    QTest::newRow("a sibling") << QStringLiteral("login.example.com") << gateway << false;
    QTest::newRow("a child") << QStringLiteral("a.gw.example.com") << gateway << false;
    QTest::newRow("not at a label boundary") << QStringLiteral("xample.com") << gateway << false;
    QTest::newRow("a top-level name") << QStringLiteral("com") << gateway << false;
    QTest::newRow("part of an address")
        << QStringLiteral("0.0.1") << QStringLiteral("http://127.0.0.1:8780") << false;
    QTest::newRow("upper case") << QStringLiteral("GW.example.com") << gateway << false;
}

void TestPlatformFidoAuthenticator::rpIdMustBeTheOriginsHostOrAParent()
{
    // The gateway names the RP id in its welcome; a browser would never let
    // a site use another's, and neither does the companion: a hostile
    // gateway must not get the person's key to sign for, say, github.com.
    QFETCH(QString, rp);
    QFETCH(QString, site);
    QFETCH(bool, allowed);
    SoftAuthenticator key;
    Harness harness;
    harness.source->plug(&key);
    QSignalSpy registered(harness.authenticator.get(), &Authenticator::registered);
    QSignalSpy asserted(harness.authenticator.get(), &Authenticator::asserted);
    QSignalSpy failed(harness.authenticator.get(), &Authenticator::failed);

    RegistrationOptions registration = registrationOptions();
    registration.rpId = rp;
    registration.origin = site;
    harness.authenticator->registerCredential(registration);
    if (allowed) {
        QVERIFY(registered.wait(5000));
        QCOMPARE(failed.count(), 0);
        return;
    }
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<State>(), State::Failed);
    QVERIFY2(failed.at(0).at(1).toString().contains(u'"' + rp + u'"'),
             qPrintable(failed.at(0).at(1).toString()));
    QCOMPARE(key.requestCount(), 0); // the key was never asked
    QVERIFY(!harness.authenticator->isBusy());

    AssertionOptions assertion = assertionOptions(randomHash(), {QByteArray(32, 'c')});
    assertion.rpId = rp;
    assertion.origin = site;
    harness.authenticator->getAssertion(assertion);
    QTRY_COMPARE(failed.count(), 2);
    QCOMPARE(failed.at(1).at(0).value<State>(), State::Failed);
    QCOMPARE(key.requestCount(), 0);
    QCOMPARE(registered.count(), 0);
    QCOMPARE(asserted.count(), 0);
}

QTEST_GUILESS_MAIN(TestPlatformFidoAuthenticator)
#include "test_platform_fidoauthenticator.moc"
