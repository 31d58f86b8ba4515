#include "gateway/edge/edgeserver.h"
#include "gateway/edge/httprouter.h"
#include "tests/support/tcpstate.h"

#include <memory>
#include <sys/socket.h>

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QTest>

using namespace countersign::gateway;
using countersign::testing::peerHasClosed;

namespace {

// A client that sends its request and then reads nothing: Qt's read
// buffer is kept tiny, so what the server sends piles up in the kernel.
std::unique_ptr<QTcpSocket> nonReadingClient(quint16 port, const QByteArray &request)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->setReadBufferSize(1024);
    socket->connectToHost(QHostAddress::LocalHost, port);
    if (!socket->waitForConnected(2000))
        return nullptr;
    socket->write(request);
    if (!socket->waitForBytesWritten(2000))
        return nullptr;
    return socket;
}

const QByteArray upgradeRequest = "GET /companion/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  "Sec-WebSocket-Version: 13\r\n\r\n";

// 16 KiB messages, 4 MiB in all: far over the 256 KiB queue the tests set.
constexpr int messageBytes = 16 * 1024;
constexpr int messageCount = 256;

} // namespace

class TestEdgeServer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void webSocketThatDoesNotReadIsClosedWhenItsQueueIsFull();
    void eventStreamThatIsNotReadIsClosedWhenItsQueueIsFull();
    void responseThatIsNotReadIsClosedAfterTheWriteStall();

private:
    static EdgeOptions options(std::chrono::milliseconds writeStall)
    {
        EdgeOptions result;
        result.ioThreads = 2;
        result.limits.sendQueueBytes = 256 * 1024;
        result.limits.writeStallTimeout = writeStall;
        return result;
    }
};

void TestEdgeServer::webSocketThatDoesNotReadIsClosedWhenItsQueueIsFull()
{
    // The stall timeout is far away: the queue cap must be what ends it.
    EdgeServer server(options(std::chrono::minutes(5)));
    QObject receiver;
    bool closed = false;
    std::shared_ptr<CompanionConnection> connection;
    server.setWebSocketHandler([](const HttpRequest &) { return std::optional<HttpResponse>(); },
                               [&](std::shared_ptr<CompanionConnection> accepted) {
                                   connection = std::move(accepted);
                                   CompanionConnection::Events events;
                                   events.closed = [&closed] { closed = true; };
                                   connection->start(&receiver, std::move(events));
                                   const QString message(messageBytes, u'x');
                                   for (int i = 0; i < messageCount; ++i)
                                       connection->sendText(message);
                               });
    const auto port = server.listen();
    QVERIFY(port);
    auto client = nonReadingClient(port.value(), upgradeRequest);
    QVERIFY(client);
    QTRY_VERIFY_WITH_TIMEOUT(closed, 10'000);
    QCOMPARE(server.limitLog().count(LimitLog::SendQueueFull), 1u);
    // What reached the client ends with a close frame: 1013, try again
    // later (RFC 6455 7.4.1), after at most the frames already on the wire.
    client->setReadBufferSize(0);
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 10'000 && !peerHasClosed(*client)) {
        client->waitForReadyRead(100);
        received += client->readAll();
    }
    while (client->waitForReadyRead(200))
        received += client->readAll();
    received += client->readAll();
    QVERIFY2(received.contains(QByteArray(QByteArray::fromHex("03f5") + "send queue full")),
             qPrintable(QString::number(received.size())));
    QVERIFY(received.size() < messageCount * messageBytes);
}

void TestEdgeServer::eventStreamThatIsNotReadIsClosedWhenItsQueueIsFull()
{
    EdgeServer server(options(std::chrono::minutes(5)));
    std::optional<Responder> stream;
    server.setHttpHandler([&](const HttpRequest &, Responder &&responder) {
        stream.emplace(std::move(responder));
        stream->beginStream(HttpStatus::ok, {{"Content-Type", "text/event-stream"}});
        const QByteArray event = "data: " + QByteArray(messageBytes, 'x') + "\n\n";
        for (int i = 0; i < messageCount; ++i)
            stream->writeChunk(event);
    });
    const auto port = server.listen();
    QVERIFY(port);
    auto client = nonReadingClient(port.value(), "GET /events HTTP/1.1\r\nHost: g\r\n\r\n");
    QVERIFY(client);
    QTRY_VERIFY_WITH_TIMEOUT(peerHasClosed(*client), 10'000);
    QCOMPARE(server.limitLog().count(LimitLog::SendQueueFull), 1u);
    QTRY_VERIFY_WITH_TIMEOUT(!stream->clientStillThere(), 5000);
}

void TestEdgeServer::responseThatIsNotReadIsClosedAfterTheWriteStall()
{
    // One answer far larger than the kernel's buffers, to a client that
    // reads nothing: the write stalls and the stall timeout ends it.
    EdgeServer server(options(std::chrono::milliseconds(500)));
    server.setHttpHandler([](const HttpRequest &, Responder &&responder) {
        HttpResponse response(HttpStatus::ok);
        response.body = QByteArray(64 * 1024 * 1024, 'x');
        responder.send(std::move(response));
    });
    const auto port = server.listen();
    QVERIFY(port);
    auto client = nonReadingClient(port.value(), "GET /big HTTP/1.1\r\nHost: g\r\n\r\n");
    QVERIFY(client);
    QElapsedTimer timer;
    timer.start();
    QTRY_VERIFY_WITH_TIMEOUT(peerHasClosed(*client), 10'000);
    QVERIFY2(timer.elapsed() >= 400, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(server.limitLog().count(LimitLog::Timeout), 1u);
    // The connection object goes once its last handler has run.
    QTRY_COMPARE_WITH_TIMEOUT(server.openConnections(), 0, 5000);
}

QTEST_GUILESS_MAIN(TestEdgeServer)
#include "test_edgeserver.moc"
