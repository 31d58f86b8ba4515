#include "protocol/jose/jws.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/deviceproof.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;

// The JWSs a device signs name its own key and carry strict payloads
// (docs/protocol.md 1.1, 1.2, 2.2, 5.2, 9).
class TestDeviceProof : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void authClaimsRoundTrip();
    void authClaimsRefuseUnknownMembers();
    void authClaimsRefuseOtherVersionsFirst();
    void pairingProofRoundTrip();
    void pairingProofRefusesUnknownMembersAndOtherVersions_data();
    void pairingProofRefusesUnknownMembersAndOtherVersions();
    void deviceJwsRefusesKidOfAnotherKey();
    void approvalProofRefusesKidOfAnotherKey();

private:
    const EcPrivateKey m_key = EcPrivateKey::generate().value();
};

namespace {

QByteArray compact(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

QJsonObject authJson()
{
    return QJsonObject{{QStringLiteral("v"), 1},
                       {QStringLiteral("nonce"), QStringLiteral("n0nce")},
                       {QStringLiteral("gateway_id"), QStringLiteral("https://gw")},
                       {QStringLiteral("iat"), 1'750'000'000}};
}

} // namespace

void TestDeviceProof::authClaimsRoundTrip()
{
    const channel::AuthClaims claims{QStringLiteral("n0nce"), QStringLiteral("https://gw"),
                                     1'750'000'000};
    const auto parsed = parseAuthClaims(compact(claims.toJson()));
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
    QCOMPARE(parsed->nonce, claims.nonce);
    QCOMPARE(parsed->gatewayId, claims.gatewayId);
    QCOMPARE(parsed->issuedAt, claims.issuedAt);
    // What the companion signs verifies, with its own thumbprint as kid.
    const auto jws = verifyDeviceJws(claims.sign(m_key).value(), m_key.publicKey(),
                                     channel::AuthClaims::jwsType);
    QVERIFY(jws.ok());
}

void TestDeviceProof::authClaimsRefuseUnknownMembers()
{
    QJsonObject json = authJson();
    json.insert(QStringLiteral("scope"), QStringLiteral("admin"));
    const auto parsed = parseAuthClaims(compact(json));
    QVERIFY(!parsed.ok());
    QVERIFY(parsed.error().message.contains(u"scope"));
    QVERIFY(!parseAuthClaims(R"({"v":1,"nonce":"n","gateway_id":"g","iat":1,"iat":2})").ok());
    QVERIFY(!parseAuthClaims(R"({"v":1,"nonce":"n","gateway_id":"g"})").ok());
}

void TestDeviceProof::authClaimsRefuseOtherVersionsFirst()
{
    for (const QJsonValue &version :
         {QJsonValue(2), QJsonValue(0), QJsonValue(QStringLiteral("1"))}) {
        QJsonObject json = authJson();
        json.insert(QStringLiteral("v"), version);
        json.insert(QStringLiteral("new_in_v2"), true);
        const auto parsed = parseAuthClaims(compact(json));
        QVERIFY(!parsed.ok());
        if (version.isDouble())
            QCOMPARE(int(parsed.error().code), int(ErrorCode::UnsupportedVersion));
    }
    QJsonObject missing = authJson();
    missing.remove(QStringLiteral("v"));
    QVERIFY(!parseAuthClaims(compact(missing)).ok());
}

void TestDeviceProof::pairingProofRoundTrip()
{
    const PairingProofClaims claims{QStringLiteral("c0de"), 1'750'000'000};
    const auto verified = verifyPairingProof(claims.sign(m_key).value(), m_key.publicKey());
    QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
    QCOMPARE(verified.value(), claims);
}

void TestDeviceProof::pairingProofRefusesUnknownMembersAndOtherVersions_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("code");
    QTest::newRow("admin") << QByteArray(R"({"v":1,"code":"c","iat":1,"admin":true})")
                           << int(ErrorCode::InvalidField);
    QTest::newRow("v2") << QByteArray(R"({"v":2,"code":"c","iat":1})")
                        << int(ErrorCode::UnsupportedVersion);
    QTest::newRow("v2 with more") << QByteArray(R"({"v":2,"code":"c","iat":1,"x":1})")
                                  << int(ErrorCode::UnsupportedVersion);
    QTest::newRow("no v") << QByteArray(R"({"code":"c","iat":1})") << int(ErrorCode::MissingField);
    QTest::newRow("no iat") << QByteArray(R"({"v":1,"code":"c"})") << int(ErrorCode::MissingField);
}

void TestDeviceProof::pairingProofRefusesUnknownMembersAndOtherVersions()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, code);
    const QByteArray jws =
        Jws::sign(payload, m_key, PairingProofClaims::jwsType, m_key.publicKey().thumbprint())
            .value();
    const auto verified = verifyPairingProof(jws, m_key.publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(int(verified.error().code), code);
}

void TestDeviceProof::deviceJwsRefusesKidOfAnotherKey()
{
    const QString otherKid = EcPrivateKey::generate().value().publicKey().thumbprint();
    for (const QString &kid : {otherKid, QString()}) {
        const QByteArray jws =
            Jws::sign(compact(authJson()), m_key, channel::AuthClaims::jwsType, kid).value();
        const auto verified = verifyDeviceJws(jws, m_key.publicKey(), channel::AuthClaims::jwsType);
        QVERIFY(!verified.ok());
        QCOMPARE(int(verified.error().code), int(ErrorCode::UnknownKeyId));
    }
    // A signature by another key is a bad signature, whatever the kid says.
    const EcPrivateKey other = EcPrivateKey::generate().value();
    const QByteArray forged = Jws::sign(compact(authJson()), other, channel::AuthClaims::jwsType,
                                        m_key.publicKey().thumbprint())
                                  .value();
    QCOMPARE(
        int(verifyDeviceJws(forged, m_key.publicKey(), channel::AuthClaims::jwsType).error().code),
        int(ErrorCode::BadSignature));
}

void TestDeviceProof::approvalProofRefusesKidOfAnotherKey()
{
    ApprovalProof proof;
    proof.requestId = QStringLiteral("req_1");
    proof.requestHash = QCryptographicHash::hash("request", QCryptographicHash::Sha256);
    proof.decision = Decision::Deny;
    proof.issuedAt = 1'750'000'010;
    QVERIFY(verifyApprovalProof(proof.sign(m_key).value(), m_key.publicKey()).ok());
    const QByteArray misnamed = Jws::sign(compact(proof.toJson()), m_key, ApprovalProof::jwsType,
                                          EcPrivateKey::generate().value().publicKey().thumbprint())
                                    .value();
    const auto verified = verifyApprovalProof(misnamed, m_key.publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(int(verified.error().code), int(ErrorCode::UnknownKeyId));
}

QTEST_GUILESS_MAIN(TestDeviceProof)
#include "test_deviceproof.moc"
