#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/approvalrequest.h"
#include "tests/support/manualclock.h"
#include "tests/support/samplemessages.h"

#include <benchmark/benchmark.h>

using namespace countersign;

namespace {

const EcPrivateKey &benchKey()
{
    static const EcPrivateKey key = EcPrivateKey::generate().value();
    return key;
}

const QByteArray payload =
    R"({"request_id":"r1","request_hash":"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU","decision":"approve","method":"totp","evidence":{"code":"123456"},"iat":1750000000,"v":1})";

void BM_Base64UrlRoundTrip(benchmark::State &state)
{
    const QByteArray data(static_cast<qsizetype>(state.range(0)), 'x');
    for (auto _ : state) {
        auto decoded = base64UrlDecode(base64UrlEncode(data));
        benchmark::DoNotOptimize(decoded);
    }
}
BENCHMARK(BM_Base64UrlRoundTrip)->Arg(32)->Arg(1024);

void BM_JwsSignEs256(benchmark::State &state)
{
    for (auto _ : state) {
        auto token = Jws::sign(payload, benchKey(), QStringLiteral("countersign-proof+jwt"),
                               QStringLiteral("kid"));
        benchmark::DoNotOptimize(token);
    }
}
BENCHMARK(BM_JwsSignEs256);

void BM_JwsVerifyEs256(benchmark::State &state)
{
    const QByteArray token =
        Jws::sign(payload, benchKey(), QStringLiteral("countersign-proof+jwt"), {}).value();
    const EcPublicKey publicKey = benchKey().publicKey();
    for (auto _ : state) {
        auto verified = Jws::verify(token, publicKey, QStringLiteral("countersign-proof+jwt"));
        benchmark::DoNotOptimize(verified);
    }
}
BENCHMARK(BM_JwsVerifyEs256);

// What a companion does with each request: verify the signature, parse and
// validate the SARC payload, hash the bytes and derive the binding code.
void BM_ApprovalRequestVerify(benchmark::State &state)
{
    const testing::ManualClock clock(1'750'000'010);
    const QByteArray token = testing::sampleRequest(1'750'000'000).sign(benchKey()).value();
    const EcPublicKey publicKey = benchKey().publicKey();
    const QString gatewayId = QStringLiteral("https://gateway.example.com");
    for (auto _ : state) {
        auto verified = verifyApprovalRequest(token, publicKey, gatewayId, clock);
        benchmark::DoNotOptimize(verified);
    }
}
BENCHMARK(BM_ApprovalRequestVerify);

} // namespace
