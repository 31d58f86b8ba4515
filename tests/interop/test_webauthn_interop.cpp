#include "platform/fidoauthenticator.h"
#include "protocol/base64url.h"
#include "tests/support/softauthenticator.h"
#include "tests/support/softdevicesource.h"
#include "tests/support/toolrunner.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace countersign;
using countersign::testing::requiredTool;
using countersign::testing::runTool;
using countersign::testing::SoftAuthenticator;
using countersign::testing::SoftAuthenticatorConfig;
using countersign::testing::SoftDeviceSource;

namespace {

const QString rpId = QStringLiteral("gw.example.com");
const QString origin = QStringLiteral("https://gw.example.com:8443");
const QString helloNonce = QStringLiteral("Zm9yLXRoZS1pbnRlcm9wLXRlc3Q");

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(base64UrlEncode(bytes));
}

// What the companion sends: passkey.register's credential (protocol 8.2)
// and the proof's evidence (8.3), plus what the verifier expects.
struct Ceremony {
    RegistrationResult registration;
    AssertionResult assertion;
    QByteArray requestHash;
};

} // namespace

// A passkey registration and approval made by FidoAuthenticator with a soft
// authenticator through libfido2 must verify with an independent WebAuthn
// relying party: @simplewebauthn/server, run by node (webauthn-tool.mjs).
class TestWebAuthnInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void simpleWebAuthnVerifiesSelfAttestation();
    void simpleWebAuthnVerifiesBasicAttestation();
    void simpleWebAuthnRefusesAnotherRequestHash();
    void simpleWebAuthnRefusesNonIncreasingCounter();

private:
    std::optional<Ceremony> ceremony(SoftAuthenticator &key);
    testing::ToolRun verify(const Ceremony &ceremony, const QByteArray &expectedHash,
                            int storedCounter);

    QString m_node;
};

void TestWebAuthnInterop::initTestCase()
{
    m_node = requiredTool(QStringLiteral("node"));
    QVERIFY2(!m_node.isEmpty(), "node is missing: apt-get install nodejs npm");
    QVERIFY2(QDir(QStringLiteral(COUNTERSIGN_INTEROP_DIR "/node_modules/@simplewebauthn/server"))
                 .exists(),
             "npm packages missing: run `npm ci` in tests/interop (scripts/test does)");
}

std::optional<Ceremony> TestWebAuthnInterop::ceremony(SoftAuthenticator &key)
{
    auto owned = std::make_unique<SoftDeviceSource>();
    owned->plug(&key);
    FidoAuthenticator authenticator(std::move(owned));
    QSignalSpy registered(&authenticator, &Authenticator::registered);
    QSignalSpy asserted(&authenticator, &Authenticator::asserted);

    RegistrationOptions registration;
    registration.rpId = rpId;
    registration.userHandle = QByteArrayLiteral("random-user-handle-16");
    registration.userName = QStringLiteral("alice@example.com");
    registration.origin = origin;
    registration.challenge = helloNonce;
    authenticator.registerCredential(registration);
    if (!registered.wait(5000))
        return std::nullopt;
    Ceremony result;
    result.registration = registered.at(0).at(0).value<RegistrationResult>();

    result.requestHash =
        QByteArray::fromHex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    AssertionOptions assertion;
    assertion.rpId = rpId;
    assertion.origin = origin;
    assertion.requestHash = result.requestHash;
    assertion.allowCredentialIds = {result.registration.credentialId};
    authenticator.getAssertion(assertion);
    if (!asserted.wait(5000))
        return std::nullopt;
    result.assertion = asserted.at(0).at(0).value<AssertionResult>();
    return result;
}

testing::ToolRun TestWebAuthnInterop::verify(const Ceremony &ceremony,
                                             const QByteArray &expectedHash, int storedCounter)
{
    const RegistrationResult &r = ceremony.registration;
    QJsonArray x5c;
    for (const QByteArray &certificate : r.x5c)
        x5c.append(b64(certificate));
    const QJsonObject input{
        {QStringLiteral("rpId"), rpId},
        {QStringLiteral("origin"), origin},
        {QStringLiteral("counter"), storedCounter},
        {QStringLiteral("registration"),
         QJsonObject{{QStringLiteral("challenge"), helloNonce},
                     {QStringLiteral("credential_id"), b64(r.credentialId)},
                     {QStringLiteral("client_data_json"), b64(r.clientDataJson)},
                     {QStringLiteral("authenticator_data"), b64(r.authenticatorData)},
                     {QStringLiteral("fmt"), r.fmt},
                     {QStringLiteral("attestation_signature"), b64(r.attestationSignature)},
                     {QStringLiteral("x5c"), x5c}}},
        {QStringLiteral("assertion"),
         QJsonObject{
             {QStringLiteral("challenge"), b64(expectedHash)},
             {QStringLiteral("credential_id"), b64(ceremony.assertion.credentialId)},
             {QStringLiteral("client_data_json"), b64(ceremony.assertion.clientDataJson)},
             {QStringLiteral("authenticator_data"), b64(ceremony.assertion.authenticatorData)},
             {QStringLiteral("signature"), b64(ceremony.assertion.signature)}}}};
    return runTool(m_node, {QStringLiteral(COUNTERSIGN_INTEROP_DIR "/webauthn-tool.mjs")},
                   QJsonDocument(input).toJson(QJsonDocument::Compact));
}

void TestWebAuthnInterop::simpleWebAuthnVerifiesSelfAttestation()
{
    SoftAuthenticator key;
    const auto made = ceremony(key);
    QVERIFY(made);
    const auto run = verify(*made, made->requestHash, 0);
    QVERIFY2(run.succeeded(), run.err.constData());
    const QJsonObject result = QJsonDocument::fromJson(run.out).object();
    const QJsonObject registration = result.value(QStringLiteral("registration")).toObject();
    const QJsonObject assertion = result.value(QStringLiteral("assertion")).toObject();
    QCOMPARE(registration.value(QStringLiteral("fmt")).toString(), QStringLiteral("packed"));
    QCOMPARE(registration.value(QStringLiteral("credentialId")).toString(),
             b64(made->registration.credentialId));
    QCOMPARE(assertion.value(QStringLiteral("credentialId")).toString(),
             b64(made->registration.credentialId));
    QCOMPARE(assertion.value(QStringLiteral("newCounter")).toInt(), 1);
    QCOMPARE(assertion.value(QStringLiteral("userVerified")).toBool(), false);
}

void TestWebAuthnInterop::simpleWebAuthnVerifiesBasicAttestation()
{
    SoftAuthenticatorConfig config;
    config.attestation = SoftAuthenticatorConfig::Attestation::Basic;
    SoftAuthenticator key(config);
    const auto made = ceremony(key);
    QVERIFY(made);
    QCOMPARE(made->registration.x5c.size(), 1);
    const auto run = verify(*made, made->requestHash, 0);
    QVERIFY2(run.succeeded(), run.err.constData());
}

void TestWebAuthnInterop::simpleWebAuthnRefusesAnotherRequestHash()
{
    // Shows the check above can fail: the approval was for another request.
    SoftAuthenticator key;
    const auto made = ceremony(key);
    QVERIFY(made);
    QByteArray other = made->requestHash;
    other[0] = static_cast<char>(other.at(0) ^ 1);
    const auto run = verify(*made, other, 0);
    QVERIFY(run.started);
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.err.contains("challenge"), run.err.constData());
}

void TestWebAuthnInterop::simpleWebAuthnRefusesNonIncreasingCounter()
{
    // A cloned key replays an old counter; the independent verifier refuses
    // it too (the gateway calls this possible_clone).
    SoftAuthenticator key;
    const auto made = ceremony(key);
    QVERIFY(made);
    const auto run = verify(*made, made->requestHash, 5);
    QVERIFY(run.started);
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.err.contains("counter"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestWebAuthnInterop)
#include "test_webauthn_interop.moc"
