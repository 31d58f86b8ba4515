// kill -9 during an approval load (issue 17, "Done when"): a real
// countersign-gateway process on loopback with its data dir on disk, 100
// simulated companions that approve with TOTP, and an admin client that
// raises about 100 approvals a second and redeems each approved one's
// token. The gateway is killed with SIGKILL in the middle and restarted on
// the same data dir; then everything anyone outside the gateway was told
// must still be true:
// - every approval whose creation was answered 201 exists;
// - every approval a companion was told was accepted (approval.accepted,
//   approved) is approved;
// - every token that was handed out cannot be handed out again (the
//   redemption is refused after the restart: no token twice);
// - `countersign-gateway audit verify` passes on the data dir.
//
// What it can catch: kill -9 loses no committed write (the WAL is in the
// page cache even when it was never fsynced; only power loss would), so
// this test catches an answer or a message that leaves the gateway before
// the write it reports is committed: a reply sent before its transaction
// commits (or a transaction batched across events and still open), a
// durability gate that lets answers out early for such a store. It cannot
// catch a missing fdatasync; test_durablesink and the store's tests do.

#include "gateway/keys/signingkey.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/clock.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/otp/otpsecret.h"
#include "protocol/otp/totp.h"
#include "protocol/randombytes.h"
#include "tests/support/freeport.h"

#include <memory>
#include <vector>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

using namespace countersign;

namespace {

constexpr int companionCount = 100;
constexpr int approvalsPerSecond = 100;
// Approvals a companion has been told were accepted before the kill: enough
// that the kill lands in the middle of the load, not at its start.
constexpr int acceptedBeforeKill = 150;
constexpr auto adminToken = "durability-admin-token-0123456789abcdef";

QString userOf(int index)
{
    return QStringLiteral("user%1@example.com").arg(index);
}

// A paired device that approves every request it is sent with a TOTP code
// of a step it has not used (a user's step is single use, so each user can
// approve up to three requests per 30 s window: the load is spread over
// companionCount users).
class Companion : public QObject {
public:
    Companion(const Clock &clock, EcPrivateKey key, QString deviceId, Totp totp,
              EcPublicKey gatewayKey)
        : m_clock(clock)
        , m_key(std::move(key))
        , m_deviceId(std::move(deviceId))
        , m_totp(std::move(totp))
        , m_gatewayKey(std::move(gatewayKey))
    {
        connect(&m_socket, &QWebSocket::textMessageReceived, this, &Companion::onMessage);
    }

    std::function<void(const QString &requestId)> accepted;
    bool welcomed = false;

    void open(const QUrl &url)
    {
        welcomed = false;
        m_socket.open(url);
    }
    void abort() { m_socket.abort(); }

private:
    void onMessage(const QString &text)
    {
        const auto message =
            channel::parseChannelMessage(QJsonDocument::fromJson(text.toUtf8()).object());
        if (!message)
            return;
        if (const auto *hello = std::get_if<channel::Hello>(&message.value())) {
            m_gatewayId = hello->gatewayId;
            const channel::AuthClaims claims{hello->nonce, hello->gatewayId,
                                             m_clock.secondsSinceEpoch()};
            m_socket.sendTextMessage(channel::toText(
                channel::Auth{m_deviceId, QString::fromLatin1(claims.sign(m_key).value())}));
        } else if (std::holds_alternative<channel::Welcome>(message.value())) {
            welcomed = true;
        } else if (const auto *request =
                       std::get_if<channel::ApprovalRequested>(&message.value())) {
            approve(request->request);
        } else if (const auto *error = std::get_if<channel::ErrorReply>(&message.value())) {
            qWarning() << "the gateway refused a proof:" << error->message;
        } else if (const auto *done = std::get_if<channel::ApprovalAccepted>(&message.value())) {
            if (done->outcome == u"approved" && accepted)
                accepted(done->requestId);
        }
    }

    void approve(const QString &requestJws)
    {
        const auto verified =
            verifyApprovalRequest(requestJws.toLatin1(), m_gatewayKey, m_gatewayId, m_clock);
        if (!verified) {
            qWarning() << "request refused by the companion:" << verified.error().message;
            return;
        }
        const qint64 current = m_totp.stepAt(m_clock.secondsSinceEpoch()).value();
        std::optional<qint64> step;
        for (const qint64 candidate : {current, current + 1, current - 1}) {
            if (!m_spent.contains(candidate)) {
                step = candidate;
                break;
            }
        }
        if (!step)
            return; // this user's steps are spent: the request stays pending
        m_spent.insert(*step);
        ApprovalProof proof;
        proof.requestId = verified->request.requestId;
        proof.requestHash = verified->requestHash;
        proof.decision = Decision::Approve;
        proof.method = ApprovalMethod::Totp;
        proof.evidence = QJsonObject{
            {QStringLiteral("code"), m_totp.codeAt(*step * m_totp.period() + m_totp.t0()).value()}};
        proof.issuedAt = m_clock.secondsSinceEpoch();
        m_socket.sendTextMessage(channel::toText(
            channel::ApprovalRespond{QString::fromLatin1(proof.sign(m_key).value())}));
    }

    const Clock &m_clock;
    EcPrivateKey m_key;
    QString m_deviceId;
    Totp m_totp;
    EcPublicKey m_gatewayKey;
    QString m_gatewayId;
    QSet<qint64> m_spent;
    QWebSocket m_socket;
};

} // namespace

class TestDurabilityKill : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void killDuringApprovalLoadLosesNothingAcknowledged();
    void cleanupTestCase();

private:
    bool prepare();
    bool startGateway();
    QNetworkReply *admin(const QByteArray &verb, const QString &path, const QJsonObject &body = {});
    // The JSON answer of one admin call, waited for.
    std::pair<int, QJsonObject> adminNow(const QByteArray &verb, const QString &path);

    SystemClock m_clock;
    // On disk next to the test binary, not in a tmpfs /tmp: the test is
    // about what is on disk after a crash.
    QTemporaryDir m_dir{QCoreApplication::applicationDirPath()
                        + QStringLiteral("/durability-kill-XXXXXX")};
    QString m_config;
    QString m_dataDir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_gateway;
    QNetworkAccessManager m_network;
    std::vector<std::unique_ptr<Companion>> m_companions;
};

void TestDurabilityKill::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
    QVERIFY(prepare());
}

// The gateway's key, devices and TOTP seeds written before it starts, as a
// redeemed pairing offer and `totp enroll` would.
bool TestDurabilityKill::prepare()
{
    m_dataDir = m_dir.filePath(QStringLiteral("data"));
    m_config = m_dir.filePath(QStringLiteral("gateway.yaml"));
    m_port = testing::freePort();
    QFile token(m_dir.filePath(QStringLiteral("admin.token")));
    if (!token.open(QIODevice::WriteOnly)
        || !token.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return false;
    token.write(QByteArray(adminToken) + '\n');
    token.close();
    QByteArray yaml = "listen: 127.0.0.1:" + QByteArray::number(m_port)
        + "\ndata_dir: data\nadmin:\n  token_file: admin.token\n"
          "limits:\n  max_connections_per_address: 1000\nusers:\n";
    for (int i = 0; i < companionCount; ++i)
        yaml += "  - " + userOf(i).toUtf8() + '\n';
    QFile config(m_config);
    if (!config.open(QIODevice::WriteOnly) || config.write(yaml) != yaml.size())
        return false;
    config.close();
    if (!QDir().mkpath(m_dataDir)
        || !QFile::setPermissions(
            m_dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner))
        return false;

    auto gatewayKey = gateway::SigningKey::loadOrCreate(m_dataDir);
    auto store = gateway::SqliteStore::open(m_dataDir);
    if (!gatewayKey || !store)
        return false;
    const qint64 now = m_clock.secondsSinceEpoch();
    for (int i = 0; i < companionCount; ++i) {
        auto key = EcPrivateKey::generate();
        auto secret = OtpSecret::generate();
        if (!key || !secret)
            return false;
        gateway::DeviceRecord device;
        device.deviceId = randomToken(16);
        device.userId = userOf(i);
        device.name = QStringLiteral("companion-%1").arg(i);
        device.publicJwk = key->publicKey().toJwk();
        device.keyThumbprint = key->publicKey().thumbprint();
        device.pairedAt = now;
        gateway::TotpEnrollment enrollment;
        enrollment.userId = userOf(i);
        enrollment.secret = secret->bytes();
        enrollment.createdAt = now;
        auto totp = Totp::create(secret.value());
        if (!totp || !store.value()->addDevice(device)
            || !store.value()->setTotpEnrollment(enrollment))
            return false;
        m_companions.push_back(std::make_unique<Companion>(m_clock, std::move(key).value(),
                                                           device.deviceId, std::move(totp).value(),
                                                           gatewayKey->publicKey()));
    }
    return true;
}

bool TestDurabilityKill::startGateway()
{
    m_gateway = std::make_unique<QProcess>();
    m_gateway->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    // Warnings only: a line per approval would bury them.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.info=false"));
    m_gateway->setProcessEnvironment(environment);
    m_gateway->start(QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
                     {QStringLiteral("serve"), QStringLiteral("--config"), m_config,
                      QStringLiteral("--io-threads"), QStringLiteral("2")});
    if (!m_gateway->waitForStarted())
        return false;
    QByteArray output;
    if (!QTest::qWaitFor(
            [&] { return (output += m_gateway->readAllStandardOutput()).contains("serving"); },
            20'000)) {
        qWarning() << "the gateway did not start:" << output;
        return false;
    }
    return true;
}

QNetworkReply *TestDurabilityKill::admin(const QByteArray &verb, const QString &path,
                                         const QJsonObject &body)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path)));
    request.setRawHeader("Authorization", QByteArray("Bearer ") + adminToken);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    return m_network.sendCustomRequest(
        request, verb,
        body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact));
}

std::pair<int, QJsonObject> TestDurabilityKill::adminNow(const QByteArray &verb,
                                                         const QString &path)
{
    QNetworkReply *reply = admin(verb, path);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000))
        return {0, {}};
    reply->deleteLater();
    return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
            QJsonDocument::fromJson(reply->readAll()).object()};
}

void TestDurabilityKill::killDuringApprovalLoadLosesNothingAcknowledged()
{
    QVERIFY(startGateway());
    const QUrl channel(QStringLiteral("ws://127.0.0.1:%1/companion/v1").arg(m_port));

    // What the world outside the gateway was told before the kill.
    QSet<QString> created;  // POST /approvals answered 201
    QSet<QString> accepted; // a companion got approval.accepted, approved
    QSet<QString> redeemed; // POST /approvals/{id}/token answered 200
    bool killed = false;
    for (auto &companion : m_companions) {
        companion->accepted = [&](const QString &requestId) {
            if (killed)
                return;
            accepted.insert(requestId);
            // Redeem at once, while the load goes on: a token is one more
            // write whose answer must not outrun it.
            QNetworkReply *reply =
                admin("POST", QStringLiteral("/approvals/%1/token").arg(requestId));
            connect(reply, &QNetworkReply::finished, this, [&, reply, requestId] {
                reply->deleteLater();
                if (!killed && reply->error() == QNetworkReply::NoError
                    && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200)
                    redeemed.insert(requestId);
            });
        };
        companion->open(channel);
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_companions.begin(), m_companions.end(),
                                         [](const auto &c) { return c->welcomed; }),
                             20'000);

    // About approvalsPerSecond creations a second, spread over the users.
    int raised = 0;
    int refusals = 0;
    QElapsedTimer elapsed;
    elapsed.start();
    QTimer pacer;
    pacer.setInterval(5);
    connect(&pacer, &QTimer::timeout, this, [&] {
        const qint64 due = elapsed.elapsed() * approvalsPerSecond / 1000 + 1;
        for (; raised < due; ++raised) {
            const QJsonObject sarc{
                {QStringLiteral("subject"),
                 QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                             {QStringLiteral("id"), userOf(raised % companionCount)},
                             {QStringLiteral("properties"),
                              QJsonObject{{QStringLiteral("agent"), QStringLiteral("load")}}}}},
                {QStringLiteral("action"),
                 QJsonObject{{QStringLiteral("name"), QStringLiteral("disable_user")}}},
                {QStringLiteral("context"),
                 QJsonObject{
                     {QStringLiteral("agent_supplied"),
                      QJsonObject{{QStringLiteral("reason"), QStringLiteral("durability test")}}}}},
                {QStringLiteral("resource"),
                 QJsonObject{{QStringLiteral("type"), QStringLiteral("tool")},
                             {QStringLiteral("id"), QStringLiteral("directory/disable_user")},
                             {QStringLiteral("properties"),
                              QJsonObject{{QStringLiteral("arguments"),
                                           QJsonObject{{QStringLiteral("n"), raised}}}}}}}};
            QNetworkReply *reply =
                admin("POST", QStringLiteral("/approvals"),
                      QJsonObject{{QStringLiteral("sarc"), sarc},
                                  {QStringLiteral("methods"), QJsonArray{QStringLiteral("totp")}}});
            connect(reply, &QNetworkReply::finished, this, [&, reply] {
                reply->deleteLater();
                const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (!killed && status != 201 && refusals++ < 5)
                    qWarning() << "POST /approvals:" << status << body;
                if (!killed
                    && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 201)
                    created.insert(body.value(QStringLiteral("request_id")).toString());
            });
        }
    });
    pacer.start();
    QTRY_VERIFY2_WITH_TIMEOUT(accepted.size() >= acceptedBeforeKill,
                              qPrintable(QStringLiteral("%1 raised, %2 created, %3 accepted")
                                             .arg(raised)
                                             .arg(created.size())
                                             .arg(accepted.size())),
                              30'000);

    // SIGKILL, with creations, proofs and redemptions in flight. What is
    // recorded from here on does not count: the process may have died
    // before or after it was answered.
    m_gateway->kill();
    killed = true;
    pacer.stop();
    QVERIFY(m_gateway->waitForFinished(10'000));
    QCOMPARE(m_gateway->exitStatus(), QProcess::CrashExit);
    for (auto &companion : m_companions)
        companion->abort();
    qInfo("before the kill: %lld raised, %lld created, %lld accepted, %lld redeemed",
          static_cast<long long>(raised), static_cast<long long>(created.size()),
          static_cast<long long>(accepted.size()), static_cast<long long>(redeemed.size()));

    QVERIFY(startGateway());
    for (const QString &id : std::as_const(created)) {
        const auto [status, body] = adminNow("GET", QStringLiteral("/approvals/%1").arg(id));
        QVERIFY2(status == 200,
                 qPrintable(QStringLiteral("created %1 is gone (%2)").arg(id).arg(status)));
    }
    for (const QString &id : std::as_const(accepted)) {
        const auto [status, body] = adminNow("GET", QStringLiteral("/approvals/%1").arg(id));
        QVERIFY2(status == 200 && body.value(QStringLiteral("state")).toString() == u"approved",
                 qPrintable(QStringLiteral("accepted %1 is %2 after the restart")
                                .arg(id, QString::fromUtf8(QJsonDocument(body).toJson()))));
    }
    // Tokens were handed out before the kill, or the check below is empty.
    QVERIFY(!redeemed.isEmpty());
    for (const QString &id : std::as_const(redeemed)) {
        const auto [status, body] = adminNow("POST", QStringLiteral("/approvals/%1/token").arg(id));
        QVERIFY2(
            status == 409,
            qPrintable(
                QStringLiteral("the token of %1 was handed out twice (%2)").arg(id).arg(status)));
    }

    m_gateway->terminate();
    QVERIFY(m_gateway->waitForFinished(10'000));
    QProcess verify;
    verify.setProcessChannelMode(QProcess::MergedChannels);
    verify.start(
        QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
        {QStringLiteral("audit"), QStringLiteral("verify"), QStringLiteral("--config"), m_config});
    QVERIFY(verify.waitForFinished(30'000));
    QVERIFY2(verify.exitStatus() == QProcess::NormalExit && verify.exitCode() == 0,
             verify.readAll().constData());
}

void TestDurabilityKill::cleanupTestCase()
{
    // A failed check leaves the gateway running.
    if (m_gateway && m_gateway->state() != QProcess::NotRunning) {
        m_gateway->kill();
        m_gateway->waitForFinished(10'000);
    }
}

QTEST_GUILESS_MAIN(TestDurabilityKill)
#include "test_durability_kill.moc"
