#include "app/appid.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "platform/keychainsecretstore.h"
#include "protocol/base64url.h"
#include "protocol/tlspin.h"
#include "tests/gateway/integration/gatewayfixture.h"
#include "tests/support/freeport.h"
#include "tests/support/memorysecretstore.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

using namespace countersign;
using namespace countersign::testing;

namespace {

constexpr int timeoutMs = 15'000;
using Kind = PairingFailure::Kind;

// A stand-in for a gateway that answers wrongly: every request, once its body
// has arrived, gets the same canned HTTP response.
class CannedHttpServer : public QObject {
public:
    explicit CannedHttpServer(QByteArray response)
        : m_response(std::move(response))
    {
        if (!m_server.listen(QHostAddress::LocalHost))
            qFatal("canned server: cannot listen");
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection())
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
        });
    }

    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
    }
    int requests() const { return m_requests; }

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        const QByteArray headers = buffer.left(headerEnd).toLower();
        qint64 length = 0;
        if (const qsizetype at = headers.indexOf("content-length:"); at >= 0) {
            QByteArray value = headers.mid(at + 15);
            length = value.left(value.indexOf("\r\n")).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + length)
            return;
        buffer.clear();
        ++m_requests;
        // An empty response: a gateway that accepts and never answers.
        if (m_response.isEmpty())
            return;
        socket->write(m_response);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QByteArray m_response;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    int m_requests = 0;
};

// A keychain that refuses every write, as a locked or missing one does; or,
// with `refusePrefix`, only writes of keys that start with it (a keychain
// that fails between the probe and the device key).
class RefusingSecretStore final : public SecretStore {
public:
    void write(const QString &key, const QByteArray &secret, const QObject *context,
               StatusCallback done) override
    {
        ++writes;
        if (!refusePrefix.isEmpty() && !key.startsWith(refusePrefix)) {
            m_kept.insert(key, secret);
            QTimer::singleShot(0, context, [done] { done(Ok{}); });
            return;
        }
        QTimer::singleShot(0, context, [done] {
            done(makeError(ErrorCode::StorageFailure,
                           QStringLiteral("keychain: no keychain is available")));
        });
    }
    void read(const QString &key, const QObject *context, ReadCallback done) override
    {
        const auto value =
            m_kept.contains(key) ? std::optional(m_kept.value(key)) : std::optional<QByteArray>();
        QTimer::singleShot(0, context, [done, value] { done(value); });
    }
    void remove(const QString &key, const QObject *context, StatusCallback done) override
    {
        m_kept.remove(key);
        QTimer::singleShot(0, context, [done] { done(Ok{}); });
    }

    QString refusePrefix;
    int writes = 0;

private:
    QHash<QString, QByteArray> m_kept;
};

QByteArray httpResponse(int status, const QByteArray &body, const QByteArray &extraHeaders = {})
{
    return "HTTP/1.1 " + QByteArray::number(status)
        + " Canned\r\nContent-Type: application/json\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\nConnection: close\r\n" + extraHeaders + "\r\n"
        + body;
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// The gateway key the canned answers carry and their links name.
const EcPrivateKey &cannedGatewayKey()
{
    static const EcPrivateKey key = EcPrivateKey::generate().value();
    return key;
}

const QString cannedGatewayId = QStringLiteral("https://canned.example");

QJsonObject validAnswer()
{
    return QJsonObject{{QStringLiteral("v"), 1},
                       {QStringLiteral("device_id"), QStringLiteral("dev-1")},
                       {QStringLiteral("user"), QStringLiteral("alice@example.com")},
                       {QStringLiteral("gateway_id"), cannedGatewayId},
                       {QStringLiteral("gateway_name"), QStringLiteral("Canned gateway")},
                       {QStringLiteral("gateway_key"), cannedGatewayKey().publicKey().toJwk()}};
}

PairingLink linkTo(const QUrl &gateway, const QString &kid, const QString &spki = {})
{
    return PairingLink::create(
               PairingLink::Fields{gateway, QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), kid,
                                   spki, QStringLiteral("Linked gateway")})
        .value();
}

QString tlsGatewayYaml()
{
    return QStringLiteral("listen: 127.0.0.1:0\nname: TLS gateway\n"
                          "tls:\n  certificate: %1/ec-cert.pem\n"
                          "  private_key: %1/ec-key.pem\n"
                          "users: [alice@example.com]\n")
        .arg(QStringLiteral(COUNTERSIGN_TLS_DATA_DIR));
}

} // namespace

// PairingClient and PairedGateways against a real gateway on loopback (and a
// canned server for answers no real gateway gives), with device keys going
// to a real Secret Service (tests/support/with-keyring) and settings to a
// temporary directory.
class TestAppPairingClient : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void pairsAndKeepsTheKeyInTheKeychain();
    void refusesUsedCode();
    void refusesExpiredCode();
    void refusesLinkWithWrongKid();
    void reportsUnreachableGateway();
    void reportsGatewayThatDoesNotAnswer();
    void unusableKeychainStopsBeforeTheGateway();
    void reportsKeychainFailure();
    void defaultDeviceNameTellsComputersApart();
    void refusesInvalidDeviceName_data();
    void refusesInvalidDeviceName();
    void pairsOneAtATime();
    void pairsUnderTheDefaultDeviceName();
    void acceptsAnswerWithUnknownMembers();
    void refusesMalformedAnswers_data();
    void refusesMalformedAnswers();
    void pairsOverTlsWithThePin();
    void refusesTlsKeyThatDoesNotMatchThePin();
    void refusesUntrustedCertificateWithoutPin();

    void remembersPairedGatewaysInSettings();
    void replacesRecordWhenPairingAgain();
    void skipsCorruptRecords();
    void unpairRemovesRecordAndKey();

private:
    // How one pairing ended, and how many signals said so.
    struct Outcome {
        std::optional<GatewayProfile> profile;
        std::optional<PairingFailure> failure;
        int signals = 0;
    };

    Outcome pair(const PairingLink &link, const Clock &clock,
                 const QString &deviceName = QStringLiteral("alice-laptop"));
    Outcome pairWithFixture(const QString &deviceName = QStringLiteral("alice-laptop"));
    std::optional<QByteArray> keyInKeychain(const QString &gatewayId);

    QTemporaryDir m_settingsDir;
    SystemClock m_systemClock;
    std::unique_ptr<KeychainSecretStore> m_secrets;
    std::unique_ptr<GatewayFixture> m_fixture;
};

void TestAppPairingClient::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    // Settings of this test never reach the real ones.
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    m_secrets = std::make_unique<KeychainSecretStore>();
}

void TestAppPairingClient::init()
{
    QSettings(AppId::organizationName(), AppId::applicationName()).clear();
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
}

void TestAppPairingClient::cleanup()
{
    m_fixture.reset();
}

TestAppPairingClient::Outcome
TestAppPairingClient::pair(const PairingLink &link, const Clock &clock, const QString &deviceName)
{
    PairingClient client(*m_secrets, clock);
    QSignalSpy succeeded(&client, &PairingClient::succeeded);
    QSignalSpy failed(&client, &PairingClient::failed);
    Outcome outcome;
    if (!client.pair(link, deviceName))
        return outcome;
    (void)QTest::qWaitFor([&] { return succeeded.count() + failed.count() > 0; }, timeoutMs);
    outcome.signals = static_cast<int>(succeeded.count() + failed.count());
    if (!succeeded.isEmpty())
        outcome.profile = succeeded.first().first().value<GatewayProfile>();
    if (!failed.isEmpty())
        outcome.failure = failed.first().first().value<PairingFailure>();
    return outcome;
}

TestAppPairingClient::Outcome TestAppPairingClient::pairWithFixture(const QString &deviceName)
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    if (!offer)
        return {};
    // Through text, as from a QR code or a pasted link.
    return pair(PairingLink::parse(offer->link.toString()).value(), m_fixture->clock(), deviceName);
}

std::optional<QByteArray> TestAppPairingClient::keyInKeychain(const QString &gatewayId)
{
    std::optional<Result<std::optional<QByteArray>>> found;
    m_secrets->read(
        SecretStore::deviceKeyName(gatewayId), this,
        [&found](Result<std::optional<QByteArray>> result) { found.emplace(std::move(result)); });
    if (!QTest::qWaitFor([&] { return found.has_value(); }, timeoutMs) || !found->ok())
        qFatal("the test keychain did not answer");
    return found->value();
}

void TestAppPairingClient::pairsAndKeepsTheKeyInTheKeychain()
{
    const Outcome outcome = pairWithFixture();
    QCOMPARE(outcome.signals, 1);
    QVERIFY2(outcome.profile, outcome.failure ? qPrintable(outcome.failure->message) : "");
    const GatewayProfile &profile = *outcome.profile;
    const auto &runtime = m_fixture->gateway();
    QCOMPARE(profile.gatewayId, runtime.publicUrl().toString(QUrl::FullyEncoded));
    QCOMPARE(profile.name, QStringLiteral("Test gateway"));
    QCOMPARE(profile.baseUrl, runtime.publicUrl());
    QCOMPARE(profile.userId, QStringLiteral("alice@example.com"));
    QCOMPARE(EcPublicKey::fromJwk(profile.gatewayKey)->thumbprint(),
             runtime.signingKey().thumbprint());
    QVERIFY(profile.spkiPin.isEmpty());

    // The gateway registered the device under the name given...
    const auto device = m_fixture->gateway().store().device(profile.deviceId);
    QVERIFY(device.has_value());
    QCOMPARE(device->name, QStringLiteral("alice-laptop"));
    // ...and with the public half of the key the keychain now holds.
    const auto stored = keyInKeychain(profile.gatewayId);
    QVERIFY(stored.has_value());
    const auto key = EcPrivateKey::fromPkcs8Der(*stored);
    QVERIFY(key.ok());
    QCOMPARE(key->publicKey().thumbprint(), device->keyThumbprint);
}

void TestAppPairingClient::refusesUsedCode()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    QVERIFY(pair(offer->link, m_fixture->clock()).profile);
    const Outcome again = pair(offer->link, m_fixture->clock());
    QCOMPARE(again.signals, 1);
    QVERIFY(again.failure);
    QCOMPARE(again.failure->kind, Kind::InvalidCode);
    QVERIFY2(again.failure->message.contains(u"already used or expired"),
             qPrintable(again.failure->message));
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
}

void TestAppPairingClient::refusesExpiredCode()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    m_fixture->clock().advance(10 * 60 + 1);
    const Outcome outcome = pair(offer->link, m_fixture->clock());
    QVERIFY(outcome.failure);
    QCOMPARE(outcome.failure->kind, Kind::InvalidCode);
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
}

void TestAppPairingClient::refusesLinkWithWrongKid()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    // A link that names another gateway key than the one the gateway holds.
    const QString otherKid = EcPrivateKey::generate()->publicKey().thumbprint();
    const auto forged = PairingLink::create(PairingLink::Fields{
        offer->link.gatewayUrl(), offer->link.code(), otherKid, {}, offer->link.displayName()});
    QVERIFY(forged.ok());
    const Outcome outcome = pair(forged.value(), m_fixture->clock());
    QCOMPARE(outcome.signals, 1);
    QVERIFY(outcome.failure);
    QCOMPARE(outcome.failure->kind, Kind::GatewayKeyMismatch);
    QVERIFY(outcome.failure->message.contains(u"other than the one the pairing link names"));
    // Nothing was kept on this side.
    QVERIFY(!keyInKeychain(m_fixture->gateway().publicUrl().toString(QUrl::FullyEncoded)));
}

void TestAppPairingClient::reportsUnreachableGateway()
{
    // A loopback port that was just free: nothing listens there.
    const quint16 port = testing::freePort();
    QVERIFY(port != 0);
    const QUrl nowhere(QStringLiteral("http://127.0.0.1:%1").arg(port));
    const Outcome outcome =
        pair(linkTo(nowhere, m_fixture->gateway().signingKey().thumbprint()), m_systemClock);
    QCOMPARE(outcome.signals, 1);
    QVERIFY(outcome.failure);
    QCOMPARE(outcome.failure->kind, Kind::Unreachable);
    QVERIFY2(outcome.failure->message.startsWith(u"cannot reach the gateway at http://127.0.0.1:"),
             qPrintable(outcome.failure->message));
}

void TestAppPairingClient::reportsGatewayThatDoesNotAnswer()
{
    CannedHttpServer silent({});
    const PairingLink link = linkTo(silent.url(), cannedGatewayKey().publicKey().thumbprint());
    PairingClient client(*m_secrets, m_systemClock);
    client.setTimeout(std::chrono::milliseconds(300));
    QSignalSpy failed(&client, &PairingClient::failed);
    QVERIFY(client.pair(link, QStringLiteral("alice-laptop")));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, timeoutMs);
    const auto failure = failed.first().first().value<PairingFailure>();
    QCOMPARE(failure.kind, Kind::Unreachable);
    QVERIFY2(failure.message.endsWith(u"did not answer within 0.3 seconds"),
             qPrintable(failure.message));

    // A client destroyed while waiting cancels quietly.
    auto waiting = std::make_unique<PairingClient>(*m_secrets, m_systemClock);
    QVERIFY(waiting->pair(link, QStringLiteral("alice-laptop")));
    QTRY_VERIFY_WITH_TIMEOUT(silent.requests() == 1, timeoutMs);
    waiting.reset();
}

void TestAppPairingClient::unusableKeychainStopsBeforeTheGateway()
{
    RefusingSecretStore refusing;
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    PairingClient client(refusing, m_fixture->clock());
    QSignalSpy succeeded(&client, &PairingClient::succeeded);
    QSignalSpy failed(&client, &PairingClient::failed);
    QVERIFY(client.pair(offer->link, QStringLiteral("alice-laptop")));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, timeoutMs);
    QCOMPARE(succeeded.count(), 0);
    const auto failure = failed.first().first().value<PairingFailure>();
    QCOMPARE(failure.kind, Kind::KeychainUnavailable);
    QVERIFY2(failure.message.contains(u"Nothing was sent to the gateway"),
             qPrintable(failure.message));
    QVERIFY(failure.message.contains(u"no keychain is available"));
    QCOMPARE(refusing.writes, 1); // the probe, never the device key
    // No orphan registration, and the link still works.
    QVERIFY(m_fixture->gateway().store().devices().isEmpty());
    QVERIFY(!client.isBusy());
    testing::MemorySecretStore working;
    PairingClient again(working, m_fixture->clock());
    QSignalSpy paired(&again, &PairingClient::succeeded);
    QVERIFY(again.pair(offer->link, QStringLiteral("alice-laptop")));
    QTRY_COMPARE_WITH_TIMEOUT(paired.count(), 1, timeoutMs);
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
    // The probe leaves nothing behind.
    QVERIFY(!working.contains(PairingClient::probeKeyName));
    const auto profile = paired.first().first().value<GatewayProfile>();
    QCOMPARE(profile.deviceName, QStringLiteral("alice-laptop"));
}

void TestAppPairingClient::defaultDeviceNameTellsComputersApart()
{
    QCOMPARE(PairingClient::defaultDeviceName(QStringLiteral("build-box"), QStringLiteral("alice")),
             QStringLiteral("alice on build-box"));
    QCOMPARE(PairingClient::defaultDeviceName(QStringLiteral("build-box.corp.example.com"),
                                              QStringLiteral("bob")),
             QStringLiteral("bob on build-box"));
    QCOMPARE(PairingClient::defaultDeviceName(QStringLiteral("localhost"), QStringLiteral("bob")),
             QStringLiteral("bob's computer"));
    QCOMPARE(PairingClient::defaultDeviceName(QStringLiteral("build-box"), QString()),
             QStringLiteral("build-box"));
    QCOMPARE(PairingClient::defaultDeviceName(QString(), QString()),
             QStringLiteral("Countersign companion"));
    QCOMPARE(PairingClient::defaultDeviceName(QStringLiteral("box"), QStringLiteral("x\u202E")),
             QStringLiteral("box"));
    QVERIFY(PairingClient::defaultDeviceName(QString(100, u'h'), QStringLiteral("alice")).size()
            <= PairingClient::maxDeviceNameLength);
    // This computer's: its user and host.
    const QString name = PairingClient::defaultDeviceName();
    const QString host = QSysInfo::machineHostName().section(u'.', 0, 0);
    const QString user = PairingClient::currentUserName();
    if (!host.isEmpty() && host != u"localhost" && !user.isEmpty()) {
        QVERIFY2(name.contains(host) && name.contains(user), qPrintable(name));
    }
}

void TestAppPairingClient::reportsKeychainFailure()
{
    // The probe works, the device key then does not (the keychain locked in
    // between): paired at the gateway, and said so.
    RefusingSecretStore refusing;
    refusing.refusePrefix = QStringLiteral("device-key/");
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    PairingClient client(refusing, m_fixture->clock());
    QSignalSpy succeeded(&client, &PairingClient::succeeded);
    QSignalSpy failed(&client, &PairingClient::failed);
    QVERIFY(client.pair(offer->link, QStringLiteral("alice-laptop")));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, timeoutMs);
    QCOMPARE(succeeded.count(), 0);
    const auto failure = failed.first().first().value<PairingFailure>();
    QCOMPARE(failure.kind, Kind::KeychainFailure);
    // It says what happened on both sides and what to do.
    QVERIFY2(failure.message.contains(u"paired this device, but its key could not be kept in "
                                      u"the keychain"),
             qPrintable(failure.message));
    QVERIFY(failure.message.contains(u"no keychain is available"));
    QVERIFY(failure.message.contains(u"pair again with a new link"));
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
}

void TestAppPairingClient::refusesInvalidDeviceName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("problem");
    QTest::newRow("empty") << QString() << QStringLiteral("empty");
    QTest::newRow("blank") << QStringLiteral("   ") << QStringLiteral("empty");
    QTest::newRow("too long") << QString(65, u'x') << QStringLiteral("longer than 64");
    QTest::newRow("control") << QStringLiteral("alice\nlaptop") << QStringLiteral("control");
    QTest::newRow("bidi override")
        << QStringLiteral("alice\u202Epotpal") << QStringLiteral("control");
}

void TestAppPairingClient::refusesInvalidDeviceName()
{
    QFETCH(QString, name);
    QFETCH(QString, problem);
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    const Outcome outcome = pair(offer->link, m_fixture->clock(), name);
    QVERIFY(outcome.failure);
    QCOMPARE(outcome.failure->kind, Kind::InvalidDeviceName);
    QVERIFY2(outcome.failure->message.contains(problem), qPrintable(outcome.failure->message));
    // The gateway was not contacted: the code still pairs.
    QVERIFY(pair(offer->link, m_fixture->clock()).profile);
}

void TestAppPairingClient::pairsOneAtATime()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    PairingClient client(*m_secrets, m_fixture->clock());
    QSignalSpy succeeded(&client, &PairingClient::succeeded);
    QVERIFY(client.pair(offer->link, QStringLiteral("first")));
    QVERIFY(client.isBusy());
    QVERIFY(!client.pair(offer->link, QStringLiteral("second")));
    QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, timeoutMs);
    QVERIFY(!client.isBusy());
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
}

void TestAppPairingClient::pairsUnderTheDefaultDeviceName()
{
    // The host name, or a generic name when it would not be accepted.
    const QString name = PairingClient::defaultDeviceName();
    QVERIFY(!name.isEmpty());
    QVERIFY(name.size() <= PairingClient::maxDeviceNameLength);
    const Outcome outcome = pairWithFixture(name);
    QVERIFY(outcome.profile);
    QCOMPARE(m_fixture->gateway().store().device(outcome.profile->deviceId)->name, name);
}

void TestAppPairingClient::acceptsAnswerWithUnknownMembers()
{
    // The answer is no signed payload: later versions may add members.
    const QString gatewayId = QStringLiteral("https://canned-ok.example");
    QJsonObject answer = validAnswer();
    answer.insert(QStringLiteral("gateway_id"), gatewayId);
    answer.insert(QStringLiteral("passkey_options"), QJsonObject{});
    CannedHttpServer server(httpResponse(201, json(answer)));
    const Outcome outcome =
        pair(linkTo(server.url(), cannedGatewayKey().publicKey().thumbprint()), m_systemClock);
    QVERIFY2(outcome.profile, outcome.failure ? qPrintable(outcome.failure->message) : "");
    QCOMPARE(outcome.profile->gatewayId, gatewayId);
    QCOMPARE(outcome.profile->deviceId, QStringLiteral("dev-1"));
    QCOMPARE(outcome.profile->baseUrl, server.url());
    QVERIFY(keyInKeychain(gatewayId).has_value());
}

void TestAppPairingClient::refusesMalformedAnswers_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("messagePart");
    const auto answerWith = [](const QString &member, const QJsonValue &value) {
        QJsonObject answer = validAnswer();
        if (value.isUndefined())
            answer.remove(member);
        else
            answer.insert(member, value);
        return json(answer);
    };
    const auto malformed = static_cast<int>(Kind::MalformedAnswer);
    QTest::newRow("not json") << httpResponse(201, "paired!") << malformed
                              << QStringLiteral("not valid");
    QTest::newRow("array") << httpResponse(201, "[]") << malformed << QStringLiteral("not valid");
    QByteArray duplicated = json(validAnswer());
    duplicated.insert(1, R"("user":"mallory@example.com",)");
    QTest::newRow("duplicate member")
        << httpResponse(201, duplicated) << malformed << QStringLiteral("names a member twice");
    QTest::newRow("version 2") << httpResponse(201, answerWith(QStringLiteral("v"), 2)) << malformed
                               << QStringLiteral("version 2 is not supported");
    QTest::newRow("no device id") << httpResponse(
        201, answerWith(QStringLiteral("device_id"), QJsonValue::Undefined))
                                  << malformed << QStringLiteral("answer.device_id is missing");
    QTest::newRow("empty user") << httpResponse(201, answerWith(QStringLiteral("user"), QString()))
                                << malformed << QStringLiteral("answer.user is empty");
    QTest::newRow("numeric gateway id")
        << httpResponse(201, answerWith(QStringLiteral("gateway_id"), 7)) << malformed
        << QStringLiteral("answer.gateway_id must be a string");
    QTest::newRow("name with bidi override") << httpResponse(
        201, answerWith(QStringLiteral("gateway_name"), QStringLiteral("Bank\u202Eyawetag")))
                                             << malformed << QStringLiteral("control characters");
    QTest::newRow("key not an object")
        << httpResponse(201, answerWith(QStringLiteral("gateway_key"), QStringLiteral("key")))
        << malformed << QStringLiteral("answer.gateway_key must be an object");
    QTest::newRow("key not P-256")
        << httpResponse(201,
                        answerWith(QStringLiteral("gateway_key"),
                                   QJsonObject{{QStringLiteral("kty"), QStringLiteral("EC")}}))
        << malformed << QStringLiteral("answer.gateway_key");
    QTest::newRow("another gateway key") << httpResponse(
        201,
        answerWith(QStringLiteral("gateway_key"), EcPrivateKey::generate()->publicKey().toJwk()))
                                         << static_cast<int>(Kind::GatewayKeyMismatch)
                                         << QStringLiteral("signing key other");
    QTest::newRow("200 instead of 201") << httpResponse(200, json(validAnswer())) << malformed
                                        << QStringLiteral("HTTP 200 instead of 201");
    QTest::newRow("redirect") << httpResponse(307, {}, "Location: http://127.0.0.1:1/\r\n")
                              << malformed << QStringLiteral("HTTP 307");
    QTest::newRow("too large") << httpResponse(201, QByteArray(100 * 1024, ' ')) << malformed
                               << QStringLiteral("too large");
    QTest::newRow("rate limited") << httpResponse(
        429, R"({"error":"rate_limited","message":"slow down"})")
                                  << static_cast<int>(Kind::RateLimited)
                                  << QStringLiteral("too many pairing attempts");
    QTest::newRow("server error, message cleaned")
        << httpResponse(500,
                        QByteArray(R"({"error":"storage_failure","message":"disk )")
                            + "\xE2\x80\xAE" + R"(full\u001b[31m"})")
        << static_cast<int>(Kind::Refused)
        << QStringLiteral("refused pairing (HTTP 500, storage_failure): disk full[31m");
}

void TestAppPairingClient::refusesMalformedAnswers()
{
    QFETCH(QByteArray, response);
    QFETCH(int, kind);
    QFETCH(QString, messagePart);
    CannedHttpServer server(response);
    const Outcome outcome =
        pair(linkTo(server.url(), cannedGatewayKey().publicKey().thumbprint()), m_systemClock);
    QCOMPARE(outcome.signals, 1);
    QVERIFY(outcome.failure);
    QCOMPARE(static_cast<int>(outcome.failure->kind), kind);
    QVERIFY2(outcome.failure->message.contains(messagePart), qPrintable(outcome.failure->message));
    QCOMPARE(server.requests(), 1); // redirects are not followed
    QVERIFY(!keyInKeychain(cannedGatewayId).has_value());
}

void TestAppPairingClient::pairsOverTlsWithThePin()
{
    GatewayFixture tls(gateway::ChannelTimings{}, tlsGatewayYaml().toUtf8());
    QVERIFY(tls.start());
    const auto offer =
        tls.gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    QVERIFY(offer->link.hasSpkiPin());
    const Outcome outcome = pair(offer->link, tls.clock());
    QVERIFY2(outcome.profile, outcome.failure ? qPrintable(outcome.failure->message) : "");
    QCOMPARE(outcome.profile->baseUrl.scheme(), QStringLiteral("https"));
    QCOMPARE(outcome.profile->spkiPin, offer->link.spki());
    QVERIFY(keyInKeychain(outcome.profile->gatewayId).has_value());
}

void TestAppPairingClient::refusesTlsKeyThatDoesNotMatchThePin()
{
    GatewayFixture tls(gateway::ChannelTimings{}, tlsGatewayYaml().toUtf8());
    QVERIFY(tls.start());
    const auto offer =
        tls.gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    // What a man in the middle faces: the link pins a key its server lacks.
    const auto forged = PairingLink::create(PairingLink::Fields{
        offer->link.gatewayUrl(), offer->link.code(), offer->link.keyThumbprint(),
        QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), offer->link.displayName()});
    QVERIFY(forged.ok());
    const Outcome outcome = pair(forged.value(), tls.clock());
    QCOMPARE(outcome.signals, 1);
    QVERIFY(outcome.failure);
    QCOMPARE(outcome.failure->kind, Kind::PinMismatch);
    QVERIFY2(outcome.failure->message.contains(u"does not carry the key the pairing link pins"),
             qPrintable(outcome.failure->message));
    // The code never left this computer: the genuine link still pairs.
    QVERIFY(tls.gateway().store().devices().isEmpty());
    QVERIFY(pair(offer->link, tls.clock()).profile);
}

void TestAppPairingClient::refusesUntrustedCertificateWithoutPin()
{
    GatewayFixture tls(gateway::ChannelTimings{}, tlsGatewayYaml().toUtf8());
    QVERIFY(tls.start());
    const auto offer =
        tls.gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    const auto unpinned = PairingLink::create(PairingLink::Fields{offer->link.gatewayUrl(),
                                                                  offer->link.code(),
                                                                  offer->link.keyThumbprint(),
                                                                  {},
                                                                  offer->link.displayName()});
    const Outcome outcome = pair(unpinned.value(), tls.clock());
    QVERIFY(outcome.failure);
    QCOMPARE(outcome.failure->kind, Kind::UntrustedCertificate);
    QVERIFY2(outcome.failure->message.contains(u"does not trust the TLS certificate"),
             qPrintable(outcome.failure->message));
    QVERIFY(tls.gateway().store().devices().isEmpty());
}

void TestAppPairingClient::remembersPairedGatewaysInSettings()
{
    const Outcome outcome = pairWithFixture();
    QVERIFY(outcome.profile);
    {
        PairedGateways gateways(*m_secrets);
        QSignalSpy changed(&gateways, &PairedGateways::changed);
        QVERIFY(gateways.save(*outcome.profile).ok());
        QCOMPARE(changed.count(), 1);
    }
    // Another instance (the next run) reads the same record back.
    PairedGateways later(*m_secrets);
    QCOMPARE(later.all(), QList<GatewayProfile>{*outcome.profile});
    QCOMPARE(later.find(outcome.profile->gatewayId), outcome.profile);
    QVERIFY(!later.find(QStringLiteral("https://unknown.example")));

    // The file is under the test's settings path and holds no secret.
    const QString file = QSettings(AppId::organizationName(), AppId::applicationName()).fileName();
    QVERIFY2(file.startsWith(m_settingsDir.path()), qPrintable(file));
    QFile settings(file);
    QVERIFY(settings.open(QIODevice::ReadOnly));
    const QByteArray text = settings.readAll();
    QVERIFY(text.contains(outcome.profile->deviceId.toUtf8()));
    const QByteArray der = keyInKeychain(outcome.profile->gatewayId).value();
    QVERIFY(!text.contains(der.toBase64()));
    QVERIFY(!text.contains(base64UrlEncode(der)));
    QVERIFY(!text.contains("\"d\""));
}

void TestAppPairingClient::replacesRecordWhenPairingAgain()
{
    const Outcome first = pairWithFixture();
    QVERIFY(first.profile);
    GatewayProfile other = *first.profile;
    other.gatewayId = QStringLiteral("https://other.example");
    other.baseUrl = QUrl(other.gatewayId);
    PairedGateways gateways(*m_secrets);
    QVERIFY(gateways.save(*first.profile).ok());
    QVERIFY(gateways.save(other).ok());

    const Outcome again = pairWithFixture(QStringLiteral("alice-laptop-2"));
    QVERIFY(again.profile);
    QCOMPARE(again.profile->gatewayId, first.profile->gatewayId);
    QVERIFY(again.profile->deviceId != first.profile->deviceId);
    QVERIFY(gateways.save(*again.profile).ok());
    // Replaced in place, order kept, nothing duplicated.
    QCOMPARE(gateways.all(), (QList<GatewayProfile>{*again.profile, other}));
}

void TestAppPairingClient::skipsCorruptRecords()
{
    const Outcome outcome = pairWithFixture();
    QVERIFY(outcome.profile);
    PairedGateways gateways(*m_secrets);
    QVERIFY(gateways.save(*outcome.profile).ok());
    {
        // A second record edited by hand: its gateway key is not a key.
        QSettings settings(AppId::organizationName(), AppId::applicationName());
        settings.beginWriteArray(QStringLiteral("gateways"), 2);
        settings.setArrayIndex(1);
        settings.setValue(QStringLiteral("gatewayId"), QStringLiteral("https://bad.example"));
        settings.setValue(QStringLiteral("url"), QStringLiteral("https://bad.example"));
        settings.setValue(QStringLiteral("deviceId"), QStringLiteral("d"));
        settings.setValue(QStringLiteral("userId"), QStringLiteral("u"));
        settings.setValue(QStringLiteral("gatewayKey"), QStringLiteral("{\"kty\":\"EC\"}"));
        settings.endArray();
    }
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("ignoring paired gateway 1 .*key")));
    QCOMPARE(gateways.all(), QList<GatewayProfile>{*outcome.profile});
}

void TestAppPairingClient::unpairRemovesRecordAndKey()
{
    // Two gateways paired; unpairing one leaves the other whole.
    const Outcome first = pairWithFixture();
    QVERIFY(first.profile);
    GatewayFixture second;
    QVERIFY(second.start());
    const auto offer =
        second.gateway().pairing().createOffer(QString::fromLatin1(GatewayFixture::user));
    const Outcome other = pair(offer->link, second.clock());
    QVERIFY(other.profile);
    QVERIFY(other.profile->gatewayId != first.profile->gatewayId);

    PairedGateways gateways(*m_secrets);
    QVERIFY(gateways.save(*first.profile).ok());
    QVERIFY(gateways.save(*other.profile).ok());
    QSignalSpy changed(&gateways, &PairedGateways::changed);

    std::optional<Status> unpaired;
    gateways.unpair(first.profile->gatewayId, this,
                    [&unpaired](const Status &status) { unpaired.emplace(status); });
    QVERIFY(!unpaired.has_value()); // asynchronous, like the keychain
    QTRY_VERIFY_WITH_TIMEOUT(unpaired.has_value(), timeoutMs);
    QVERIFY2(unpaired->ok(), qPrintable(unpaired->ok() ? QString() : unpaired->error().message));
    QCOMPARE(changed.count(), 1);
    QVERIFY(!gateways.find(first.profile->gatewayId));
    QVERIFY(!keyInKeychain(first.profile->gatewayId).has_value());
    QCOMPARE(gateways.all(), QList<GatewayProfile>{*other.profile});
    QVERIFY(keyInKeychain(other.profile->gatewayId).has_value());

    // Unpairing again is not an error: there is nothing left to remove.
    unpaired.reset();
    gateways.unpair(first.profile->gatewayId, this,
                    [&unpaired](const Status &status) { unpaired.emplace(status); });
    QTRY_VERIFY_WITH_TIMEOUT(unpaired.has_value(), timeoutMs);
    QVERIFY(unpaired->ok());
    QCOMPARE(changed.count(), 1);
}

QTEST_GUILESS_MAIN(TestAppPairingClient)
#include "test_app_pairingclient.moc"
