#include "app/appid.h"
#include "app/companion.h"
#include "protocol/base64url.h"
#include "protocol/messages/bindingcode.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/gateway/webauthn/testpasskey.h"
#include "tests/support/memorysecretstore.h"
#include "tests/support/samplemessages.h"

#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace countersign;
using namespace countersign::testing;
using Kind = RequestEvent::Kind;

namespace {

QByteArray decoded(const QJsonObject &object, const char *member)
{
    return base64UrlDecode(object.value(QLatin1StringView(member)).toString().toLatin1()).value();
}

// A security key in software at the Authenticator interface: it makes a
// TestPasskey credential when asked to register and signs with it when asked
// to assert, answering from the event loop as a real key's thread does.
class FakeAuthenticator final : public Authenticator {
public:
    void refreshDevices() override {}
    QList<AuthenticatorDevice> devices() const override { return {}; }
    void selectDevice(const QString &) override {}
    void setPin(const QString &) override {}
    void cancel() override { ++cancels; }
    bool isBusy() const override { return m_busy; }
    State state() const override { return m_busy ? State::TouchKey : State::Idle; }

    void registerCredential(const RegistrationOptions &options) override
    {
        m_key = std::make_unique<TestPasskey>(options.rpId);
        const QJsonObject credential = m_key->registration(options.challenge, options.origin);
        RegistrationResult result;
        result.credentialId = decoded(credential, "credential_id");
        result.clientDataJson = decoded(credential, "client_data_json");
        result.authenticatorData = decoded(credential, "authenticator_data");
        result.fmt = credential.value(QStringLiteral("fmt")).toString();
        result.attestationSignature = decoded(credential, "attestation_signature");
        result.deviceName = QStringLiteral("Fake key");
        answer([this, result] { Q_EMIT registered(result); });
    }

    void getAssertion(const AssertionOptions &options) override
    {
        lastAssertion = options;
        const QJsonObject evidence =
            m_key->assertion(options.requestHash, options.origin, TestPasskey::Flags{true, true});
        AssertionResult result;
        result.credentialId = decoded(evidence, "credential_id");
        result.authenticatorData = decoded(evidence, "authenticator_data");
        result.clientDataJson = decoded(evidence, "client_data_json");
        result.signature = decoded(evidence, "signature");
        result.userVerified = true;
        answer([this, result] { Q_EMIT asserted(result); });
    }

    QByteArray credentialId() const { return m_key ? m_key->credentialId() : QByteArray(); }

    std::optional<AssertionOptions> lastAssertion;
    int cancels = 0;

private:
    // "Touch your key", then the result, both later.
    void answer(std::function<void()> result)
    {
        m_busy = true;
        QTimer::singleShot(0, this, [this, result] {
            Q_EMIT stateChanged(State::TouchKey);
            m_busy = false;
            result();
        });
    }

    bool m_busy = false;
    std::unique_ptr<TestPasskey> m_key;
};

class RecordingNotifier final : public Notifier {
public:
    void notify(const QString &title, const QString &body, const QString &id) override
    {
        shown.append(id);
        texts.append(title + u'\n' + body);
    }
    void close(const QString &id) override { closed.append(id); }
    QStringList shown;
    QStringList texts; // title, a newline, body
    QStringList closed;
};

} // namespace

// The Companion service without widgets and without a keyring: a real
// gateway on loopback (GatewayFixture), the device key in a MemorySecretStore,
// the history in a temporary SQLite file. The test plays the person through
// the Companion's calls and reads what happens from its request events.
class TestAppCompanion : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void requestArrivesAsAnEvent();
    void approveWithCodeEndsInHistory();
    void wrongCodeIsRejectedWithAttemptsLeft();
    void denyEndsInHistory();
    void resolvedElsewhere();
    void notificationOnlyAsksToOpen();
    void notificationNamesWhoAndWhatButNoArgumentsOrCode();
    void registersAndApprovesWithPasskey();
    void heldAgentIsOneNoticeUpdatedInPlace();

private:
    RequestKey waitForArrival(const gateway::ApprovalRecord &approval);
    // The events of one request, in order.
    QList<RequestEvent> eventsOf(const RequestKey &request) const;
    bool hasEvent(const RequestKey &request, Kind kind) const;
    // The outcome its Resolved event named.
    ApprovalOutcome resolution(const RequestKey &request) const;

    QTemporaryDir m_dir;
    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<MemorySecretStore> m_secrets;
    std::unique_ptr<PairedGateways> m_gateways;
    std::unique_ptr<History> m_history;
    std::unique_ptr<RecordingNotifier> m_notifier;
    std::unique_ptr<FakeAuthenticator> m_authenticator;
    std::unique_ptr<Companion> m_companion;
    std::unique_ptr<QSignalSpy> m_events;
    std::optional<Totp> m_totp;
    QString m_gatewayId;
};

void TestAppCompanion::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.path());
}

void TestAppCompanion::init()
{
    QSettings(AppId::organizationName(), AppId::applicationName()).clear();
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
    m_totp = m_fixture->enrollTotp();
    m_secrets = std::make_unique<MemorySecretStore>();
    m_gateways = std::make_unique<PairedGateways>(*m_secrets);

    // What pairing leaves behind: the profile and the device key.
    const auto paired = m_fixture->pairedCompanion();
    QVERIFY(paired);
    GatewayProfile profile;
    profile.gatewayId = m_fixture->gateway().publicUrl().toString(QUrl::FullyEncoded);
    profile.name = m_fixture->config().name;
    profile.baseUrl = m_fixture->gateway().publicUrl();
    profile.deviceId = paired->deviceId();
    profile.userId = QString::fromLatin1(GatewayFixture::user);
    profile.gatewayKey = m_fixture->gateway().signingKey().toJwk();
    m_secrets->put(SecretStore::deviceKeyName(profile.gatewayId), paired->deviceKey().toPkcs8Der());
    QVERIFY(m_gateways->save(profile).ok());
    m_gatewayId = profile.gatewayId;

    m_history = std::make_unique<History>(m_dir.filePath(QStringLiteral("history.sqlite")));
    m_notifier = std::make_unique<RecordingNotifier>();
    m_authenticator = std::make_unique<FakeAuthenticator>();
    m_companion = std::make_unique<Companion>(*m_gateways, *m_secrets, *m_history, m_notifier.get(),
                                              m_fixture->clock(), m_authenticator.get());
    m_events = std::make_unique<QSignalSpy>(m_companion.get(), &Companion::requestChanged);
    m_companion->start();
    QTRY_COMPARE_WITH_TIMEOUT(m_companion->summary().connectedGateways, 1, 15000);
}

void TestAppCompanion::cleanup()
{
    m_events.reset();
    m_companion.reset();
    m_authenticator.reset();
    m_notifier.reset();
    QSettings(AppId::organizationName(), AppId::applicationName()).clear();
    m_gateways.reset();
    m_secrets.reset();
    m_fixture.reset();
    if (m_history)
        QFile::remove(m_history->filePath());
    m_history.reset();
}

QList<RequestEvent> TestAppCompanion::eventsOf(const RequestKey &request) const
{
    QList<RequestEvent> events;
    for (const QList<QVariant> &arguments : std::as_const(*m_events)) {
        if (arguments.at(0).value<RequestKey>() == request)
            events.append(arguments.at(1).value<RequestEvent>());
    }
    return events;
}

bool TestAppCompanion::hasEvent(const RequestKey &request, Kind kind) const
{
    const QList<RequestEvent> events = eventsOf(request);
    return std::any_of(events.begin(), events.end(),
                       [kind](const RequestEvent &event) { return event.kind == kind; });
}

ApprovalOutcome TestAppCompanion::resolution(const RequestKey &request) const
{
    for (const RequestEvent &event : eventsOf(request)) {
        if (event.kind == Kind::Resolved)
            return event.outcome;
    }
    return ApprovalOutcome::Unknown;
}

RequestKey TestAppCompanion::waitForArrival(const gateway::ApprovalRecord &approval)
{
    const RequestKey request{m_gatewayId, approval.requestId};
    (void)QTest::qWaitFor([&] { return hasEvent(request, Kind::Arrived); }, 15000);
    return request;
}

void TestAppCompanion::requestArrivesAsAnEvent()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    const RequestKey request = waitForArrival(approval);
    QVERIFY(hasEvent(request, Kind::Arrived));
    QCOMPARE(eventsOf(request).size(), 1);
    const auto pending = m_companion->find(request);
    QVERIFY(pending);
    QCOMPARE(pending->gatewayName, m_fixture->config().name);
    QCOMPARE(m_companion->summary().pending.size(), 1);
    // No passkey at this gateway yet: only the code is offered.
    QCOMPARE(m_companion->methodsFor(*pending), QList<ApprovalMethod>{ApprovalMethod::Totp});
    QCOMPARE(m_notifier->shown, QStringList{request.notificationId()});
}

void TestAppCompanion::approveWithCodeEndsInHistory()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    const RequestKey request = waitForArrival(approval);
    m_companion->approveWithCode(request, m_totp->code(m_fixture->clock()).value());
    QTRY_VERIFY_WITH_TIMEOUT(hasEvent(request, Kind::Resolved), 15000);
    QVERIFY(hasEvent(request, Kind::Accepted));
    QCOMPARE(resolution(request), ApprovalOutcome::Approved);
    QCOMPARE(m_fixture->gateway().broker().approval(approval.requestId)->state,
             gateway::ApprovalState::Approved);
    QCOMPARE(m_companion->summary().pending.size(), 0);
    QVERIFY(m_notifier->closed.contains(request.notificationId()));
    QCOMPARE(m_history->entries().size(), 1);
    const HistoryEntry entry = m_history->entries().first();
    QCOMPARE(entry.requestId, approval.requestId);
    QCOMPARE(entry.gatewayId, m_gatewayId);
    QCOMPARE(entry.outcome, ApprovalOutcome::Approved);
    QCOMPARE(entry.method, std::optional<ApprovalMethod>(ApprovalMethod::Totp));
    QCOMPARE(entry.action, sampleSarc().action.name);
}

void TestAppCompanion::wrongCodeIsRejectedWithAttemptsLeft()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    const RequestKey request = waitForArrival(approval);
    const QString right = m_totp->code(m_fixture->clock()).value();
    const qint64 now = m_fixture->clock().secondsSinceEpoch();
    const QStringList valid{m_totp->codeAt(now - 30).value(), right,
                            m_totp->codeAt(now + 30).value()};
    QString wrong = QStringLiteral("000000");
    for (int n = 1; valid.contains(wrong); ++n)
        wrong = QStringLiteral("%1").arg(n, 6, 10, QLatin1Char('0'));
    m_companion->approveWithCode(request, wrong);
    QTRY_VERIFY_WITH_TIMEOUT(hasEvent(request, Kind::CodeRejected), 15000);
    QVERIFY(eventsOf(request).last().attemptsLeft > 0);
    QVERIFY(m_companion->find(request)); // still pending: the person may retry
    QCOMPARE(m_history->entries().size(), 0);
}

void TestAppCompanion::denyEndsInHistory()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    const RequestKey request = waitForArrival(approval);
    m_companion->deny(request, QStringLiteral("not now"));
    QTRY_VERIFY_WITH_TIMEOUT(hasEvent(request, Kind::Resolved), 15000);
    QCOMPARE(resolution(request), ApprovalOutcome::Denied);
    QCOMPARE(m_fixture->gateway().broker().approval(approval.requestId)->state,
             gateway::ApprovalState::Denied);
    QCOMPARE(m_history->entries().size(), 1);
    QCOMPARE(m_history->entries().first().outcome, ApprovalOutcome::Denied);
    QVERIFY(!m_history->entries().first().method);
}

void TestAppCompanion::resolvedElsewhere()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    const RequestKey request = waitForArrival(approval);
    QVERIFY(m_fixture->gateway()
                .broker()
                .cancel(approval.requestId, QStringLiteral("agent gave up"))
                .ok());
    QTRY_VERIFY_WITH_TIMEOUT(hasEvent(request, Kind::Resolved), 15000);
    QCOMPARE(resolution(request), ApprovalOutcome::Cancelled);
    QVERIFY(!hasEvent(request, Kind::Accepted)); // this device did not answer
    QVERIFY(!m_companion->find(request));
    QVERIFY(m_notifier->closed.contains(request.notificationId()));
    QCOMPARE(m_history->entries().size(), 1);
    QCOMPARE(m_history->entries().first().outcome, ApprovalOutcome::Cancelled);
    QVERIFY(!m_history->entries().first().method);
    // An answer now is not delivered, and says so.
    m_companion->approveWithCode(request, m_totp->code(m_fixture->clock()).value());
    QCOMPARE(eventsOf(request).last().kind, Kind::NotDelivered);
}

void TestAppCompanion::notificationOnlyAsksToOpen()
{
    const gateway::ApprovalRecord approval = m_fixture->request();
    const RequestKey request = waitForArrival(approval);
    QSignalSpy opened(m_companion.get(), &Companion::openRequested);
    Q_EMIT m_notifier->activated(m_notifier->shown.first());
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.first().first().value<RequestKey>(), request);
    QVERIFY(m_companion->find(request));
    QCOMPARE(m_fixture->gateway().broker().approval(approval.requestId)->state,
             gateway::ApprovalState::Pending);
}

void TestAppCompanion::notificationNamesWhoAndWhatButNoArgumentsOrCode()
{
    // Notifications may show on a locked screen (docs/threat-model.md 5.4):
    // agent, action, resource, user and gateway, nothing more.
    const gateway::ApprovalRecord approval = m_fixture->request();
    waitForArrival(approval);
    QCOMPARE(m_notifier->texts.size(), 1);
    const QString text = m_notifier->texts.constFirst();
    const Sarc sarc = sampleSarc();
    QCOMPARE(text.section(u'\n', 0, 0),
             QStringLiteral("%1 wants to run %2").arg(sarc.subject.agent, sarc.action.name));
    for (const QString &shown : {sarc.resource.id, sarc.subject.id, m_fixture->config().name})
        QVERIFY2(text.contains(shown), qPrintable(text));
    // Not the arguments, the agent's own words, the verified context or the
    // binding code.
    for (const QString &hidden :
         {QStringLiteral("bob"), QStringLiteral("Bob left"), QStringLiteral("s-1"),
          bindingCodeForRequestHash(approval.requestHash)})
        QVERIFY2(!text.contains(hidden), qPrintable(text + QStringLiteral(" has ") + hidden));
}

void TestAppCompanion::registersAndApprovesWithPasskey()
{
    QSignalSpy registration(m_companion.get(), &Companion::passkeyRegistration);
    QSignalSpy notices(m_companion.get(), &Companion::securityNotice);
    // Without the authenticator app's code it does not start: the key is not
    // even asked (protocol 8.2, a paired device alone adds no factor).
    QVERIFY(!m_companion->registerPasskey(m_gatewayId, QStringLiteral("Desk key"), QString()));
    QCOMPARE(registration.size(), 1);
    QVERIFY(registration.last().at(2).toBool());
    QVERIFY(!registration.last().at(3).toBool());
    QVERIFY2(registration.last().at(4).toString().contains(QStringLiteral("code")),
             qPrintable(registration.last().at(4).toString()));
    registration.clear();
    const QString code = m_totp->code(m_fixture->clock()).value();
    QVERIFY(m_companion->registerPasskey(m_gatewayId, QStringLiteral("Desk key"), code));
    // Still busy: a second registration is refused at once.
    QVERIFY(!m_companion->registerPasskey(m_gatewayId, QStringLiteral("again"), code));
    QTRY_VERIFY_WITH_TIMEOUT(!registration.isEmpty() && registration.last().at(2).toBool()
                                 && registration.last().at(0).toString() == m_gatewayId
                                 && registration.last().at(3).toBool(),
                             15000);
    const auto passkeys = m_companion->client(m_gatewayId)->passkeyContext();
    QVERIFY(passkeys && passkeys->hasCredential(m_authenticator->credentialId()));
    // Every device of the user, this one too, is told: a key added by
    // someone else would not go unnoticed.
    QTRY_COMPARE(notices.size(), 1);
    QVERIFY2(notices.first().at(1).toString().contains(QStringLiteral("“Desk key” was added")),
             qPrintable(notices.first().at(1).toString()));

    gateway::ApprovalSpec spec;
    spec.sarc = sampleSarc();
    spec.methods = {ApprovalMethod::Passkey};
    spec.upstream = QStringLiteral("https://directory.example.com/mcp");
    spec.argumentsHash = QByteArray(32, 'a');
    spec.userVerificationRequired = true;
    const auto record = m_fixture->gateway().broker().create(spec).value();
    const RequestKey request = waitForArrival(record);
    QVERIFY(hasEvent(request, Kind::Arrived));
    QCOMPARE(m_companion->methodsFor(*m_companion->find(request)),
             QList<ApprovalMethod>{ApprovalMethod::Passkey});

    m_companion->approveWithPasskey(request);
    QVERIFY(m_authenticator->lastAssertion);
    QCOMPARE(m_authenticator->lastAssertion->requestHash,
             m_companion->find(request)->request.requestHash);
    QTRY_VERIFY_WITH_TIMEOUT(hasEvent(request, Kind::Resolved), 15000);
    QVERIFY(hasEvent(request, Kind::KeyState));
    QVERIFY(hasEvent(request, Kind::KeySent));
    QCOMPARE(resolution(request), ApprovalOutcome::Approved);
    const auto stored = m_fixture->gateway().broker().approval(record.requestId);
    QCOMPARE(stored->resolvedMethod, std::optional(ApprovalMethod::Passkey));
    QCOMPARE(m_history->entries().size(), 1);
    QCOMPARE(m_history->entries().first().method,
             std::optional<ApprovalMethod>(ApprovalMethod::Passkey));
}

// agent.held from the real gateway: one notification per gateway and agent,
// replaced (same id) as the count grows, and opening it opens nothing.
void TestAppCompanion::heldAgentIsOneNoticeUpdatedInPlace()
{
    QSignalSpy held(m_companion.get(), &Companion::agentHeld);
    QSignalSpy opened(m_companion.get(), &Companion::openRequested);
    const qint64 until = m_fixture->clock().secondsSinceEpoch() + 600;
    gateway::ApprovalBroker &broker = m_fixture->gateway().broker();
    Q_EMIT broker.agentHeld(QString::fromLatin1(GatewayFixture::user), QStringLiteral("flooder"), 1,
                            until);
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, 10000);
    Q_EMIT broker.agentHeld(QString::fromLatin1(GatewayFixture::user), QStringLiteral("flooder"), 7,
                            until);
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 2, 10000);
    QCOMPARE(held.at(1).at(0).toString(), m_gatewayId);
    QCOMPARE(held.at(1).at(1).toString(), QStringLiteral("flooder"));
    QCOMPARE(held.at(1).at(2).toLongLong(), 7);
    QCOMPARE(held.at(1).at(3).toLongLong(), until);
    QCOMPARE(m_notifier->shown.size(), 2);
    QCOMPARE(m_notifier->shown.at(0), m_notifier->shown.at(1)); // replaced, not added
    QVERIFY(m_events->isEmpty());                               // no request, no dialog
    Q_EMIT m_notifier->activated(m_notifier->shown.at(0));
    QCOMPARE(opened.size(), 0);
}

QTEST_GUILESS_MAIN(TestAppCompanion)
#include "test_app_companion.moc"
