// The durability gate with the real store (issue 17): a GatewayRuntime in
// group-commit mode whose WAL sync the test holds back. An admin request
// that creates an approval is answered only after the sync that makes the
// approval durable; a gateway that let the answer out before the sync
// (the gate missing or bypassed) fails here, which the kill -9 test cannot
// see (kill -9 loses no committed write: only a power loss would).

#include "gateway/config/gatewayconfig.h"
#include "gateway/runtime/gatewayruntime.h"
#include "protocol/clock.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <unistd.h>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;

namespace {

constexpr auto adminToken = "gate-admin-token-0123456789abcdef";

// Blocks the store's sync thread while closed; counts the syncs waiting.
struct SyncValve {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = true;
    int waiting = 0;

    int sync(int fd)
    {
        {
            std::unique_lock lock(mutex);
            ++waiting;
            changed.wait(lock, [this] { return open; });
            --waiting;
        }
        return ::fdatasync(fd);
    }
    void setOpen(bool value)
    {
        {
            const std::lock_guard lock(mutex);
            open = value;
        }
        changed.notify_all();
    }
    int waitingNow()
    {
        const std::lock_guard lock(mutex);
        return waiting;
    }
};

} // namespace

class TestDurabilityGate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void answerWaitsForTheSyncOfItsWrite();
};

void TestDurabilityGate::answerWaitsForTheSyncOfItsWrite()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile token(dir.filePath(QStringLiteral("admin.token")));
    QVERIFY(token.open(QIODevice::WriteOnly));
    QVERIFY(token.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    token.write(adminToken);
    token.close();
    auto config = gateway::GatewayConfig::parse(
        "listen: 127.0.0.1:0\nusers: [alice@example.com]\nadmin:\n  token_file: "
            + token.fileName().toUtf8() + '\n',
        dir.filePath(QStringLiteral("gateway.yaml")));
    QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));

    auto valve = std::make_shared<SyncValve>();
    gateway::GatewayRuntime::Options options;
    options.groupCommit = true;
    options.syncFile = [valve](int fd) { return valve->sync(fd); };
    SystemClock clock;
    auto runtime = gateway::GatewayRuntime::start(
        config.value(), dir.filePath(QStringLiteral("data")), clock, {}, options);
    QVERIFY2(runtime.ok(), runtime.ok() ? "" : qPrintable(runtime.error().message));
    // Whatever start-up wrote is synced before the valve closes.
    QTRY_VERIFY(!runtime.value()->store().durability().hasUnsyncedCommits());
    valve->setOpen(false);

    QNetworkAccessManager network;
    QNetworkRequest request(
        QUrl(QStringLiteral("http://127.0.0.1:%1/approvals").arg(runtime.value()->port())));
    request.setRawHeader("Authorization", QByteArray("Bearer ") + adminToken);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    const QByteArray body = R"({"sarc": {"subject": {"type": "user", "id": "alice@example.com",
        "properties": {"agent": "gate-test"}}, "action": {"name": "disable_user"},
        "resource": {"type": "tool", "id": "directory/disable_user"},
        "context": {"agent_supplied": {"reason": "durability gate"}}}, "methods": ["totp"]})";
    QNetworkReply *reply = network.post(request, body);

    // The approval is committed and its sync has begun (and is held).
    QTRY_VERIFY(
        !runtime.value()->store().pendingApprovals({}, clock.secondsSinceEpoch()).isEmpty());
    QTRY_VERIFY(valve->waitingNow() > 0);
    QVERIFY(runtime.value()->store().durability().hasUnsyncedCommits());
    // The answer is made and held by the gate, not on its way: nothing of
    // it has been written to the socket, so the reply cannot have finished.
    const gateway::EdgeServer &edge = runtime.value()->server().edge();
    QTRY_COMPARE(edge.heldWrites(), std::size_t(1));
    QVERIFY2(!reply->isFinished(), "the answer left before its write was durable");

    valve->setOpen(true);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(edge.heldWrites(), std::size_t(0));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
    QCOMPARE(QJsonDocument::fromJson(reply->readAll())
                 .object()
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("pending"));
    delete reply;
}

QTEST_GUILESS_MAIN(TestDurabilityGate)
#include "test_durability_gate.moc"
