#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;

namespace {

QString b64(const QByteArray &raw)
{
    return QString::fromLatin1(base64UrlEncode(raw));
}

ApprovalProof totpApproval()
{
    ApprovalProof proof;
    proof.requestId = QStringLiteral("req_7Hk2");
    proof.requestHash = QCryptographicHash::hash("request", QCryptographicHash::Sha256);
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), QStringLiteral("287082")}};
    proof.issuedAt = 1'750'000'010;
    return proof;
}

QJsonObject passkeyEvidence()
{
    return QJsonObject{
        {QStringLiteral("credential_id"), b64(QByteArray(16, 'c'))},
        {QStringLiteral("authenticator_data"), b64(QByteArray(37, 'a'))},
        {QStringLiteral("client_data_json"), b64(R"({"type":"webauthn.get"})")},
        {QStringLiteral("signature"), b64(QByteArray(70, 's'))},
    };
}

} // namespace

class TestApprovalProof : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void approvalRoundTrips_data();
    void approvalRoundTrips();
    void denialNeedsNoEvidence();
    void refusesAnotherDevicesSignature();
    void refusesRequestTypedToken();
    void refusesInvalidProofs_data();
    void refusesInvalidProofs();

private:
    std::optional<EcPrivateKey> m_deviceKey;
};

void TestApprovalProof::initTestCase()
{
    auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    m_deviceKey = key.value();
}

void TestApprovalProof::approvalRoundTrips_data()
{
    QTest::addColumn<int>("method");
    QTest::addColumn<QJsonObject>("evidence");
    QTest::newRow("totp") << int(ApprovalMethod::Totp)
                          << QJsonObject{{QStringLiteral("code"), QStringLiteral("12345678")}};
    QTest::newRow("passkey") << int(ApprovalMethod::Passkey) << passkeyEvidence();
}

void TestApprovalProof::approvalRoundTrips()
{
    QFETCH(int, method);
    QFETCH(QJsonObject, evidence);
    ApprovalProof proof = totpApproval();
    proof.method = static_cast<ApprovalMethod>(method);
    proof.evidence = evidence;
    const auto compact = proof.sign(*m_deviceKey);
    QVERIFY(compact.ok());
    QCOMPARE(Jws::decodeUnverified(compact.value())->header.keyId,
             m_deviceKey->publicKey().thumbprint());
    const auto verified = verifyApprovalProof(compact.value(), m_deviceKey->publicKey());
    QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
    QCOMPARE(verified.value(), proof);
}

void TestApprovalProof::denialNeedsNoEvidence()
{
    ApprovalProof proof = totpApproval();
    proof.decision = Decision::Deny;
    proof.method.reset();
    proof.evidence = {};
    proof.reason = QStringLiteral("I did not ask for this");
    const auto verified =
        verifyApprovalProof(proof.sign(*m_deviceKey).value(), m_deviceKey->publicKey());
    QVERIFY(verified.ok());
    QCOMPARE(verified->decision, Decision::Deny);
    QCOMPARE(verified->reason, proof.reason);
}

void TestApprovalProof::refusesAnotherDevicesSignature()
{
    const auto compact = totpApproval().sign(*m_deviceKey);
    const auto other = EcPrivateKey::generate();
    const auto verified = verifyApprovalProof(compact.value(), other->publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::BadSignature);
}

void TestApprovalProof::refusesRequestTypedToken()
{
    const QByteArray payload =
        QJsonDocument(totpApproval().toJson()).toJson(QJsonDocument::Compact);
    const auto compact = Jws::sign(payload, *m_deviceKey, ApprovalRequest::jwsType, {});
    const auto verified = verifyApprovalProof(compact.value(), m_deviceKey->publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::UnexpectedType);
}

void TestApprovalProof::refusesInvalidProofs_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<ErrorCode>("expected");
    QTest::addColumn<QString>("mentions");

    const QJsonObject good = totpApproval().toJson();
    auto with = [](QJsonObject json, const char *member, const QJsonValue &value) {
        json.insert(QLatin1StringView(member), value);
        return json;
    };
    auto without = [](QJsonObject json, const char *member) {
        json.remove(QLatin1StringView(member));
        return json;
    };
    QJsonObject deny =
        without(without(with(good, "decision", QStringLiteral("deny")), "method"), "evidence");
    QJsonObject passkey =
        with(with(good, "method", QStringLiteral("passkey")), "evidence", passkeyEvidence());

    for (const char *member :
         {"v", "request_id", "request_hash", "decision", "iat", "method", "evidence"}) {
        QTest::addRow("missing %s", member)
            << without(good, member) << ErrorCode::MissingField << QString::fromLatin1(member);
    }
    QTest::newRow("version 2") << with(good, "v", 2) << ErrorCode::UnsupportedVersion
                               << QStringLiteral("version");
    QTest::newRow("unknown member") << with(good, "device", QStringLiteral("x"))
                                    << ErrorCode::InvalidField << QStringLiteral("device");
    QTest::newRow("hash too short") << with(good, "request_hash", b64(QByteArray(31, 'h')))
                                    << ErrorCode::InvalidField << QStringLiteral("request_hash");
    QTest::newRow("hash padded") << with(good, "request_hash",
                                         QString(b64(QByteArray(32, 'h')) + u'='))
                                 << ErrorCode::InvalidField << QStringLiteral("request_hash");
    QTest::newRow("decision maybe") << with(good, "decision", QStringLiteral("maybe"))
                                    << ErrorCode::InvalidField << QStringLiteral("decision");
    QTest::newRow("method sms") << with(good, "method", QStringLiteral("sms"))
                                << ErrorCode::InvalidField << QStringLiteral("method");
    QTest::newRow("reason on approval") << with(good, "reason", QStringLiteral("because"))
                                        << ErrorCode::InvalidField << QStringLiteral("reason");
    QTest::newRow("denial with method") << with(deny, "method", QStringLiteral("totp"))
                                        << ErrorCode::InvalidField << QStringLiteral("method");
    QTest::newRow("denial reason too long")
        << with(deny, "reason", QString(ApprovalProof::maxReasonLength + 1, u'x'))
        << ErrorCode::InvalidField << QStringLiteral("reason");
    QTest::newRow("totp code too short")
        << with(good, "evidence", QJsonObject{{QStringLiteral("code"), QStringLiteral("12345")}})
        << ErrorCode::InvalidField << QStringLiteral("code");
    QTest::newRow("totp code with letters")
        << with(good, "evidence", QJsonObject{{QStringLiteral("code"), QStringLiteral("12a456")}})
        << ErrorCode::InvalidField << QStringLiteral("code");
    QTest::newRow("totp code as number")
        << with(good, "evidence", QJsonObject{{QStringLiteral("code"), 123456}})
        << ErrorCode::InvalidField << QStringLiteral("code");
    QTest::newRow("totp extra member")
        << with(good, "evidence",
                QJsonObject{{QStringLiteral("code"), QStringLiteral("123456")},
                            {QStringLiteral("seed"), QStringLiteral("x")}})
        << ErrorCode::InvalidField << QStringLiteral("seed");
    QTest::newRow("passkey without signature")
        << with(passkey, "evidence", without(passkeyEvidence(), "signature"))
        << ErrorCode::MissingField << QStringLiteral("signature");
    QTest::newRow("passkey short authenticator data")
        << with(passkey, "evidence",
                with(passkeyEvidence(), "authenticator_data", b64(QByteArray(36, 'a'))))
        << ErrorCode::InvalidField << QStringLiteral("authenticator_data");
    QTest::newRow("passkey evidence for totp method")
        << with(good, "evidence", passkeyEvidence()) << ErrorCode::InvalidField
        << QStringLiteral("evidence");
}

void TestApprovalProof::refusesInvalidProofs()
{
    QFETCH(QJsonObject, json);
    QFETCH(ErrorCode, expected);
    QFETCH(QString, mentions);
    const QByteArray payload = QJsonDocument(json).toJson(QJsonDocument::Compact);
    // Signed as a companion signs, kid and all: only the payload is wrong.
    const auto compact = Jws::sign(payload, *m_deviceKey, ApprovalProof::jwsType,
                                   m_deviceKey->publicKey().thumbprint());
    const auto verified = verifyApprovalProof(compact.value(), m_deviceKey->publicKey());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, expected);
    QVERIFY2(verified.error().message.contains(mentions), qPrintable(verified.error().message));
}

QTEST_APPLESS_MAIN(TestApprovalProof)
#include "test_approvalproof.moc"
