#include "gatewayfixture.h"
#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/strictjson.h"
#include "tests/support/agenthelpers.h"
#include "tests/support/channelroundtrip.h"

#include <QSignalSpy>

using namespace countersign;
using namespace countersign::testing;
using gateway::ApprovalRecord;
using gateway::ApprovalState;

// A request travels to the companion and back: approve, deny, expire, and
// every proof check of docs/protocol.md 4.1, over real sockets.
class TestGatewayApprovals : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void approvesWithTotpAndIssuesOneToken();
    void denialResolvesAndClosesOtherDevicesDialogs();
    void expiresUnansweredRequests();
    void refusesReplayedProof();
    void refusesProofForOtherBytes();
    void refusesProofFromAnotherUsersDevice();
    void refusesProofOfRevokedDevice();
    void refusesMethodTheRequestDoesNotAllow();
    void refusesReusedTotpCode();
    void locksRequestAfterFiveWrongCodes();
    void keepsPendingRequestsAcrossRestart();
    void refusesProofForUnknownRequest();

private:
    // Connects a companion and returns the verified request it receives.
    std::optional<VerifiedApprovalRequest> receive(TestCompanion &companion);
    std::optional<QJsonObject> errorFor(TestCompanion &companion, const QString &code);

    std::unique_ptr<GatewayFixture> m_fixture;
};

void TestGatewayApprovals::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY(m_fixture->start());
}

void TestGatewayApprovals::cleanup()
{
    m_fixture.reset();
}

std::optional<VerifiedApprovalRequest> TestGatewayApprovals::receive(TestCompanion &companion)
{
    return testing::nextApprovalRequest(companion);
}

std::optional<QJsonObject> TestGatewayApprovals::errorFor(TestCompanion &companion,
                                                          const QString &code)
{
    const auto error = companion.waitFor(QStringLiteral("error"));
    if (!error || error->value(QStringLiteral("code")).toString() != code) {
        qWarning() << "expected error" << code << "got" << (error ? *error : QJsonObject());
        return std::nullopt;
    }
    return error;
}

void TestGatewayApprovals::approvesWithTotpAndIssuesOneToken()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    QSignalSpy resolved(&m_fixture->gateway().broker(), &gateway::ApprovalBroker::resolved);

    const ApprovalRecord approval = m_fixture->request();
    const auto request = receive(*companion);
    QVERIFY(request);
    // What the companion shows is what the gateway signed.
    QCOMPARE(request->request.requestId, approval.requestId);
    QCOMPARE(request->request.sarc.action.name, QStringLiteral("disable_user"));
    QCOMPARE(request->requestHash, approval.requestHash);

    companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    const auto accepted = companion->waitFor(QStringLiteral("approval.accepted"));
    QVERIFY(accepted);
    QCOMPARE(accepted->value(QStringLiteral("outcome")).toString(), QStringLiteral("approved"));
    const auto outcome = companion->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(outcome);
    QCOMPARE(outcome->value(QStringLiteral("outcome")).toString(), QStringLiteral("approved"));
    QCOMPARE(resolved.size(), 1);

    const auto stored = m_fixture->gateway().store().approval(approval.requestId);
    QCOMPARE(stored->state, ApprovalState::Approved);
    QCOMPARE(stored->resolvedByDevice, companion->deviceId());

    // The elevated token: signed by the gateway key, bound to this operation.
    const auto token = m_fixture->gateway().broker().redeem(approval.requestId);
    QVERIFY2(token.ok(), token.ok() ? "" : qPrintable(token.error().message));
    const auto verified =
        Jws::verify(token->token, m_fixture->gateway().signingKey(), QStringLiteral("at+jwt"));
    QVERIFY(verified.ok());
    const QJsonObject claims =
        parseStrictJsonObject(verified->payload, QStringLiteral("t")).value();
    QCOMPARE(claims.value(QStringLiteral("sub")).toString(), QStringLiteral("alice@example.com"));
    QCOMPARE(claims.value(QStringLiteral("act")).toObject().value(QStringLiteral("sub")).toString(),
             QStringLiteral("claude-code"));
    QCOMPARE(claims.value(QStringLiteral("aud")).toString(),
             QStringLiteral("https://directory.example.com/mcp"));
    QCOMPARE(claims.value(QStringLiteral("amr")).toArray(), QJsonArray{QStringLiteral("otp")});
    QCOMPARE(claims.value(QStringLiteral("exp")).toInteger()
                 - claims.value(QStringLiteral("iat")).toInteger(),
             60);
    const QJsonObject details =
        claims.value(QStringLiteral("authorization_details")).toArray().first().toObject();
    QCOMPARE(details.value(QStringLiteral("type")).toString(),
             QStringLiteral("countersign_operation"));
    QCOMPARE(details.value(QStringLiteral("actions")).toArray(),
             QJsonArray{QStringLiteral("disable_user")});
    QCOMPARE(details.value(QStringLiteral("request_hash")).toString(),
             QString::fromLatin1(base64UrlEncode(approval.requestHash)));

    // One approval, one call.
    const auto again = m_fixture->gateway().broker().redeem(approval.requestId);
    QVERIFY(!again.ok());

    const auto audit = m_fixture->gateway().store().auditEvents();
    QStringList kinds;
    for (const auto &event : audit)
        kinds.append(event.kind);
    QVERIFY(kinds.contains(QStringLiteral("approval.requested")));
    QVERIFY(kinds.contains(QStringLiteral("approval.approved")));
    QVERIFY(kinds.contains(QStringLiteral("token.issued")));
}

void TestGatewayApprovals::denialResolvesAndClosesOtherDevicesDialogs()
{
    auto laptop = m_fixture->pairedCompanion();
    auto desktop = m_fixture->pairedCompanion();
    QVERIFY(laptop->connectChannel());
    QVERIFY(desktop->connectChannel());
    const ApprovalRecord approval = m_fixture->request();
    const auto onLaptop = receive(*laptop);
    const auto onDesktop = receive(*desktop);
    QVERIFY(onLaptop && onDesktop);
    QCOMPARE(onLaptop->requestHash, onDesktop->requestHash);

    laptop->deny(*onLaptop, QStringLiteral("I did not ask for this"));
    QVERIFY(laptop->waitFor(QStringLiteral("approval.accepted")));
    const auto closedElsewhere = desktop->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(closedElsewhere);
    QCOMPARE(closedElsewhere->value(QStringLiteral("request_id")).toString(), approval.requestId);
    QCOMPARE(closedElsewhere->value(QStringLiteral("outcome")).toString(),
             QStringLiteral("denied"));

    const auto stored = m_fixture->gateway().store().approval(approval.requestId);
    QCOMPARE(stored->state, ApprovalState::Denied);
    QCOMPARE(stored->reason, QStringLiteral("I did not ask for this"));
    QVERIFY(!m_fixture->gateway().broker().redeem(approval.requestId).ok());

    // A late approval from the other device is refused.
    desktop->approveWithTotp(*onDesktop, QStringLiteral("123456"));
    QVERIFY(errorFor(*desktop, QStringLiteral("already_resolved")));
}

void TestGatewayApprovals::expiresUnansweredRequests()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    const ApprovalRecord approval = m_fixture->request(QStringLiteral("alice@example.com"), 30);
    const auto request = receive(*companion);
    QVERIFY(request);

    m_fixture->clock().advance(30);
    m_fixture->gateway().broker().expireDue();
    const auto outcome = companion->waitFor(QStringLiteral("approval.resolved"));
    QVERIFY(outcome);
    QCOMPARE(outcome->value(QStringLiteral("outcome")).toString(), QStringLiteral("expired"));
    QCOMPARE(m_fixture->gateway().store().approval(approval.requestId)->state,
             ApprovalState::Expired);

    companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    QVERIFY(errorFor(*companion, QStringLiteral("already_resolved")));
    QVERIFY(m_fixture->gateway().broker().pending(QStringLiteral("alice@example.com")).isEmpty());
}

void TestGatewayApprovals::refusesReplayedProof()
{
    m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto request = receive(*companion);
    QVERIFY(request);
    ApprovalProof proof;
    proof.requestId = request->request.requestId;
    proof.requestHash = request->requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Totp;
    proof.evidence = QJsonObject{{QStringLiteral("code"), QStringLiteral("000000")}};
    proof.issuedAt = m_fixture->clock().secondsSinceEpoch();
    const QByteArray signedProof = companion->signProof(proof);
    companion->sendProof(signedProof);
    QVERIFY(errorFor(*companion, QStringLiteral("invalid_code")));
    companion->sendProof(signedProof);
    QVERIFY(errorFor(*companion, QStringLiteral("replayed")));
}

void TestGatewayApprovals::refusesProofForOtherBytes()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    auto request = receive(*companion);
    QVERIFY(request);
    request->requestHash[0] = static_cast<char>(request->requestHash[0] ^ 1);
    companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    const auto error = errorFor(*companion, QStringLiteral("request_hash_mismatch"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("request_id")).toString(), request->request.requestId);
    QCOMPARE(m_fixture->gateway().store().approval(request->request.requestId)->state,
             ApprovalState::Pending);
}

void TestGatewayApprovals::refusesProofFromAnotherUsersDevice()
{
    const Totp totp = m_fixture->enrollTotp(QStringLiteral("bob@example.com"));
    auto bob = m_fixture->pairedCompanion(QStringLiteral("bob@example.com"));
    QVERIFY(bob->connectChannel());
    const ApprovalRecord forAlice = m_fixture->request();
    QVERIFY(channelRoundTrip(*bob));
    QVERIFY(!bob->waitFor(QStringLiteral("approval.requested"), 0));
    // Bob's device learns alice's request somehow and tries to approve it.
    VerifiedApprovalRequest stolen;
    stolen.request.requestId = forAlice.requestId;
    stolen.requestHash = forAlice.requestHash;
    bob->approveWithTotp(stolen, totp.code(m_fixture->clock()).value());
    QVERIFY(errorFor(*bob, QStringLiteral("wrong_device")));
    QCOMPARE(m_fixture->gateway().store().approval(forAlice.requestId)->state,
             ApprovalState::Pending);
}

void TestGatewayApprovals::refusesProofOfRevokedDevice()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto request = receive(*companion);
    QVERIFY(request);
    // Revoked in the store while the channel is open (no notification).
    QVERIFY(m_fixture->gateway().store().revokeDevice(companion->deviceId(),
                                                      m_fixture->clock().secondsSinceEpoch()));
    companion->approveWithTotp(*request, totp.code(m_fixture->clock()).value());
    QVERIFY(errorFor(*companion, QStringLiteral("device_revoked")));
    QCOMPARE(companion->waitForClose(), gateway::CloseCode::revoked);
    QCOMPARE(m_fixture->gateway().store().approval(request->request.requestId)->state,
             ApprovalState::Pending);
}

void TestGatewayApprovals::refusesMethodTheRequestDoesNotAllow()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request(); // TOTP only
    const auto request = receive(*companion);
    QVERIFY(request);
    ApprovalProof proof;
    proof.requestId = request->request.requestId;
    proof.requestHash = request->requestHash;
    proof.decision = Decision::Approve;
    proof.method = ApprovalMethod::Passkey;
    proof.evidence = QJsonObject{
        {QStringLiteral("credential_id"), QStringLiteral("Y3JlZA")},
        {QStringLiteral("authenticator_data"),
         QString::fromLatin1(base64UrlEncode(QByteArray(37, 'a')))},
        {QStringLiteral("client_data_json"), QString::fromLatin1(base64UrlEncode("{}"))},
        {QStringLiteral("signature"), QString::fromLatin1(base64UrlEncode(QByteArray(70, 's')))}};
    proof.issuedAt = m_fixture->clock().secondsSinceEpoch();
    companion->sendProof(companion->signProof(proof));
    QVERIFY(errorFor(*companion, QStringLiteral("method_not_allowed")));
}

void TestGatewayApprovals::refusesReusedTotpCode()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto first = receive(*companion);
    const QString code = totp.code(m_fixture->clock()).value();
    companion->approveWithTotp(*first, code);
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));

    m_fixture->request();
    const auto second = receive(*companion);
    QVERIFY(second);
    companion->approveWithTotp(*second, code);
    const auto error = errorFor(*companion, QStringLiteral("invalid_code"));
    QVERIFY(error);
    QCOMPARE(error->value(QStringLiteral("attempts_left")).toInt(), 4);
}

void TestGatewayApprovals::locksRequestAfterFiveWrongCodes()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    m_fixture->request();
    const auto request = receive(*companion);
    QVERIFY(request);
    const QString right = totp.code(m_fixture->clock()).value();
    const QString wrong = right == u"111111" ? QStringLiteral("222222") : QStringLiteral("111111");
    for (int attempt = 1; attempt < 5; ++attempt) {
        companion->approveWithTotp(*request, wrong);
        const auto error = errorFor(*companion, QStringLiteral("invalid_code"));
        QVERIFY(error);
        QCOMPARE(error->value(QStringLiteral("attempts_left")).toInt(), 5 - attempt);
    }
    companion->approveWithTotp(*request, wrong);
    QVERIFY(errorFor(*companion, QStringLiteral("locked")));
    const auto outcome = companion->waitFor(QStringLiteral("approval.resolved"));
    QCOMPARE(outcome->value(QStringLiteral("outcome")).toString(), QStringLiteral("denied"));
    // Even the right code cannot undo the lock.
    companion->approveWithTotp(*request, right);
    QVERIFY(errorFor(*companion, QStringLiteral("already_resolved")));
}

void TestGatewayApprovals::keepsPendingRequestsAcrossRestart()
{
    const Totp totp = m_fixture->enrollTotp();
    auto companion = m_fixture->pairedCompanion();
    const ApprovalRecord approval = m_fixture->request();

    m_fixture->stop(); // as if the gateway crashed or was upgraded
    QVERIFY(m_fixture->start());
    QCOMPARE(m_fixture->gateway().store().approval(approval.requestId)->state,
             ApprovalState::Pending);

    companion->connectChannelWith(companion->deviceKey(), companion->deviceId());
    const auto welcome = companion->waitFor(QStringLiteral("welcome"));
    QVERIFY(welcome);
    const QJsonArray pending = welcome->value(QStringLiteral("pending")).toArray();
    QCOMPARE(pending.size(), 1);
    // Same key after the restart: the pinned key still verifies it.
    const auto request = companion->verify(pending.first().toString());
    QVERIFY2(request.ok(), request.ok() ? "" : qPrintable(request.error().message));
    QCOMPARE(request->request.requestId, approval.requestId);
    companion->approveWithTotp(request.value(), totp.code(m_fixture->clock()).value());
    QVERIFY(companion->waitFor(QStringLiteral("approval.accepted")));
    QCOMPARE(m_fixture->gateway().store().approval(approval.requestId)->state,
             ApprovalState::Approved);
}

void TestGatewayApprovals::refusesProofForUnknownRequest()
{
    auto companion = m_fixture->pairedCompanion();
    QVERIFY(companion->connectChannel());
    VerifiedApprovalRequest invented;
    invented.request.requestId = QStringLiteral("nope");
    invented.requestHash = QByteArray(32, 'x');
    companion->approveWithTotp(invented, QStringLiteral("123456"));
    QVERIFY(errorFor(*companion, QStringLiteral("unknown_request")));
}

QTEST_GUILESS_MAIN(TestGatewayApprovals)
#include "test_gateway_approvals.moc"
