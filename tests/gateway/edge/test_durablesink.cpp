#include "gateway/edge/durablesink.h"
#include "gateway/edge/edgeserver.h"

#include <memory>

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

namespace {

// Holds every whenDurable() callback until the test releases it, like a
// sync thread that has not synced yet.
class FakeDurability final : public Durability {
public:
    bool unsynced = false;

    bool hasUnsyncedCommits() const override { return unsynced; }
    void whenDurable(QObject *context, Done done) override
    {
        m_waiting.push_back({QPointer<QObject>(context), std::move(done)});
    }

    int waiting() const { return static_cast<int>(m_waiting.size()); }
    // Answers the oldest `count` callbacks (all when -1), in order.
    void release(Status status = Ok{}, int count = -1)
    {
        while (!m_waiting.empty() && count-- != 0) {
            auto [context, done] = std::move(m_waiting.front());
            m_waiting.erase(m_waiting.begin());
            if (context)
                done(status);
        }
    }

private:
    std::vector<std::pair<QPointer<QObject>, Done>> m_waiting;
};

class RecordingSink final : public ResponseSink {
public:
    QStringList calls;
    QByteArray lastBody;

    void send(HttpResponse response) override
    {
        calls << QStringLiteral("send %1").arg(response.status);
        lastBody = response.body;
    }
    void beginStream(int status, HttpHeaders) override
    {
        calls << QStringLiteral("begin %1").arg(status);
    }
    void writeChunk(QByteArray data) override
    {
        calls << QStringLiteral("chunk ") + QString::fromUtf8(data);
    }
    void endStream() override { calls << QStringLiteral("end"); }
    void abandon() override { calls << QStringLiteral("abandon"); }
    void cut() override { calls << QStringLiteral("cut"); }
    bool clientStillThere() const override { return true; }
};

class RecordingConnection final : public CompanionConnection {
public:
    QStringList calls;

    void start(QObject *, Events) override { calls << QStringLiteral("start"); }
    void sendText(const QString &text) override { calls << QStringLiteral("text ") + text; }
    void ping() override { calls << QStringLiteral("ping"); }
    void close(int code, const QString &) override
    {
        calls << QStringLiteral("close %1").arg(code);
    }
    QHostAddress peerAddress() const override { return QHostAddress::LocalHost; }
    void markTrusted() override { calls << QStringLiteral("trusted"); }
};

} // namespace

class TestDurableSink : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        durability = std::make_unique<FakeDurability>();
        context = std::make_unique<QObject>();
        gate = std::make_unique<DurabilityGate>(*durability, context.get());
        inner = std::make_shared<RecordingSink>();
        connection = std::make_shared<RecordingConnection>();
    }

    void answerGoesOutAtOnceWhenNothingIsUnsynced()
    {
        auto sink = gate->wrap(inner);
        sink->send(HttpResponse(HttpStatus::ok));
        QCOMPARE(inner->calls, QStringList{QStringLiteral("send 200")});
        QCOMPARE(durability->waiting(), 0); // not even a callback
    }

    void answerIsHeldUntilItsWritesAreDurable()
    {
        auto sink = gate->wrap(inner);
        durability->unsynced = true;
        sink->send(HttpResponse(HttpStatus::created));
        QVERIFY(inner->calls.isEmpty());
        QCOMPARE(durability->waiting(), 1);
        durability->unsynced = false;
        durability->release();
        QCOMPARE(inner->calls, QStringList{QStringLiteral("send 201")});
    }

    void heldAnswerOutlivesItsResponder()
    {
        durability->unsynced = true;
        {
            Responder responder(gate->wrap(inner));
            responder.send(HttpStatus::ok);
        }
        QVERIFY(inner->calls.isEmpty());
        durability->release();
        QCOMPARE(inner->calls, QStringList{QStringLiteral("send 200")});
    }

    void laterWritesQueueBehindAHeldOneInOrder()
    {
        auto sink = gate->wrap(inner);
        durability->unsynced = true;
        sink->beginStream(HttpStatus::ok, {});
        // Synced meanwhile: no new barrier, but still behind the first.
        durability->unsynced = false;
        sink->writeChunk("a");
        sink->writeChunk("b");
        sink->endStream();
        QVERIFY(inner->calls.isEmpty());
        QCOMPARE(durability->waiting(), 1);
        durability->release();
        QCOMPARE(inner->calls,
                 (QStringList{QStringLiteral("begin 200"), QStringLiteral("chunk a"),
                              QStringLiteral("chunk b"), QStringLiteral("end")}));
        // Nothing held any more: the next write goes straight out.
        sink->writeChunk("late");
        QCOMPARE(inner->calls.last(), QStringLiteral("chunk late"));
    }

    void aWriteAfterANewCommitWaitsForThatCommit()
    {
        auto companion = gate->wrap(std::shared_ptr<CompanionConnection>(connection));
        durability->unsynced = true;
        companion->sendText(QStringLiteral("one"));
        companion->sendText(QStringLiteral("two")); // after another commit
        QCOMPARE(durability->waiting(), 2);
        durability->release(Ok{}, 1);
        QCOMPARE(connection->calls, QStringList{QStringLiteral("text one")});
        durability->release(Ok{}, 1);
        QCOMPARE(connection->calls,
                 (QStringList{QStringLiteral("text one"), QStringLiteral("text two")}));
    }

    void companionCloseKeepsItsPlaceAndPingPassesThrough()
    {
        auto companion = gate->wrap(std::shared_ptr<CompanionConnection>(connection));
        durability->unsynced = true;
        companion->sendText(QStringLiteral("resolved"));
        companion->close(4409, QStringLiteral("replaced"));
        companion->ping();
        companion->markTrusted();
        QCOMPARE(connection->calls,
                 (QStringList{QStringLiteral("ping"), QStringLiteral("trusted")}));
        durability->release();
        QCOMPARE(connection->calls,
                 (QStringList{QStringLiteral("ping"), QStringLiteral("trusted"),
                              QStringLiteral("text resolved"), QStringLiteral("close 4409")}));
    }

    void heldAnswerBecomes503WhenDurabilityFails()
    {
        auto sink = gate->wrap(inner);
        durability->unsynced = true;
        sink->send(HttpResponse(HttpStatus::ok));
        durability->release(makeError(ErrorCode::StorageFailure, QStringLiteral("fdatasync: EIO")));
        QCOMPARE(inner->calls, QStringList{QStringLiteral("send 503")});
        const QJsonObject body = QJsonDocument::fromJson(inner->lastBody).object();
        QCOMPARE(body.value(QStringLiteral("error")).toString(), QStringLiteral("storage_failure"));
        // Nothing else goes out on it afterwards.
        sink->send(HttpResponse(HttpStatus::ok));
        QCOMPARE(inner->calls.size(), 1);
    }

    void heldStreamNotYetBegunBecomes503()
    {
        auto sink = gate->wrap(inner);
        durability->unsynced = true;
        sink->beginStream(HttpStatus::ok, {});
        sink->writeChunk("approved");
        durability->release(makeError(ErrorCode::StorageFailure, QStringLiteral("EIO")));
        QCOMPARE(inner->calls, QStringList{QStringLiteral("send 503")});
    }

    void begunStreamIsCutWhenDurabilityFails()
    {
        auto sink = gate->wrap(inner);
        sink->beginStream(HttpStatus::ok, {});
        durability->unsynced = true;
        sink->writeChunk("approved");
        sink->endStream();
        durability->release(makeError(ErrorCode::StorageFailure, QStringLiteral("EIO")));
        QCOMPARE(inner->calls, (QStringList{QStringLiteral("begin 200"), QStringLiteral("cut")}));
    }

    void heldCompanionMessagesAreDroppedAndTheConnectionClosed()
    {
        auto companion = gate->wrap(std::shared_ptr<CompanionConnection>(connection));
        durability->unsynced = true;
        companion->sendText(QStringLiteral("approval.accepted"));
        companion->close(1000, QStringLiteral("bye"));
        durability->release(makeError(ErrorCode::StorageFailure, QStringLiteral("EIO")));
        QCOMPARE(connection->calls, QStringList{QStringLiteral("close 1011")});
        companion->sendText(QStringLiteral("later"));
        QCOMPARE(connection->calls.size(), 1);
    }

    void heldWritesAreDroppedWhenTheGateGoes()
    {
        auto sink = gate->wrap(inner);
        durability->unsynced = true;
        sink->send(HttpResponse(HttpStatus::ok));
        context.reset(); // the edge stopped
        durability->release();
        QVERIFY(inner->calls.isEmpty());
    }

    // The edge wraps what it hands to the Qt side: a real request on
    // loopback is answered only once its writes are durable.
    void edgeHoldsARealAnswerUntilDurable()
    {
        EdgeOptions options;
        options.ioThreads = 1;
        EdgeServer server(options);
        server.setDurability(durability.get());
        bool handled = false;
        server.setHttpHandler([&](const HttpRequest &, Responder &&responder) {
            handled = true;
            durability->unsynced = true; // the route committed a write
            responder.send(HttpResponse("text/plain", "approved"));
        });
        const auto port = server.listen();
        QVERIFY(port);
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, port.value());
        QVERIFY(client.waitForConnected(5000));
        client.write("GET /x HTTP/1.1\r\nHost: g\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(handled, 5000);
        // The handler has answered; the answer waits for the sync.
        QCOMPARE(durability->waiting(), 1);
        QVERIFY(!client.waitForReadyRead(100) && client.bytesAvailable() == 0);
        durability->unsynced = false;
        durability->release();
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += client.readAll()).endsWith("approved"), 5000);
        QVERIFY(received.startsWith("HTTP/1.1 200"));
    }

private:
    std::unique_ptr<FakeDurability> durability;
    std::unique_ptr<QObject> context;
    std::unique_ptr<DurabilityGate> gate;
    std::shared_ptr<RecordingSink> inner;
    std::shared_ptr<RecordingConnection> connection;
};

QTEST_GUILESS_MAIN(TestDurableSink)
#include "test_durablesink.moc"
