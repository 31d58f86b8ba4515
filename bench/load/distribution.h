#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign::load {

// Order statistics of a list of durations, in milliseconds. Shared by the
// load tools (bench_gateway_load, bench_mcp_proxy).
struct Distribution {
    qsizetype count = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    double max = 0;
    double mean = 0;

    // Nearest-rank percentiles of `nanoseconds` (any order).
    static Distribution fromNanoseconds(QList<qint64> nanoseconds);
    QJsonObject toJson() const;
    QString toText() const;
};

// A duration in milliseconds as the reports print it: two decimals below
// 10 ms, one above.
QString formatMs(double value);

} // namespace countersign::load
