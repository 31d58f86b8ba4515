#include "protocol/base64url.h"
#include "protocol/jose/ecprivatekey.h"
#include "rfc7515vectors.h"

#include <QJsonObject>
#include <QTest>

using namespace countersign;
namespace rfc7515 = countersign::testing::rfc7515;

class TestEcKeys : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void generatedKeysDiffer();
    void publicJwkRoundTrips();
    void pkcs8RoundTripsAndSignsTheSame();
    void refusesBadPublicJwks_data();
    void refusesBadPublicJwks();
    void refusesPrivateJwkWhoseDDoesNotMatch();
    void refusesBadPkcs8();
    void refusesBadPoints_data();
    void refusesBadPoints();
};

void TestEcKeys::generatedKeysDiffer()
{
    const auto a = EcPrivateKey::generate();
    const auto b = EcPrivateKey::generate();
    QVERIFY(a.ok() && b.ok());
    QVERIFY(!(a->publicKey() == b->publicKey()));
    QVERIFY(a->publicKey().thumbprint() != b->publicKey().thumbprint());
}

void TestEcKeys::publicJwkRoundTrips()
{
    const auto key = EcPublicKey::fromJwk(rfc7515::a3PublicJwk());
    QVERIFY(key.ok());
    QCOMPARE(key->toJwk(), rfc7515::a3PublicJwk());
    QCOMPARE(key->uncompressedPoint().size(), 65);
    const auto fromPoint = EcPublicKey::fromUncompressedPoint(key->uncompressedPoint());
    QVERIFY(fromPoint.ok());
    QVERIFY(fromPoint.value() == key.value());
    // Extra members such as "kid" and "use" do not change the key.
    QJsonObject decorated = rfc7515::a3PublicJwk();
    decorated.insert(QStringLiteral("kid"), QStringLiteral("k1"));
    decorated.insert(QStringLiteral("use"), QStringLiteral("sig"));
    QVERIFY(EcPublicKey::fromJwk(decorated).value() == key.value());
}

void TestEcKeys::pkcs8RoundTripsAndSignsTheSame()
{
    const auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    const QByteArray der = key->toPkcs8Der();
    QVERIFY(der.size() > 100);
    const auto restored = EcPrivateKey::fromPkcs8Der(der);
    QVERIFY(restored.ok());
    QVERIFY(restored->publicKey() == key->publicKey());
    const auto signature = restored->signEs256("message");
    QVERIFY(signature.ok());
    QVERIFY(key->publicKey().verifyEs256("message", signature.value()));
}

void TestEcKeys::refusesBadPublicJwks_data()
{
    QTest::addColumn<QJsonObject>("jwk");
    QTest::addColumn<ErrorCode>("expected");
    const QJsonObject good = rfc7515::a3PublicJwk();
    auto with = [&good](const char *member, QJsonValue value) {
        QJsonObject jwk = good;
        jwk.insert(QLatin1StringView(member), value);
        return jwk;
    };
    auto without = [&good](const char *member) {
        QJsonObject jwk = good;
        jwk.remove(QLatin1StringView(member));
        return jwk;
    };
    QTest::newRow("RSA") << with("kty", QStringLiteral("RSA")) << ErrorCode::UnsupportedKey;
    QTest::newRow("P-384") << with("crv", QStringLiteral("P-384")) << ErrorCode::UnsupportedKey;
    QTest::newRow("secp256k1") << with("crv", QStringLiteral("secp256k1"))
                               << ErrorCode::UnsupportedKey;
    QTest::newRow("no x") << without("x") << ErrorCode::MalformedKey;
    QTest::newRow("no y") << without("y") << ErrorCode::MalformedKey;
    QTest::newRow("x not a string") << with("x", 5) << ErrorCode::MalformedKey;
    QTest::newRow("x too short") << with(
        "x", QString::fromLatin1(base64UrlEncode(QByteArray(31, '\x01'))))
                                 << ErrorCode::MalformedKey;
    QTest::newRow("x with leading zero byte (33 bytes)")
        << with("x", QString::fromLatin1(base64UrlEncode(QByteArray(33, '\x01'))))
        << ErrorCode::MalformedKey;
    QTest::newRow("x padded") << with("x",
                                      QString(good.value(QStringLiteral("x")).toString() + u'='))
                              << ErrorCode::MalformedKey;
    QTest::newRow("point not on curve")
        << with("y", QString::fromLatin1(base64UrlEncode(QByteArray(32, '\x01'))))
        << ErrorCode::MalformedKey;
}

void TestEcKeys::refusesBadPublicJwks()
{
    QFETCH(QJsonObject, jwk);
    QFETCH(ErrorCode, expected);
    const auto key = EcPublicKey::fromJwk(jwk);
    QVERIFY(!key.ok());
    QCOMPARE(key.error().code, expected);
}

void TestEcKeys::refusesPrivateJwkWhoseDDoesNotMatch()
{
    QJsonObject jwk = rfc7515::a3PrivateJwk();
    const auto other = EcPrivateKey::generate();
    QVERIFY(other.ok());
    jwk.insert(QStringLiteral("x"), other->publicKey().toJwk().value(QStringLiteral("x")));
    jwk.insert(QStringLiteral("y"), other->publicKey().toJwk().value(QStringLiteral("y")));
    const auto key = EcPrivateKey::fromJwk(jwk);
    QVERIFY(!key.ok());
    QCOMPARE(key.error().code, ErrorCode::MalformedKey);

    jwk = rfc7515::a3PrivateJwk();
    jwk.remove(QStringLiteral("d"));
    QCOMPARE(EcPrivateKey::fromJwk(jwk).error().code, ErrorCode::MalformedKey);
}

void TestEcKeys::refusesBadPkcs8()
{
    const auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    const QByteArray der = key->toPkcs8Der();
    QCOMPARE(EcPrivateKey::fromPkcs8Der(QByteArray()).error().code, ErrorCode::MalformedKey);
    QCOMPARE(EcPrivateKey::fromPkcs8Der(der.first(der.size() - 5)).error().code,
             ErrorCode::MalformedKey);
    QCOMPARE(EcPrivateKey::fromPkcs8Der(QByteArray(der + QByteArray(3, '\0'))).error().code,
             ErrorCode::MalformedKey);
    QCOMPARE(EcPrivateKey::fromPkcs8Der(QByteArray(120, '\x30')).error().code,
             ErrorCode::MalformedKey);
}

void TestEcKeys::refusesBadPoints_data()
{
    QTest::addColumn<QByteArray>("point");
    const QByteArray good = EcPublicKey::fromJwk(rfc7515::a3PublicJwk())->uncompressedPoint();
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("compressed prefix") << QByteArray('\x02' + good.mid(1));
    QTest::newRow("64 bytes without prefix") << good.mid(1);
    QTest::newRow("one byte short") << good.chopped(1);
    QTest::newRow("not on curve") << QByteArray(good.chopped(1) + char(good.back() ^ 1));
    QTest::newRow("all zero") << QByteArray('\x04' + QByteArray(64, '\0'));
}

void TestEcKeys::refusesBadPoints()
{
    QFETCH(QByteArray, point);
    const auto key = EcPublicKey::fromUncompressedPoint(point);
    QVERIFY(!key.ok());
    QCOMPARE(key.error().code, ErrorCode::MalformedKey);
}

QTEST_APPLESS_MAIN(TestEcKeys)
#include "test_eckeys.moc"
