#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "rfc7515vectors.h"

#include <QJsonDocument>
#include <QTest>

using namespace countersign;
namespace rfc7515 = countersign::testing::rfc7515;

namespace {

QByteArray b64(const QByteArray &raw)
{
    return base64UrlEncode(raw);
}

QByteArray withHeader(const QByteArray &headerJson, const QByteArray &rest)
{
    return b64(headerJson) + '.' + rest;
}

} // namespace

class TestJws : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void verifiesRfc7515AppendixA3();
    void signsAndVerifiesWithRfc7515Key();
    void signatureIsRawRAndSOfFixedLength();
    void roundTripKeepsHeaderAndPayload();
    void refusesWrongKey();
    void refusesMalformedTokens_data();
    void refusesMalformedTokens();
    void refusesTamperedParts_data();
    void refusesTamperedParts();
    void refusesOversizedTokenBeforeParsing();
    void refusesSigningOversizedPayload();
    void checksTypeCaseInsensitively();
    void decodeUnverifiedExposesKeyId();

private:
    std::optional<EcPrivateKey> m_key;
    QByteArray m_token;
};

void TestJws::initTestCase()
{
    auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    m_key = key.value();
    auto token = Jws::sign(R"({"hello":"world"})", *m_key, QStringLiteral("example+jwt"),
                           QStringLiteral("key-1"));
    QVERIFY(token.ok());
    m_token = token.value();
}

void TestJws::verifiesRfc7515AppendixA3()
{
    const auto key = EcPublicKey::fromJwk(rfc7515::a3PublicJwk());
    QVERIFY(key.ok());
    const auto verified = Jws::verify(rfc7515::a3Token, key.value());
    QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
    QCOMPARE(verified->payload, rfc7515::a3Payload);
    QCOMPARE(verified->header.algorithm, QStringLiteral("ES256"));
}

void TestJws::signsAndVerifiesWithRfc7515Key()
{
    const auto key = EcPrivateKey::fromJwk(rfc7515::a3PrivateJwk());
    QVERIFY2(key.ok(), key.ok() ? "" : qPrintable(key.error().message));
    QCOMPARE(key->publicKey().toJwk(), rfc7515::a3PublicJwk());
    const auto token = Jws::sign(rfc7515::a3Payload, key.value(), {}, {});
    QVERIFY(token.ok());
    // ECDSA is randomised: a fresh signature differs from the RFC's but
    // verifies with the same public key.
    QVERIFY(token.value() != rfc7515::a3Token);
    QVERIFY(Jws::verify(token.value(), EcPublicKey::fromJwk(rfc7515::a3PublicJwk()).value()).ok());
}

void TestJws::signatureIsRawRAndSOfFixedLength()
{
    for (int i = 0; i < 32; ++i) {
        const auto signature = m_key->signEs256(QByteArray::number(i));
        QVERIFY(signature.ok());
        QCOMPARE(signature->size(), 64);
        QVERIFY(m_key->publicKey().verifyEs256(QByteArray::number(i), signature.value()));
        QVERIFY(!m_key->publicKey().verifyEs256(QByteArray::number(i + 1), signature.value()));
    }
}

void TestJws::roundTripKeepsHeaderAndPayload()
{
    const auto verified = Jws::verify(m_token, m_key->publicKey(), QStringLiteral("example+jwt"));
    QVERIFY(verified.ok());
    QCOMPARE(verified->payload, QByteArray(R"({"hello":"world"})"));
    QCOMPARE(verified->header.keyId, QStringLiteral("key-1"));
    QCOMPARE(verified->header.type, QStringLiteral("example+jwt"));
    QCOMPARE(verified->signingInput, m_token.first(m_token.lastIndexOf('.')));
}

void TestJws::refusesWrongKey()
{
    const auto other = EcPrivateKey::generate();
    QVERIFY(other.ok());
    const auto verified = Jws::verify(m_token, other->publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::BadSignature);
}

void TestJws::refusesMalformedTokens_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<ErrorCode>("expected");

    const QByteArray payload = b64("{}");
    const QByteArray signature = b64(QByteArray(64, '\x01'));
    const QByteArray rest = payload + '.' + signature;

    QTest::newRow("empty") << QByteArray() << ErrorCode::MalformedJws;
    QTest::newRow("one part") << QByteArray("abc") << ErrorCode::MalformedJws;
    QTest::newRow("two parts") << b64(R"({"alg":"ES256"})") + '.' + payload
                               << ErrorCode::MalformedJws;
    QTest::newRow("four parts") << withHeader(R"({"alg":"ES256"})", rest) + ".AAAA"
                                << ErrorCode::MalformedJws;
    QTest::newRow("trailing dot") << withHeader(R"({"alg":"ES256"})", rest) + '.'
                                  << ErrorCode::MalformedJws;
    QTest::newRow("trailing newline") << withHeader(R"({"alg":"ES256"})", rest) + '\n'
                                      << ErrorCode::MalformedJws;
    QTest::newRow("empty header") << QByteArray('.' + rest) << ErrorCode::MalformedJws;
    QTest::newRow("empty signature")
        << withHeader(R"({"alg":"ES256"})", payload + '.') << ErrorCode::MalformedJws;
    QTest::newRow("header not json") << withHeader("alg=ES256", rest) << ErrorCode::MalformedJws;
    QTest::newRow("header json array")
        << withHeader(R"(["ES256"])", rest) << ErrorCode::MalformedJws;
    QTest::newRow("header trailing garbage")
        << withHeader(R"({"alg":"ES256"}x)", rest) << ErrorCode::MalformedJws;
    QTest::newRow("header without alg")
        << withHeader(R"({"typ":"JWT"})", rest) << ErrorCode::MalformedJws;
    QTest::newRow("alg not a string")
        << withHeader(R"({"alg":7})", rest) << ErrorCode::MalformedJws;
    QTest::newRow("alg none") << withHeader(R"({"alg":"none"})", payload + '.')
                              << ErrorCode::MalformedJws; // empty signature part first
    QTest::newRow("alg none with signature")
        << withHeader(R"({"alg":"none"})", rest) << ErrorCode::AlgorithmNone;
    QTest::newRow("alg NONE") << withHeader(R"({"alg":"NONE"})", rest) << ErrorCode::AlgorithmNone;
    QTest::newRow("alg HS256") << withHeader(R"({"alg":"HS256"})", rest)
                               << ErrorCode::UnsupportedAlgorithm;
    QTest::newRow("alg RS256") << withHeader(R"({"alg":"RS256"})", rest)
                               << ErrorCode::UnsupportedAlgorithm;
    QTest::newRow("alg es256 lowercase")
        << withHeader(R"({"alg":"es256"})", rest) << ErrorCode::UnsupportedAlgorithm;
    QTest::newRow("crit") << withHeader(R"({"alg":"ES256","crit":["exp"]})", rest)
                          << ErrorCode::UnsupportedHeader;
    QTest::newRow("b64 false") << withHeader(R"({"alg":"ES256","b64":false})", rest)
                               << ErrorCode::UnsupportedHeader;
    QTest::newRow("jku") << withHeader(R"({"alg":"ES256","jku":"https://evil.example"})", rest)
                         << ErrorCode::UnsupportedHeader;
    QTest::newRow("embedded jwk") << withHeader(R"({"alg":"ES256","jwk":{}})", rest)
                                  << ErrorCode::UnsupportedHeader;
    QTest::newRow("duplicate alg")
        << withHeader(R"({"alg":"none","alg":"ES256"})", rest) << ErrorCode::MalformedJws;
    QTest::newRow("kid not a string")
        << withHeader(R"({"alg":"ES256","kid":1})", rest) << ErrorCode::MalformedJws;
    QTest::newRow("padded header")
        << QByteArray(b64(R"({"alg":"ES256"})") + "=." + rest) << ErrorCode::MalformedJws;
    QTest::newRow("standard base64 signature") << withHeader(
        R"({"alg":"ES256"})",
        payload + '.' + QByteArray(64, '\xfb').toBase64(QByteArray::OmitTrailingEquals))
                                               << ErrorCode::MalformedJws;
    QTest::newRow("short signature")
        << withHeader(R"({"alg":"ES256"})", payload + '.' + b64(QByteArray(63, '\x01')))
        << ErrorCode::MalformedJws;
    QTest::newRow("DER signature")
        << withHeader(R"({"alg":"ES256"})", payload + '.' + b64(QByteArray(71, '\x30')))
        << ErrorCode::MalformedJws;
}

void TestJws::refusesMalformedTokens()
{
    QFETCH(QByteArray, token);
    QFETCH(ErrorCode, expected);
    const auto verified = Jws::verify(token, m_key->publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, expected);
    QVERIFY(!verified.error().message.isEmpty());
}

void TestJws::refusesTamperedParts_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<ErrorCode>("expected");

    const QList<QByteArray> parts = m_token.split('.');
    QByteArray flippedSignature = base64UrlDecode(parts[2]).value();
    flippedSignature[10] = static_cast<char>(flippedSignature[10] ^ 0x01);
    const QByteArray otherPayload = b64(R"({"hello":"there"})");
    const QByteArray reEncodedPayload =
        b64(QJsonDocument::fromJson(base64UrlDecode(parts[1]).value()).toJson());

    QTest::newRow("signature bit flipped")
        << QByteArray(parts[0] + '.' + parts[1] + '.' + b64(flippedSignature))
        << ErrorCode::BadSignature;
    QTest::newRow("payload replaced")
        << QByteArray(parts[0] + '.' + otherPayload + '.' + parts[2]) << ErrorCode::BadSignature;
    QTest::newRow("payload re-encoded with whitespace")
        << QByteArray(parts[0] + '.' + reEncodedPayload + '.' + parts[2])
        << ErrorCode::BadSignature;
    QTest::newRow("header changed")
        << QByteArray(b64(R"({"alg":"ES256","kid":"key-2","typ":"example+jwt"})") + '.' + parts[1]
                      + '.' + parts[2])
        << ErrorCode::BadSignature;
    QTest::newRow("truncated signature") << m_token.chopped(2) << ErrorCode::MalformedJws;
    QTest::newRow("truncated token")
        << m_token.first(m_token.size() / 2) << ErrorCode::MalformedJws;
    QTest::newRow("signature padded") << QByteArray(m_token + "==") << ErrorCode::MalformedJws;
    QTest::newRow("all zero signature")
        << QByteArray(parts[0] + '.' + parts[1] + '.' + b64(QByteArray(64, '\0')))
        << ErrorCode::BadSignature;
}

void TestJws::refusesTamperedParts()
{
    QFETCH(QByteArray, token);
    QFETCH(ErrorCode, expected);
    const auto verified = Jws::verify(token, m_key->publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, expected);
}

void TestJws::refusesOversizedTokenBeforeParsing()
{
    const QByteArray huge(Jws::maxCompactSize + 1, 'A');
    const auto decoded = Jws::decodeUnverified(huge);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, ErrorCode::InputTooLarge);
}

void TestJws::refusesSigningOversizedPayload()
{
    const auto token = Jws::sign(QByteArray(Jws::maxCompactSize, 'x'), *m_key, {}, {});
    QVERIFY(!token.ok());
    QCOMPARE(token.error().code, ErrorCode::InputTooLarge);
}

void TestJws::checksTypeCaseInsensitively()
{
    QVERIFY(Jws::verify(m_token, m_key->publicKey(), QStringLiteral("EXAMPLE+JWT")).ok());
    const auto wrongType = Jws::verify(m_token, m_key->publicKey(), QStringLiteral("other+jwt"));
    QVERIFY(!wrongType.ok());
    QCOMPARE(wrongType.error().code, ErrorCode::UnexpectedType);
}

void TestJws::decodeUnverifiedExposesKeyId()
{
    const auto decoded = Jws::decodeUnverified(m_token);
    QVERIFY(decoded.ok());
    QCOMPARE(decoded->header.keyId, QStringLiteral("key-1"));
}

QTEST_APPLESS_MAIN(TestJws)
#include "test_jws.moc"
