#include "distribution.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace countersign::load {

namespace {

double toMs(qint64 nanoseconds)
{
    return static_cast<double>(nanoseconds) / 1e6;
}

} // namespace

QString formatMs(double value)
{
    return QString::number(value, 'f', value < 10 ? 2 : 1);
}

Distribution Distribution::fromNanoseconds(QList<qint64> nanoseconds)
{
    Distribution result;
    result.count = nanoseconds.size();
    if (nanoseconds.isEmpty())
        return result;
    std::sort(nanoseconds.begin(), nanoseconds.end());
    // Nearest rank: the smallest value with at least p% of values at or below it.
    const auto rank = [&](double percent) {
        const auto index = static_cast<qsizetype>(
            std::ceil(percent / 100.0 * static_cast<double>(nanoseconds.size())));
        return toMs(nanoseconds.at(std::clamp<qsizetype>(index - 1, 0, nanoseconds.size() - 1)));
    };
    result.p50 = rank(50);
    result.p90 = rank(90);
    result.p99 = rank(99);
    result.max = toMs(nanoseconds.constLast());
    const double sum = std::accumulate(
        nanoseconds.cbegin(), nanoseconds.cend(), 0.0,
        [](double total, qint64 value) { return total + static_cast<double>(value); });
    result.mean = sum / static_cast<double>(nanoseconds.size()) / 1e6;
    return result;
}

QJsonObject Distribution::toJson() const
{
    return QJsonObject{{QStringLiteral("count"), count}, {QStringLiteral("p50_ms"), p50},
                       {QStringLiteral("p90_ms"), p90},  {QStringLiteral("p99_ms"), p99},
                       {QStringLiteral("max_ms"), max},  {QStringLiteral("mean_ms"), mean}};
}

QString Distribution::toText() const
{
    return QStringLiteral("p50 %1  p90 %2  p99 %3  max %4  mean %5 ms (n=%6)")
        .arg(formatMs(p50), formatMs(p90), formatMs(p99), formatMs(max), formatMs(mean))
        .arg(count);
}

} // namespace countersign::load
