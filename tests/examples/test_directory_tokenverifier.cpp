#include "directorytestkit.h"
#include "examples/directory/elevatedtokenverifier.h"
#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "tests/support/manualclock.h"

#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::directory;
using namespace countersign::testing;

Q_DECLARE_METATYPE(countersign::directory::TokenRefusal)

// ElevatedTokenVerifier with tokens minted by the gateway's TokenIssuer and
// a clock the test moves: every check of docs/protocol.md section 6.
class TestDirectoryTokenVerifier : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void acceptsTheTokenForTheApprovedCall();
    void refusesATokenSignedByAnotherKey();
    void refusesASignatureThatDoesNotVerify();
    void refusesAnotherIssuer();
    void refusesAnotherAudience();
    void refusesAnExpiredTokenButToleratesClockSkew();
    void refusesATokenIssuedInTheFuture();
    void refusesAReusedToken();
    void refusesAReusedTokenAfterARestart();
    void refusesTokenWithoutAuthorizationDetails();
    void refusesATokenForAnotherTool();
    void refusesArgumentsChangedAfterApproval();
    void refusedCallDoesNotSpendTheToken();
    void refusesMalformedTokens_data();
    void refusesMalformedTokens();
    void refusesAnotherType();
    void refusesWhenTheSpentTokenCannotBeRecorded();
    void damagedSpentTokenFileIsAnError();

private:
    QByteArray mint(const QString &tool, const QJsonObject &arguments) const;
    QByteArray signClaims(const QJsonObject &claims, const EcPrivateKey &key,
                          const QString &type = QStringLiteral("at+jwt")) const;
    TokenVerdict verify(const QByteArray &token, const QString &tool, const QJsonObject &arguments);

    ManualClock m_clock;
    std::optional<EcPrivateKey> m_key;
    JwkSet m_keys;
    std::unique_ptr<SpentTokens> m_spent;
    std::unique_ptr<ElevatedTokenVerifier> m_verifier;
};

void TestDirectoryTokenVerifier::init()
{
    m_clock.set(1'700'000'000);
    m_key = EcPrivateKey::generate().value();
    m_keys = JwkSet::fromJson(gateway::SigningKey::jwks(m_key->publicKey())).value();
    m_spent = std::make_unique<SpentTokens>();
    m_verifier = std::make_unique<ElevatedTokenVerifier>(directoryIssuer, directoryAudience,
                                                         m_clock, *m_spent);
}

QByteArray TestDirectoryTokenVerifier::mint(const QString &tool, const QJsonObject &arguments) const
{
    return mintToken(*m_key, m_clock, tool, arguments);
}

QByteArray TestDirectoryTokenVerifier::signClaims(const QJsonObject &claims,
                                                  const EcPrivateKey &key,
                                                  const QString &type) const
{
    return Jws::sign(QJsonDocument(claims).toJson(QJsonDocument::Compact), key, type,
                     m_key->publicKey().thumbprint())
        .value();
}

TokenVerdict TestDirectoryTokenVerifier::verify(const QByteArray &token, const QString &tool,
                                                const QJsonObject &arguments)
{
    return m_verifier->verifyAndSpend(token, m_keys, tool, arguments);
}

void TestDirectoryTokenVerifier::acceptsTheTokenForTheApprovedCall()
{
    const TokenVerdict verdict =
        verify(mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
               QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QVERIFY2(verdict.accepted(), qPrintable(verdict.message));
    QCOMPARE(verdict.subject, QStringLiteral("admin@example.com"));
    QCOMPARE(verdict.agent, QStringLiteral("test-agent"));
    QVERIFY(!verdict.tokenId.isEmpty());
    QVERIFY(m_spent->contains(verdict.tokenId));
}

void TestDirectoryTokenVerifier::refusesATokenSignedByAnotherKey()
{
    const EcPrivateKey other = EcPrivateKey::generate().value();
    const QByteArray token = mintToken(other, m_clock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("alice")));
    const TokenVerdict verdict =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::UnknownKey);
    QVERIFY(verdict.message.contains(u"not one of the gateway's keys"));
}

void TestDirectoryTokenVerifier::refusesASignatureThatDoesNotVerify()
{
    // Another key, but claiming the gateway key's kid.
    const EcPrivateKey other = EcPrivateKey::generate().value();
    const gateway::TokenIssuer issuer(*m_key, directoryIssuer, 60, m_clock);
    const QJsonObject claims = issuer.claims(
        grantFor(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
        QStringLiteral("jti-1"), m_clock.secondsSinceEpoch());
    const TokenVerdict verdict = verify(signClaims(claims, other), QStringLiteral("disable_user"),
                                        userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::BadSignature);
    QVERIFY(verdict.message.contains(u"signature"));
}

void TestDirectoryTokenVerifier::refusesAnotherIssuer()
{
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("alice")),
                                       QStringLiteral("https://evil.example.com"));
    const TokenVerdict verdict =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::WrongIssuer);
    QVERIFY(verdict.message.contains(u"evil.example.com"));
}

void TestDirectoryTokenVerifier::refusesAnotherAudience()
{
    const gateway::TokenIssuer issuer(*m_key, directoryIssuer, 60, m_clock);
    const QByteArray token =
        issuer
            .issue(grantFor(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")),
                            QStringLiteral("https://payroll.example.com/mcp")))
            .value()
            .token;
    const TokenVerdict verdict =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::WrongAudience);
}

void TestDirectoryTokenVerifier::refusesAnExpiredTokenButToleratesClockSkew()
{
    const QByteArray late =
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    const QByteArray expired =
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    // exp = iat + 60; the leeway is 30 s.
    m_clock.advance(60 + ElevatedTokenVerifier::leewaySeconds - 1);
    const TokenVerdict withinLeeway =
        verify(late, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QVERIFY2(withinLeeway.accepted(), qPrintable(withinLeeway.message));
    m_clock.advance(1);
    const TokenVerdict verdict =
        verify(expired, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::Expired);
    QVERIFY(verdict.message.contains(u"expired"));
}

void TestDirectoryTokenVerifier::refusesATokenIssuedInTheFuture()
{
    ManualClock gatewayClock(m_clock.secondsSinceEpoch() + ElevatedTokenVerifier::leewaySeconds
                             + 1);
    const QByteArray token = mintToken(*m_key, gatewayClock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("alice")));
    QCOMPARE(verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")))
                 .refusal,
             TokenRefusal::IssuedInFuture);
    gatewayClock.advance(-1); // exactly at the edge of the leeway
    const QByteArray skewed = mintToken(*m_key, gatewayClock, QStringLiteral("disable_user"),
                                        userArguments(QStringLiteral("alice")));
    QVERIFY(verify(skewed, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")))
                .accepted());
}

void TestDirectoryTokenVerifier::refusesAReusedToken()
{
    const QByteArray token =
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QVERIFY(verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")))
                .accepted());
    const TokenVerdict again =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(again.refusal, TokenRefusal::Replayed);
    QVERIFY(again.message.contains(u"already used"));
}

void TestDirectoryTokenVerifier::refusesAReusedTokenAfterARestart()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = SpentTokens::pathBeside(dir.filePath(QStringLiteral("users.json")));
    QCOMPARE(path, dir.filePath(QStringLiteral("users.spent-tokens.json")));
    const QByteArray token =
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QString tokenId;
    {
        SpentTokens spent(path);
        QVERIFY(spent.load(m_clock.secondsSinceEpoch()));
        ElevatedTokenVerifier verifier(directoryIssuer, directoryAudience, m_clock, spent);
        const TokenVerdict first = verifier.verifyAndSpend(
            token, m_keys, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
        QVERIFY(first.accepted());
        tokenId = first.tokenId;
    }
    SpentTokens restarted(path);
    QVERIFY(restarted.load(m_clock.secondsSinceEpoch()));
    ElevatedTokenVerifier verifier(directoryIssuer, directoryAudience, m_clock, restarted);
    QCOMPARE(verifier
                 .verifyAndSpend(token, m_keys, QStringLiteral("disable_user"),
                                 userArguments(QStringLiteral("alice")))
                 .refusal,
             TokenRefusal::Replayed);

    // Once the token could no longer pass the expiry check, the entry goes.
    SpentTokens later(path);
    QVERIFY(
        later.load(m_clock.secondsSinceEpoch() + 60 + ElevatedTokenVerifier::leewaySeconds + 1));
    QVERIFY(restarted.contains(tokenId));
    QVERIFY(!later.contains(tokenId));
}

void TestDirectoryTokenVerifier::refusesTokenWithoutAuthorizationDetails()
{
    const gateway::TokenIssuer issuer(*m_key, directoryIssuer, 60, m_clock);
    QJsonObject claims = issuer.claims(
        grantFor(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
        QStringLiteral("jti-2"), m_clock.secondsSinceEpoch());
    claims.remove(QStringLiteral("authorization_details"));
    const TokenVerdict verdict = verify(signClaims(claims, *m_key), QStringLiteral("disable_user"),
                                        userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::NoOperation);
    QVERIFY(verdict.message.contains(u"countersign_operation"));
}

void TestDirectoryTokenVerifier::refusesATokenForAnotherTool()
{
    const QByteArray token =
        mint(QStringLiteral("enable_user"), userArguments(QStringLiteral("alice")));
    const TokenVerdict verdict =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::WrongAction);
    QVERIFY(verdict.message.contains(u"disable_user"));
}

void TestDirectoryTokenVerifier::refusesArgumentsChangedAfterApproval()
{
    const QByteArray token =
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    const TokenVerdict verdict =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("bob")));
    QCOMPARE(verdict.refusal, TokenRefusal::ArgumentsChanged);
    QVERIFY(verdict.message.contains(u"arguments differ"));
    QJsonObject extra = userArguments(QStringLiteral("alice"));
    extra.insert(QStringLiteral("reason"), QStringLiteral("because"));
    QCOMPARE(verify(token, QStringLiteral("disable_user"), extra).refusal,
             TokenRefusal::ArgumentsChanged);
}

void TestDirectoryTokenVerifier::refusedCallDoesNotSpendTheToken()
{
    const QByteArray token =
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QVERIFY(!verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("bob")))
                 .accepted());
    QVERIFY(verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")))
                .accepted());
}

void TestDirectoryTokenVerifier::refusesMalformedTokens_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<TokenRefusal>("refusal");
    const QByteArray claims = base64UrlEncode(R"({"iss":"https://gateway.example.com","aud":"x"})");
    QTest::newRow("empty") << QByteArray() << TokenRefusal::Missing;
    QTest::newRow("garbage") << QByteArray("not a token") << TokenRefusal::Malformed;
    QTest::newRow("two parts") << QByteArray("abc.def") << TokenRefusal::Malformed;
    QTest::newRow("alg none") << (base64UrlEncode(R"({"alg":"none","typ":"at+jwt"})") + '.' + claims
                                  + '.')
                              << TokenRefusal::Malformed;
    QTest::newRow("alg HS256") << (base64UrlEncode(R"({"alg":"HS256","typ":"at+jwt"})") + '.'
                                   + claims + '.'
                                   + base64UrlEncode("0123456789abcdef0123456789abcdef"))
                               << TokenRefusal::Malformed;
}

void TestDirectoryTokenVerifier::refusesMalformedTokens()
{
    QFETCH(QByteArray, token);
    QFETCH(TokenRefusal, refusal);
    const TokenVerdict verdict =
        verify(token, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, refusal);
    QVERIFY(!verdict.message.isEmpty());
}

void TestDirectoryTokenVerifier::refusesAnotherType()
{
    const gateway::TokenIssuer issuer(*m_key, directoryIssuer, 60, m_clock);
    const QJsonObject claims = issuer.claims(
        grantFor(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
        QStringLiteral("jti-3"), m_clock.secondsSinceEpoch());
    const TokenVerdict verdict =
        verify(signClaims(claims, *m_key, QStringLiteral("JWT")), QStringLiteral("disable_user"),
               userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::WrongType);
}

void TestDirectoryTokenVerifier::refusesWhenTheSpentTokenCannotBeRecorded()
{
    QTemporaryDir dir;
    SpentTokens spent(dir.filePath(QStringLiteral("missing-dir/users.spent-tokens.json")));
    ElevatedTokenVerifier verifier(directoryIssuer, directoryAudience, m_clock, spent);
    const TokenVerdict verdict = verifier.verifyAndSpend(
        mint(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))), m_keys,
        QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")));
    QCOMPARE(verdict.refusal, TokenRefusal::StorageFailure);
    QVERIFY(verdict.message.contains(u"cannot record"));
}

void TestDirectoryTokenVerifier::damagedSpentTokenFileIsAnError()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("users.spent-tokens.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"spent\": [");
    file.close();
    SpentTokens spent(path);
    const Status loaded = spent.load(m_clock.secondsSinceEpoch());
    QVERIFY(!loaded);
    QVERIFY(loaded.error().message.contains(path));
}

QTEST_GUILESS_MAIN(TestDirectoryTokenVerifier)
#include "test_directory_tokenverifier.moc"
