#include "protocol/base64url.h"

#include <benchmark/benchmark.h>

using namespace countersign;

namespace {

void BM_Base64UrlRoundTrip(benchmark::State &state)
{
    const QByteArray data(static_cast<qsizetype>(state.range(0)), 'x');
    for (auto _ : state) {
        auto decoded = base64UrlDecode(base64UrlEncode(data));
        benchmark::DoNotOptimize(decoded);
    }
}
BENCHMARK(BM_Base64UrlRoundTrip)->Arg(32)->Arg(1024);

} // namespace
