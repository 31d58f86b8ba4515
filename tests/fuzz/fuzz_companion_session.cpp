// The gateway's side of the companion channel, whole: a CompanionSession
// (gateway/channel) on a fake connection, with a real SQLite store that
// holds one paired device, reads the frames a companion would send. The
// input is split (FuzzedDataProvider) into:
//   - the auth proof's payload, signed with the paired device's key (so the
//     fuzzer reaches the claims checks behind the signature): either raw
//     bytes, or the valid claims with members changed or added;
//   - or, instead of auth, any first frame;
//   - then up to 8 frames: raw text, or approval.respond with a proof whose
//     payload (raw bytes) is signed with the device key.
// Properties: every frame the gateway sends is a valid channel message of
// at most 64 KiB; before authentication it sends nothing but hello; the
// session is authenticated only by a proof whose payload is a JSON object
// with the hello's nonce, this gateway's id and an iat within 300 s; close
// codes are the protocol's.
#include "gateway/approvals/approvalbroker.h"
#include "gateway/channel/companionsession.h"
#include "gateway/edge/companionconnection.h"
#include "gateway/issuer/tokenissuer.h"
#include "gateway/passkeys/passkeyregistry.h"
#include "gateway/passkeys/relyingparty.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/strictjson.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>
#include <memory>

#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QUrl>

using namespace countersign;
using namespace countersign::gateway;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

constexpr qint64 now = 1'750'000'000;

class FixedClock final : public Clock {
public:
    qint64 secondsSinceEpoch() const override { return now; }
};

class FakeConnection final : public CompanionConnection {
public:
    void start(QObject *, Events events) override { m_events = std::move(events); }
    void sendText(const QString &text) override { sent.append(text); }
    void ping() override {}
    void close(int code, const QString &) override { closeCodes.append(code); }
    QHostAddress peerAddress() const override { return QHostAddress(QHostAddress::LocalHost); }
    void markTrusted() override { trusted = true; }

    void deliver(const QString &text)
    {
        if (m_events.text)
            m_events.text(text);
    }

    QStringList sent;
    QList<int> closeCodes;
    bool trusted = false;

private:
    Events m_events;
};

const QString gatewayId = QStringLiteral("https://gw.example.com");
const QString deviceId = QStringLiteral("d-fuzz-device");

// In memory where there is a tmpfs: each refused attempt is audited, and
// an fdatasync per input on disk made this target ~20x slower than the
// parsers it exercises; durability is not what is fuzzed here.
QString storeDirTemplate()
{
    return QDir(QStringLiteral("/dev/shm")).exists()
        ? QStringLiteral("/dev/shm/countersign-fuzz-XXXXXX")
        : QDir::tempPath() + QStringLiteral("/countersign-fuzz-XXXXXX");
}

struct Gateway {
    QTemporaryDir dir{storeDirTemplate()};
    FixedClock clock;
    std::unique_ptr<SqliteStore> store;
    EcPrivateKey deviceKey = EcPrivateKey::generate().value();
    EcPrivateKey gatewayKey = EcPrivateKey::generate().value();
    std::unique_ptr<TokenIssuer> issuer;
    std::unique_ptr<ApprovalBroker> broker;
    std::unique_ptr<PasskeyRegistry> passkeys;

    Gateway()
    {
        store = SqliteStore::open(dir.path()).value();
        DeviceRecord device;
        device.deviceId = deviceId;
        device.userId = QStringLiteral("alice@example.com");
        device.name = QStringLiteral("fuzz laptop");
        device.publicJwk = deviceKey.publicKey().toJwk();
        device.keyThumbprint = deviceKey.publicKey().thumbprint();
        device.pairedAt = now - 100;
        require(store->addDevice(device).ok());
        const RelyingParty rp = RelyingParty::forGateway(QUrl(gatewayId), QString());
        issuer = std::make_unique<TokenIssuer>(gatewayKey, gatewayId, 60, clock);
        broker =
            std::make_unique<ApprovalBroker>(*store, gatewayKey, gatewayId, *issuer, clock, rp);
        // No TOTP enrolment here: every passkey change is refused at its factor.
        passkeys =
            std::make_unique<PasskeyRegistry>(*store, clock, rp, [](const QString &, QStringView) {
                return PasskeyRegistry::CodeCheck::NotEnrolled;
            });
    }
};

Gateway &fuzzGateway()
{
    static Gateway instance;
    return instance;
}

QByteArray bytesOf(const std::string &text)
{
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

QString signedBy(const EcPrivateKey &key, const QByteArray &payload, const QString &type)
{
    return QString::fromLatin1(Jws::sign(payload, key, type, key.publicKey().thumbprint()).value());
}

QByteArray authPayload(FuzzedDataProvider &input, const QString &nonce)
{
    if (input.ConsumeBool())
        return bytesOf(input.ConsumeRandomLengthString(512));
    QJsonObject claims{{QStringLiteral("v"), 1},
                       {QStringLiteral("nonce"), nonce},
                       {QStringLiteral("gateway_id"), gatewayId},
                       {QStringLiteral("iat"), now + input.ConsumeIntegralInRange<int>(-400, 400)}};
    const int changes = input.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < changes; ++i) {
        const QString key = QString::fromStdString(input.ConsumeRandomLengthString(16));
        const auto value =
            QJsonDocument::fromJson(bytesOf(input.ConsumeRandomLengthString(64))).object();
        if (input.ConsumeBool())
            claims.insert(key, value);
        else
            claims.insert(key, QString::fromStdString(input.ConsumeRandomLengthString(64)));
    }
    return QJsonDocument(claims).toJson(QJsonDocument::Compact);
}

// What the gateway accepts as an auth proof payload today; the session may
// be stricter, never laxer.
bool acceptableAuthPayload(const QByteArray &payload, const QString &nonce)
{
    const auto claims = parseStrictJsonObject(payload, QStringLiteral("auth"));
    if (!claims)
        return false;
    const QJsonValue iat = claims->value(QStringLiteral("iat"));
    return claims->value(QStringLiteral("nonce")) == QJsonValue(nonce)
        && claims->value(QStringLiteral("gateway_id")) == QJsonValue(gatewayId) && iat.isDouble()
        && qAbs(iat.toDouble() - double(now)) <= 300;
}

void checkSent(const FakeConnection &connection)
{
    for (const QString &frame : connection.sent) {
        const QByteArray utf8 = frame.toUtf8();
        require(utf8.size() <= 64 * 1024);
        const auto json = parseStrictJsonObject(utf8, QStringLiteral("frame"));
        require(json.ok());
        require(channel::parseChannelMessage(json.value()).ok());
    }
    for (const int code : connection.closeCodes) {
        require(code == CloseCode::protocolError || code == CloseCode::unauthorized
                || code == CloseCode::revoked || code == CloseCode::unsupportedData || code == 1001
                || code == 1008);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    // The session logs every close; thousands of runs a second would drown
    // the fuzzer's own output.
    QLoggingCategory::setFilterRules(QStringLiteral("countersign.*=false"));
    fuzzGateway();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Gateway &gw = fuzzGateway();
    FuzzedDataProvider input(data, size);
    auto connection = std::make_shared<FakeConnection>();
    {
        CompanionSession session(connection, *gw.store, *gw.broker, *gw.passkeys, gw.clock,
                                 gatewayId, ChannelTimings{});
        require(connection->sent.size() == 1);
        const auto hello = channel::Hello::fromJson(
            parseStrictJsonObject(connection->sent.first().toUtf8(), QStringLiteral("hello"))
                .value());
        require(hello.ok());

        if (input.ConsumeBool()) {
            const QByteArray payload = authPayload(input, hello->nonce);
            const QString proof = signedBy(gw.deviceKey, payload, channel::AuthClaims::jwsType);
            connection->deliver(channel::toText(channel::Auth{deviceId, proof}));
            if (session.isAuthenticated())
                require(acceptableAuthPayload(payload, hello->nonce));
        } else {
            connection->deliver(QString::fromUtf8(bytesOf(input.ConsumeRandomLengthString(2048))));
        }
        if (!session.isAuthenticated())
            require(connection->sent.size() == 1 && !connection->trusted);

        for (int frames = 0; frames < 8 && input.remaining_bytes() > 0; ++frames) {
            if (input.ConsumeBool()) {
                const QByteArray payload = bytesOf(input.ConsumeRandomLengthString(1024));
                const QString proof =
                    signedBy(gw.deviceKey, payload, QStringLiteral("countersign-proof+jwt"));
                connection->deliver(channel::toText(channel::ApprovalRespond{proof}));
            } else {
                connection->deliver(
                    QString::fromUtf8(bytesOf(input.ConsumeRandomLengthString(4096))));
            }
        }
        checkSent(*connection);
    }
    return 0;
}
