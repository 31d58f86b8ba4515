#include "gatewayfixture.h"
#include "protocol/jose/jws.h"

#include <QJsonDocument>

using namespace countersign;
using namespace countersign::testing;

class TestGatewayPairing : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void pairsAndAuthenticatesChannel();
    void refusesReusedCode();
    void refusesExpiredCode();
    void refusesWrongCode();
    void refusesProofByAnotherKey();
    void refusesMalformedRequests_data();
    void refusesMalformedRequests();
    void rateLimitsAttemptsPerAddress();

private:
    std::unique_ptr<GatewayFixture> m_fixture;
};

void TestGatewayPairing::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
}

void TestGatewayPairing::cleanup()
{
    m_fixture.reset();
}

void TestGatewayPairing::pairsAndAuthenticatesChannel()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    QVERIFY(offer.ok());
    // The link survives a trip through text, as from a QR code.
    const auto link = PairingLink::parse(offer->link.toString());
    QVERIFY(link.ok());
    QCOMPARE(link->keyThumbprint(), m_fixture->gateway().signingKey().thumbprint());

    TestCompanion companion(m_fixture->clock());
    const auto reply = companion.pair(link.value(), QStringLiteral("alice-laptop"));
    QCOMPARE(reply.status, 201);
    QCOMPARE(reply.body.value(QStringLiteral("user")).toString(),
             QStringLiteral("alice@example.com"));
    QCOMPARE(reply.body.value(QStringLiteral("gateway_name")).toString(),
             QStringLiteral("Test gateway"));
    QVERIFY(!companion.deviceId().isEmpty());

    const auto device = m_fixture->gateway().store().device(companion.deviceId());
    QVERIFY(device.has_value());
    QCOMPARE(device->name, QStringLiteral("alice-laptop"));
    QCOMPARE(device->keyThumbprint, companion.deviceKey().publicKey().thumbprint());

    QVERIFY(companion.connectChannel());
    QTRY_VERIFY(m_fixture->gateway().hub().isConnected(companion.deviceId()));
}

void TestGatewayPairing::refusesReusedCode()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    TestCompanion first(m_fixture->clock());
    QCOMPARE(first.pair(offer->link).status, 201);
    TestCompanion second(m_fixture->clock());
    const auto reply = second.pair(offer->link);
    QCOMPARE(reply.status, 401);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(), QStringLiteral("invalid_code"));
    QCOMPARE(m_fixture->gateway().store().devices().size(), 1);
}

void TestGatewayPairing::refusesExpiredCode()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    m_fixture->clock().advance(10 * 60 + 1);
    TestCompanion companion(m_fixture->clock());
    const auto reply = companion.pair(offer->link);
    QCOMPARE(reply.status, 401);
    QCOMPARE(reply.body.value(QStringLiteral("error")).toString(), QStringLiteral("invalid_code"));
}

void TestGatewayPairing::refusesWrongCode()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    const auto wrong = PairingLink::create(
        PairingLink::Fields{offer->link.gatewayUrl(),
                            QString(offer->link.code()).replace(0, 4, QStringLiteral("AAAA")),
                            offer->link.keyThumbprint(),
                            {},
                            offer->link.displayName()});
    QVERIFY(wrong.ok());
    TestCompanion companion(m_fixture->clock());
    QCOMPARE(companion.pair(wrong.value()).status, 401);
    // The real code still works afterwards.
    QCOMPARE(companion.pair(offer->link).status, 201);
}

void TestGatewayPairing::refusesProofByAnotherKey()
{
    const auto offer =
        m_fixture->gateway().pairing().createOffer(QStringLiteral("alice@example.com"));
    TestCompanion companion(m_fixture->clock());
    const EcPrivateKey other = EcPrivateKey::generate().value();
    const QByteArray proof =
        Jws::sign(QJsonDocument(
                      QJsonObject{{QStringLiteral("v"), 1},
                                  {QStringLiteral("code"), offer->link.code()},
                                  {QStringLiteral("iat"), m_fixture->clock().secondsSinceEpoch()}})
                      .toJson(QJsonDocument::Compact),
                  other, QStringLiteral("countersign-pair+jwt"), {})
            .value();
    const QJsonObject body{
        {QStringLiteral("v"), 1},
        {QStringLiteral("code"), offer->link.code()},
        {QStringLiteral("device_name"), QStringLiteral("x")},
        {QStringLiteral("device_key"), companion.deviceKey().publicKey().toJwk()},
        {QStringLiteral("proof"), QString::fromLatin1(proof)}};
    const auto reply = companion.postPairing(offer->link.gatewayUrl(),
                                             QJsonDocument(body).toJson(QJsonDocument::Compact));
    QCOMPARE(reply.status, 400);
    QVERIFY(reply.body.value(QStringLiteral("message")).toString().contains(u"pair.proof"));
    // A refused attempt does not use up the code.
    QCOMPARE(companion.pair(offer->link).status, 201);
}

void TestGatewayPairing::refusesMalformedRequests_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::newRow("empty") << QByteArray() << 400;
    QTest::newRow("not json") << QByteArray("code=abc") << 400;
    QTest::newRow("array") << QByteArray("[]") << 400;
    QTest::newRow("missing members") << QByteArray(R"({"v":1})") << 400;
    QTest::newRow("unknown member") << QByteArray(R"({"v":1,"admin":true})") << 400;
    QTest::newRow("version 2") << QByteArray(
        R"({"v":2,"code":"x","device_name":"d","device_key":{},"proof":"p"})")
                               << 400;
    QTest::newRow("bad key") << QByteArray(
        R"({"v":1,"code":"x","device_name":"d","device_key":{"kty":"EC"},"proof":"p"})")
                             << 400;
    QTest::newRow("oversized") << QByteArray(20 * 1024, ' ') << 413;
}

void TestGatewayPairing::refusesMalformedRequests()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    TestCompanion companion(m_fixture->clock());
    const auto reply = companion.postPairing(m_fixture->gateway().publicUrl(), body);
    QCOMPARE(reply.status, status);
    QVERIFY(!reply.body.value(QStringLiteral("message")).toString().isEmpty());
    // The gateway keeps serving.
    QVERIFY(m_fixture->pairedCompanion() != nullptr);
}

void TestGatewayPairing::rateLimitsAttemptsPerAddress()
{
    TestCompanion companion(m_fixture->clock());
    int limited = 0;
    for (int i = 0; i < 25; ++i) {
        if (companion.postPairing(m_fixture->gateway().publicUrl(), "{}").status == 429)
            ++limited;
    }
    QCOMPARE(limited, 5); // the fixture allows 20 a minute
    m_fixture->clock().advance(61);
    QCOMPARE(companion.postPairing(m_fixture->gateway().publicUrl(), "{}").status, 400);
}

QTEST_GUILESS_MAIN(TestGatewayPairing)
#include "test_gateway_pairing.moc"
