#include "gatewayfixture.h"

#include <QTcpSocket>

using namespace countersign;
using namespace countersign::testing;
using countersign::gateway::CloseCode::protocolError;
using countersign::gateway::CloseCode::replaced;
using countersign::gateway::CloseCode::revoked;
using countersign::gateway::CloseCode::unauthorized;

// The companion channel's handshake and its defences against bad input.
class TestGatewayChannel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void welcomesWithPendingRequests();
    void refusesUnknownDevice();
    void refusesProofByAnotherKey();
    void refusesWrongNonce();
    void refusesRevokedDevice();
    void closesChannelWithoutAuthentication();
    void closesOnMalformedJson();
    void closesOnBinaryFrame();
    void closesOnOversizedMessageAndKeepsServingOthers();
    void answersUnknownMessageTypesWithoutClosing();
    void newConnectionReplacesOld();
    void revokingClosesLiveChannelAtOnce();
    void closesConnectionThatStopsAnsweringPings();

private:
    std::unique_ptr<GatewayFixture> m_fixture;
};

void TestGatewayChannel::init()
{
    gateway::ChannelTimings timings;
    timings.authTimeout = std::chrono::milliseconds(500);
    m_fixture = std::make_unique<GatewayFixture>(timings);
    QVERIFY(m_fixture->start());
}

void TestGatewayChannel::cleanup()
{
    m_fixture.reset();
}

void TestGatewayChannel::welcomesWithPendingRequests()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion);
    // Requested while the companion was offline: nothing is lost.
    const auto first = m_fixture->request();
    const auto second = m_fixture->request();
    m_fixture->request(QStringLiteral("bob@example.com")); // someone else's

    companion->connectChannelWith(companion->deviceKey(), companion->deviceId());
    const auto welcome = companion->waitFor(QStringLiteral("welcome"));
    QVERIFY(welcome);
    QCOMPARE(welcome->value(QStringLiteral("user")).toString(),
             QStringLiteral("alice@example.com"));
    const QJsonArray pending = welcome->value(QStringLiteral("pending")).toArray();
    QCOMPARE(pending.size(), 2);
    QStringList ids;
    for (const QJsonValue &jws : pending) {
        const auto verified = companion->verify(jws.toString());
        QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
        ids.append(verified->request.requestId);
    }
    QVERIFY(ids.contains(first.requestId));
    QVERIFY(ids.contains(second.requestId));
}

void TestGatewayChannel::refusesUnknownDevice()
{
    auto companion = m_fixture->pairedCompanion();
    companion->connectChannelWith(companion->deviceKey(), QStringLiteral("no-such-device"));
    QCOMPARE(companion->waitForClose(), unauthorized);
    // The close is the gateway's last frame: a welcome would have come first.
    QVERIFY(!companion->waitFor(QStringLiteral("welcome"), 0));
}

void TestGatewayChannel::refusesProofByAnotherKey()
{
    auto companion = m_fixture->pairedCompanion();
    companion->connectChannelWith(EcPrivateKey::generate().value(), companion->deviceId());
    QCOMPARE(companion->waitForClose(), unauthorized);
}

void TestGatewayChannel::refusesWrongNonce()
{
    auto companion = m_fixture->pairedCompanion();
    // A proof for another connection's nonce must not open this one.
    companion->connectChannelWith(companion->deviceKey(), companion->deviceId(),
                                  QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    QCOMPARE(companion->waitForClose(), unauthorized);
}

void TestGatewayChannel::refusesRevokedDevice()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(m_fixture->gateway().store().revokeDevice(companion->deviceId(),
                                                      m_fixture->clock().secondsSinceEpoch()));
    companion->connectChannelWith(companion->deviceKey(), companion->deviceId());
    QCOMPARE(companion->waitForClose(), revoked);
}

void TestGatewayChannel::closesChannelWithoutAuthentication()
{
    QWebSocket socket;
    QUrl url = m_fixture->gateway().publicUrl();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/companion/v1"));
    socket.open(url);
    QTRY_COMPARE(socket.state(), QAbstractSocket::ConnectedState);
    // No auth within the fixture's 500 ms: the gateway closes.
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, 5000);
    QCOMPARE(int(socket.closeCode()), unauthorized);
}

void TestGatewayChannel::closesOnMalformedJson()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    companion->sendRaw(QStringLiteral("{not json"));
    QCOMPARE(companion->waitForClose(), protocolError);
    QVERIFY(!companion->closeReason().isEmpty());
}

void TestGatewayChannel::closesOnBinaryFrame()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    companion->sendBinary(QByteArray(16, '\x01'));
    QCOMPARE(companion->waitForClose(), int(QWebSocketProtocol::CloseCodeDatatypeNotSupported));
}

void TestGatewayChannel::closesOnOversizedMessageAndKeepsServingOthers()
{
    auto bystander = m_fixture->pairedCompanion();
    QVERIFY(bystander->connectChannel());
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    companion->sendRaw(QString(gateway::CompanionSession::maxMessageBytes + 10, u'x'));
    QCOMPARE(companion->waitForClose(), int(QWebSocketProtocol::CloseCodeTooMuchData));
    // The other companion still gets requests.
    const auto approval = m_fixture->request();
    const auto requested = bystander->waitFor(QStringLiteral("approval.requested"));
    QVERIFY(requested);
    QCOMPARE(bystander->verify(requested->value(QStringLiteral("request")).toString())
                 ->request.requestId,
             approval.requestId);
}

void TestGatewayChannel::answersUnknownMessageTypesWithoutClosing()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    companion->sendRaw(QStringLiteral(R"({"type":"approval.autoapprove"})"));
    const auto error = companion->waitFor(QStringLiteral("error"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("code")).toString(),
             QStringLiteral("unsupported_message"));
    QCOMPARE(companion->socket().state(), QAbstractSocket::ConnectedState);
}

void TestGatewayChannel::newConnectionReplacesOld()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    // The same device connects again, e.g. after the laptop woke up.
    auto again = companion->sameDevice();
    QVERIFY(again->connectChannel());
    QCOMPARE(companion->waitForClose(), replaced);
    QVERIFY(m_fixture->gateway().hub().isConnected(companion->deviceId()));
    QCOMPARE(m_fixture->gateway().hub().connectedDevices(), 1);
    // Requests go to the new connection.
    m_fixture->request();
    QVERIFY(again->waitFor(QStringLiteral("approval.requested")));
}

void TestGatewayChannel::revokingClosesLiveChannelAtOnce()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    const QString deviceId = companion->deviceId();
    QVERIFY(m_fixture->gateway().store().revokeDevice(deviceId,
                                                      m_fixture->clock().secondsSinceEpoch()));
    // What `countersign-gateway devices revoke` does after writing the store.
    QVERIFY(gateway::ControlSocket::notifyDeviceRevoked(m_fixture->dataDir(), deviceId));
    QCOMPARE(companion->waitForClose(), revoked);
    QTRY_VERIFY(!m_fixture->gateway().hub().isConnected(deviceId));
}

void TestGatewayChannel::closesConnectionThatStopsAnsweringPings()
{
    // QWebSocket always answers pings, so this client speaks the WebSocket
    // framing itself over a plain socket and never sends a pong.
    gateway::ChannelTimings timings;
    timings.pingInterval = std::chrono::milliseconds(100);
    timings.pongTimeout = std::chrono::milliseconds(300);
    GatewayFixture fixture(timings);
    QVERIFY(fixture.start());
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, fixture.gateway().port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("GET /companion/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n");
    QByteArray received;
    int pings = 0;
    std::optional<int> closeCode;
    // Read frames (server frames are unmasked) until the close frame.
    auto parse = [&] {
        const qsizetype headerEnd = received.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return false;
        QByteArray frames = received.mid(headerEnd + 4);
        pings = 0;
        while (frames.size() >= 2) {
            const int opcode = frames[0] & 0x0f;
            qsizetype length = frames[1] & 0x7f;
            qsizetype offset = 2;
            if (length == 126) {
                if (frames.size() < 4)
                    return false;
                length = (quint8(frames[2]) << 8) | quint8(frames[3]);
                offset = 4;
            }
            if (frames.size() < offset + length)
                return false;
            if (opcode == 0x9)
                ++pings;
            if (opcode == 0x8 && length >= 2) {
                closeCode = (quint8(frames[offset]) << 8) | quint8(frames[offset + 1]);
                return true;
            }
            frames.remove(0, offset + length);
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll(), parse()), 10000);
    QVERIFY(received.startsWith("HTTP/1.1 101"));
    QVERIFY(pings >= 2);
    QCOMPARE(closeCode, std::optional<int>(gateway::CloseCode::keepAliveTimeout));
}

QTEST_GUILESS_MAIN(TestGatewayChannel)
#include "test_gateway_channel.moc"
