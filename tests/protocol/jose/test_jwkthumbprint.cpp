#include "protocol/jose/ecpublickey.h"
#include "protocol/jose/jwkthumbprint.h"
#include "rfc7515vectors.h"

#include <QJsonObject>
#include <QTest>

using namespace countersign;

class TestJwkThumbprint : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesRfc7638Example();
    void ignoresOptionalMembersAndOrder();
    void ecKeyThumbprintIsStable();
    void refusesIncompleteOrUnknownKeys_data();
    void refusesIncompleteOrUnknownKeys();
    void fingerprintReadsInGroupsOfFour();
};

void TestJwkThumbprint::matchesRfc7638Example()
{
    // RFC 7638 section 3.1.
    const QJsonObject jwk{
        {QStringLiteral("kty"), QStringLiteral("RSA")},
        {QStringLiteral("n"),
         QStringLiteral(
             "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxu"
             "hDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_R"
             "N5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvR"
             "L5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_x"
             "BniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")},
        {QStringLiteral("e"), QStringLiteral("AQAB")},
        {QStringLiteral("alg"), QStringLiteral("RS256")},
        {QStringLiteral("kid"), QStringLiteral("2011-04-29")},
    };
    const auto thumbprint = jwkThumbprint(jwk);
    QVERIFY(thumbprint.ok());
    QCOMPARE(thumbprint.value(), QStringLiteral("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
}

void TestJwkThumbprint::ignoresOptionalMembersAndOrder()
{
    QJsonObject jwk = testing::rfc7515::a3PublicJwk();
    const QString plain = jwkThumbprint(jwk).value();
    jwk.insert(QStringLiteral("kid"), QStringLiteral("anything"));
    jwk.insert(QStringLiteral("use"), QStringLiteral("sig"));
    QCOMPARE(jwkThumbprint(jwk).value(), plain);
    jwk.insert(QStringLiteral("crv"), QStringLiteral("P-384"));
    QVERIFY(jwkThumbprint(jwk).value() != plain);
}

void TestJwkThumbprint::ecKeyThumbprintIsStable()
{
    const auto key = EcPublicKey::fromJwk(testing::rfc7515::a3PublicJwk());
    QVERIFY(key.ok());
    QCOMPARE(key->thumbprint(), jwkThumbprint(testing::rfc7515::a3PublicJwk()).value());
    QCOMPARE(key->thumbprint().size(), 43); // 32 bytes, base64url
}

void TestJwkThumbprint::refusesIncompleteOrUnknownKeys_data()
{
    QTest::addColumn<QJsonObject>("jwk");
    QTest::addColumn<ErrorCode>("expected");
    QJsonObject noY = testing::rfc7515::a3PublicJwk();
    noY.remove(QStringLiteral("y"));
    QTest::newRow("no kty") << QJsonObject{{QStringLiteral("x"), QStringLiteral("a")}}
                            << ErrorCode::MalformedKey;
    QTest::newRow("unknown kty") << QJsonObject{{QStringLiteral("kty"), QStringLiteral("oct")}}
                                 << ErrorCode::UnsupportedKey;
    QTest::newRow("EC without y") << noY << ErrorCode::MalformedKey;
    QTest::newRow("RSA without n") << QJsonObject{{QStringLiteral("kty"), QStringLiteral("RSA")},
                                                  {QStringLiteral("e"), QStringLiteral("AQAB")}}
                                   << ErrorCode::MalformedKey;
}

void TestJwkThumbprint::refusesIncompleteOrUnknownKeys()
{
    QFETCH(QJsonObject, jwk);
    QFETCH(ErrorCode, expected);
    const auto thumbprint = jwkThumbprint(jwk);
    QVERIFY(!thumbprint.ok());
    QCOMPARE(thumbprint.error().code, expected);
}

void TestJwkThumbprint::fingerprintReadsInGroupsOfFour()
{
    // The RFC 7638 example's thumbprint, as the CLI and the dialogs show it.
    QCOMPARE(fingerprintForReading(QStringLiteral("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")),
             QStringLiteral("NzbL sXh8 uDCc d-6M NwXF 4W_7 noWX FZAf HkxZ sRGC 9Xs"));
    QCOMPARE(fingerprintForReading(QStringLiteral("abcd")), QStringLiteral("abcd"));
    QCOMPARE(fingerprintForReading(QString()), QString());
}

QTEST_APPLESS_MAIN(TestJwkThumbprint)
#include "test_jwkthumbprint.moc"
