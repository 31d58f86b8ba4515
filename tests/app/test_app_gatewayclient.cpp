#include "app/approvalinbox.h"
#include "app/gatewayclient.h"
#include "app/webauthnclientdata.h"
#include "gateway/runtime/controlsocket.h"
#include "protocol/base64url.h"
#include "protocol/displaytext.h"
#include "protocol/messages/bindingcode.h"
#include "protocol/randombytes.h"
#include "protocol/tlspin.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/gateway/webauthn/testpasskey.h"
#include "tests/support/samplemessages.h"

#include <QFile>
#include <QJsonDocument>
#include <QMutex>
#include <QSslSocket>
#include <QWebSocketServer>

using namespace countersign;
using namespace countersign::testing;
using State = GatewayClient::State;

namespace {

// Fast reconnection so that the tests see several attempts in well under a
// second; the protocol's real timings are the defaults.
GatewayClientTimings fastTimings()
{
    GatewayClientTimings timings;
    timings.backoff.initial = std::chrono::milliseconds(50);
    timings.backoff.maximum = std::chrono::milliseconds(400);
    timings.backoff.jitter = 0.2;
    timings.handshakeTimeout = std::chrono::milliseconds(5'000);
    return timings;
}

// What pairing leaves behind: the profile and the device key. The test
// companion does the pairing exchange; the client under test gets only this.
struct Pairing {
    GatewayProfile profile;
    EcPrivateKey deviceKey;
    std::unique_ptr<TestCompanion> companion; // the same device, for 4409 tests
};

std::optional<Pairing> pair(GatewayFixture &fixture,
                            const QString &user = QString::fromLatin1(GatewayFixture::user))
{
    auto companion = fixture.pairedCompanion(user);
    if (!companion)
        return std::nullopt;
    GatewayProfile profile;
    profile.gatewayId = fixture.gateway().publicUrl().toString(QUrl::FullyEncoded);
    profile.name = fixture.config().name;
    profile.baseUrl = fixture.gateway().publicUrl();
    profile.deviceId = companion->deviceId();
    profile.userId = user;
    profile.gatewayKey = fixture.gateway().signingKey().toJwk();
    const EcPrivateKey key = companion->deviceKey();
    return Pairing{profile, key, std::move(companion)};
}

// A TOTP code that is not valid now nor one step either way.
QString wrongCode(const Totp &totp, const Clock &clock)
{
    const qint64 now = clock.secondsSinceEpoch();
    const QStringList valid{totp.codeAt(now - 30).value(), totp.codeAt(now).value(),
                            totp.codeAt(now + 30).value()};
    for (int n = 0;; ++n) {
        const QString candidate = QStringLiteral("%1").arg(n, 6, 10, QLatin1Char('0'));
        if (!valid.contains(candidate))
            return candidate;
    }
}

// Collects what the client logs, so that a test can wait for "dropped" lines
// (a dropped request leaves no other trace, by design).
class LogCapture {
public:
    LogCapture()
    {
        s_instance = this;
        m_previous = qInstallMessageHandler(&LogCapture::handler);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        s_instance = nullptr;
    }
    int count(const QString &needle) const
    {
        QMutexLocker lock(&m_mutex);
        int n = 0;
        for (const QString &line : m_lines)
            n += line.contains(needle) ? 1 : 0;
        return n;
    }

private:
    static void handler(QtMsgType type, const QMessageLogContext &context, const QString &text)
    {
        if (s_instance && context.category
            && QLatin1String(context.category) == QLatin1String("countersign.app.gateway")) {
            QMutexLocker lock(&s_instance->m_mutex);
            s_instance->m_lines.append(text);
        }
        if (s_instance && s_instance->m_previous)
            s_instance->m_previous(type, context, text);
    }

    static inline LogCapture *s_instance = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_lines;
};

QString compactText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

// A scripted gateway for what a real one never sends: it says hello, takes
// any auth, welcomes with the pending list it is given, then hands every
// message to the test. Its requests are signed with its own key, which the
// profile it makes pins, so they verify unless a test says otherwise.
class FakeGateway : public QObject {
    Q_OBJECT

public:
    FakeGateway()
        : m_server(QStringLiteral("fake gateway"), QWebSocketServer::NonSecureMode)
    {
        if (!m_server.listen(QHostAddress::LocalHost))
            qFatal("fake gateway: cannot listen");
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            m_peer.reset(m_server.nextPendingConnection());
            connect(m_peer.get(), &QWebSocket::textMessageReceived, this, &FakeGateway::onText);
            m_peer->sendTextMessage(compactText({{QStringLiteral("type"), QStringLiteral("hello")},
                                                 {QStringLiteral("v"), 1},
                                                 {QStringLiteral("gateway_id"), gatewayId()},
                                                 {QStringLiteral("nonce"), randomToken(32)}}));
        });
    }

    QString gatewayId() const
    {
        return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
    }

    GatewayProfile profile() const
    {
        GatewayProfile profile;
        profile.gatewayId = gatewayId();
        profile.name = QStringLiteral("Fake gateway");
        profile.baseUrl = QUrl(gatewayId());
        profile.deviceId = QStringLiteral("dev_1");
        profile.userId = QString::fromLatin1(GatewayFixture::user);
        profile.gatewayKey = m_key.publicKey().toJwk();
        return profile;
    }

    QString signRequest(const QString &requestId, const QString &userId, const Clock &clock) const
    {
        ApprovalRequest request = sampleRequest(clock.secondsSinceEpoch());
        request.requestId = requestId;
        request.gatewayId = gatewayId();
        request.sarc.subject.id = userId;
        return QString::fromLatin1(request.sign(m_key).value());
    }

    QWebSocket *peer() { return m_peer.get(); }
    QStringList pending;
    QJsonValue passkey = QJsonValue(QJsonValue::Undefined); // welcome's, when set
    QList<QJsonObject> received;

private:
    void onText(const QString &text)
    {
        const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
        if (message.value(QStringLiteral("type")).toString() == u"auth") {
            QJsonObject welcome{
                {QStringLiteral("type"), QStringLiteral("welcome")},
                {QStringLiteral("device_id"), message.value(QStringLiteral("device_id"))},
                {QStringLiteral("user"), QString::fromLatin1(GatewayFixture::user)},
                {QStringLiteral("pending"), QJsonArray::fromStringList(pending)}};
            if (!passkey.isUndefined())
                welcome.insert(QStringLiteral("passkey"), passkey);
            m_peer->sendTextMessage(compactText(welcome));
            return;
        }
        received.append(message);
    }

    QWebSocketServer m_server;
    EcPrivateKey m_key = EcPrivateKey::generate().value();
    std::unique_ptr<QWebSocket> m_peer;
};

QByteArray decoded(const QJsonObject &object, const char *member)
{
    return base64UrlDecode(object.value(QLatin1StringView(member)).toString().toLatin1()).value();
}

// What platform/fidoauthenticator hands over, from TestPasskey's wire form.
PasskeyRegistrationEvidence registrationEvidence(const QJsonObject &credential)
{
    PasskeyRegistrationEvidence evidence;
    evidence.credentialId = decoded(credential, "credential_id");
    evidence.clientDataJson = decoded(credential, "client_data_json");
    evidence.authenticatorData = decoded(credential, "authenticator_data");
    evidence.fmt = credential.value(QStringLiteral("fmt")).toString().toLatin1();
    if (credential.contains(QStringLiteral("attestation_signature")))
        evidence.attestationSignature = decoded(credential, "attestation_signature");
    return evidence;
}

PasskeyEvidence assertionEvidence(const QJsonObject &evidence)
{
    return PasskeyEvidence{decoded(evidence, "credential_id"),
                           decoded(evidence, "authenticator_data"),
                           decoded(evidence, "client_data_json"), decoded(evidence, "signature")};
}

} // namespace

// GatewayClient against a real gateway (in-process, loopback, real SQLite),
// with the ApprovalInbox it feeds.
class TestAppGatewayClient : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void connectsAndReceivesVerifiedRequest();
    void receivesPendingListOnConnect();
    void dropsPendingRequestSignedWithAnotherKey();
    void dropsPushedRequestSignedWithAnotherKey();
    void refusesWelcomeForAnotherUser();
    void dropsRequestForAnotherUser();
    void disconnectsOnOversizedOrBinaryMessage_data();
    void disconnectsOnOversizedOrBinaryMessage();
    void sanitizesGatewayErrorText();
    void ignoresAnswersToProofsNeverSent();
    void refusesGatewayPresentingAnotherId();
    void approvesWithTotp();
    void wrongTotpCodeReportsAttemptsLeft();
    void deniesWithReason();
    void refusesToSendWhatCannotBeRight();
    void resolutionElsewhereRemovesFromInbox();
    void hearsWhenTheAgentStopsWaiting();
    void reconnectsWithBackoffAndResyncsPending();
    void receivesEveryPendingRequestBeyondOneWelcome();
    void partialWelcomeResyncsOnceTheRestArrived();
    void revokedDeviceDoesNotReconnect();
    void revokedAtConnectStaysRevoked();
    void unknownDeviceIsRefusedWithoutRetry();
    void replacedConnectionIsNotFoughtOver();
    void stopDisconnectsAndForgetsPending();
    void invalidProfileNeverConnects_data();
    void invalidProfileNeverConnects();
    void hostileGatewayIsDisconnected_data();
    void hostileGatewayIsDisconnected();
    void handshakeTimeoutRetries();
    void connectsOverTlsWithPinnedKey();
    void refusesTlsKeyThatDoesNotMatchPin();
    void registersPasskeyAndFollowsContext();
    void approvesWithPasskey();
    void refusesPasskeyEvidenceThatCannotBeRight();
    void ignoresMalformedPasskeyContext_data();
    void ignoresMalformedPasskeyContext();

private:
    std::unique_ptr<GatewayClient> makeClient(const Pairing &pairing,
                                              GatewayClientTimings timings = fastTimings());

    // A code of a new time step (passkey changes need one, protocol 8.2).
    QString freshCode(const Totp &totp);

    std::unique_ptr<GatewayFixture> m_fixture;
};

void TestAppGatewayClient::initTestCase()
{
    qRegisterMetaType<GatewayClient::State>();
    qRegisterMetaType<ApprovalOutcome>();
    qRegisterMetaType<VerifiedApprovalRequest>();
    qRegisterMetaType<ProofRefusal>();
    qRegisterMetaType<PendingApproval>();
    qRegisterMetaType<PasskeyContext>();
    qRegisterMetaType<PasskeyRefusal>();
    qRegisterMetaType<channel::PasskeyChange>();
}

void TestAppGatewayClient::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
}

void TestAppGatewayClient::cleanup()
{
    m_fixture.reset();
}

std::unique_ptr<GatewayClient> TestAppGatewayClient::makeClient(const Pairing &pairing,
                                                                GatewayClientTimings timings)
{
    return std::make_unique<GatewayClient>(pairing.profile, pairing.deviceKey, m_fixture->clock(),
                                           timings);
}

void TestAppGatewayClient::connectsAndReceivesVerifiedRequest()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy states(client.get(), &GatewayClient::stateChanged);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    QSignalSpy counts(&inbox, &ApprovalInbox::countChanged);

    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QCOMPARE(states.first().first().value<State>(), State::Connecting);
    QCOMPARE(states.last().first().value<State>(), State::Online);
    QVERIFY(client->lastError().isEmpty());
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));

    const auto record = m_fixture->request();
    QTRY_COMPARE(received.size(), 1);
    const auto request = received.first().first().value<VerifiedApprovalRequest>();
    QCOMPARE(request.request.requestId, record.requestId);
    QCOMPARE(request.compact, record.requestJws);
    QCOMPARE(request.requestHash, record.requestHash);
    QCOMPARE(request.bindingCode, bindingCodeForRequestHash(record.requestHash));
    QCOMPARE(request.request.sarc.action.name, QStringLiteral("disable_user"));

    QCOMPARE(inbox.count(), 1);
    QCOMPARE(counts.last().first().toInt(), 1);
    const auto entry = inbox.find(pairing->profile.gatewayId, record.requestId);
    QVERIFY(entry);
    QCOMPARE(entry->gatewayName, QStringLiteral("Test gateway"));
    QCOMPARE(client->pendingRequests().size(), 1);
}

void TestAppGatewayClient::receivesPendingListOnConnect()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    const auto first = m_fixture->request();
    const auto second = m_fixture->request();
    auto client = makeClient(*pairing);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QCOMPARE(received.size(), 2);
    // In the gateway's order (by creation second, then id), not necessarily ours.
    QSet<QString> ids;
    for (const auto &args : std::as_const(received))
        ids.insert(args.first().value<VerifiedApprovalRequest>().request.requestId);
    QCOMPARE(ids, (QSet<QString>{first.requestId, second.requestId}));
}

void TestAppGatewayClient::dropsPendingRequestSignedWithAnotherKey()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    // Pinning another key is what a gateway signing with a key other than
    // the pinned one looks like from the companion's side.
    pairing->profile.gatewayKey = EcPrivateKey::generate().value().publicKey().toJwk();
    m_fixture->request();
    LogCapture log;
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    client->start();
    // The welcome's pending list is verified before the client is Online.
    QTRY_COMPARE(client->state(), State::Online);
    QCOMPARE(received.size(), 0);
    QCOMPARE(inbox.count(), 0);
    QVERIFY(client->pendingRequests().isEmpty());
    QCOMPARE(log.count(QStringLiteral("dropped an unverifiable request")), 1);
    QCOMPARE(log.count(QStringLiteral("bad_signature")), 1);
}

void TestAppGatewayClient::dropsPushedRequestSignedWithAnotherKey()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    pairing->profile.gatewayKey = EcPrivateKey::generate().value().publicKey().toJwk();
    LogCapture log;
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));

    const auto record = m_fixture->request();
    QTRY_COMPARE(log.count(QStringLiteral("dropped an unverifiable request")), 1);
    QCOMPARE(received.size(), 0);
    QCOMPARE(inbox.count(), 0);
    // And it cannot be answered: the client never held it.
    QVERIFY(!client->deny(record.requestId).ok());
}

void TestAppGatewayClient::refusesWelcomeForAnotherUser()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    m_fixture->request(QString::fromLatin1(GatewayFixture::otherUser));
    auto other = pair(*m_fixture, QString::fromLatin1(GatewayFixture::otherUser));
    QVERIFY(other);
    // Bob's device with alice's name on it: the gateway welcomes it as bob,
    // which the client refuses, so nothing of bob's is ever shown.
    other->profile.userId = pairing->profile.userId;
    LogCapture log;
    auto client = makeClient(*other);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_VERIFY(retries.size() >= 1);
    QVERIFY(client->state() != State::Online);
    QCOMPARE(received.size(), 0);
    QVERIFY(client->lastError().contains(QStringLiteral("another device or user")));
}

void TestAppGatewayClient::dropsRequestForAnotherUser()
{
    // Signed by the pinned key, for the pinned gateway, yet bob's: not
    // alice's to approve.
    FakeGateway gateway;
    const Clock &clock = m_fixture->clock();
    gateway.pending = {gateway.signRequest(QStringLiteral("req_bob"),
                                           QString::fromLatin1(GatewayFixture::otherUser), clock),
                       gateway.signRequest(QStringLiteral("req_alice"),
                                           QString::fromLatin1(GatewayFixture::user), clock)};
    LogCapture log;
    GatewayClient client(gateway.profile(), EcPrivateKey::generate().value(), clock, fastTimings());
    QSignalSpy received(&client, &GatewayClient::requestReceived);
    client.start();
    QTRY_COMPARE(client.state(), State::Online);
    QCOMPARE(received.size(), 1);
    QCOMPARE(received.first().first().value<VerifiedApprovalRequest>().request.requestId,
             QStringLiteral("req_alice"));
    QCOMPARE(log.count(QStringLiteral("it is for another user")), 1);
}

void TestAppGatewayClient::disconnectsOnOversizedOrBinaryMessage_data()
{
    QTest::addColumn<bool>("binary");
    QTest::addColumn<QString>("expectedError");
    QTest::newRow("over 64 KiB") << false << QStringLiteral("1009");
    QTest::newRow("binary frame") << true << QStringLiteral("binary");
}

void TestAppGatewayClient::disconnectsOnOversizedOrBinaryMessage()
{
    QFETCH(bool, binary);
    QFETCH(QString, expectedError);
    FakeGateway gateway;
    // Offline long enough (0.8 to 1.2 s) for QTRY's polling to see it.
    GatewayClientTimings timings = fastTimings();
    timings.backoff.initial = std::chrono::milliseconds(1'000);
    timings.backoff.maximum = std::chrono::milliseconds(1'000);
    GatewayClient client(gateway.profile(), EcPrivateKey::generate().value(), m_fixture->clock(),
                         timings);
    QSignalSpy retries(&client, &GatewayClient::reconnectScheduled);
    client.start();
    QTRY_COMPARE(client.state(), State::Online);
    if (binary) {
        gateway.peer()->sendBinaryMessage(QByteArray(16, 'x'));
    } else {
        // Within the welcome's allowance, over the protocol's limit after it.
        gateway.peer()->sendTextMessage(
            compactText({{QStringLiteral("type"), QStringLiteral("approval.requested")},
                         {QStringLiteral("request"),
                          QString(GatewayClient::maxMessageBytes, QLatin1Char('x'))}}));
    }
    QTRY_COMPARE(client.state(), State::Offline);
    QCOMPARE(retries.size(), 1);
    QVERIFY2(client.lastError().contains(expectedError), qPrintable(client.lastError()));
    // It comes back (the fake welcomes anyone) and stays: nothing left over
    // from the closed connection reaches the new one.
    QTRY_COMPARE(client.state(), State::Online);
    QCOMPARE(retries.size(), 1);
}

void TestAppGatewayClient::sanitizesGatewayErrorText()
{
    FakeGateway gateway;
    const Clock &clock = m_fixture->clock();
    gateway.pending = {gateway.signRequest(QStringLiteral("req_1"),
                                           QString::fromLatin1(GatewayFixture::user), clock)};
    GatewayClient client(gateway.profile(), EcPrivateKey::generate().value(), clock, fastTimings());
    QSignalSpy refused(&client, &GatewayClient::proofRefused);
    client.start();
    QTRY_COMPARE(client.state(), State::Online);
    QVERIFY(client.deny(QStringLiteral("req_1")).ok());
    QTRY_COMPARE(gateway.received.size(), 1);
    QCOMPARE(gateway.received.first().value(QStringLiteral("type")).toString(),
             QStringLiteral("approval.respond"));
    // Right-to-left override and a wall of text: what a person must not be
    // shown as is.
    gateway.peer()->sendTextMessage(compactText(
        {{QStringLiteral("type"), QStringLiteral("error")},
         {QStringLiteral("code"), QStringLiteral("invalid_code")},
         {QStringLiteral("message"),
          QString(QStringLiteral("wrong \u202Ecode") + QString(2000, QLatin1Char('z')))},
         {QStringLiteral("request_id"), QStringLiteral("req_1")},
         {QStringLiteral("attempts_left"), 3}}));
    QTRY_COMPARE(refused.size(), 1);
    const auto refusal = refused.first().first().value<ProofRefusal>();
    QCOMPARE(refusal.code, ChannelErrorCode::InvalidCode);
    QVERIFY(refusal.attemptsLeft.has_value());
    QCOMPARE(*refusal.attemptsLeft, 3);
    QVERIFY(refusal.message.size() <= GatewayClient::maxGatewayMessageLength);
    QVERIFY(isDisplaySafe(refusal.message));
    QVERIFY(refusal.message.startsWith(QStringLiteral("wrong code")));
}

void TestAppGatewayClient::ignoresAnswersToProofsNeverSent()
{
    FakeGateway gateway;
    const Clock &clock = m_fixture->clock();
    gateway.pending = {gateway.signRequest(QStringLiteral("req_1"),
                                           QString::fromLatin1(GatewayFixture::user), clock)};
    GatewayClient client(gateway.profile(), EcPrivateKey::generate().value(), clock, fastTimings());
    QSignalSpy accepted(&client, &GatewayClient::proofAccepted);
    QSignalSpy refused(&client, &GatewayClient::proofRefused);
    QSignalSpy resolved(&client, &GatewayClient::requestResolved);
    client.start();
    QTRY_COMPARE(client.state(), State::Online);
    gateway.peer()->sendTextMessage(
        compactText({{QStringLiteral("type"), QStringLiteral("approval.accepted")},
                     {QStringLiteral("request_id"), QStringLiteral("req_1")},
                     {QStringLiteral("outcome"), QStringLiteral("approved")}}));
    gateway.peer()->sendTextMessage(
        compactText({{QStringLiteral("type"), QStringLiteral("error")},
                     {QStringLiteral("code"), QStringLiteral("invalid_code")},
                     {QStringLiteral("message"), QStringLiteral("no")},
                     {QStringLiteral("request_id"), QStringLiteral("req_1")}}));
    // An outcome the protocol does not have leaves the request pending.
    gateway.peer()->sendTextMessage(
        compactText({{QStringLiteral("type"), QStringLiteral("approval.resolved")},
                     {QStringLiteral("request_id"), QStringLiteral("req_1")},
                     {QStringLiteral("outcome"), QStringLiteral("approved-ish")}}));
    // Messages on one socket arrive in order: this one is the marker.
    gateway.peer()->sendTextMessage(
        compactText({{QStringLiteral("type"), QStringLiteral("approval.resolved")},
                     {QStringLiteral("request_id"), QStringLiteral("req_1")},
                     {QStringLiteral("outcome"), QStringLiteral("cancelled")}}));
    QTRY_COMPARE(resolved.size(), 1);
    QCOMPARE(resolved.first().at(1).value<ApprovalOutcome>(), ApprovalOutcome::Cancelled);
    QCOMPARE(accepted.size(), 0);
    QCOMPARE(refused.size(), 0);
    QCOMPARE(client.state(), State::Online);
}

void TestAppGatewayClient::refusesGatewayPresentingAnotherId()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    pairing->profile.gatewayId = QStringLiteral("https://elsewhere.example.com");
    auto client = makeClient(*pairing);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_VERIFY(retries.size() >= 2);
    QVERIFY(client->state() != State::Online);
    QVERIFY(client->lastError().contains(QStringLiteral("does not present the id")));
    // No auth was sent, so the gateway never saw this device connect.
    QVERIFY(!m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
}

void TestAppGatewayClient::approvesWithTotp()
{
    const Totp totp = m_fixture->enrollTotp();
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy accepted(client.get(), &GatewayClient::proofAccepted);
    QSignalSpy resolved(client.get(), &GatewayClient::requestResolved);
    QSignalSpy removed(&inbox, &ApprovalInbox::removed);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    const auto record = m_fixture->request();
    QTRY_COMPARE(inbox.count(), 1);

    const auto sent =
        client->approveWithTotp(record.requestId, totp.code(m_fixture->clock()).value());
    QVERIFY2(sent.ok(), sent.ok() ? "" : qPrintable(sent.error().message));
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(accepted.first().at(0).toString(), record.requestId);
    QCOMPARE(accepted.first().at(1).value<ApprovalOutcome>(), ApprovalOutcome::Approved);
    QTRY_COMPARE(resolved.size(), 1);
    QCOMPARE(resolved.first().at(1).value<ApprovalOutcome>(), ApprovalOutcome::Approved);
    QCOMPARE(inbox.count(), 0);
    QCOMPARE(removed.first().at(2).value<ApprovalOutcome>(), ApprovalOutcome::Approved);
    const auto stored = m_fixture->gateway().broker().approval(record.requestId);
    QVERIFY(stored);
    QCOMPARE(stored->state, gateway::ApprovalState::Approved);
    QCOMPARE(stored->resolvedByDevice, pairing->profile.deviceId);
}

void TestAppGatewayClient::wrongTotpCodeReportsAttemptsLeft()
{
    const Totp totp = m_fixture->enrollTotp();
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy accepted(client.get(), &GatewayClient::proofAccepted);
    QSignalSpy refused(client.get(), &GatewayClient::proofRefused);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    const auto record = m_fixture->request();
    QTRY_COMPARE(inbox.count(), 1);

    QVERIFY(client->approveWithTotp(record.requestId, wrongCode(totp, m_fixture->clock())).ok());
    // One proof at a time: the second waits for the gateway's answer.
    QVERIFY(!client->approveWithTotp(record.requestId, wrongCode(totp, m_fixture->clock())).ok());
    QTRY_COMPARE(refused.size(), 1);
    const auto refusal = refused.first().first().value<ProofRefusal>();
    QCOMPARE(refusal.requestId, record.requestId);
    QCOMPARE(refusal.code, ChannelErrorCode::InvalidCode);
    QVERIFY(!refusal.message.isEmpty());
    QVERIFY(refusal.attemptsLeft.has_value());
    QCOMPARE(*refusal.attemptsLeft, 4);
    // Still pending: the person may try again.
    QCOMPARE(inbox.count(), 1);
    QCOMPARE(client->pendingRequests().size(), 1);

    QVERIFY(client->approveWithTotp(record.requestId, totp.code(m_fixture->clock()).value()).ok());
    QTRY_COMPARE(accepted.size(), 1);
    QTRY_COMPARE(inbox.count(), 0);
}

void TestAppGatewayClient::deniesWithReason()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy accepted(client.get(), &GatewayClient::proofAccepted);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    const auto record = m_fixture->request();
    QTRY_COMPARE(inbox.count(), 1);

    QVERIFY(client->deny(record.requestId, QStringLiteral("not what I asked for")).ok());
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(accepted.first().at(1).value<ApprovalOutcome>(), ApprovalOutcome::Denied);
    QTRY_COMPARE(inbox.count(), 0);
    const auto stored = m_fixture->gateway().broker().approval(record.requestId);
    QCOMPARE(stored->state, gateway::ApprovalState::Denied);
    QCOMPARE(stored->reason, QStringLiteral("not what I asked for"));
}

void TestAppGatewayClient::refusesToSendWhatCannotBeRight()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    const auto record = m_fixture->request();
    auto client = makeClient(*pairing);
    // Offline: nothing to send on.
    QVERIFY(!client->deny(record.requestId).ok());
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QCOMPARE(client->pendingRequests().size(), 1);
    QVERIFY(!client->approveWithTotp(QStringLiteral("req_unknown"), QStringLiteral("123456")).ok());
    QVERIFY(!client->approveWithTotp(record.requestId, QStringLiteral("12ab56")).ok());
    QVERIFY(!client->approveWithTotp(record.requestId, QStringLiteral("12345")).ok());
    QVERIFY(!client->deny(record.requestId, QString(501, QLatin1Char('x'))).ok());
    // None of that reached the gateway.
    QCOMPARE(m_fixture->gateway().broker().approval(record.requestId)->state,
             gateway::ApprovalState::Pending);
    QCOMPARE(m_fixture->gateway().broker().approval(record.requestId)->failedAttempts, 0);
}

void TestAppGatewayClient::hearsWhenTheAgentStopsWaiting()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    QSignalSpy waiting(client.get(), &GatewayClient::agentWaitingChanged);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    const auto approval = m_fixture->request();
    QTRY_COMPARE(received.size(), 1);

    gateway::ApprovalBroker &broker = m_fixture->gateway().broker();
    broker.setAgentWaiting(approval.requestId, false);
    QTRY_COMPARE(waiting.size(), 1);
    QCOMPARE(waiting.first().at(0).toString(), approval.requestId);
    QCOMPARE(waiting.first().at(1).toBool(), false);
    // Only changes are sent; a request the client does not hold is ignored.
    broker.setAgentWaiting(approval.requestId, false);
    broker.setAgentWaiting(QStringLiteral("req_unknown"), false);
    broker.setAgentWaiting(approval.requestId, true);
    // Messages arrive in order: had the repeat been sent, the second signal
    // would say false.
    QTRY_COMPARE(waiting.size(), 2);
    QCOMPARE(waiting.at(1).at(1).toBool(), true);
}

void TestAppGatewayClient::resolutionElsewhereRemovesFromInbox()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto otherDevice = m_fixture->pairedCompanion();
    QVERIFY(otherDevice && otherDevice->connectChannel());
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy removed(&inbox, &ApprovalInbox::removed);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));

    // Denied on another device of the same person.
    const auto denied = m_fixture->request();
    QTRY_COMPARE(inbox.count(), 1);
    const auto message = otherDevice->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(message);
    const auto verified = otherDevice->verify(message->value(QStringLiteral("request")).toString());
    QVERIFY(verified.ok());
    otherDevice->deny(verified.value());
    QTRY_COMPARE(inbox.count(), 0);
    QCOMPARE(removed.last().at(1).toString(), denied.requestId);
    QCOMPARE(removed.last().at(2).value<ApprovalOutcome>(), ApprovalOutcome::Denied);

    // Cancelled by the gateway (the agent gave up).
    const auto cancelled = m_fixture->request();
    QTRY_COMPARE(inbox.count(), 1);
    QVERIFY(m_fixture->gateway().broker().cancel(cancelled.requestId, QStringLiteral("gave up")));
    QTRY_COMPARE(inbox.count(), 0);
    QCOMPARE(removed.last().at(2).value<ApprovalOutcome>(), ApprovalOutcome::Cancelled);

    // Expired at the gateway.
    const auto expiring = m_fixture->request(QString::fromLatin1(GatewayFixture::user), 30);
    QTRY_COMPARE(inbox.count(), 1);
    m_fixture->clock().advance(31);
    m_fixture->gateway().broker().expireDue();
    QTRY_COMPARE(inbox.count(), 0);
    QCOMPARE(removed.last().at(1).toString(), expiring.requestId);
    QCOMPARE(removed.last().at(2).value<ApprovalOutcome>(), ApprovalOutcome::Expired);
}

void TestAppGatewayClient::reconnectsWithBackoffAndResyncsPending()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    QSignalSpy resolved(client.get(), &GatewayClient::requestResolved);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    const auto vanishing = m_fixture->request();
    const auto staying = m_fixture->request();
    QTRY_COMPARE(inbox.count(), 2);

    m_fixture->stop();
    QTRY_COMPARE(client->state(), State::Offline);
    QVERIFY(!client->lastError().isEmpty());
    // While the gateway is down the client keeps trying, each wait longer.
    QTRY_VERIFY_WITH_TIMEOUT(retries.size() >= 4, 10'000);
    const auto delay = [&retries](qsizetype i) {
        return retries.at(i).first().value<std::chrono::milliseconds>().count();
    };
    for (qsizetype i = 1; i < 4; ++i)
        QVERIFY(delay(i) > delay(i - 1));
    QVERIFY(delay(0) >= 40 && delay(0) <= 60);
    QVERIFY(delay(3) <= 400);
    // Offline is not resolved: the person still sees what waits for them.
    QCOMPARE(inbox.count(), 2);
    QCOMPARE(resolved.size(), 0);

    // Back up; before the client gets a chance to reconnect (this runs
    // without returning to the event loop) one request is cancelled, which
    // the client cannot hear, and a new one arrives.
    QVERIFY(m_fixture->start());
    QVERIFY(m_fixture->gateway().broker().cancel(vanishing.requestId, QStringLiteral("gone")));
    const auto arrived = m_fixture->request();

    QTRY_COMPARE_WITH_TIMEOUT(client->state(), State::Online, 10'000);
    QCOMPARE(resolved.size(), 1);
    QCOMPARE(resolved.first().at(0).toString(), vanishing.requestId);
    QCOMPARE(resolved.first().at(1).value<ApprovalOutcome>(), ApprovalOutcome::Unknown);
    QCOMPARE(inbox.count(), 2);
    QVERIFY(inbox.find(pairing->profile.gatewayId, staying.requestId));
    QVERIFY(inbox.find(pairing->profile.gatewayId, arrived.requestId));
    QVERIFY(!inbox.find(pairing->profile.gatewayId, vanishing.requestId));
    QCOMPARE(client->pendingRequests().size(), 2);
}

namespace {

// `count` pending approvals with `noteBytes` of arguments each for alice:
// more than one 64 KiB welcome holds (the gateway's limits raised for it).
QList<gateway::ApprovalRecord> manyLargeRequests(GatewayFixture &fixture, int count,
                                                 qsizetype noteBytes = 4000)
{
    gateway::ApprovalLimits unlimited;
    unlimited.pendingPerAgent = unlimited.perMinutePerAgent = 1000;
    unlimited.pendingPerUser = unlimited.perMinutePerUser = 1000;
    unlimited.maxSarcBytes = 32 * 1024;
    fixture.gateway().broker().setLimits(unlimited);
    QList<gateway::ApprovalRecord> created;
    for (int i = 0; i < count; ++i) {
        gateway::ApprovalSpec spec;
        spec.sarc = sampleSarc();
        spec.sarc.resource.properties =
            QJsonObject{{QStringLiteral("arguments"),
                         QJsonObject{{QStringLiteral("user"), QStringLiteral("u%1").arg(i)},
                                     {QStringLiteral("note"), QString(noteBytes, u'x')}}}};
        spec.upstream = QStringLiteral("https://directory.example.com/mcp");
        spec.argumentsHash = QByteArray(32, 'a');
        auto approval = fixture.gateway().broker().create(spec);
        if (!approval) {
            qWarning() << approval.error().message;
            return {};
        }
        created.append(approval.value());
    }
    return created;
}

} // namespace

// The issue's flood: 250 pending requests with 15 KiB of arguments each
// (5 MB, more than the 4 MiB welcome the client took before, so the person
// could not act until they expired). Now the welcome holds what fits in
// 64 KiB (all the client accepts), the gateway sends the rest as
// approval.requested, and the client gets every one, once, without
// dropping the connection.
void TestAppGatewayClient::receivesEveryPendingRequestBeyondOneWelcome()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    const auto created = manyLargeRequests(*m_fixture, 250, 15 * 1024);
    QCOMPARE(created.size(), 250);
    auto client = makeClient(*pairing);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    QSignalSpy resolved(client.get(), &GatewayClient::requestResolved);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 250, 30'000);
    QSet<QString> ids;
    for (const auto &args : std::as_const(received))
        ids.insert(args.first().value<VerifiedApprovalRequest>().request.requestId);
    QSet<QString> expected;
    for (const gateway::ApprovalRecord &approval : created)
        expected.insert(approval.requestId);
    QCOMPARE(ids, expected);
    QCOMPARE(retries.size(), 0);
    QCOMPARE(resolved.size(), 0);
    QCOMPARE(client->state(), State::Online);
}

// Reconnecting with 200 held and a partial welcome: the requests still
// pending stay (no resolve-and-arrive again), the one cancelled while the
// client was away goes once the rest has arrived.
void TestAppGatewayClient::partialWelcomeResyncsOnceTheRestArrived()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    QSignalSpy resolved(client.get(), &GatewayClient::requestResolved);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    const auto created = manyLargeRequests(*m_fixture, 200);
    QCOMPARE(created.size(), 200);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 200, 20'000);

    m_fixture->stop();
    QTRY_COMPARE(client->state(), State::Offline);
    QVERIFY(m_fixture->start());
    const QString vanishing = created.constLast().requestId; // past the welcome
    QVERIFY(m_fixture->gateway().broker().cancel(vanishing, QStringLiteral("gone")));
    QTRY_COMPARE_WITH_TIMEOUT(client->state(), State::Online, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(resolved.size(), 1, 20'000);
    QCOMPARE(resolved.first().at(0).toString(), vanishing);
    QCOMPARE(client->pendingRequests().size(), 199);
    QCOMPARE(received.size(), 200); // nothing arrived twice
}

void TestAppGatewayClient::revokedDeviceDoesNotReconnect()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    m_fixture->request();
    QTRY_COMPARE(inbox.count(), 1);

    const QString deviceId = pairing->profile.deviceId;
    QVERIFY(m_fixture->gateway().store().revokeDevice(deviceId,
                                                      m_fixture->clock().secondsSinceEpoch()));
    QVERIFY(gateway::ControlSocket::notifyDeviceRevoked(m_fixture->dataDir(), deviceId));
    QTRY_COMPARE(client->state(), State::Revoked);
    // A reconnection would have been scheduled in the same step as the
    // state change; none was, so there is no loop to wait out.
    QCOMPARE(retries.size(), 0);
    QVERIFY(client->lastError().contains(QStringLiteral("revoked")));
    // A revoked device can answer nothing: its requests leave the inbox.
    QCOMPARE(inbox.count(), 0);
    QVERIFY(client->pendingRequests().isEmpty());
    // The edge closes on its I/O thread and reports the end to the hub with
    // a queued call, which may come after the client has read the close.
    QTRY_VERIFY(!m_fixture->gateway().hub().isConnected(deviceId));
}

void TestAppGatewayClient::revokedAtConnectStaysRevoked()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    QVERIFY(m_fixture->gateway().store().revokeDevice(pairing->profile.deviceId,
                                                      m_fixture->clock().secondsSinceEpoch()));
    auto client = makeClient(*pairing);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    QSignalSpy states(client.get(), &GatewayClient::stateChanged);
    client->start();
    QTRY_COMPARE(client->state(), State::Revoked);
    QCOMPARE(retries.size(), 0);
    // The person pressed "retry": one more attempt, the same answer.
    client->start();
    QTRY_COMPARE(states.size(), 4); // Connecting, Revoked, Connecting, Revoked
    QCOMPARE(client->state(), State::Revoked);
    QCOMPARE(retries.size(), 0);
}

void TestAppGatewayClient::unknownDeviceIsRefusedWithoutRetry()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    pairing->profile.deviceId = QStringLiteral("dev_not_paired_here");
    auto client = makeClient(*pairing);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_COMPARE(client->state(), State::Refused);
    QCOMPARE(retries.size(), 0);
    QVERIFY(client->lastError().contains(QStringLiteral("unknown device")));
}

void TestAppGatewayClient::replacedConnectionIsNotFoughtOver()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    // Another program holding this device's key connects as this device.
    QVERIFY(pairing->companion->connectChannel());
    QTRY_COMPARE(client->state(), State::Refused);
    QCOMPARE(retries.size(), 0);
    QVERIFY(client->lastError().contains(QStringLiteral("replaced")));
}

void TestAppGatewayClient::stopDisconnectsAndForgetsPending()
{
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    m_fixture->request();
    auto client = makeClient(*pairing);
    ApprovalInbox inbox(m_fixture->clock());
    inbox.addClient(client.get());
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QCOMPARE(inbox.count(), 1);
    client->stop();
    QCOMPARE(inbox.count(), 0);
    QTRY_COMPARE(client->state(), State::Offline);
    QTRY_VERIFY(!m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    QCOMPARE(retries.size(), 0);
    QVERIFY(client->lastError().isEmpty());

    // And a destroyed client takes its gateway's entries with it.
    client->start();
    QTRY_COMPARE(inbox.count(), 1);
    client.reset();
    QCOMPARE(inbox.count(), 0);
}

void TestAppGatewayClient::invalidProfileNeverConnects_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    const QString url = QStringLiteral("url");
    QTest::newRow("plain http to a remote host") << url << QStringLiteral("http://gw.example.com");
    QTest::newRow("another scheme") << url << QStringLiteral("ftp://127.0.0.1");
    QTest::newRow("user info") << url << QStringLiteral("https://me@gw.example.com");
    QTest::newRow("pin without TLS")
        << QStringLiteral("spki") << QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    QTest::newRow("pin of the wrong size") << QStringLiteral("spki") << QStringLiteral("AAAA");
    QTest::newRow("no gateway key") << QStringLiteral("key") << QString();
    QTest::newRow("no device id") << QStringLiteral("device") << QString();
}

void TestAppGatewayClient::invalidProfileNeverConnects()
{
    QFETCH(QString, field);
    QFETCH(QString, value);
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    if (field == u"url")
        pairing->profile.baseUrl = QUrl(value);
    else if (field == u"spki")
        pairing->profile.spkiPin = value;
    else if (field == u"key")
        pairing->profile.gatewayKey = QJsonObject();
    else
        pairing->profile.deviceId = value;
    auto client = makeClient(*pairing);
    QCOMPARE(client->state(), State::Refused);
    QVERIFY(!client->lastError().isEmpty());
    QSignalSpy states(client.get(), &GatewayClient::stateChanged);
    client->start();
    QCOMPARE(client->state(), State::Refused);
    QCOMPARE(states.size(), 0);
}

void TestAppGatewayClient::hostileGatewayIsDisconnected_data()
{
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("expectedError");
    const QString malformed = QStringLiteral("malformed");
    QTest::newRow("not JSON") << QStringLiteral("{nope") << malformed;
    QTest::newRow("duplicate members")
        << QStringLiteral(R"({"type":"hello","type":"welcome"})") << malformed;
    QTest::newRow("welcome before auth")
        << QStringLiteral(R"({"type":"welcome","pending":[]})") << QStringLiteral("hello");
    QTest::newRow("short nonce") << QStringLiteral(
        R"({"type":"hello","v":1,"gateway_id":"%1","nonce":"AAAA"})")
                                 << QStringLiteral("nonce");
    QTest::newRow("other version")
        << QStringLiteral(R"({"type":"hello","v":2,"gateway_id":"%1","nonce":"%2"})")
        << QStringLiteral("version");
    // Over even the welcome's allowance.
    QTest::newRow("oversized") << QString() << QStringLiteral("1009");
}

// A server that speaks WebSocket but not the protocol: whatever it says
// first, the client hangs up and tries again later, and never goes Online.
void TestAppGatewayClient::hostileGatewayIsDisconnected()
{
    QFETCH(QString, message);
    QFETCH(QString, expectedError);
    QWebSocketServer server(QStringLiteral("hostile"), QWebSocketServer::NonSecureMode);
    QVERIFY(server.listen(QHostAddress::LocalHost));
    const QString gatewayId = QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort());
    if (message.isEmpty()) {
        message = QStringLiteral(R"({"type":"hello","pad":"%1"})")
                      .arg(QString(GatewayClient::maxWelcomeBytes, QLatin1Char('x')));
    }
    message = message.replace(QStringLiteral("%1"), gatewayId)
                  .replace(QStringLiteral("%2"), QString(43, QLatin1Char('A')));
    std::vector<std::unique_ptr<QWebSocket>> peers;
    connect(&server, &QWebSocketServer::newConnection, this, [&] {
        std::unique_ptr<QWebSocket> peer(server.nextPendingConnection());
        peer->sendTextMessage(message);
        peers.push_back(std::move(peer));
    });

    GatewayProfile profile;
    profile.gatewayId = gatewayId;
    profile.name = QStringLiteral("Hostile");
    profile.baseUrl = QUrl(gatewayId);
    profile.deviceId = QStringLiteral("dev_1");
    profile.userId = QString::fromLatin1(GatewayFixture::user);
    profile.gatewayKey = EcPrivateKey::generate().value().publicKey().toJwk();
    GatewayClient client(profile, EcPrivateKey::generate().value(), m_fixture->clock(),
                         fastTimings());
    QSignalSpy retries(&client, &GatewayClient::reconnectScheduled);
    QSignalSpy states(&client, &GatewayClient::stateChanged);
    client.start();
    QTRY_VERIFY(retries.size() >= 2);
    for (const auto &args : std::as_const(states))
        QVERIFY(args.first().value<State>() != State::Online);
    QVERIFY2(client.lastError().contains(expectedError, Qt::CaseInsensitive),
             qPrintable(client.lastError()));
}

void TestAppGatewayClient::handshakeTimeoutRetries()
{
    // A server that upgrades the connection and then says nothing.
    QWebSocketServer server(QStringLiteral("silent"), QWebSocketServer::NonSecureMode);
    QVERIFY(server.listen(QHostAddress::LocalHost));
    std::vector<std::unique_ptr<QWebSocket>> peers;
    connect(&server, &QWebSocketServer::newConnection, this,
            [&] { peers.emplace_back(server.nextPendingConnection()); });
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    pairing->profile.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort()));
    GatewayClientTimings timings = fastTimings();
    timings.handshakeTimeout = std::chrono::milliseconds(200);
    auto client = makeClient(*pairing, timings);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    client->start();
    QTRY_VERIFY(retries.size() >= 2);
    QVERIFY(client->lastError().contains(QStringLiteral("handshake")));
    QVERIFY(peers.size() >= 2);
}

namespace {

std::unique_ptr<GatewayFixture> tlsFixture()
{
    const QString data = QStringLiteral(COUNTERSIGN_TLS_DATA_DIR);
    const QString yaml = QStringLiteral("listen: 127.0.0.1:0\nname: TLS gateway\n"
                                        "tls:\n  certificate: %1/ec-cert.pem\n"
                                        "  private_key: %1/ec-key.pem\n"
                                        "users: [alice@example.com]\n")
                             .arg(data);
    return std::make_unique<GatewayFixture>(gateway::ChannelTimings{}, yaml.toUtf8());
}

QString certificatePin()
{
    QFile pem(QStringLiteral(COUNTERSIGN_TLS_DATA_DIR) + QStringLiteral("/ec-cert.pem"));
    if (!pem.open(QIODevice::ReadOnly))
        return {};
    return spkiPin(QSslCertificate(pem.readAll()));
}

} // namespace

void TestAppGatewayClient::connectsOverTlsWithPinnedKey()
{
    if (!QSslSocket::supportsSsl())
        QFAIL("Qt has no TLS backend: install the OpenSSL 3 runtime (libssl3)");
    m_fixture = tlsFixture();
    QVERIFY(m_fixture->start());
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    QCOMPARE(pairing->profile.baseUrl.scheme(), QStringLiteral("https"));
    pairing->profile.spkiPin = certificatePin();
    QVERIFY(!pairing->profile.spkiPin.isEmpty());
    auto client = makeClient(*pairing);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    client->start();
    QTRY_COMPARE_WITH_TIMEOUT(client->state(), State::Online, 10'000);
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
    m_fixture->request();
    QTRY_COMPARE(received.size(), 1);
}

void TestAppGatewayClient::refusesTlsKeyThatDoesNotMatchPin()
{
    if (!QSslSocket::supportsSsl())
        QFAIL("Qt has no TLS backend: install the OpenSSL 3 runtime (libssl3)");
    m_fixture = tlsFixture();
    QVERIFY(m_fixture->start());
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    // The pin of another key: what a man in the middle's certificate gives.
    pairing->profile.spkiPin = QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    auto client = makeClient(*pairing);
    QSignalSpy retries(client.get(), &GatewayClient::reconnectScheduled);
    QSignalSpy states(client.get(), &GatewayClient::stateChanged);
    client->start();
    QTRY_VERIFY_WITH_TIMEOUT(retries.size() >= 2, 10'000);
    for (const auto &args : std::as_const(states))
        QVERIFY(args.first().value<State>() != State::Online);
    QVERIFY2(client->lastError().contains(QStringLiteral("pinned")),
             qPrintable(client->lastError()));
    QVERIFY(!m_fixture->gateway().hub().isConnected(pairing->profile.deviceId));
}

QString TestAppGatewayClient::freshCode(const Totp &totp)
{
    m_fixture->clock().advance(totp.period());
    return totp.codeAt(m_fixture->clock().secondsSinceEpoch()).value();
}

void TestAppGatewayClient::registersPasskeyAndFollowsContext()
{
    const Totp totp = m_fixture->enrollTotp();
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    QSignalSpy changed(client.get(), &GatewayClient::passkeysChanged);
    QSignalSpy refused(client.get(), &GatewayClient::passkeyRefused);
    QSignalSpy announced(client.get(), &GatewayClient::passkeyChangeAnnounced);
    QVERIFY(client->passkeyRegistrationChallenge().isEmpty());
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    QCOMPARE(changed.size(), 1);
    const auto context = client->passkeyContext();
    QVERIFY(context);
    QCOMPARE(context->rpId, QStringLiteral("127.0.0.1"));
    QCOMPARE(context->userName, pairing->profile.userId);
    QCOMPARE(context->userHandle.size(), 32);
    QVERIFY(context->credentials.isEmpty());

    const QString challenge = client->passkeyRegistrationChallenge();
    QCOMPARE(base64UrlDecode(challenge.toLatin1()).value().size(), 32);
    TestPasskey key(context->rpId);
    const auto evidence =
        registrationEvidence(key.registration(challenge, pairing->profile.gatewayId));
    // What the gateway will check: the client data the authenticator signed.
    QCOMPARE(evidence.clientDataJson,
             webAuthnRegistrationClientData(challenge, pairing->profile.gatewayId));
    QVERIFY(!client->registerPasskey(QStringLiteral(" "), evidence, freshCode(totp)).ok());
    QVERIFY(
        !client->registerPasskey(QStringLiteral("bad\u202ename"), evidence, freshCode(totp)).ok());
    // Without the authenticator app's code (or with something else) it is
    // refused before anything is sent.
    QVERIFY(!client->registerPasskey(QStringLiteral("YubiKey 5"), evidence, QString()).ok());
    QVERIFY(
        !client->registerPasskey(QStringLiteral("YubiKey 5"), evidence, QStringLiteral("12a456"))
             .ok());
    QVERIFY(!client->registerPasskey(QStringLiteral("YubiKey 5"), evidence, QStringLiteral("12345"))
                 .ok());
    const auto sent =
        client->registerPasskey(QStringLiteral("YubiKey 5"), evidence, freshCode(totp));
    QVERIFY2(sent.ok(), sent.ok() ? "" : qPrintable(sent.error().message));
    QTRY_COMPARE(changed.size(), 2);
    const auto after = changed.last().at(0).value<PasskeyContext>();
    QCOMPARE(after.credentials.size(), 1);
    QCOMPARE(after.credentials.first().credentialId, key.credentialId());
    QCOMPARE(after.credentials.first().name, QStringLiteral("YubiKey 5"));
    QCOMPARE(client->passkeyContext(), std::optional(after));
    // The gateway says what changed and from where, for the notice.
    QCOMPARE(announced.size(), 1);
    const auto added = announced.first().at(0).value<channel::PasskeyChange>();
    QCOMPARE(added.action, QStringLiteral("added"));
    QCOMPARE(added.name, QStringLiteral("YubiKey 5"));
    QCOMPARE(added.device, m_fixture->gateway().store().device(pairing->profile.deviceId)->name);

    QVERIFY(client->registerPasskey(QStringLiteral("again"), evidence, freshCode(totp)).ok());
    QTRY_COMPARE(refused.size(), 1);
    QCOMPARE(refused.first().at(0).value<PasskeyRefusal>().code, ChannelErrorCode::PasskeyExists);

    // A code the gateway does not take is its refusal, with the new code.
    const QString used = freshCode(totp);
    QVERIFY(client->registerPasskey(QStringLiteral("again"), evidence, used).ok());
    QTRY_COMPARE(refused.size(), 2);
    QVERIFY(client->removePasskey(key.credentialId(), used).ok());
    QTRY_COMPARE(refused.size(), 3);
    QCOMPARE(refused.last().at(0).value<PasskeyRefusal>().code, ChannelErrorCode::InvalidFactor);

    // Unknown ids are refused locally; a known one is removed.
    QVERIFY(!client->removePasskey(QByteArray(16, 'x'), freshCode(totp)).ok());
    QVERIFY(!client->removePasskey(key.credentialId(), QString()).ok());
    QVERIFY(client->removePasskey(key.credentialId(), freshCode(totp)).ok());
    QTRY_COMPARE(changed.size(), 3);
    QVERIFY(client->passkeyContext()->credentials.isEmpty());
    QTRY_COMPARE(announced.size(), 2);
    QCOMPARE(announced.last().at(0).value<channel::PasskeyChange>().action,
             QStringLiteral("removed"));

    // Offline, there is no context and nothing is sent.
    client->stop();
    QTRY_COMPARE(client->state(), State::Offline);
    QVERIFY(!client->passkeyContext());
    QVERIFY(!client->registerPasskey(QStringLiteral("YubiKey 5"), evidence, freshCode(totp)).ok());
}

void TestAppGatewayClient::approvesWithPasskey()
{
    const Totp totp = m_fixture->enrollTotp();
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    QSignalSpy changed(client.get(), &GatewayClient::passkeysChanged);
    QSignalSpy accepted(client.get(), &GatewayClient::proofAccepted);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    TestPasskey key(client->passkeyContext()->rpId);
    QVERIFY(client
                ->registerPasskey(
                    QStringLiteral("YubiKey 5"),
                    registrationEvidence(key.registration(client->passkeyRegistrationChallenge(),
                                                          pairing->profile.gatewayId)),
                    freshCode(totp))
                .ok());
    QTRY_COMPARE(changed.size(), 2);

    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.methods = {ApprovalMethod::Passkey};
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    spec.userVerificationRequired = true;
    const auto record = m_fixture->gateway().broker().create(spec).value();
    QTRY_COMPARE(received.size(), 1);
    const auto request = received.first().at(0).value<VerifiedApprovalRequest>();

    auto evidence = assertionEvidence(
        key.assertion(request.requestHash, pairing->profile.gatewayId, {true, true}));
    QCOMPARE(evidence.clientDataJson,
             webAuthnAssertionClientData(request.requestHash, pairing->profile.gatewayId));
    const auto sent = client->approveWithPasskey(record.requestId, evidence);
    QVERIFY2(sent.ok(), sent.ok() ? "" : qPrintable(sent.error().message));
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(accepted.first().at(1).value<ApprovalOutcome>(), ApprovalOutcome::Approved);
    const auto stored = m_fixture->gateway().broker().approval(record.requestId);
    QCOMPARE(stored->resolvedMethod, std::optional(ApprovalMethod::Passkey));
    QVERIFY(stored->userVerified);
}

void TestAppGatewayClient::refusesPasskeyEvidenceThatCannotBeRight()
{
    const Totp totp = m_fixture->enrollTotp();
    auto pairing = pair(*m_fixture);
    QVERIFY(pairing);
    auto client = makeClient(*pairing);
    QSignalSpy changed(client.get(), &GatewayClient::passkeysChanged);
    QSignalSpy received(client.get(), &GatewayClient::requestReceived);
    client->start();
    QTRY_COMPARE(client->state(), State::Online);
    TestPasskey key(client->passkeyContext()->rpId);
    // Client data for another challenge: refused before it is sent.
    QVERIFY(!client
                 ->registerPasskey(QStringLiteral("YubiKey 5"),
                                   registrationEvidence(key.registration(
                                       QStringLiteral("AAAA"), pairing->profile.gatewayId)),
                                   freshCode(totp))
                 .ok());
    QVERIFY(client
                ->registerPasskey(
                    QStringLiteral("YubiKey 5"),
                    registrationEvidence(key.registration(client->passkeyRegistrationChallenge(),
                                                          pairing->profile.gatewayId)),
                    freshCode(totp))
                .ok());
    QTRY_COMPARE(changed.size(), 2);

    const auto totpOnly = m_fixture->request(); // methods: totp
    QTRY_COMPARE(received.size(), 1);
    const auto totpRequest = received.first().at(0).value<VerifiedApprovalRequest>();
    QVERIFY(!client
                 ->approveWithPasskey(totpOnly.requestId,
                                      assertionEvidence(key.assertion(totpRequest.requestHash,
                                                                      pairing->profile.gatewayId)))
                 .ok());

    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.methods = {ApprovalMethod::Passkey};
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    const auto record = m_fixture->gateway().broker().create(spec).value();
    QTRY_COMPARE(received.size(), 2);
    const auto request = received.last().at(0).value<VerifiedApprovalRequest>();
    // Signed over the other request's hash.
    QVERIFY(!client
                 ->approveWithPasskey(record.requestId,
                                      assertionEvidence(key.assertion(totpRequest.requestHash,
                                                                      pairing->profile.gatewayId)))
                 .ok());
    // For another origin.
    QVERIFY(!client
                 ->approveWithPasskey(record.requestId,
                                      assertionEvidence(key.assertion(
                                          request.requestHash, QStringLiteral("https://evil"))))
                 .ok());
    // A key the gateway does not list.
    TestPasskey stranger(client->passkeyContext()->rpId);
    QVERIFY(!client
                 ->approveWithPasskey(record.requestId,
                                      assertionEvidence(stranger.assertion(
                                          request.requestHash, pairing->profile.gatewayId)))
                 .ok());
    QCOMPARE(m_fixture->gateway().broker().approval(record.requestId)->state,
             gateway::ApprovalState::Pending);
}

void TestAppGatewayClient::ignoresMalformedPasskeyContext_data()
{
    QTest::addColumn<QJsonValue>("passkey");
    const QJsonObject good{{QStringLiteral("rp_id"), QStringLiteral("127.0.0.1")},
                           {QStringLiteral("user_handle"), randomToken(32)},
                           {QStringLiteral("user_name"), QString::fromLatin1(GatewayFixture::user)},
                           {QStringLiteral("credentials"), QJsonArray()}};
    auto with = [&](const QString &key, const QJsonValue &value) {
        QJsonObject copy = good;
        copy.insert(key, value);
        return copy;
    };
    const QJsonObject credential{{QStringLiteral("credential_id"), randomToken(16)},
                                 {QStringLiteral("name"), QStringLiteral("key")},
                                 {QStringLiteral("created"), 1},
                                 {QStringLiteral("user_verification"), false}};
    auto withCredential = [&](const QString &key, const QJsonValue &value) {
        QJsonObject copy = credential;
        copy.insert(key, value);
        return with(QStringLiteral("credentials"), QJsonArray{copy});
    };
    QJsonArray eleven;
    for (int i = 0; i < 11; ++i) {
        QJsonObject copy = credential;
        copy.insert(QStringLiteral("credential_id"), randomToken(16));
        eleven.append(copy);
    }
    QTest::newRow("not an object") << QJsonValue(QStringLiteral("passkey"));
    QTest::newRow("rp_id upper case")
        << QJsonValue(with(QStringLiteral("rp_id"), QStringLiteral("GW.example")));
    QTest::newRow("rp_id with a path")
        << QJsonValue(with(QStringLiteral("rp_id"), QStringLiteral("gw/x")));
    QTest::newRow("user_handle 15 bytes")
        << QJsonValue(with(QStringLiteral("user_handle"), randomToken(15)));
    QTest::newRow("user_handle 65 bytes")
        << QJsonValue(with(QStringLiteral("user_handle"), randomToken(65)));
    QTest::newRow("user_handle padded") << QJsonValue(
        with(QStringLiteral("user_handle"), QString(randomToken(16) + QStringLiteral("=="))));
    QTest::newRow("another user") << QJsonValue(
        with(QStringLiteral("user_name"), QStringLiteral("bob@example.com")));
    QTest::newRow("eleven credentials") << QJsonValue(with(QStringLiteral("credentials"), eleven));
    QTest::newRow("credential id not base64url")
        << QJsonValue(withCredential(QStringLiteral("credential_id"), QStringLiteral("a+b/")));
    QTest::newRow("credential name with bidi override")
        << QJsonValue(withCredential(QStringLiteral("name"), QStringLiteral("a\u202eb")));
    QTest::newRow("credential name empty")
        << QJsonValue(withCredential(QStringLiteral("name"), QString()));
    QTest::newRow("user_verification not a boolean")
        << QJsonValue(withCredential(QStringLiteral("user_verification"), 1));
    QTest::newRow("credential twice")
        << QJsonValue(with(QStringLiteral("credentials"), QJsonArray{credential, credential}));
}

void TestAppGatewayClient::ignoresMalformedPasskeyContext()
{
    QFETCH(QJsonValue, passkey);
    FakeGateway fake;
    fake.passkey = passkey;
    GatewayClient client(fake.profile(), EcPrivateKey::generate().value(), m_fixture->clock(),
                         fastTimings());
    QSignalSpy changed(&client, &GatewayClient::passkeysChanged);
    client.start();
    // The connection stays: TOTP and denials need no passkey context.
    QTRY_COMPARE(client.state(), State::Online);
    QVERIFY(!client.passkeyContext());
    QCOMPARE(changed.size(), 0);
}

QTEST_GUILESS_MAIN(TestAppGatewayClient)
#include "test_app_gatewayclient.moc"
