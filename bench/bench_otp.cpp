// TOTP/HOTP benchmarks (protocol/otp): what one code costs the gateway, per
// HMAC algorithm, and a verification that has to try the whole ±1 window.

#include "protocol/otp/totp.h"

#include <benchmark/benchmark.h>

using namespace countersign;

namespace {

class FixedClock final : public Clock {
public:
    explicit FixedClock(qint64 seconds)
        : m_seconds(seconds)
    {
    }
    qint64 secondsSinceEpoch() const override { return m_seconds; }

private:
    qint64 m_seconds;
};

// The RFC 6238 seed for each algorithm, as in the tests.
Totp makeTotp(OtpAlgorithm algorithm)
{
    const qsizetype size = algorithm == OtpAlgorithm::Sha1 ? 20
        : algorithm == OtpAlgorithm::Sha256                ? 32
                                                           : 64;
    const QByteArray seed = QByteArray("1234567890").repeated(7).left(size);
    return Totp::create(OtpSecret::fromBytes(seed).value(), algorithm, 8).value();
}

OtpAlgorithm algorithmArg(const benchmark::State &state)
{
    return static_cast<OtpAlgorithm>(state.range(0));
}

void setAlgorithmLabel(benchmark::State &state)
{
    state.SetLabel(otpAlgorithmName(algorithmArg(state)).toStdString());
}

void BM_TotpGenerate(benchmark::State &state)
{
    const Totp totp = makeTotp(algorithmArg(state));
    const FixedClock clock(1'111'111'109);
    for (auto _ : state) {
        auto code = totp.code(clock);
        benchmark::DoNotOptimize(code);
    }
    setAlgorithmLabel(state);
}

// The worst accepted case: the code is from the step after next in the
// search order, and every step in the window is computed anyway.
void BM_TotpVerifyWithSkew(benchmark::State &state)
{
    const Totp totp = makeTotp(algorithmArg(state));
    const FixedClock clock(1'111'111'109);
    const QString code = totp.codeAt(1'111'111'109 + 30).value();
    for (auto _ : state) {
        auto matched = totp.verify(code, clock, 1);
        if (!matched) {
            state.SkipWithError("verification failed");
            break;
        }
        benchmark::DoNotOptimize(matched);
    }
    setAlgorithmLabel(state);
}

void BM_TotpVerifyWrongCode(benchmark::State &state)
{
    const Totp totp = makeTotp(algorithmArg(state));
    const FixedClock clock(1'111'111'109);
    for (auto _ : state) {
        auto matched = totp.verify(u"00000000", clock, 1);
        benchmark::DoNotOptimize(matched);
    }
    setAlgorithmLabel(state);
}

void algorithms(benchmark::internal::Benchmark *benchmark)
{
    for (const auto algorithm : {OtpAlgorithm::Sha1, OtpAlgorithm::Sha256, OtpAlgorithm::Sha512}) {
        benchmark->Arg(static_cast<int64_t>(algorithm));
    }
}

BENCHMARK(BM_TotpGenerate)->Apply(algorithms);
BENCHMARK(BM_TotpVerifyWithSkew)->Apply(algorithms);
BENCHMARK(BM_TotpVerifyWrongCode)->Apply(algorithms);

} // namespace
