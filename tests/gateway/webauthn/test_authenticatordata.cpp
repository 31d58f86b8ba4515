// The authenticator data the gateway hands to libfido2 (gateway/passkeys):
// its CBOR parts are bounded before libfido2's libcbor allocates what a
// header declares (fuzz_passkeys found a 5-byte array header in an
// assertion's extensions costing gigabytes).
#include "gateway/passkeys/assertionverifier.h"
#include "gateway/passkeys/authenticatordata.h"
#include "gateway/passkeys/registrationverifier.h"
#include "gateway/passkeys/relyingparty.h"
#include "gateway/store/store.h"
#include "tests/gateway/webauthn/testpasskey.h"

#include <QCryptographicHash>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using countersign::testing::TestPasskey;

namespace {

const RelyingParty rp{QStringLiteral("gw.example.com"), QStringLiteral("https://gw.example.com")};
const QString challenge = QStringLiteral("q0Jd1gJxyQYbH2hvHGvDcMZkB1mN4pP5tTz6eYbq3kE");
const QByteArray requestHash = QByteArray(32, '\x5a');
constexpr char extensionsFlag = char(0x80);

PasskeyCredential registered(const TestPasskey &passkey)
{
    const auto registration =
        PasskeyRegistration::fromJson(passkey.registration(challenge, rp.origin));
    const auto verified = verifyRegistration(registration.value(), rp, challenge);
    if (!verified)
        qFatal("the test passkey does not register: %s", qPrintable(verified.error().message));
    PasskeyCredential credential;
    credential.credentialId = verified->credentialId;
    credential.publicKey = verified->publicKey;
    credential.backupEligible = verified->backupEligible;
    return credential;
}

// Assertion evidence over authData, signed by the passkey as a key would.
Result<VerifiedAssertion> assertWith(const TestPasskey &passkey, const QByteArray &authData)
{
    const QByteArray clientData = TestPasskey::clientData(
        QStringLiteral("webauthn.get"),
        QString::fromLatin1(
            requestHash.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)),
        rp.origin);
    const QByteArray signature =
        passkey.sign(authData + QCryptographicHash::hash(clientData, QCryptographicHash::Sha256));
    const auto assertion =
        PasskeyAssertion::fromEvidence(passkey.evidence(authData, clientData, signature));
    return verifyAssertion(assertion.value(), registered(passkey), rp, requestHash, false);
}

} // namespace

class TestAuthenticatorData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void boundedCbor_data()
    {
        QTest::addColumn<QByteArray>("hex");
        QTest::addColumn<qsizetype>("size"); // -1: refused
        QTest::newRow("empty map") << QByteArray("a0") << qsizetype(1);
        QTest::newRow("map 1:2") << QByteArray("a10102") << qsizetype(3);
        QTest::newRow("COSE-like key") << QByteArray("a40102032620012158020102") << qsizetype(12);
        QTest::newRow("item then more") << QByteArray("0001") << qsizetype(1);
        QTest::newRow("tag") << QByteArray("c100") << qsizetype(2);
        QTest::newRow("double") << QByteArray("fb3ff0000000000000") << qsizetype(9);
        QTest::newRow("array of 2^32-1 in 5 bytes") << QByteArray("9affffffff") << qsizetype(-1);
        QTest::newRow("map of 2^20 in 5 bytes") << QByteArray("ba00100000") << qsizetype(-1);
        QTest::newRow("map count overflow") << QByteArray("bb8000000000000000") << qsizetype(-1);
        QTest::newRow("string longer than data") << QByteArray("5a0000001001") << qsizetype(-1);
        QTest::newRow("indefinite array") << QByteArray("9f00ff") << qsizetype(-1);
        QTest::newRow("reserved") << QByteArray("1c") << qsizetype(-1);
        QTest::newRow("truncated argument") << QByteArray("19ff") << qsizetype(-1);
        QTest::newRow("nothing") << QByteArray() << qsizetype(-1);
        QTest::newRow("16 deep") << QByteArray("81").repeated(16) + "00" << qsizetype(17);
        QTest::newRow("17 deep") << QByteArray("81").repeated(17) + "00" << qsizetype(-1);
    }

    void boundedCbor()
    {
        QFETCH(QByteArray, hex);
        QFETCH(qsizetype, size);
        const auto found = boundedCborItemSize(QByteArray::fromHex(hex));
        QCOMPARE(found.value_or(-1), size);
    }

    // What a real key sends still verifies.
    void wellFormedDataVerifies()
    {
        TestPasskey passkey(rp.id);
        const QByteArray authData = passkey.authenticatorData({}, 1, false);
        const auto verified = assertWith(passkey, authData);
        QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.error().message));
    }

    // The fuzzer's finding: extensions (ED) whose CBOR declares 2^20 items
    // in 5 bytes. Before the fix libfido2 allocated them (8 MB here, up to
    // 32 GB with 0x9a ffffffff) and then refused the data as malformed.
    void assertionExtensionsAreRefusedBeforeLibfido2()
    {
        TestPasskey passkey(rp.id);
        QByteArray authData = passkey.authenticatorData({}, 1, false);
        authData[32] = char(authData[32] | extensionsFlag);
        authData += QByteArray::fromHex("9a00100000");
        const auto verified = assertWith(passkey, authData);
        QVERIFY(!verified.ok());
        QVERIFY2(verified.error().message.contains(QStringLiteral("extensions nobody asked for")),
                 qPrintable(verified.error().message));
    }

    void assertionWithTrailingBytesIsRefused()
    {
        TestPasskey passkey(rp.id);
        const auto verified = assertWith(passkey, passkey.authenticatorData({}, 1, false) + '\0');
        QVERIFY(!verified.ok());
        QVERIFY2(verified.error().message.contains(QStringLiteral("bytes after")),
                 qPrintable(verified.error().message));
    }

    // The same bomb as the credential's COSE key at registration (a map of
    // 65535 entries in 3 bytes; libcbor would allocate 1 MB for it before
    // the fix, 64 GB with 0xbb and a large count).
    void registrationKeyIsBoundedBeforeLibfido2()
    {
        TestPasskey passkey(rp.id);
        QByteArray authData = passkey.authenticatorData({}, 0, false);
        authData[32] = char(authData[32] | 0x40); // AT
        const QByteArray credentialId = passkey.credentialId();
        authData += QByteArray(16, '\0');
        authData += char(credentialId.size() >> 8);
        authData += char(credentialId.size() & 0xff);
        authData += credentialId;
        authData += QByteArray::fromHex("b9ffff");
        const QByteArray clientData =
            TestPasskey::clientData(QStringLiteral("webauthn.create"), challenge, rp.origin);
        const auto registration = PasskeyRegistration::fromJson(
            passkey.registrationWith(clientData, authData, TestPasskey::Attestation::None));
        QVERIFY(registration.ok());
        const auto verified = verifyRegistration(registration.value(), rp, challenge);
        QVERIFY(!verified.ok());
        QVERIFY2(verified.error().message.contains(QStringLiteral("credential public key")),
                 qPrintable(verified.error().message));
    }
};

QTEST_GUILESS_MAIN(TestAuthenticatorData)
#include "test_authenticatordata.moc"
