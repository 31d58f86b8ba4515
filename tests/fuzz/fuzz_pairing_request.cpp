// The body of POST /companion/v1/pair as the gateway reads it
// (PairingService::redeem, gateway/pairing), with a real SQLite store that
// holds no pairing offer. The first byte picks what the rest is:
//   odd: the whole body, raw;
//   even: a well-formed request whose proof of possession has the rest as
//         its payload, signed with the device key the request carries, so
//         the fuzzer reaches the proof's claims behind the signature.
// Properties: without an offer nothing pairs (no device is ever stored, the
// answer is always a refusal); a refusal has an HTTP error status, a code
// and a message; an oversized body is refused before it is parsed.
#include "gateway/pairing/pairingservice.h"
#include "gateway/store/sqlitestore.h"
#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/jose/jws.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
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
    std::unique_ptr<PairingService> pairing;

    Gateway()
    {
        store = SqliteStore::open(dir.path()).value();
        const QUrl url(QStringLiteral("https://gw.example.com"));
        GatewayIdentity identity{url.toString(), url, QStringLiteral("Fuzz gateway"),
                                 EcPrivateKey::generate().value().publicKey(), QString()};
        pairing = std::make_unique<PairingService>(*store, clock, identity, 600);
    }
};

Gateway &fuzzGateway()
{
    static Gateway instance;
    return instance;
}

QByteArray wellFormedBody(const QByteArray &proofPayload)
{
    Gateway &gw = fuzzGateway();
    const QByteArray proof = Jws::sign(proofPayload, gw.deviceKey, PairingService::proofType,
                                       gw.deviceKey.publicKey().thumbprint())
                                 .value();
    return QJsonDocument(
               QJsonObject{{QStringLiteral("v"), 1},
                           {QStringLiteral("code"), QStringLiteral("ABCD-EFGH-JKLM")},
                           {QStringLiteral("device_name"), QStringLiteral("laptop")},
                           {QStringLiteral("device_key"), gw.deviceKey.publicKey().toJwk()},
                           {QStringLiteral("proof"), QString::fromLatin1(proof)}})
        .toJson(QJsonDocument::Compact);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    QLoggingCategory::setFilterRules(QStringLiteral("countersign.*=false"));
    fuzzGateway();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    Gateway &gw = fuzzGateway();
    const QByteArray rest(reinterpret_cast<const char *>(data + 1),
                          static_cast<qsizetype>(size - 1));
    const QByteArray body = (data[0] & 1) ? rest : wellFormedBody(rest);
    const auto answer = gw.pairing->redeem(body);
    const auto *refusal = std::get_if<PairingRefusal>(&answer);
    require(refusal != nullptr);
    require(refusal->httpStatus >= 400 && refusal->httpStatus < 600);
    require(!refusal->error.isEmpty() && !refusal->message.isEmpty());
    if (body.size() > PairingService::maxRequestBytes)
        require(refusal->httpStatus == 413);
    require(gw.store->devices().isEmpty());
    return 0;
}
