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
// The MCP half does the same to agents' step-up calls through the proxy, to
// an HTTP upstream that counts what it runs: after a kill -9 in the middle
// and a restart, each agent calls everything it asked for again, and no
// operation has run twice (an approval used before the kill is not used
// again; one approved but not yet used runs once).
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
#include "tests/support/agenthelpers.h"
#include "tests/support/freeport.h"

#include <memory>
#include <vector>

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
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
// The MCP half: agents, each acting for a user of its own (a user can
// approve three requests in a TOTP window), and the calls each makes.
constexpr int agentCount = 50;
constexpr int callsPerAgent = 4;
// Operations the upstream has run before the kill: the middle of the load.
constexpr int executedBeforeKill = 60;

QString userOf(int index)
{
    return QStringLiteral("user%1@example.com").arg(index);
}

QString agentUserOf(int index)
{
    return QStringLiteral("agent-user%1@example.com").arg(index);
}

QByteArray agentKeyOf(int index)
{
    return QByteArrayLiteral("durability-agent-key-") + QByteArray::number(index);
}

// A Streamable HTTP MCP server with one tool, `transfer {n}`, that counts
// how often each n has run: what "runs nothing twice" is checked against.
// Plain JSON answers on keep-alive connections; enough of HTTP/1.1 for the
// gateway's client (Content-Length bodies, no chunked requests).
class CountingUpstream {
public:
    QMap<qint64, int> runs; // n -> times run
    int total = 0;

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }

    CountingUpstream()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                    *buffer += socket->readAll();
                    while (serveOne(*socket, *buffer)) {
                    }
                });
            }
        });
    }

private:
    // One complete request at the front of `buffer` answered and removed.
    bool serveOne(QTcpSocket &socket, QByteArray &buffer)
    {
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return false;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        qsizetype length = 0;
        for (const QByteArray &line : lines) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + length)
            return false;
        const QByteArray method = lines.value(0).split(' ').value(0);
        const QByteArray body = buffer.mid(headerEnd + 4, length);
        buffer.remove(0, headerEnd + 4 + length);
        if (method != "POST") {
            respond(socket, "405 Method Not Allowed", {});
            return true;
        }
        const QJsonObject message = QJsonDocument::fromJson(body).object();
        if (!message.contains(QStringLiteral("id"))) {
            respond(socket, "202 Accepted", {});
            return true;
        }
        const QString name = message.value(QStringLiteral("method")).toString();
        const QJsonObject params = message.value(QStringLiteral("params")).toObject();
        QJsonObject result;
        if (name == u"initialize") {
            result = {{QStringLiteral("protocolVersion"),
                       params.value(QStringLiteral("protocolVersion"))},
                      {QStringLiteral("capabilities"),
                       QJsonObject{{QStringLiteral("tools"), QJsonObject{}}}},
                      {QStringLiteral("serverInfo"),
                       QJsonObject{{QStringLiteral("name"), QStringLiteral("counting")},
                                   {QStringLiteral("version"), QStringLiteral("1")}}}};
        } else if (name == u"tools/list") {
            const QJsonObject schema{
                {QStringLiteral("type"), QStringLiteral("object")},
                {QStringLiteral("properties"),
                 QJsonObject{{QStringLiteral("n"),
                              QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}}}}}};
            result = {{QStringLiteral("tools"),
                       QJsonArray{QJsonObject{
                           {QStringLiteral("name"), QStringLiteral("transfer")},
                           {QStringLiteral("description"), QStringLiteral("moves money once")},
                           {QStringLiteral("inputSchema"), schema}}}}};
        } else if (name == u"tools/call") {
            const qint64 n = params.value(QStringLiteral("arguments"))
                                 .toObject()
                                 .value(QStringLiteral("n"))
                                 .toInteger(-1);
            ++runs[n];
            ++total;
            result = {{QStringLiteral("content"),
                       QJsonArray{QJsonObject{
                           {QStringLiteral("type"), QStringLiteral("text")},
                           {QStringLiteral("text"), QStringLiteral("ran %1").arg(n)}}}}};
        }
        const QJsonObject answer{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                 {QStringLiteral("id"), message.value(QStringLiteral("id"))},
                                 {QStringLiteral("result"), result}};
        respond(socket, "200 OK", QJsonDocument(answer).toJson(QJsonDocument::Compact));
        return true;
    }

    static void respond(QTcpSocket &socket, const QByteArray &status, const QByteArray &body)
    {
        QByteArray head = "HTTP/1.1 " + status
            + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
        if (!body.isEmpty())
            head += "Content-Type: application/json\r\n";
        socket.write(head + "\r\n" + body);
    }

    QTcpServer m_server;
};

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
    void killDuringStepUpCallsRunsNothingTwice();
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
    std::vector<std::unique_ptr<Companion>> m_agentCompanions; // agentUserOf(i)'s device
    CountingUpstream m_upstream;
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
    if (!m_upstream.listen())
        return false;
    QByteArray yaml = "listen: 127.0.0.1:" + QByteArray::number(m_port)
        + "\ndata_dir: data\nadmin:\n  token_file: admin.token\n"
          "limits:\n  max_connections_per_address: 1000\nusers:\n";
    for (int i = 0; i < companionCount; ++i)
        yaml += "  - " + userOf(i).toUtf8() + '\n';
    for (int i = 0; i < agentCount; ++i)
        yaml += "  - " + agentUserOf(i).toUtf8() + '\n';
    yaml += "policy:\n  rules:\n    - name: transfer\n      match: {action: transfer}\n"
            "      effect: step_up\n      methods: [totp]\n      timeout: 120s\n"
            "upstreams:\n  - name: bank\n    url: http://127.0.0.1:"
        + QByteArray::number(m_upstream.port()) + "/mcp\nagents:\n";
    for (int i = 0; i < agentCount; ++i) {
        yaml += "  - {name: agent" + QByteArray::number(i) + ", user: " + agentUserOf(i).toUtf8()
            + ", key_sha256: "
            + QCryptographicHash::hash(agentKeyOf(i), QCryptographicHash::Sha256).toHex() + "}\n";
    }
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
    const auto enrol = [&](const QString &userId) -> std::unique_ptr<Companion> {
        auto key = EcPrivateKey::generate();
        auto secret = OtpSecret::generate();
        if (!key || !secret)
            return nullptr;
        gateway::DeviceRecord device;
        device.deviceId = randomToken(16);
        device.userId = userId;
        device.name = QStringLiteral("companion of %1").arg(userId);
        device.publicJwk = key->publicKey().toJwk();
        device.keyThumbprint = key->publicKey().thumbprint();
        device.pairedAt = now;
        gateway::TotpEnrollment enrollment;
        enrollment.userId = userId;
        enrollment.secret = secret->bytes();
        enrollment.createdAt = now;
        auto totp = Totp::create(secret.value());
        if (!totp || !store.value()->addDevice(device)
            || !store.value()->setTotpEnrollment(enrollment))
            return nullptr;
        return std::make_unique<Companion>(m_clock, std::move(key).value(), device.deviceId,
                                           std::move(totp).value(), gatewayKey->publicKey());
    };
    for (int i = 0; i < companionCount; ++i) {
        m_companions.push_back(enrol(userOf(i)));
        if (!m_companions.back())
            return false;
    }
    for (int i = 0; i < agentCount; ++i) {
        m_agentCompanions.push_back(enrol(agentUserOf(i)));
        if (!m_agentCompanions.back())
            return false;
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

void TestDurabilityKill::killDuringStepUpCallsRunsNothingTwice()
{
    QVERIFY(startGateway());
    const QUrl channel(QStringLiteral("ws://127.0.0.1:%1/companion/v1").arg(m_port));
    for (auto &companion : m_agentCompanions) {
        companion->accepted = {};
        companion->open(channel);
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_agentCompanions.begin(), m_agentCompanions.end(),
                                         [](const auto &c) { return c->welcomed; }),
                             20'000);

    const QUrl endpoint(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port));
    const auto transfer = [](agent::McpHttpClient &client, qint64 n, bool wait,
                             agent::McpHttpClient::Done done) {
        QJsonObject params{{QStringLiteral("name"), QStringLiteral("transfer")},
                           {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("n"), n}}}};
        // A progress token: the call is held (with progress) until the
        // person decides. Without one, the gateway answers at once unless
        // an approval is ready to use.
        if (wait) {
            params.insert(
                QStringLiteral("_meta"),
                QJsonObject{{QStringLiteral("progressToken"), QStringLiteral("p%1").arg(n)}});
        }
        client.request(QStringLiteral("tools/call"), params, std::move(done));
    };
    agent::McpHttpClient::Options options;
    options.clientName = QStringLiteral("durability-kill");
    options.declareElicitation = false;

    // Each agent calls transfer for its own n, one after the other.
    std::vector<std::unique_ptr<agent::McpHttpClient>> clients;
    std::vector<int> asked(agentCount, 0);
    bool killed = false;
    std::function<void(int)> next = [&](int agent) {
        if (killed || asked[agent] == callsPerAgent)
            return;
        const qint64 n = qint64(agent) * callsPerAgent + asked[agent]++;
        transfer(*clients[agent], n, true,
                 [&, agent](const agent::McpHttpClient::Response &) { next(agent); });
    };
    for (int i = 0; i < agentCount; ++i) {
        clients.push_back(testing::initializedMcpClient(endpoint, agentKeyOf(i), options));
        QVERIFY(clients.back());
    }
    for (int i = 0; i < agentCount; ++i)
        next(i);
    QTRY_VERIFY2_WITH_TIMEOUT(m_upstream.total >= executedBeforeKill,
                              qPrintable(QStringLiteral("%1 run").arg(m_upstream.total)), 30'000);

    // SIGKILL with calls held, approvals in flight and calls on their way
    // to the upstream.
    m_gateway->kill();
    killed = true;
    QVERIFY(m_gateway->waitForFinished(10'000));
    for (auto &companion : m_agentCompanions)
        companion->abort();
    clients.clear();
    const int runBeforeKill = m_upstream.total;

    // Every agent asks for everything it asked for again. Nobody approves
    // any more: what runs now can only be an approval given before the
    // kill and not yet used.
    QVERIFY(startGateway());
    for (int i = 0; i < agentCount; ++i) {
        clients.push_back(testing::initializedMcpClient(endpoint, agentKeyOf(i), options));
        QVERIFY(clients.back());
    }
    int answered = 0;
    int expected = 0;
    for (int agent = 0; agent < agentCount; ++agent) {
        for (int k = 0; k < asked[agent]; ++k, ++expected) {
            transfer(*clients[agent], qint64(agent) * callsPerAgent + k, false,
                     [&](const agent::McpHttpClient::Response &) { ++answered; });
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(answered, expected, 30'000);
    qInfo("%d run before the kill, %d after the restart, %d calls asked again", runBeforeKill,
          m_upstream.total - runBeforeKill, expected);
    for (auto it = m_upstream.runs.cbegin(); it != m_upstream.runs.cend(); ++it) {
        QVERIFY2(
            it.value() == 1,
            qPrintable(QStringLiteral("transfer %1 ran %2 times").arg(it.key()).arg(it.value())));
    }
    m_gateway->terminate();
    QVERIFY(m_gateway->waitForFinished(10'000));
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
