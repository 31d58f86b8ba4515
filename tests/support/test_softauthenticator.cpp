#include "tests/support/softauthenticator.h"

#include <chrono>
#include <memory>
#include <thread>

#include <QElapsedTimer>
#include <QTest>

#include <fido.h>
#include <fido/es256.h>
#include <openssl/rand.h>

using namespace countersign::testing;

namespace {

struct DeviceCloser {
    void operator()(fido_dev_t *device) const
    {
        fido_dev_close(device);
        fido_dev_free(&device);
    }
};
struct CredFree {
    void operator()(fido_cred_t *cred) const { fido_cred_free(&cred); }
};
struct AssertFree {
    void operator()(fido_assert_t *assertion) const { fido_assert_free(&assertion); }
};
struct PkFree {
    void operator()(es256_pk_t *pk) const { es256_pk_free(&pk); }
};
using Device = std::unique_ptr<fido_dev_t, DeviceCloser>;
using Cred = std::unique_ptr<fido_cred_t, CredFree>;
using Assert = std::unique_ptr<fido_assert_t, AssertFree>;

const char rpId[] = "gw.example.com";

QByteArray randomHash()
{
    QByteArray hash(32, Qt::Uninitialized);
    RAND_bytes(reinterpret_cast<unsigned char *>(hash.data()), 32);
    return hash;
}

const unsigned char *bytes(const QByteArray &data)
{
    return reinterpret_cast<const unsigned char *>(data.constData());
}

QByteArray fromPtr(const unsigned char *ptr, size_t length)
{
    return QByteArray(reinterpret_cast<const char *>(ptr), static_cast<qsizetype>(length));
}

Cred newCredential(const QByteArray &clientDataHash)
{
    Cred cred(fido_cred_new());
    const QByteArray userId = QByteArrayLiteral("user-handle-0123");
    fido_cred_set_type(cred.get(), COSE_ES256);
    fido_cred_set_clientdata_hash(cred.get(), bytes(clientDataHash), 32);
    fido_cred_set_rp(cred.get(), rpId, "Countersign");
    fido_cred_set_user(cred.get(), bytes(userId), static_cast<size_t>(userId.size()), "alice",
                       nullptr, nullptr);
    return cred;
}

Assert newAssertion(const QByteArray &clientDataHash, const QList<QByteArray> &allowed)
{
    Assert assertion(fido_assert_new());
    fido_assert_set_rp(assertion.get(), rpId);
    fido_assert_set_clientdata_hash(assertion.get(), bytes(clientDataHash), 32);
    for (const QByteArray &id : allowed)
        fido_assert_allow_cred(assertion.get(), bytes(id), static_cast<size_t>(id.size()));
    return assertion;
}

// What a relying party does with an assertion it received: libfido2 checks
// the signature over authenticatorData || clientDataHash with the stored key.
int verify(const fido_assert_t *received, const QByteArray &clientDataHash,
           const QByteArray &publicKey)
{
    Assert check(fido_assert_new());
    fido_assert_set_rp(check.get(), rpId);
    fido_assert_set_clientdata_hash(check.get(), bytes(clientDataHash), 32);
    fido_assert_set_count(check.get(), 1);
    fido_assert_set_authdata(check.get(), 0, fido_assert_authdata_ptr(received, 0),
                             fido_assert_authdata_len(received, 0));
    fido_assert_set_sig(check.get(), 0, fido_assert_sig_ptr(received, 0),
                        fido_assert_sig_len(received, 0));
    fido_assert_set_up(check.get(), FIDO_OPT_TRUE);
    std::unique_ptr<es256_pk_t, PkFree> pk(es256_pk_new());
    if (es256_pk_from_ptr(pk.get(), bytes(publicKey), static_cast<size_t>(publicKey.size()))
        != FIDO_OK)
        return FIDO_ERR_INVALID_ARGUMENT;
    return fido_assert_verify(check.get(), 0, COSE_ES256, pk.get());
}

} // namespace

// The soft authenticator must be a key libfido2 cannot tell from a real one:
// every test goes through fido_dev_open, fido_dev_make_cred and
// fido_dev_get_assert, and checks the results with libfido2's own verifiers.
class TestSoftAuthenticator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { fido_init(0); }
    void framing_data();

    void getInfo_data() { framing_data(); }
    void getInfo();
    void selfAttestationVerifies_data() { framing_data(); }
    void selfAttestationVerifies();
    void basicAttestationVerifies();
    void assertionVerifiesAndCountsUp_data() { framing_data(); }
    void assertionVerifiesAndCountsUp();
    void frozenSignCountDoesNotIncrease();
    void backupFlags();
    void refusalIsOperationDenied();
    void unknownCredentialIsNoCredentials();
    void excludedCredential();
    void unsupportedAlgorithm();
    void unresponsiveKeyTimesOut_data() { framing_data(); }
    void unresponsiveKeyTimesOut();
    void waitsForTouch();
    void cancelWhileWaiting();
    void removedWhileWaiting();
    void pinProtocol();

private:
    QByteArray makeCredential(SoftAuthenticator &soft, fido_dev_t *device);
};

void TestSoftAuthenticator::framing_data()
{
    QTest::addColumn<SoftAuthenticator::Framing>("framing");
    QTest::newRow("ctaphid") << SoftAuthenticator::Framing::Hid;
    QTest::newRow("transport") << SoftAuthenticator::Framing::Transport;
}

QByteArray TestSoftAuthenticator::makeCredential(SoftAuthenticator &soft, fido_dev_t *device)
{
    Cred cred = newCredential(randomHash());
    if (fido_dev_make_cred(device, cred.get(), nullptr) != FIDO_OK)
        return {};
    const QByteArray id = fromPtr(fido_cred_id_ptr(cred.get()), fido_cred_id_len(cred.get()));
    return soft.credentialIds().contains(id) ? id : QByteArray();
}

void TestSoftAuthenticator::getInfo()
{
    QFETCH(SoftAuthenticator::Framing, framing);
    SoftAuthenticator soft({}, framing);
    int error = -1;
    Device device(soft.openDevice(&error));
    QCOMPARE(error, FIDO_OK);
    QVERIFY(device);
    QVERIFY(fido_dev_is_fido2(device.get()));
    QVERIFY(!fido_dev_has_pin(device.get()));
    QVERIFY(!fido_dev_has_uv(device.get()));

    fido_cbor_info_t *info = fido_cbor_info_new();
    QCOMPARE(fido_dev_get_cbor_info(device.get(), info), FIDO_OK);
    QCOMPARE(fido_cbor_info_versions_len(info), size_t(1));
    QCOMPARE(QByteArray(fido_cbor_info_versions_ptr(info)[0]), QByteArray("FIDO_2_0"));
    QCOMPARE(fromPtr(fido_cbor_info_aaguid_ptr(info), fido_cbor_info_aaguid_len(info)),
             QByteArray(16, '\x5a'));
    QCOMPARE(fido_cbor_info_algorithm_count(info), size_t(1));
    QCOMPARE(fido_cbor_info_algorithm_cose(info, 0), COSE_ES256);
    QCOMPARE(fido_cbor_info_maxmsgsiz(info), uint64_t(1200));
    fido_cbor_info_free(&info);
}

void TestSoftAuthenticator::selfAttestationVerifies()
{
    QFETCH(SoftAuthenticator::Framing, framing);
    SoftAuthenticator soft({}, framing);
    Device device(soft.openDevice());
    QVERIFY(device);
    Cred cred = newCredential(randomHash());
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), nullptr), FIDO_OK);

    QCOMPARE(QByteArray(fido_cred_fmt(cred.get())), QByteArray("packed"));
    QCOMPARE(fido_cred_x5c_len(cred.get()), size_t(0));
    QCOMPARE(fido_cred_verify_self(cred.get()), FIDO_OK);
    // Without a certificate there is nothing for full attestation to check.
    QCOMPARE(fido_cred_verify(cred.get()), FIDO_ERR_INVALID_ARGUMENT);

    const QByteArray id = fromPtr(fido_cred_id_ptr(cred.get()), fido_cred_id_len(cred.get()));
    QCOMPARE(soft.credentialIds(), QList<QByteArray>{id});
    QCOMPARE(QByteArray(1, '\x04')
                 + fromPtr(fido_cred_pubkey_ptr(cred.get()), fido_cred_pubkey_len(cred.get())),
             soft.publicKey(id));
    // Raw authenticator data: rpIdHash, flags UP|AT, counter 0, attested data.
    const QByteArray authData =
        fromPtr(fido_cred_authdata_raw_ptr(cred.get()), fido_cred_authdata_raw_len(cred.get()));
    QCOMPARE(static_cast<uint8_t>(authData.at(32)), uint8_t(0x41));
    QCOMPARE(fido_cred_sigcount(cred.get()), uint32_t(0));
    QCOMPARE(authData.mid(37, 16), QByteArray(16, '\x5a'));

    // A changed client data hash breaks the attestation signature.
    const QByteArray other = randomHash();
    fido_cred_set_clientdata_hash(cred.get(), bytes(other), 32);
    QCOMPARE(fido_cred_verify_self(cred.get()), FIDO_ERR_INVALID_SIG);
}

void TestSoftAuthenticator::basicAttestationVerifies()
{
    SoftAuthenticatorConfig config;
    config.attestation = SoftAuthenticatorConfig::Attestation::Basic;
    SoftAuthenticator soft(config);
    Device device(soft.openDevice());
    QVERIFY(device);
    Cred cred = newCredential(randomHash());
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), nullptr), FIDO_OK);
    QCOMPARE(fido_cred_verify(cred.get()), FIDO_OK);
    QCOMPARE(fromPtr(fido_cred_x5c_ptr(cred.get()), fido_cred_x5c_len(cred.get())),
             soft.attestationCertificate());
    // Signed by the attestation key, not by the credential.
    QCOMPARE(fido_cred_verify_self(cred.get()), FIDO_ERR_INVALID_ARGUMENT);
}

void TestSoftAuthenticator::assertionVerifiesAndCountsUp()
{
    QFETCH(SoftAuthenticator::Framing, framing);
    SoftAuthenticator soft({}, framing);
    Device device(soft.openDevice());
    QVERIFY(device);
    const QByteArray id = makeCredential(soft, device.get());
    QVERIFY(!id.isEmpty());

    for (uint32_t expected = 1; expected <= 2; ++expected) {
        const QByteArray hash = randomHash();
        Assert assertion = newAssertion(hash, {QByteArray(16, 'x'), id});
        QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), nullptr), FIDO_OK);
        QCOMPARE(fido_assert_count(assertion.get()), size_t(1));
        QCOMPARE(
            fromPtr(fido_assert_id_ptr(assertion.get(), 0), fido_assert_id_len(assertion.get(), 0)),
            id);
        QCOMPARE(fido_assert_sigcount(assertion.get(), 0), expected);
        QCOMPARE(fido_assert_flags(assertion.get(), 0), uint8_t(0x01));
        QCOMPARE(verify(assertion.get(), hash, soft.publicKey(id)), FIDO_OK);
        QCOMPARE(verify(assertion.get(), randomHash(), soft.publicKey(id)), FIDO_ERR_INVALID_SIG);
    }
    QCOMPARE(soft.signCount(id), std::optional<uint32_t>(2));
}

void TestSoftAuthenticator::frozenSignCountDoesNotIncrease()
{
    SoftAuthenticator soft;
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    QVERIFY(!id.isEmpty());
    soft.setSignCount(id, 41);
    soft.setFrozenSignCount(true);
    for (int i = 0; i < 2; ++i) {
        const QByteArray hash = randomHash();
        Assert assertion = newAssertion(hash, {id});
        QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), nullptr), FIDO_OK);
        QCOMPARE(fido_assert_sigcount(assertion.get(), 0), uint32_t(41));
        QCOMPARE(verify(assertion.get(), hash, soft.publicKey(id)), FIDO_OK);
    }
}

void TestSoftAuthenticator::backupFlags()
{
    SoftAuthenticator soft;
    soft.setBackupFlags(true, true);
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    QVERIFY(!id.isEmpty());
    const QByteArray hash = randomHash();
    Assert assertion = newAssertion(hash, {id});
    QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), nullptr), FIDO_OK);
    QCOMPARE(fido_assert_flags(assertion.get(), 0), uint8_t(0x01 | 0x08 | 0x10));
    QCOMPARE(verify(assertion.get(), hash, soft.publicKey(id)), FIDO_OK);
}

void TestSoftAuthenticator::refusalIsOperationDenied()
{
    SoftAuthenticator soft;
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    QVERIFY(!id.isEmpty());
    soft.setPresence(SoftAuthenticator::Presence::Refuse);
    Assert assertion = newAssertion(randomHash(), {id});
    QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), nullptr),
             FIDO_ERR_OPERATION_DENIED);
    Cred cred = newCredential(randomHash());
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), nullptr), FIDO_ERR_OPERATION_DENIED);
    QCOMPARE(soft.signCount(id), std::optional<uint32_t>(0));
}

void TestSoftAuthenticator::unknownCredentialIsNoCredentials()
{
    SoftAuthenticator soft;
    SoftAuthenticator other;
    Device device(soft.openDevice());
    Device otherDevice(other.openDevice());
    const QByteArray theirs = makeCredential(other, otherDevice.get());
    QVERIFY(!theirs.isEmpty());
    Assert assertion = newAssertion(randomHash(), {theirs});
    QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), nullptr), FIDO_ERR_NO_CREDENTIALS);

    // Right credential, wrong RP: not found either.
    const QByteArray mine = makeCredential(soft, device.get());
    Assert elsewhere = newAssertion(randomHash(), {mine});
    fido_assert_set_rp(elsewhere.get(), "evil.example.com");
    QCOMPARE(fido_dev_get_assert(device.get(), elsewhere.get(), nullptr), FIDO_ERR_NO_CREDENTIALS);
}

void TestSoftAuthenticator::excludedCredential()
{
    SoftAuthenticator soft;
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    Cred cred = newCredential(randomHash());
    fido_cred_exclude(cred.get(), bytes(id), static_cast<size_t>(id.size()));
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), nullptr), FIDO_ERR_CREDENTIAL_EXCLUDED);
}

void TestSoftAuthenticator::unsupportedAlgorithm()
{
    SoftAuthenticatorConfig config;
    config.algorithms = {-8}; // EdDSA only
    SoftAuthenticator soft(config);
    Device device(soft.openDevice());
    Cred cred = newCredential(randomHash());
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), nullptr), FIDO_ERR_UNSUPPORTED_ALGORITHM);
}

void TestSoftAuthenticator::unresponsiveKeyTimesOut()
{
    QFETCH(SoftAuthenticator::Framing, framing);
    SoftAuthenticator soft({}, framing);
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    soft.setPresence(SoftAuthenticator::Presence::Unresponsive);
    QCOMPARE(fido_dev_set_timeout(device.get(), 300), FIDO_OK);
    Assert assertion = newAssertion(randomHash(), {id});
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), nullptr), FIDO_ERR_RX);
    QVERIFY2(timer.elapsed() >= 290, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(timer.elapsed() < 5000);
}

void TestSoftAuthenticator::waitsForTouch()
{
    SoftAuthenticator soft;
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    soft.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    const QByteArray hash = randomHash();
    Assert assertion = newAssertion(hash, {id});
    int result = -100;
    std::thread worker(
        [&] { result = fido_dev_get_assert(device.get(), assertion.get(), nullptr); });
    QTRY_VERIFY(soft.isWaitingForTouch());
    // Past a few keep-alives: libfido2 keeps waiting.
    QTRY_VERIFY(soft.keepaliveCount() >= 3);
    QVERIFY(soft.isWaitingForTouch());
    soft.touch();
    worker.join();
    QCOMPARE(result, FIDO_OK);
    QCOMPARE(verify(assertion.get(), hash, soft.publicKey(id)), FIDO_OK);
}

void TestSoftAuthenticator::cancelWhileWaiting()
{
    SoftAuthenticator soft;
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    soft.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    Assert assertion = newAssertion(randomHash(), {id});
    int result = -100;
    std::thread worker(
        [&] { result = fido_dev_get_assert(device.get(), assertion.get(), nullptr); });
    QTRY_VERIFY(soft.isWaitingForTouch());
    QCOMPARE(fido_dev_cancel(device.get()), FIDO_OK);
    worker.join();
    QCOMPARE(result, FIDO_ERR_KEEPALIVE_CANCEL);
    QCOMPARE(soft.cancelCount(), 1);
    QCOMPARE(soft.signCount(id), std::optional<uint32_t>(0));
}

void TestSoftAuthenticator::removedWhileWaiting()
{
    SoftAuthenticator soft;
    Device device(soft.openDevice());
    const QByteArray id = makeCredential(soft, device.get());
    soft.setPresence(SoftAuthenticator::Presence::WaitForTouch);
    Assert assertion = newAssertion(randomHash(), {id});
    int result = -100;
    std::thread worker(
        [&] { result = fido_dev_get_assert(device.get(), assertion.get(), nullptr); });
    QTRY_VERIFY(soft.isWaitingForTouch());
    soft.remove();
    worker.join();
    QCOMPARE(result, FIDO_ERR_RX);
    int error = -1;
    QVERIFY(soft.openDevice(&error) == nullptr);
    QVERIFY(error != FIDO_OK);
}

void TestSoftAuthenticator::pinProtocol()
{
    SoftAuthenticatorConfig config;
    config.pin = "4711";
    SoftAuthenticator soft(config);
    Device device(soft.openDevice());
    QVERIFY(device);
    QVERIFY(fido_dev_has_pin(device.get()));
    int retries = -1;
    QCOMPARE(fido_dev_get_retry_count(device.get(), &retries), FIDO_OK);
    QCOMPARE(retries, 8);

    Cred cred = newCredential(randomHash());
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), nullptr), FIDO_ERR_PIN_REQUIRED);
    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), "1234"), FIDO_ERR_PIN_INVALID);
    QCOMPARE(fido_dev_get_retry_count(device.get(), &retries), FIDO_OK);
    QCOMPARE(retries, 7);

    QCOMPARE(fido_dev_make_cred(device.get(), cred.get(), "4711"), FIDO_OK);
    QCOMPARE(fido_cred_flags(cred.get()) & 0x04, 0x04); // UV
    fido_cred_set_uv(cred.get(), FIDO_OPT_TRUE);
    QCOMPARE(fido_cred_verify_self(cred.get()), FIDO_OK);
    QCOMPARE(soft.pinRetries(), 8);

    const QByteArray id = fromPtr(fido_cred_id_ptr(cred.get()), fido_cred_id_len(cred.get()));
    const QByteArray hash = randomHash();
    Assert assertion = newAssertion(hash, {id});
    QCOMPARE(fido_dev_get_assert(device.get(), assertion.get(), "4711"), FIDO_OK);
    QCOMPARE(fido_assert_flags(assertion.get(), 0), uint8_t(0x05));
    QCOMPARE(verify(assertion.get(), hash, soft.publicKey(id)), FIDO_OK);
}

QTEST_GUILESS_MAIN(TestSoftAuthenticator)
#include "test_softauthenticator.moc"
