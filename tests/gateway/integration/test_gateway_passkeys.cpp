#include "gateway/passkeys/passkeyregistry.h"
#include "gatewayfixture.h"
#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/strictjson.h"
#include "tests/gateway/webauthn/testpasskey.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/channelroundtrip.h"
#include "tests/support/samplemessages.h"

#include <QCryptographicHash>
#include <QJsonDocument>

using namespace countersign;
using namespace countersign::testing;
using gateway::ApprovalRecord;
using gateway::ApprovalState;
using Attestation = TestPasskey::Attestation;

// docs/protocol.md section 8 over real sockets and real SQLite, with the
// gateway's libfido2 verification running on WebAuthn data made by
// TestPasskey: registration on the channel, approval with an assertion over
// the request hash, and every refusal of 8.2 and 8.3.
class TestGatewayPasskeys : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void welcomeCarriesPasskeyContext();
    void registersSelfAttestedPasskeyAndTellsEveryDevice();
    void registersNoneAndBasicAttestation();
    void refusesDuplicatePasskey();
    void refusesEleventhPasskey();
    void refusesBadRegistration_data();
    void refusesBadRegistration();
    void removesPasskey();
    void refusesRegistrationFromRevokedDevice();
    void approvesWithPasskey_data();
    void approvesWithPasskey();
    void refusesAssertionOverAnotherRequestsHash();
    void refusesAnotherUsersCredential();
    void refusesTamperedAuthenticatorData();
    void refusesNonIncreasingCounterAsPossibleClone();
    void acceptsKeysWithoutCounter();
    void refusesMissingUserVerificationWhenRequired();
    void refusesBackupStateWithoutEligibility();
    void refusesRemovedKey();
    void refusesBadClientData_data();
    void refusesBadClientData();
    // Registering and removing need a second factor (8.2, since v1.3).
    void refusesRegistrationWithoutFactor();
    void refusesRegistrationForUserWithoutTotp();
    void factorCodeIsSingleUse();
    void wrongFactorCodesLockPasskeyChanges();
    void removalNeedsTheFactor();

private:
    QString origin() const;
    QString rpId() const;
    // Connects a companion; returns its channel's hello nonce.
    QString connect(TestCompanion &companion);
    bool registerPasskey(TestCompanion &companion, const QString &nonce, const TestPasskey &key,
                         Attestation attestation = Attestation::Self,
                         TestPasskey::Flags flags = {});
    std::optional<QJsonObject> errorFor(TestCompanion &companion, const QString &code);
    ApprovalRecord request(bool userVerificationRequired = false,
                           const QString &userId = QString::fromLatin1(GatewayFixture::user));
    std::optional<VerifiedApprovalRequest> receive(TestCompanion &companion);
    void approve(TestCompanion &companion, const VerifiedApprovalRequest &request,
                 const QJsonObject &evidence);

    // A fresh TOTP factor member: the clock moves on one period first, so
    // that every call gives a code of a new time step (codes are single use).
    QJsonObject factor(const Totp &totp);
    QJsonObject factor() { return factor(*m_totp); }
    QJsonObject totpFactorAtNow(const Totp &totp) const;
    QJsonObject removeMessage(const TestPasskey &key,
                              const std::optional<QJsonObject> &factor = std::nullopt) const;

    std::unique_ptr<GatewayFixture> m_fixture;
    std::optional<Totp> m_totp;
    std::optional<Totp> m_bobTotp;
};

void TestGatewayPasskeys::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_bobTotp = m_fixture->enrollTotp(QString::fromLatin1(GatewayFixture::otherUser));
}

QJsonObject TestGatewayPasskeys::factor(const Totp &totp)
{
    m_fixture->clock().advance(totp.period());
    return totpFactorAtNow(totp);
}

QJsonObject TestGatewayPasskeys::totpFactorAtNow(const Totp &totp) const
{
    return QJsonObject{
        {QStringLiteral("method"), QStringLiteral("totp")},
        {QStringLiteral("code"), totp.codeAt(m_fixture->clock().secondsSinceEpoch()).value()}};
}

QJsonObject TestGatewayPasskeys::removeMessage(const TestPasskey &key,
                                               const std::optional<QJsonObject> &factor) const
{
    QJsonObject remove{{QStringLiteral("type"), QStringLiteral("passkey.remove")},
                       {QStringLiteral("credential_id"),
                        QString::fromLatin1(base64UrlEncode(key.credentialId()))}};
    if (factor)
        remove.insert(QStringLiteral("factor"), *factor);
    return remove;
}

void TestGatewayPasskeys::cleanup()
{
    m_fixture.reset();
    m_totp.reset();
    m_bobTotp.reset();
}

QString TestGatewayPasskeys::origin() const
{
    return m_fixture->gateway().publicUrl().toString(QUrl::FullyEncoded);
}

QString TestGatewayPasskeys::rpId() const
{
    return m_fixture->gateway().publicUrl().host();
}

QString TestGatewayPasskeys::connect(TestCompanion &companion)
{
    if (!companion.connectChannel())
        return {};
    const auto hello = companion.waitFor(QStringLiteral("hello"));
    return hello ? hello->value(QStringLiteral("nonce")).toString() : QString();
}

bool TestGatewayPasskeys::registerPasskey(TestCompanion &companion, const QString &nonce,
                                          const TestPasskey &key, Attestation attestation,
                                          TestPasskey::Flags flags)
{
    // The code of the companion's user.
    const auto device = m_fixture->gateway().store().device(companion.deviceId());
    const Totp &forUser =
        device && device->userId == QLatin1String(GatewayFixture::otherUser) ? *m_bobTotp : *m_totp;
    companion.sendRaw(QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                                  {QStringLiteral("factor"), factor(forUser)},
                                  {QStringLiteral("name"), QStringLiteral("YubiKey 5")},
                                  {QStringLiteral("credential"),
                                   key.registration(nonce, origin(), attestation, flags)}})
            .toJson(QJsonDocument::Compact)));
    const auto passkeys = companion.waitFor(QStringLiteral("passkeys"));
    if (!passkeys) {
        qWarning() << "no passkeys message; error:"
                   << companion.waitFor(QStringLiteral("error"), 100).value_or(QJsonObject());
        return false;
    }
    return true;
}

std::optional<QJsonObject> TestGatewayPasskeys::errorFor(TestCompanion &companion,
                                                         const QString &code)
{
    const auto error = companion.waitFor(QStringLiteral("error"));
    if (!error || error->value(QStringLiteral("code")).toString() != code) {
        qWarning() << "expected error" << code << "got" << (error ? *error : QJsonObject());
        return std::nullopt;
    }
    return error;
}

ApprovalRecord TestGatewayPasskeys::request(bool userVerificationRequired, const QString &userId)
{
    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.sarc.subject.id = userId;
    spec.methods = {ApprovalMethod::Passkey, ApprovalMethod::Totp};
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    spec.userVerificationRequired = userVerificationRequired;
    return m_fixture->gateway().broker().create(spec).value();
}

std::optional<VerifiedApprovalRequest> TestGatewayPasskeys::receive(TestCompanion &companion)
{
    return testing::nextApprovalRequest(companion);
}

void TestGatewayPasskeys::approve(TestCompanion &companion, const VerifiedApprovalRequest &request,
                                  const QJsonObject &evidence)
{
    ApprovalProof proof;
    proof.requestId = request.request.requestId;
    proof.requestHash = request.requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Passkey;
    proof.evidence = evidence;
    proof.issuedAt = m_fixture->clock().secondsSinceEpoch();
    companion.sendProof(companion.signProof(proof));
}

void TestGatewayPasskeys::welcomeCarriesPasskeyContext()
{
    auto companion = m_fixture->pairedCompanion();
    companion->connectChannelWith(companion->deviceKey(), companion->deviceId());
    const auto welcome = companion->waitFor(QStringLiteral("welcome"));
    QVERIFY(welcome);
    const QJsonObject passkey = welcome->value(QStringLiteral("passkey")).toObject();
    QCOMPARE(passkey.value(QStringLiteral("rp_id")).toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(passkey.value(QStringLiteral("user_name")).toString(),
             QStringLiteral("alice@example.com"));
    QCOMPARE(passkey.value(QStringLiteral("credentials")).toArray(), QJsonArray());
    const auto handle =
        base64UrlDecode(passkey.value(QStringLiteral("user_handle")).toString().toLatin1());
    QVERIFY(handle.ok());
    QCOMPARE(handle->size(), 32);

    // Made once per user: the same on the next connection and for the
    // user's other devices, another for another user.
    auto second = m_fixture->pairedCompanion();
    second->connectChannelWith(second->deviceKey(), second->deviceId());
    const auto again = second->waitFor(QStringLiteral("welcome"));
    QVERIFY(again);
    QCOMPARE(
        again->value(QStringLiteral("passkey")).toObject().value(QStringLiteral("user_handle")),
        passkey.value(QStringLiteral("user_handle")));
    auto bob = m_fixture->pairedCompanion(QString::fromLatin1(GatewayFixture::otherUser));
    bob->connectChannelWith(bob->deviceKey(), bob->deviceId());
    const auto bobs = bob->waitFor(QStringLiteral("welcome"));
    QVERIFY(bobs);
    QVERIFY(bobs->value(QStringLiteral("passkey")).toObject().value(QStringLiteral("user_handle"))
            != passkey.value(QStringLiteral("user_handle")));
}

void TestGatewayPasskeys::registersSelfAttestedPasskeyAndTellsEveryDevice()
{
    auto companion = m_fixture->pairedCompanion();
    auto other = m_fixture->pairedCompanion();
    auto bob = m_fixture->pairedCompanion(QString::fromLatin1(GatewayFixture::otherUser));
    const QString nonce = connect(*companion);
    QVERIFY(!nonce.isEmpty());
    QVERIFY(other->connectChannel());
    QVERIFY(bob->connectChannel());

    TestPasskey key(rpId());
    key.setSignCount(7);
    QVERIFY(registerPasskey(*companion, nonce, key, Attestation::Self, {true, true}));
    // The other device of alice hears it too; bob does not.
    const auto told = other->waitFor(QStringLiteral("passkeys"));
    QVERIFY(told);
    // ... with what changed and from which device, for the notice.
    const QJsonObject change = told->value(QStringLiteral("change")).toObject();
    QCOMPARE(change.value(QStringLiteral("action")).toString(), QStringLiteral("added"));
    QCOMPARE(change.value(QStringLiteral("name")).toString(), QStringLiteral("YubiKey 5"));
    QCOMPARE(change.value(QStringLiteral("device")).toString(),
             m_fixture->gateway().store().device(companion->deviceId())->name);
    const QJsonArray credentials = told->value(QStringLiteral("passkey"))
                                       .toObject()
                                       .value(QStringLiteral("credentials"))
                                       .toArray();
    QCOMPARE(credentials.size(), 1);
    const QJsonObject first = credentials.first().toObject();
    QCOMPARE(first.value(QStringLiteral("credential_id")).toString(),
             QString::fromLatin1(base64UrlEncode(key.credentialId())));
    QCOMPARE(first.value(QStringLiteral("name")).toString(), QStringLiteral("YubiKey 5"));
    QCOMPARE(first.value(QStringLiteral("user_verification")).toBool(), true);
    QCOMPARE(first.value(QStringLiteral("created")).toInteger(),
             m_fixture->clock().secondsSinceEpoch());
    QVERIFY(channelRoundTrip(*bob));
    QVERIFY(!bob->waitFor(QStringLiteral("passkeys"), 0));

    const auto stored = m_fixture->gateway().store().passkey(key.credentialId());
    QVERIFY(stored);
    QCOMPARE(stored->userId, QStringLiteral("alice@example.com"));
    QCOMPARE(stored->signCount, 7u);
    QVERIFY(stored->userVerified);
    QVERIFY(!stored->backupEligible);
    // SubjectPublicKeyInfo DER of a P-256 key.
    QCOMPARE(stored->publicKey.size(), 91);

    bool audited = false;
    for (const auto &event : m_fixture->gateway().store().auditEvents()) {
        if (event.kind == u"passkey.registered") {
            audited = true;
            QCOMPARE(event.deviceId, companion->deviceId());
            QCOMPARE(event.details.value(QStringLiteral("attestation")).toString(),
                     QStringLiteral("self"));
        }
    }
    QVERIFY(audited);

    // A welcome lists it from now on.
    companion->disconnectChannel();
    companion->connectChannelWith(companion->deviceKey(), companion->deviceId());
    const auto welcome = companion->waitFor(QStringLiteral("welcome"));
    QVERIFY(welcome);
    QCOMPARE(welcome->value(QStringLiteral("passkey"))
                 .toObject()
                 .value(QStringLiteral("credentials"))
                 .toArray()
                 .size(),
             1);
}

void TestGatewayPasskeys::registersNoneAndBasicAttestation()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey none(rpId());
    QVERIFY(registerPasskey(*companion, nonce, none, Attestation::None));
    TestPasskey basic(rpId());
    QVERIFY(registerPasskey(*companion, nonce, basic, Attestation::Basic));
    QCOMPARE(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).size(), 2);

    // And both approve.
    const ApprovalRecord first = request();
    auto received = receive(*companion);
    QVERIFY(received);
    approve(*companion, *received, none.assertion(received->requestHash, origin()));
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
    request();
    received = receive(*companion);
    QVERIFY(received);
    approve(*companion, *received, basic.assertion(received->requestHash, origin()));
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
    QCOMPARE(m_fixture->gateway().store().approval(first.requestId)->state,
             ApprovalState::Approved);
}

void TestGatewayPasskeys::refusesDuplicatePasskey()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    companion->sendRaw(QString::fromUtf8(
        QJsonDocument(
            QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                        {QStringLiteral("factor"), factor()},
                        {QStringLiteral("name"), QStringLiteral("again")},
                        {QStringLiteral("credential"), key.registration(nonce, origin())}})
            .toJson(QJsonDocument::Compact)));
    QVERIFY(errorFor(*companion, QStringLiteral("passkey_exists")));

    // Not for another user either: the credential id is the key's identity.
    auto bob = m_fixture->pairedCompanion(QString::fromLatin1(GatewayFixture::otherUser));
    const QString bobNonce = connect(*bob);
    bob->sendRaw(QString::fromUtf8(
        QJsonDocument(
            QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                        {QStringLiteral("factor"), factor(*m_bobTotp)},
                        {QStringLiteral("name"), QStringLiteral("stolen")},
                        {QStringLiteral("credential"), key.registration(bobNonce, origin())}})
            .toJson(QJsonDocument::Compact)));
    QVERIFY(errorFor(*bob, QStringLiteral("passkey_exists")));
}

void TestGatewayPasskeys::refusesEleventhPasskey()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    for (int i = 0; i < 10; ++i)
        QVERIFY(registerPasskey(*companion, nonce, TestPasskey(rpId())));
    TestPasskey eleventh(rpId());
    companion->sendRaw(QString::fromUtf8(
        QJsonDocument(
            QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                        {QStringLiteral("factor"), factor()},
                        {QStringLiteral("name"), QStringLiteral("one too many")},
                        {QStringLiteral("credential"), eleventh.registration(nonce, origin())}})
            .toJson(QJsonDocument::Compact)));
    QVERIFY(errorFor(*companion, QStringLiteral("too_many_passkeys")));
    QCOMPARE(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).size(),
        10);
}

void TestGatewayPasskeys::refusesBadRegistration_data()
{
    QTest::addColumn<QString>("what");
    QTest::newRow("challenge of another connection") << "challenge";
    QTest::newRow("origin") << "origin";
    QTest::newRow("type webauthn.get") << "type";
    QTest::newRow("crossOrigin true") << "crossOrigin";
    QTest::newRow("duplicate member in client data") << "duplicate";
    QTest::newRow("other RP id") << "rp";
    QTest::newRow("UP not set") << "up";
    QTest::newRow("BS without BE") << "bs";
    QTest::newRow("self attestation signed over other data") << "signature";
    QTest::newRow("credential id differs from authenticator data") << "id";
    QTest::newRow("unknown fmt") << "fmt";
    QTest::newRow("blank name") << "name";
}

void TestGatewayPasskeys::refusesBadRegistration()
{
    QFETCH(QString, what);
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QString challenge = nonce;
    QString clientOrigin = origin();
    QString type = QStringLiteral("webauthn.create");
    QJsonObject extra;
    TestPasskey::Flags flags;
    if (what == u"challenge")
        challenge = QString::fromLatin1(base64UrlEncode(QByteArray(32, 'n')));
    else if (what == u"origin")
        clientOrigin = QStringLiteral("https://evil.example");
    else if (what == u"type")
        type = QStringLiteral("webauthn.get");
    else if (what == u"crossOrigin")
        extra.insert(QStringLiteral("crossOrigin"), true);
    else if (what == u"up")
        flags.up = false;
    else if (what == u"bs")
        flags.bs = true;
    QByteArray clientData = TestPasskey::clientData(type, challenge, clientOrigin, extra);
    if (what == u"duplicate")
        clientData.chop(1), clientData += ",\"type\":\"webauthn.create\"}";
    QByteArray authData = key.authenticatorData(flags, 0, true);
    if (what == u"rp")
        authData = TestPasskey(QStringLiteral("evil.example")).authenticatorData(flags, 0, true);
    QJsonObject credential = key.registrationWith(clientData, authData, Attestation::Self);
    if (what == u"signature") {
        credential.insert(QStringLiteral("attestation_signature"),
                          QString::fromLatin1(base64UrlEncode(key.sign("other data"))));
    } else if (what == u"id") {
        credential.insert(QStringLiteral("credential_id"),
                          QString::fromLatin1(base64UrlEncode(QByteArray(32, 'i'))));
    } else if (what == u"fmt") {
        credential.insert(QStringLiteral("fmt"), QStringLiteral("tpm"));
    }
    companion->sendRaw(QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                                  {QStringLiteral("factor"), factor()},
                                  {QStringLiteral("name"),
                                   what == u"name" ? QStringLiteral("  ") : QStringLiteral("key")},
                                  {QStringLiteral("credential"), credential}})
            .toJson(QJsonDocument::Compact)));
    const auto error = errorFor(*companion, QStringLiteral("invalid_registration"));
    QVERIFY(error);
    qInfo() << what << "->" << error->value(QStringLiteral("message")).toString();
    QVERIFY(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).isEmpty());
    QVERIFY(channelRoundTrip(*companion));
    QVERIFY(!companion->waitFor(QStringLiteral("passkeys"), 0));
}

void TestGatewayPasskeys::removesPasskey()
{
    auto companion = m_fixture->pairedCompanion();
    auto other = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    QVERIFY(other->connectChannel());
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    QVERIFY(other->waitFor(QStringLiteral("passkeys")));

    // Bob cannot remove alice's key.
    auto bob = m_fixture->pairedCompanion(QString::fromLatin1(GatewayFixture::otherUser));
    QVERIFY(bob->connectChannel());
    const QJsonObject remove{{QStringLiteral("type"), QStringLiteral("passkey.remove")},
                             {QStringLiteral("credential_id"),
                              QString::fromLatin1(base64UrlEncode(key.credentialId()))}};
    bob->sendRaw(QString::fromUtf8(QJsonDocument(remove).toJson(QJsonDocument::Compact)));
    QVERIFY(errorFor(*bob, QStringLiteral("unknown_passkey")));
    QVERIFY(m_fixture->gateway().store().passkey(key.credentialId()));

    other->sendRaw(QString::fromUtf8(
        QJsonDocument(removeMessage(key, factor())).toJson(QJsonDocument::Compact)));
    for (TestCompanion *device : {companion.get(), other.get()}) {
        const auto told = device->waitFor(QStringLiteral("passkeys"));
        QVERIFY(told);
        const QJsonObject change = told->value(QStringLiteral("change")).toObject();
        QCOMPARE(change.value(QStringLiteral("action")).toString(), QStringLiteral("removed"));
        QCOMPARE(change.value(QStringLiteral("name")).toString(), QStringLiteral("YubiKey 5"));
        QCOMPARE(told->value(QStringLiteral("passkey"))
                     .toObject()
                     .value(QStringLiteral("credentials"))
                     .toArray(),
                 QJsonArray());
    }
    QVERIFY(!m_fixture->gateway().store().passkey(key.credentialId()));
    const auto events = m_fixture->gateway().store().auditEvents();
    QVERIFY(std::any_of(events.cbegin(), events.cend(),
                        [](const auto &event) { return event.kind == u"passkey.removed"; }));
}

void TestGatewayPasskeys::refusesRegistrationFromRevokedDevice()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    // Revoked in the store while the channel stays open (as when the CLI
    // cannot reach the running gateway).
    QVERIFY(m_fixture->gateway()
                .store()
                .revokeDevice(companion->deviceId(), m_fixture->clock().secondsSinceEpoch())
                .ok());
    companion->sendRaw(QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                                  {QStringLiteral("factor"), factor()},
                                  {QStringLiteral("name"), QStringLiteral("key")},
                                  {QStringLiteral("credential"),
                                   TestPasskey(rpId()).registration(nonce, origin())}})
            .toJson(QJsonDocument::Compact)));
    QVERIFY(errorFor(*companion, QStringLiteral("device_revoked")));
    QCOMPARE(companion->waitForClose(), std::optional(4403));
    QVERIFY(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).isEmpty());
}

void TestGatewayPasskeys::approvesWithPasskey_data()
{
    QTest::addColumn<bool>("userVerified");
    QTest::addColumn<bool>("required");
    QTest::addColumn<QJsonArray>("amr");
    QTest::newRow("presence only") << false << false << QJsonArray{QStringLiteral("hwk")};
    QTest::newRow("with PIN") << true << false
                              << QJsonArray{QStringLiteral("hwk"), QStringLiteral("pin")};
    QTest::newRow("PIN required and given")
        << true << true << QJsonArray{QStringLiteral("hwk"), QStringLiteral("pin")};
}

void TestGatewayPasskeys::approvesWithPasskey()
{
    QFETCH(bool, userVerified);
    QFETCH(bool, required);
    QFETCH(QJsonArray, amr);
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));

    const ApprovalRecord approval = request(required);
    const auto received = receive(*companion);
    QVERIFY(received);
    TestPasskey::Flags flags;
    flags.uv = userVerified;
    approve(*companion, *received, key.assertion(received->requestHash, origin(), flags));
    const auto accepted = companion->waitFor(QStringLiteral("approval.accepted"));
    QVERIFY2(accepted,
             QJsonDocument(companion->waitFor(QStringLiteral("error"), 10).value_or(QJsonObject()))
                 .toJson()
                 .constData());
    QCOMPARE(accepted->value(QStringLiteral("outcome")).toString(), QStringLiteral("approved"));

    const auto stored = m_fixture->gateway().store().approval(approval.requestId);
    QCOMPARE(stored->state, ApprovalState::Approved);
    QCOMPARE(stored->resolvedMethod, std::optional(ApprovalMethod::Passkey));
    QCOMPARE(stored->userVerified, userVerified);
    QCOMPARE(m_fixture->gateway().store().passkey(key.credentialId())->signCount, 1u);

    const auto token = m_fixture->gateway().broker().redeem(approval.requestId);
    QVERIFY(token.ok());
    const auto verified =
        Jws::verify(token->token, m_fixture->gateway().signingKey(), QStringLiteral("at+jwt"));
    QVERIFY(verified.ok());
    const QJsonObject claims =
        parseStrictJsonObject(verified->payload, QStringLiteral("t")).value();
    QCOMPARE(claims.value(QStringLiteral("amr")).toArray(), amr);
    QCOMPARE(claims.value(QStringLiteral("acr")).toString(), QStringLiteral("countersign:passkey"));
}

void TestGatewayPasskeys::refusesAssertionOverAnotherRequestsHash()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    const ApprovalRecord first = request();
    const auto one = receive(*companion);
    request();
    const auto two = receive(*companion);
    QVERIFY(one && two);
    // Signed for request two, sent as the answer to request one.
    approve(*companion, *one, key.assertion(two->requestHash, origin()));
    const auto error = errorFor(*companion, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"challenge"));
    QCOMPARE(m_fixture->gateway().store().approval(first.requestId)->state, ApprovalState::Pending);
}

void TestGatewayPasskeys::refusesAnotherUsersCredential()
{
    auto alice = m_fixture->pairedCompanion();
    auto bob = m_fixture->pairedCompanion(QString::fromLatin1(GatewayFixture::otherUser));
    const QString bobNonce = connect(*bob);
    const QString aliceNonce = connect(*alice);
    TestPasskey bobsKey(rpId());
    QVERIFY(registerPasskey(*bob, bobNonce, bobsKey));
    TestPasskey alicesKey(rpId());
    QVERIFY(registerPasskey(*alice, aliceNonce, alicesKey));

    request();
    const auto received = receive(*alice);
    QVERIFY(received);
    approve(*alice, *received, bobsKey.assertion(received->requestHash, origin()));
    const auto error = errorFor(*alice, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"not registered"));
}

void TestGatewayPasskeys::refusesTamperedAuthenticatorData()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    const ApprovalRecord approval = request(false);
    const auto received = receive(*companion);
    QVERIFY(received);

    // Signed without UV, then UV set afterwards: the signature no longer
    // covers the data (libfido2's fido_assert_verify says so).
    const QByteArray client = TestPasskey::clientData(
        QStringLiteral("webauthn.get"), QString::fromLatin1(base64UrlEncode(received->requestHash)),
        origin());
    const QByteArray signedData = key.authenticatorData({}, 5, false);
    const QByteArray signature =
        key.sign(signedData + QCryptographicHash::hash(client, QCryptographicHash::Sha256));
    QByteArray tampered = signedData;
    tampered[32] = static_cast<char>(tampered[32] | 0x04);
    approve(*companion, *received, key.evidence(tampered, client, signature));
    const auto error = errorFor(*companion, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"libfido2"));
    QCOMPARE(m_fixture->gateway().store().approval(approval.requestId)->state,
             ApprovalState::Pending);
    QCOMPARE(m_fixture->gateway().store().passkey(key.credentialId())->signCount, 0u);
}

void TestGatewayPasskeys::refusesNonIncreasingCounterAsPossibleClone()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    request();
    auto received = receive(*companion);
    QVERIFY(received);
    key.setSignCount(41);
    approve(*companion, *received, key.assertion(received->requestHash, origin())); // 42
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));

    // A clone that has not seen count 42 answers with 42 (or less).
    const ApprovalRecord second = request();
    received = receive(*companion);
    QVERIFY(received);
    key.setSignCount(41);
    approve(*companion, *received, key.assertion(received->requestHash, origin()));
    const auto error = errorFor(*companion, QStringLiteral("possible_clone"));
    QVERIFY(error);
    QCOMPARE(m_fixture->gateway().store().approval(second.requestId)->state,
             ApprovalState::Pending);
    QCOMPARE(m_fixture->gateway().store().passkey(key.credentialId())->signCount, 42u);
    bool audited = false;
    for (const auto &event : m_fixture->gateway().store().auditEvents()) {
        if (event.kind == u"passkey.possible_clone") {
            audited = true;
            QCOMPARE(event.requestId, second.requestId);
            QCOMPARE(event.details.value(QStringLiteral("stored_count")).toInteger(), 42);
            QCOMPARE(event.details.value(QStringLiteral("received_count")).toInteger(), 42);
        }
    }
    QVERIFY(audited);

    // The real key, one further, is fine.
    approve(*companion, *received, key.assertion(received->requestHash, origin())); // 43
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
}

void TestGatewayPasskeys::acceptsKeysWithoutCounter()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    key.keepZeroCount = true;
    QVERIFY(registerPasskey(*companion, nonce, key));
    for (int i = 0; i < 2; ++i) {
        request();
        const auto received = receive(*companion);
        QVERIFY(received);
        approve(*companion, *received, key.assertion(received->requestHash, origin()));
        QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
    }
}

void TestGatewayPasskeys::refusesMissingUserVerificationWhenRequired()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    const ApprovalRecord approval = request(true);
    QVERIFY(m_fixture->gateway().store().approval(approval.requestId)->userVerificationRequired);
    const auto received = receive(*companion);
    QVERIFY(received);
    approve(*companion, *received, key.assertion(received->requestHash, origin()));
    const auto error = errorFor(*companion, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"user verification"));

    // The same request, now with the PIN.
    approve(*companion, *received, key.assertion(received->requestHash, origin(), {true, true}));
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
}

void TestGatewayPasskeys::refusesBackupStateWithoutEligibility()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    request();
    const auto received = receive(*companion);
    QVERIFY(received);
    TestPasskey::Flags flags;
    flags.bs = true;
    approve(*companion, *received, key.assertion(received->requestHash, origin(), flags));
    auto error = errorFor(*companion, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"BS"));
    // BE differing from registration is another key.
    flags = {};
    flags.be = true;
    approve(*companion, *received, key.assertion(received->requestHash, origin(), flags));
    error = errorFor(*companion, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().contains(u"BE"));
}

void TestGatewayPasskeys::refusesRemovedKey()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    request();
    const auto received = receive(*companion);
    QVERIFY(received);
    // Removed while the dialog was open.
    QVERIFY(m_fixture->gateway()
                .store()
                .removePasskey(QString::fromLatin1(GatewayFixture::user), key.credentialId())
                .value());
    approve(*companion, *received, key.assertion(received->requestHash, origin()));
    QVERIFY(errorFor(*companion, QStringLiteral("invalid_evidence")));
}

void TestGatewayPasskeys::refusesBadClientData_data()
{
    QTest::addColumn<QByteArray>("clientData");
    QTest::newRow("type webauthn.create")
        << QByteArray(R"({"type":"webauthn.create","challenge":"@","origin":"$"})");
    QTest::newRow("other origin") << QByteArray(
        R"({"type":"webauthn.get","challenge":"@","origin":"https://evil.example"})");
    QTest::newRow("crossOrigin true")
        << QByteArray(R"({"type":"webauthn.get","challenge":"@","origin":"$","crossOrigin":true})");
    QTest::newRow("crossOrigin not a boolean") << QByteArray(
        R"({"type":"webauthn.get","challenge":"@","origin":"$","crossOrigin":"false"})");
    QTest::newRow("duplicate challenge")
        << QByteArray(R"({"type":"webauthn.get","challenge":"AAAA","challenge":"@","origin":"$"})");
    QTest::newRow("not JSON") << QByteArray("webauthn.get @ $");
}

void TestGatewayPasskeys::refusesBadClientData()
{
    QFETCH(QByteArray, clientData);
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));
    request();
    const auto received = receive(*companion);
    QVERIFY(received);
    clientData.replace("@", base64UrlEncode(received->requestHash));
    clientData.replace("$", origin().toUtf8());
    const QByteArray authData = key.authenticatorData({}, 1, false);
    approve(
        *companion, *received,
        key.evidence(
            authData, clientData,
            key.sign(authData + QCryptographicHash::hash(clientData, QCryptographicHash::Sha256))));
    const auto error = errorFor(*companion, QStringLiteral("invalid_evidence"));
    QVERIFY(error);
    QVERIFY(error->value(QStringLiteral("message")).toString().startsWith(u"client data"));
}

QTEST_GUILESS_MAIN(TestGatewayPasskeys)
namespace {

bool hasAudit(const QList<gateway::AuditEvent> &events, const QString &kind)
{
    return std::any_of(events.cbegin(), events.cend(),
                       [&](const auto &event) { return event.kind == kind; });
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

void TestGatewayPasskeys::refusesRegistrationWithoutFactor()
{
    // A paired device alone (its key may be in anyone's hands) must not turn
    // itself into an approval factor.
    auto companion = m_fixture->pairedCompanion();
    auto other = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    QVERIFY(other->connectChannel());
    TestPasskey key(rpId());
    companion->sendRaw(
        compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                            {QStringLiteral("name"), QStringLiteral("attacker's key")},
                            {QStringLiteral("credential"), key.registration(nonce, origin())}}));
    const auto error = errorFor(*companion, QStringLiteral("factor_required"));
    QVERIFY(error);
    QVERIFY2(error->value(QStringLiteral("message")).toString().contains(u"code"),
             qPrintable(error->value(QStringLiteral("message")).toString()));
    QVERIFY(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).isEmpty());
    QVERIFY(channelRoundTrip(*companion));
    QVERIFY(!companion->waitFor(QStringLiteral("passkeys"), 0));
    QVERIFY(!other->waitFor(QStringLiteral("passkeys"), 0));
    QVERIFY(hasAudit(m_fixture->gateway().store().auditEvents(),
                     QStringLiteral("passkey.register_refused")));

    // And so the key cannot approve anything.
    request();
    const auto received = receive(*companion);
    QVERIFY(received);
    approve(*companion, *received, key.assertion(received->requestHash, origin()));
    QVERIFY(errorFor(*companion, QStringLiteral("invalid_evidence")));
}

void TestGatewayPasskeys::refusesRegistrationForUserWithoutTotp()
{
    const QString carol = QStringLiteral("carol@example.com");
    auto companion = m_fixture->pairedCompanion(carol);
    QVERIFY(companion);
    const QString nonce = connect(*companion);
    QVERIFY(!nonce.isEmpty());
    // Any code: there is no seed to check it against.
    companion->sendRaw(compact(QJsonObject{
        {QStringLiteral("type"), QStringLiteral("passkey.register")},
        {QStringLiteral("name"), QStringLiteral("key")},
        {QStringLiteral("factor"), factor()},
        {QStringLiteral("credential"), TestPasskey(rpId()).registration(nonce, origin())}}));
    const auto error = errorFor(*companion, QStringLiteral("factor_required"));
    QVERIFY(error);
    QVERIFY2(error->value(QStringLiteral("message")).toString().contains(u"totp enroll"),
             qPrintable(error->value(QStringLiteral("message")).toString()));
    QVERIFY(m_fixture->gateway().store().passkeys(carol).isEmpty());
}

void TestGatewayPasskeys::factorCodeIsSingleUse()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    const QJsonObject code = factor();
    TestPasskey first(rpId());
    companion->sendRaw(
        compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                            {QStringLiteral("name"), QStringLiteral("first")},
                            {QStringLiteral("factor"), code},
                            {QStringLiteral("credential"), first.registration(nonce, origin())}}));
    QVERIFY(companion->waitFor(QStringLiteral("passkeys")));

    // The same code again, for another key: refused, counted.
    TestPasskey second(rpId());
    companion->sendRaw(
        compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                            {QStringLiteral("name"), QStringLiteral("second")},
                            {QStringLiteral("factor"), code},
                            {QStringLiteral("credential"), second.registration(nonce, origin())}}));
    const auto error = errorFor(*companion, QStringLiteral("invalid_factor"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("attempts_left")).toInt(),
             gateway::PasskeyRegistry::maxFactorFailures - 1);
    QCOMPARE(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).size(), 1);
    QVERIFY(hasAudit(m_fixture->gateway().store().auditEvents(),
                     QStringLiteral("passkey.factor_rejected")));

    // Nor can it approve: approvals and passkey changes share the replay
    // memory of TOTP steps.
    const ApprovalRecord approval = m_fixture->request();
    const auto received = receive(*companion);
    QVERIFY(received);
    ApprovalProof proof;
    proof.requestId = received->request.requestId;
    proof.requestHash = received->requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), code.value(QStringLiteral("code"))}};
    proof.issuedAt = m_fixture->clock().secondsSinceEpoch();
    companion->sendProof(companion->signProof(proof));
    QVERIFY(errorFor(*companion, QStringLiteral("invalid_code")));
    QCOMPARE(m_fixture->gateway().store().approval(approval.requestId)->state,
             ApprovalState::Pending);
}

void TestGatewayPasskeys::wrongFactorCodesLockPasskeyChanges()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    // A code that no step of the window accepts.
    const auto wrongCode = [&] {
        const qint64 now = m_fixture->clock().secondsSinceEpoch();
        const QStringList accepted{m_totp->codeAt(now - m_totp->period()).value(),
                                   m_totp->codeAt(now).value(),
                                   m_totp->codeAt(now + m_totp->period()).value()};
        for (int candidate = 0;; ++candidate) {
            const QString code = QStringLiteral("%1").arg(candidate, 6, 10, QLatin1Char('0'));
            if (!accepted.contains(code))
                return code;
        }
    };
    const auto send = [&](const QJsonValue &code) {
        companion->sendRaw(compact(
            QJsonObject{{QStringLiteral("type"), QStringLiteral("passkey.register")},
                        {QStringLiteral("name"), QStringLiteral("key")},
                        {QStringLiteral("factor"),
                         QJsonObject{{QStringLiteral("method"), QStringLiteral("totp")},
                                     {QStringLiteral("code"), code}}},
                        {QStringLiteral("credential"), key.registration(nonce, origin())}}));
    };
    const int limit = gateway::PasskeyRegistry::maxFactorFailures;
    for (int i = 1; i <= limit; ++i) {
        send(wrongCode());
        const auto error = errorFor(*companion, QStringLiteral("invalid_factor"));
        QVERIFY(error);
        QCOMPARE(error->value(QStringLiteral("attempts_left")).toInt(), limit - i);
    }
    // Locked: even the right code is refused now, without being checked.
    send(factor().value(QStringLiteral("code")));
    const auto locked = errorFor(*companion, QStringLiteral("invalid_factor"));
    QVERIFY(locked);
    QCOMPARE(locked->value(QStringLiteral("attempts_left")).toInt(), 0);
    QVERIFY2(locked->value(QStringLiteral("message")).toString().contains(u"minutes"),
             qPrintable(locked->value(QStringLiteral("message")).toString()));
    QVERIFY(
        m_fixture->gateway().store().passkeys(QString::fromLatin1(GatewayFixture::user)).isEmpty());

    // The window passes; a fresh code works again.
    m_fixture->clock().advance(gateway::PasskeyRegistry::factorLockSeconds);
    send(factor().value(QStringLiteral("code")));
    QVERIFY(companion->waitFor(QStringLiteral("passkeys")));
}

void TestGatewayPasskeys::removalNeedsTheFactor()
{
    auto companion = m_fixture->pairedCompanion();
    const QString nonce = connect(*companion);
    TestPasskey key(rpId());
    QVERIFY(registerPasskey(*companion, nonce, key));

    companion->sendRaw(compact(removeMessage(key)));
    QVERIFY(errorFor(*companion, QStringLiteral("factor_required")));
    QVERIFY(m_fixture->gateway().store().passkey(key.credentialId()));

    companion->sendRaw(
        compact(removeMessage(key,
                              QJsonObject{{QStringLiteral("method"), QStringLiteral("totp")},
                                          {QStringLiteral("code"), QStringLiteral("12345678")}})));
    QVERIFY(errorFor(*companion, QStringLiteral("invalid_factor")));
    QVERIFY(m_fixture->gateway().store().passkey(key.credentialId()));

    // A factor of another method is refused as a malformed message.
    companion->sendRaw(
        compact(removeMessage(key,
                              QJsonObject{{QStringLiteral("method"), QStringLiteral("sms")},
                                          {QStringLiteral("code"), QStringLiteral("123456")}})));
    QVERIFY(errorFor(*companion, QStringLiteral("malformed_message")));

    companion->sendRaw(compact(removeMessage(key, factor())));
    const auto told = companion->waitFor(QStringLiteral("passkeys"));
    QVERIFY(told);
    QCOMPARE(told->value(QStringLiteral("change")).toObject().value(QStringLiteral("action")),
             QJsonValue(QStringLiteral("removed")));
    QVERIFY(!m_fixture->gateway().store().passkey(key.credentialId()));
}

#include "test_gateway_passkeys.moc"
