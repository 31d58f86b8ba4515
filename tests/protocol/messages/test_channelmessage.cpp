#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/strictjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::channel;

Q_DECLARE_METATYPE(countersign::channel::ChannelMessage)
Q_DECLARE_METATYPE(countersign::ErrorCode)

namespace {

const QString nonce = QString(43, QLatin1Char('A')); // base64url of 32 zero bytes

QJsonObject object(const char *json)
{
    return parseStrictJsonObject(QByteArray(json), QStringLiteral("test")).value();
}

QJsonObject passkeyContext()
{
    return QJsonObject{{QStringLiteral("rp_id"), QStringLiteral("gw.example.com")},
                       {QStringLiteral("user_handle"), QString(22, QLatin1Char('h'))},
                       {QStringLiteral("user_name"), QStringLiteral("alice@example.com")},
                       {QStringLiteral("credentials"), QJsonArray()}};
}

} // namespace

class TestChannelMessage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void wireFormat_data();
    void wireFormat();
    void ignoresMembersItDoesNotDefine();
    void refusesMalformed_data();
    void refusesMalformed();
    void authClaimsVerify();
    void errorCodeNames();
    void passkeyChangeErrors();
    void pagedWelcomeAndAgentHeld();
};

void TestChannelMessage::roundTrip_data()
{
    QTest::addColumn<ChannelMessage>("message");
    QTest::newRow("hello") << ChannelMessage(
        Hello{QStringLiteral("https://gw.example.com"), nonce});
    QTest::newRow("auth") << ChannelMessage(Auth{QStringLiteral("dev_1"), QStringLiteral("a.b.c")});
    QTest::newRow("welcome") << ChannelMessage(
        Welcome{QStringLiteral("dev_1"), QStringLiteral("alice@example.com"),
                QStringList{QStringLiteral("r.e.q"), QStringLiteral("s.e.q")}, passkeyContext()});
    QTest::newRow("welcome without passkeys")
        << ChannelMessage(Welcome{QStringLiteral("dev_1"), QStringLiteral("alice@example.com"),
                                  QStringList{}, QJsonValue(QJsonValue::Undefined)});
    QTest::newRow("approval.requested")
        << ChannelMessage(ApprovalRequested{QStringLiteral("r.e.q")});
    QTest::newRow("approval.respond") << ChannelMessage(ApprovalRespond{QStringLiteral("p.r.f")});
    QTest::newRow("approval.accepted")
        << ChannelMessage(ApprovalAccepted{QStringLiteral("req_1"), QStringLiteral("denied")});
    QTest::newRow("approval.resolved") << ChannelMessage(ApprovalResolved{
        QStringLiteral("req_1"), QStringLiteral("cancelled"), QStringLiteral("the agent gave up")});
    QTest::newRow("approval.resolved without reason")
        << ChannelMessage(ApprovalResolved{QStringLiteral("req_1"), QStringLiteral("expired"), {}});
    QTest::newRow("approval.waiting no")
        << ChannelMessage(ApprovalWaiting{QStringLiteral("req_1"), false});
    QTest::newRow("approval.waiting again")
        << ChannelMessage(ApprovalWaiting{QStringLiteral("req_1"), true});
    QTest::newRow("passkeys") << ChannelMessage(Passkeys{passkeyContext()});
    QTest::newRow("passkey.register") << ChannelMessage(PasskeyRegister{
        QStringLiteral("YubiKey 5"), QJsonObject{{QStringLiteral("fmt"), QStringLiteral("none")}}});
    QTest::newRow("passkey.remove") << ChannelMessage(PasskeyRemove{QByteArray(16, 'c')});
    // v1.3: the factor of a passkey change and the change announced.
    QTest::newRow("passkey.register with factor") << ChannelMessage(PasskeyRegister{
        QStringLiteral("YubiKey 5"), QJsonObject{}, PasskeyFactor{QStringLiteral("123456")}});
    QTest::newRow("passkey.remove with factor") << ChannelMessage(
        PasskeyRemove{QByteArray(16, 'c'), PasskeyFactor{QStringLiteral("12345678")}});
    QTest::newRow("passkeys with change") << ChannelMessage(
        Passkeys{passkeyContext(),
                 PasskeyChange{QStringLiteral("removed"), QStringLiteral("YubiKey 5"),
                               QStringLiteral("alice-laptop")}});
    QTest::newRow("error with attempts") << ChannelMessage(ErrorReply{
        ChannelErrorCode::InvalidCode, QStringLiteral("wrong code"), QStringLiteral("req_1"), 3});
    QTest::newRow("error without request")
        << ChannelMessage(ErrorReply{ChannelErrorCode::UnsupportedMessage,
                                     QStringLiteral("unknown message type \"x\""),
                                     {},
                                     {}});
}

void TestChannelMessage::roundTrip()
{
    QFETCH(ChannelMessage, message);
    const QString text = toText(message);
    const auto json = parseStrictJsonObject(text.toUtf8(), QStringLiteral("message"));
    QVERIFY(json);
    QCOMPARE(json->value(QStringLiteral("type")).toString(), channelMessageType(message));
    const auto parsed = parseChannelMessage(json.value());
    QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
    QVERIFY(parsed.value() == message);
}

// Byte for byte what docs/protocol.md shows and what the code sent before
// these types existed (QJsonDocument writes members in key order).
void TestChannelMessage::wireFormat_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("hello") << toText(Hello{QStringLiteral("https://gw"), nonce})
                           << QStringLiteral(R"({"gateway_id":"https://gw","nonce":"%1",)"
                                             R"("type":"hello","v":1})")
                                  .arg(nonce);
    QTest::newRow("auth") << toText(Auth{QStringLiteral("dev_1"), QStringLiteral("a.b.c")})
                          << QStringLiteral(
                                 R"({"device_id":"dev_1","proof":"a.b.c","type":"auth"})");
    QTest::newRow("welcome") << toText(Welcome{QStringLiteral("d"), QStringLiteral("u"),
                                               QStringList{QStringLiteral("r")},
                                               QJsonValue(QJsonValue::Undefined)})
                             << QStringLiteral(R"({"device_id":"d","pending":["r"],)"
                                               R"("type":"welcome","user":"u"})");
    QTest::newRow("error") << toText(
        ErrorReply{ChannelErrorCode::InvalidCode, QStringLiteral("m"), QStringLiteral("r"), 4})
                           << QStringLiteral(R"({"attempts_left":4,"code":"invalid_code",)"
                                             R"("message":"m","request_id":"r","type":"error"})");
    QTest::newRow("accepted") << toText(
        ApprovalAccepted{QStringLiteral("r"), QStringLiteral("approved")})
                              << QStringLiteral(R"({"outcome":"approved","request_id":"r",)"
                                                R"("type":"approval.accepted"})");
    QTest::newRow("waiting") << toText(ApprovalWaiting{QStringLiteral("r"), false})
                             << QStringLiteral(R"({"agent_waiting":false,"request_id":"r",)"
                                               R"("type":"approval.waiting"})");
    QTest::newRow("remove") << toText(PasskeyRemove{QByteArrayLiteral("\xff\xfe")})
                            << QStringLiteral(R"({"credential_id":"__4","type":"passkey.remove"})");
    QTest::newRow("remove with factor")
        << toText(PasskeyRemove{QByteArrayLiteral("\xff\xfe"),
                                PasskeyFactor{QStringLiteral("123456")}})
        << QStringLiteral(R"({"credential_id":"__4","factor":{"code":"123456","method":"totp"},)"
                          R"("type":"passkey.remove"})");
}

void TestChannelMessage::wireFormat()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(text, expected);
}

void TestChannelMessage::ignoresMembersItDoesNotDefine()
{
    // Envelopes may grow optional members within v1 (docs/protocol.md 1.1).
    const auto parsed = parseChannelMessage(
        object(R"({"type":"approval.requested","request":"r.e.q","priority":"high"})"));
    QVERIFY(parsed);
    QCOMPARE(std::get<ApprovalRequested>(parsed.value()).request, QStringLiteral("r.e.q"));
}

void TestChannelMessage::refusesMalformed_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("mentions");
    const QString hello = QStringLiteral(R"("type":"hello","v":1,"gateway_id":"g")");
    QTest::newRow("no type") << QStringLiteral(R"({"request":"r"})")
                             << ErrorCode::UnsupportedMessage << QStringLiteral("type");
    QTest::newRow("type not a string") << QStringLiteral(R"({"type":1})")
                                       << ErrorCode::UnsupportedMessage << QStringLiteral("type");
    QTest::newRow("unknown type") << QStringLiteral(R"({"type":"approval.autoapprove"})")
                                  << ErrorCode::UnsupportedMessage
                                  << QStringLiteral("approval.autoapprove");
    QTest::newRow("hello other version")
        << QStringLiteral(R"({"type":"hello","v":2,"gateway_id":"g","nonce":"%1"})").arg(nonce)
        << ErrorCode::UnsupportedVersion << QStringLiteral("version");
    QTest::newRow("hello without version")
        << QStringLiteral(R"({"type":"hello","gateway_id":"g","nonce":"%1"})").arg(nonce)
        << ErrorCode::MissingField << QStringLiteral("hello.v");
    QTest::newRow("hello short nonce") << QStringLiteral(R"({%1,"nonce":"AAAA"})").arg(hello)
                                       << ErrorCode::InvalidField << QStringLiteral("nonce");
    QTest::newRow("hello nonce padded") << QStringLiteral(R"({%1,"nonce":"%2="})").arg(hello, nonce)
                                        << ErrorCode::InvalidField << QStringLiteral("nonce");
    QTest::newRow("hello gateway id a number")
        << QStringLiteral(R"({"type":"hello","v":1,"gateway_id":7,"nonce":"%1"})").arg(nonce)
        << ErrorCode::InvalidField << QStringLiteral("hello.gateway_id");
    QTest::newRow("auth without proof") << QStringLiteral(R"({"type":"auth","device_id":"d"})")
                                        << ErrorCode::MissingField << QStringLiteral("auth.proof");
    QTest::newRow("auth empty device")
        << QStringLiteral(R"({"type":"auth","device_id":"","proof":"p"})")
        << ErrorCode::InvalidField << QStringLiteral("auth.device_id");
    QTest::newRow("welcome without pending")
        << QStringLiteral(R"({"type":"welcome","device_id":"d","user":"u"})")
        << ErrorCode::MissingField << QStringLiteral("pending");
    QTest::newRow("welcome pending not strings")
        << QStringLiteral(R"({"type":"welcome","device_id":"d","user":"u","pending":[1]})")
        << ErrorCode::InvalidField << QStringLiteral("pending");
    QTest::newRow("welcome pending an object")
        << QStringLiteral(R"({"type":"welcome","device_id":"d","user":"u","pending":{}})")
        << ErrorCode::InvalidField << QStringLiteral("pending");
    QTest::newRow("requested without request")
        << QStringLiteral(R"({"type":"approval.requested"})") << ErrorCode::MissingField
        << QStringLiteral("request");
    QTest::newRow("respond proof not a string")
        << QStringLiteral(R"({"type":"approval.respond","proof":{}})") << ErrorCode::InvalidField
        << QStringLiteral("approval.respond.proof");
    QTest::newRow("accepted expired")
        << QStringLiteral(R"({"type":"approval.accepted","request_id":"r","outcome":"expired"})")
        << ErrorCode::InvalidField << QStringLiteral("outcome");
    QTest::newRow("resolved unknown outcome")
        << QStringLiteral(R"({"type":"approval.resolved","request_id":"r","outcome":"maybe"})")
        << ErrorCode::InvalidField << QStringLiteral("outcome");
    QTest::newRow("resolved long request id")
        << QStringLiteral(R"({"type":"approval.resolved","request_id":"%1","outcome":"denied"})")
               .arg(QString(129, QLatin1Char('r')))
        << ErrorCode::InvalidField << QStringLiteral("request_id");
    QTest::newRow("resolved reason a number")
        << QStringLiteral(
               R"({"type":"approval.resolved","request_id":"r","outcome":"denied","reason":1})")
        << ErrorCode::InvalidField << QStringLiteral("reason");
    QTest::newRow("waiting without the flag")
        << QStringLiteral(R"({"type":"approval.waiting","request_id":"r"})")
        << ErrorCode::MissingField << QStringLiteral("agent_waiting");
    QTest::newRow("waiting flag a string")
        << QStringLiteral(R"({"type":"approval.waiting","request_id":"r","agent_waiting":"no"})")
        << ErrorCode::InvalidField << QStringLiteral("agent_waiting");
    QTest::newRow("passkeys without context")
        << QStringLiteral(R"({"type":"passkeys"})") << ErrorCode::MissingField
        << QStringLiteral("passkey");
    QTest::newRow("register blank name")
        << QStringLiteral(R"({"type":"passkey.register","name":"  ","credential":{}})")
        << ErrorCode::InvalidField << QStringLiteral("name");
    QTest::newRow("register name too long")
        << QStringLiteral(R"({"type":"passkey.register","name":"%1","credential":{}})")
               .arg(QString(65, QLatin1Char('n')))
        << ErrorCode::InvalidField << QStringLiteral("name");
    QTest::newRow("register name with bidi override")
        << QStringLiteral("{\"type\":\"passkey.register\",\"name\":\"a\u202eb\",\"credential\":{}}")
        << ErrorCode::InvalidField << QStringLiteral("name");
    QTest::newRow("register credential a string")
        << QStringLiteral(R"({"type":"passkey.register","name":"k","credential":"c"})")
        << ErrorCode::InvalidField << QStringLiteral("credential");
    QTest::newRow("remove credential id not base64url")
        << QStringLiteral(R"({"type":"passkey.remove","credential_id":"a+b/"})")
        << ErrorCode::InvalidField << QStringLiteral("credential_id");
    QTest::newRow("factor of another method")
        << QStringLiteral(R"({"type":"passkey.remove","credential_id":"AA",)"
                          R"("factor":{"method":"sms","code":"123456"}})")
        << ErrorCode::InvalidField << QStringLiteral("factor.method");
    QTest::newRow("factor code of 5 digits")
        << QStringLiteral(R"({"type":"passkey.register","name":"k","credential":{},)"
                          R"("factor":{"method":"totp","code":"12345"}})")
        << ErrorCode::InvalidField << QStringLiteral("factor.code");
    QTest::newRow("factor code not digits")
        << QStringLiteral(R"({"type":"passkey.register","name":"k","credential":{},)"
                          R"("factor":{"method":"totp","code":"12a456"}})")
        << ErrorCode::InvalidField << QStringLiteral("factor.code");
    QTest::newRow("factor code a number")
        << QStringLiteral(R"({"type":"passkey.remove","credential_id":"AA",)"
                          R"("factor":{"method":"totp","code":123456}})")
        << ErrorCode::InvalidField << QStringLiteral("code");
    QTest::newRow("factor a string")
        << QStringLiteral(R"({"type":"passkey.remove","credential_id":"AA","factor":"123456"})")
        << ErrorCode::InvalidField << QStringLiteral("factor");
    QTest::newRow("factor with an unknown member")
        << QStringLiteral(R"({"type":"passkey.remove","credential_id":"AA",)"
                          R"("factor":{"method":"totp","code":"123456","admin":true}})")
        << ErrorCode::InvalidField << QStringLiteral("admin");
    QTest::newRow("change of an unknown action")
        << QStringLiteral(R"({"type":"passkeys","passkey":{},"change":{"action":"renamed"}})")
        << ErrorCode::InvalidField << QStringLiteral("action");
    QTest::newRow("error unknown code")
        << QStringLiteral(R"({"type":"error","code":"teapot","message":"m"})")
        << ErrorCode::InvalidField << QStringLiteral("teapot");
    QTest::newRow("error without code") << QStringLiteral(R"({"type":"error","message":"m"})")
                                        << ErrorCode::MissingField << QStringLiteral("code");
    QTest::newRow("error attempts negative")
        << QStringLiteral(R"({"type":"error","code":"invalid_code","message":"m",)"
                          R"("attempts_left":-1})")
        << ErrorCode::InvalidField << QStringLiteral("attempts_left");
    QTest::newRow("error attempts a string")
        << QStringLiteral(R"({"type":"error","code":"invalid_code","message":"m",)"
                          R"("attempts_left":"3"})")
        << ErrorCode::InvalidField << QStringLiteral("attempts_left");
    QTest::newRow("error request id a number")
        << QStringLiteral(R"({"type":"error","code":"expired","message":"m","request_id":5})")
        << ErrorCode::InvalidField << QStringLiteral("request_id");
}

void TestChannelMessage::refusesMalformed()
{
    QFETCH(QString, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, mentions);
    const auto parsed = parseChannelMessage(object(json.toUtf8().constData()));
    QVERIFY(!parsed);
    QCOMPARE(errorCodeName(parsed.error().code), errorCodeName(code));
    QVERIFY2(parsed.error().message.contains(mentions), qPrintable(parsed.error().message));
}

void TestChannelMessage::authClaimsVerify()
{
    const EcPrivateKey key = EcPrivateKey::generate().value();
    const AuthClaims claims{nonce, QStringLiteral("https://gw"), 1'750'000'000};
    const auto proof = claims.sign(key);
    QVERIFY(proof);
    const auto jws = Jws::verify(proof.value(), key.publicKey(), AuthClaims::jwsType);
    QVERIFY(jws);
    const QByteArray expected = "{\"gateway_id\":\"https://gw\",\"iat\":1750000000,\"nonce\":\""
        + nonce.toLatin1() + "\",\"v\":1}";
    QCOMPARE(jws->payload, expected);
}

void TestChannelMessage::errorCodeNames()
{
    QStringList seen;
    for (int i = 0; i <= static_cast<int>(ChannelErrorCode::ConnectionLost); ++i) {
        const auto code = static_cast<ChannelErrorCode>(i);
        const QString name = channelErrorCodeName(code);
        QVERIFY(!name.isEmpty());
        QVERIFY2(!seen.contains(name), qPrintable(name));
        seen.append(name);
        QCOMPARE(parseChannelErrorCode(name), std::optional<ChannelErrorCode>(code));
    }
    // The names docs/protocol.md 4.1 and 8.2 give, spelled as there.
    QCOMPARE(channelErrorCodeName(ChannelErrorCode::RequestHashMismatch),
             QStringLiteral("request_hash_mismatch"));
    QCOMPARE(channelErrorCodeName(ChannelErrorCode::TooManyPasskeys),
             QStringLiteral("too_many_passkeys"));
    QCOMPARE(channelErrorCodeName(ChannelErrorCode::FactorRequired),
             QStringLiteral("factor_required"));
    QCOMPARE(channelErrorCodeName(ChannelErrorCode::InvalidFactor),
             QStringLiteral("invalid_factor"));
    QVERIFY(!parseChannelErrorCode(u"Invalid_Code"));
    QVERIFY(!parseChannelErrorCode(u""));
}

void TestChannelMessage::passkeyChangeErrors()
{
    QVERIFY(isPasskeyChangeError(ChannelErrorCode::PasskeyExists));
    QVERIFY(isPasskeyChangeError(ChannelErrorCode::UnknownPasskey));
    // v1.3: the factor's refusals answer a passkey change only (they carry
    // no request id), unlike invalid_code and locked of approvals.
    QVERIFY(isPasskeyChangeError(ChannelErrorCode::FactorRequired));
    QVERIFY(isPasskeyChangeError(ChannelErrorCode::InvalidFactor));
    // Both kinds of message can be answered with it.
    QVERIFY(!isPasskeyChangeError(ChannelErrorCode::DeviceRevoked));
    QVERIFY(!isPasskeyChangeError(ChannelErrorCode::InvalidCode));
}

// v1.2 (docs/protocol.md 5.2, 5.3, 9): welcome.pending_total and agent.held.
void TestChannelMessage::pagedWelcomeAndAgentHeld()
{
    Welcome paged{QStringLiteral("dev_1"), QStringLiteral("alice@example.com"),
                  QStringList{QStringLiteral("r.e.q")}, QJsonValue(QJsonValue::Undefined), 250};
    auto parsed = parseChannelMessage(paged.toJson());
    QVERIFY(parsed);
    QCOMPARE(std::get<Welcome>(parsed.value()), paged);
    QVERIFY(toText(paged).contains(QStringLiteral("\"pending_total\":250")));
    // A v1.0/v1.1 gateway sends none: the list is complete.
    QVERIFY(!std::get<Welcome>(parseChannelMessage(object(R"({"type":"welcome","device_id":"d",)"
                                                          R"("user":"u","pending":[]})"))
                                   .value())
                 .pendingTotal);
    for (const char *total : {"0", "-1", "1.5", "\"2\"", "true"}) {
        const QByteArray json = QByteArray(R"({"type":"welcome","device_id":"d","user":"u",)")
            + QByteArray(R"("pending":["a.b.c"],"pending_total":)") + QByteArray(total) + "}";
        const auto refused = parseChannelMessage(object(json.constData()));
        QVERIFY2(!refused, total);
        QCOMPARE(errorCodeName(refused.error().code), errorCodeName(ErrorCode::InvalidField));
        QVERIFY(refused.error().message.contains(QStringLiteral("welcome.pending_total")));
    }

    const AgentHeld held{QStringLiteral("claude-code"), 3, 1'750'000'600};
    parsed = parseChannelMessage(held.toJson());
    QVERIFY(parsed);
    QCOMPARE(std::get<AgentHeld>(parsed.value()), held);
    QCOMPARE(toText(held),
             QStringLiteral(R"({"agent":"claude-code","held_count":3,)"
                            R"("type":"agent.held","until":1750000600})"));
    for (const char *json : {R"({"type":"agent.held","agent":"a","until":1})",
                             R"({"type":"agent.held","agent":"a","held_count":-1,"until":1})",
                             R"({"type":"agent.held","agent":"a","held_count":1,"until":"soon"})",
                             R"({"type":"agent.held","agent":7,"held_count":1,"until":1})"}) {
        const auto refused = parseChannelMessage(object(json));
        QVERIFY2(!refused, json);
    }
}

QTEST_GUILESS_MAIN(TestChannelMessage)
#include "test_channelmessage.moc"
