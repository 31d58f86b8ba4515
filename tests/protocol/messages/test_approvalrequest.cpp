#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/messages/bindingcode.h"
#include "tests/support/manualclock.h"
#include "tests/support/samplemessages.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using countersign::testing::ManualClock;

namespace {

constexpr qint64 now = 1'750'000'000;
const QString gatewayId = QStringLiteral("https://gateway.example.com");

} // namespace

class TestApprovalRequest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void signedRequestVerifiesWithPinnedKey();
    void hashAndBindingCodeCoverTheExactBytes();
    void refusesAnotherGatewaysKey();
    void refusesRequestForAnotherGateway();
    void refusesExpiredRequest();
    void toleratesSmallClockSkewOnly();
    void refusesProofTypedToken();
    void refusesUnsupportedVersion();
    void refusesInvalidPayloads_data();
    void refusesInvalidPayloads();
    void refusesPayloadThatIsNotAnObject();

private:
    QByteArray signPayload(const QByteArray &payload) const;

    std::optional<EcPrivateKey> m_gatewayKey;
    ManualClock m_clock{now};
};

void TestApprovalRequest::initTestCase()
{
    auto key = EcPrivateKey::generate();
    QVERIFY(key.ok());
    m_gatewayKey = key.value();
}

QByteArray TestApprovalRequest::signPayload(const QByteArray &payload) const
{
    return Jws::sign(payload, *m_gatewayKey, ApprovalRequest::jwsType,
                     m_gatewayKey->publicKey().thumbprint())
        .value();
}

void TestApprovalRequest::signedRequestVerifiesWithPinnedKey()
{
    const ApprovalRequest request = testing::sampleRequest(now);
    const auto compact = request.sign(*m_gatewayKey);
    QVERIFY(compact.ok());
    const auto verified =
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(), gatewayId, m_clock);
    QVERIFY2(verified.ok(), verified.ok() ? "" : qPrintable(verified.error().message));
    QCOMPARE(verified->request, request);
    QCOMPARE(verified->request.sarc.action.name, QStringLiteral("disable_user"));
    const auto header = Jws::decodeUnverified(compact.value());
    QCOMPARE(header->header.keyId, m_gatewayKey->publicKey().thumbprint());
    QCOMPARE(header->header.type, ApprovalRequest::jwsType);
}

void TestApprovalRequest::hashAndBindingCodeCoverTheExactBytes()
{
    const auto compact = testing::sampleRequest(now).sign(*m_gatewayKey);
    const auto verified =
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(), gatewayId, m_clock);
    QVERIFY(verified.ok());
    QCOMPARE(verified->compact, compact.value());
    QCOMPARE(verified->requestHash,
             QCryptographicHash::hash(compact.value(), QCryptographicHash::Sha256));
    QCOMPARE(verified->bindingCode, bindingCodeForRequestHash(verified->requestHash));
    // The same request signed again is new bytes, hence a new hash.
    const auto again = testing::sampleRequest(now).sign(*m_gatewayKey);
    QVERIFY(approvalRequestHash(again.value()) != verified->requestHash);
}

void TestApprovalRequest::refusesAnotherGatewaysKey()
{
    const auto compact = testing::sampleRequest(now).sign(*m_gatewayKey);
    const auto impostor = EcPrivateKey::generate();
    const auto verified =
        verifyApprovalRequest(compact.value(), impostor->publicKey(), gatewayId, m_clock);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::BadSignature);
}

void TestApprovalRequest::refusesRequestForAnotherGateway()
{
    const auto compact = testing::sampleRequest(now).sign(*m_gatewayKey);
    const auto verified =
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(),
                              QStringLiteral("https://other.example.com"), m_clock);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::InvalidField);
    QVERIFY(verified.error().message.contains(u"other.example.com"));
}

void TestApprovalRequest::refusesExpiredRequest()
{
    const auto compact = testing::sampleRequest(now).sign(*m_gatewayKey);
    ManualClock late(now + 120); // exactly at exp
    const auto verified =
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(), gatewayId, late);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::Expired);
    late.set(now + 119);
    QVERIFY(
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(), gatewayId, late).ok());
}

void TestApprovalRequest::toleratesSmallClockSkewOnly()
{
    const auto compact = testing::sampleRequest(now).sign(*m_gatewayKey);
    ManualClock behind(now - ApprovalRequest::clockSkewSeconds);
    QVERIFY(
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(), gatewayId, behind).ok());
    behind.set(now - ApprovalRequest::clockSkewSeconds - 1);
    const auto verified =
        verifyApprovalRequest(compact.value(), m_gatewayKey->publicKey(), gatewayId, behind);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::NotYetValid);
}

void TestApprovalRequest::refusesProofTypedToken()
{
    // A device-signed proof must never pass as a gateway request, even if the
    // keys were mixed up.
    const QByteArray payload =
        QJsonDocument(testing::sampleRequest(now).toJson()).toJson(QJsonDocument::Compact);
    const QByteArray compact =
        Jws::sign(payload, *m_gatewayKey, ApprovalProof::jwsType, QString()).value();
    const auto verified =
        verifyApprovalRequest(compact, m_gatewayKey->publicKey(), gatewayId, m_clock);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::UnexpectedType);
}

void TestApprovalRequest::refusesUnsupportedVersion()
{
    QJsonObject json = testing::sampleRequest(now).toJson();
    json.insert(QStringLiteral("v"), 2);
    const auto verified =
        verifyApprovalRequest(signPayload(QJsonDocument(json).toJson(QJsonDocument::Compact)),
                              m_gatewayKey->publicKey(), gatewayId, m_clock);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, ErrorCode::UnsupportedVersion);
}

void TestApprovalRequest::refusesInvalidPayloads_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<ErrorCode>("expected");
    QTest::addColumn<QString>("mentions");

    const QJsonObject good = testing::sampleRequest(now).toJson();
    auto with = [&good](const char *member, const QJsonValue &value) {
        QJsonObject json = good;
        json.insert(QLatin1StringView(member), value);
        return json;
    };
    auto without = [&good](const char *member) {
        QJsonObject json = good;
        json.remove(QLatin1StringView(member));
        return json;
    };

    for (const char *member :
         {"v", "request_id", "gateway_id", "sarc", "nonce", "iat", "exp", "methods"}) {
        QTest::addRow("missing %s", member)
            << without(member) << ErrorCode::MissingField << QString::fromLatin1(member);
    }
    QTest::newRow("unknown member")
        << with("approve", true) << ErrorCode::InvalidField << QStringLiteral("approve");
    QTest::newRow("version as string")
        << with("v", QStringLiteral("1")) << ErrorCode::InvalidField << QStringLiteral("request.v");
    QTest::newRow("request id with dot") << with("request_id", QStringLiteral("a.b"))
                                         << ErrorCode::InvalidField << QStringLiteral("request_id");
    QTest::newRow("empty request id")
        << with("request_id", QString()) << ErrorCode::InvalidField << QStringLiteral("request_id");
    QTest::newRow("gateway id with newline")
        << with("gateway_id", QStringLiteral("https://a\nb")) << ErrorCode::InvalidField
        << QStringLiteral("gateway_id");
    QTest::newRow("short nonce") << with("nonce",
                                         QString::fromLatin1(base64UrlEncode(QByteArray(8, 'n'))))
                                 << ErrorCode::InvalidField << QStringLiteral("nonce");
    QTest::newRow("nonce not base64url") << with("nonce", QStringLiteral("not base64!"))
                                         << ErrorCode::InvalidField << QStringLiteral("nonce");
    QTest::newRow("fractional iat")
        << with("iat", 1.5) << ErrorCode::InvalidField << QStringLiteral("iat");
    QTest::newRow("negative exp") << with("exp", -1) << ErrorCode::InvalidField
                                  << QStringLiteral("exp");
    QTest::newRow("exp before iat")
        << with("exp", now - 1) << ErrorCode::InvalidField << QStringLiteral("exp");
    QTest::newRow("lifetime too long") << with("exp", now + ApprovalRequest::maxLifetimeSeconds + 1)
                                       << ErrorCode::InvalidField << QStringLiteral("exp");
    QTest::newRow("no methods") << with("methods", QJsonArray()) << ErrorCode::InvalidField
                                << QStringLiteral("methods");
    QTest::newRow("unknown method") << with("methods", QJsonArray{QStringLiteral("sms")})
                                    << ErrorCode::InvalidField << QStringLiteral("methods");
    QTest::newRow("duplicate method")
        << with("methods", QJsonArray{QStringLiteral("totp"), QStringLiteral("totp")})
        << ErrorCode::InvalidField << QStringLiteral("methods");
    QTest::newRow("sarc not an object")
        << with("sarc", QStringLiteral("x")) << ErrorCode::InvalidField << QStringLiteral("sarc");
    QTest::newRow("sarc without action") << with("sarc", [&good] {
        QJsonObject sarc = good.value(QStringLiteral("sarc")).toObject();
        sarc.remove(QStringLiteral("action"));
        return sarc;
    }()) << ErrorCode::MissingField << QStringLiteral("action");
}

void TestApprovalRequest::refusesInvalidPayloads()
{
    QFETCH(QJsonObject, json);
    QFETCH(ErrorCode, expected);
    QFETCH(QString, mentions);
    const auto verified =
        verifyApprovalRequest(signPayload(QJsonDocument(json).toJson(QJsonDocument::Compact)),
                              m_gatewayKey->publicKey(), gatewayId, m_clock);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, expected);
    QVERIFY2(verified.error().message.contains(mentions), qPrintable(verified.error().message));
}

void TestApprovalRequest::refusesPayloadThatIsNotAnObject()
{
    for (const QByteArray &payload :
         {QByteArray("[1,2]"), QByteArray("\"text\""), QByteArray("{\"v\":1"), QByteArray()}) {
        const auto verified = verifyApprovalRequest(signPayload(payload), m_gatewayKey->publicKey(),
                                                    gatewayId, m_clock);
        QVERIFY(!verified.ok());
        QCOMPARE(verified.error().code, ErrorCode::MalformedJson);
    }
}

QTEST_APPLESS_MAIN(TestApprovalRequest)
#include "test_approvalrequest.moc"
