#include "platform/fidoauthenticator.h"

#include <QTest>

#include <fido.h>

using namespace countersign;
using State = Authenticator::State;

// FidoAuthenticator::outcomeForFidoError: what each libfido2 answer to the
// blocking call means for the person, without a key.
class TestPlatformFidoError : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void mapsEachError_data();
    void mapsEachError();
    void okIsDone();
};

void TestPlatformFidoError::mapsEachError_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<State>("state");
    QTest::addColumn<QString>("says");
    const auto row = [](const char *name, int error, State state, const char *says) {
        QTest::newRow(name) << error << state << QString::fromUtf8(says);
    };
    row("PIN_BLOCKED", FIDO_ERR_PIN_BLOCKED, State::PinBlocked, "PIN is blocked");
    row("PIN_AUTH_BLOCKED", FIDO_ERR_PIN_AUTH_BLOCKED, State::PinBlocked, "PIN is blocked");
    row("KEEPALIVE_CANCEL", FIDO_ERR_KEEPALIVE_CANCEL, State::Cancelled, "cancelled on the key");
    row("ACTION_TIMEOUT", FIDO_ERR_ACTION_TIMEOUT, State::Timeout, "not touched in time");
    row("USER_ACTION_TIMEOUT", FIDO_ERR_USER_ACTION_TIMEOUT, State::Timeout, "not touched in time");
    row("OPERATION_DENIED", FIDO_ERR_OPERATION_DENIED, State::Refused, "refused");
    row("NOT_ALLOWED", FIDO_ERR_NOT_ALLOWED, State::Refused, "refused");
    row("NO_CREDENTIALS", FIDO_ERR_NO_CREDENTIALS, State::NotRegistered, "holds no passkey");
    row("CREDENTIAL_EXCLUDED", FIDO_ERR_CREDENTIAL_EXCLUDED, State::AlreadyRegistered,
        "registered already");
    row("UNSUPPORTED_ALGORITHM", FIDO_ERR_UNSUPPORTED_ALGORITHM, State::UnsupportedAlgorithm,
        "ES256");
    row("TX", FIDO_ERR_TX, State::KeyRemoved, "stopped answering");
    row("RX", FIDO_ERR_RX, State::KeyRemoved, "stopped answering");
    // Everything else fails plainly, naming the error.
    row("INTERNAL", FIDO_ERR_INTERNAL, State::Failed, "failed");
    row("INVALID_CBOR", FIDO_ERR_INVALID_CBOR, State::Failed, "failed");
    row("unknown", -12345, State::Failed, "failed");
}

void TestPlatformFidoError::mapsEachError()
{
    QFETCH(int, error);
    QFETCH(State, state);
    QFETCH(QString, says);
    const FidoAuthenticator::Outcome outcome = FidoAuthenticator::outcomeForFidoError(error);
    QCOMPARE(outcome.state, state);
    QVERIFY2(outcome.message.contains(says), qPrintable(outcome.message));
    // The person (and a bug report) sees libfido2's own words.
    QVERIFY2(outcome.message.contains(QString::fromUtf8(fido_strerr(error))),
             qPrintable(outcome.message));
    QVERIFY(!outcome.registration);
    QVERIFY(!outcome.assertion);
}

void TestPlatformFidoError::okIsDone()
{
    const FidoAuthenticator::Outcome outcome = FidoAuthenticator::outcomeForFidoError(FIDO_OK);
    QCOMPARE(outcome.state, State::Done);
    QVERIFY(outcome.message.isEmpty());
}

QTEST_GUILESS_MAIN(TestPlatformFidoError)
#include "test_platform_fidoerror.moc"
