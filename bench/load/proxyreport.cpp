#include "proxyreport.h"

#include <QJsonArray>

namespace countersign::load {

namespace {

QString column(const QString &text, int width)
{
    return text.leftJustified(width);
}

QString number(double value, int width)
{
    return formatMs(value).rightJustified(width);
}

QString rate(double value, int width)
{
    return QString::number(value, 'f', 0).rightJustified(width);
}

// A difference: "+1.62", "-0.69" (a p99 below the direct one is noise).
QString signedMs(double value)
{
    return (value >= 0 ? QStringLiteral("+") : QString()) + formatMs(value);
}

const TargetResult *findDirect(const QList<TargetResult> &targets)
{
    for (const TargetResult &target : targets) {
        if (target.name == u"direct")
            return &target;
    }
    return nullptr;
}

QString modeRow(const TargetResult &target, const ModeResult &mode, const ModeResult *direct)
{
    QString added;
    if (direct && &mode != direct && direct->latency.count > 0) {
        added = QStringLiteral("%1 / %2").arg(signedMs(mode.latency.p50 - direct->latency.p50),
                                              signedMs(mode.latency.p99 - direct->latency.p99));
    }
    return column(target.name, 20) + column(QStringLiteral("%1").arg(mode.clients), 8)
        + number(mode.latency.p50, 8) + number(mode.latency.p90, 8) + number(mode.latency.p99, 8)
        + number(mode.latency.max, 8) + rate(mode.callsPerSecond, 9) + QStringLiteral("  ")
        + column(added, 18)
        + (mode.failures > 0 ? QStringLiteral(" FAILED %1").arg(mode.failures) : QString());
}

// The gateway's cost on top of the direct call, in both modes.
QJsonObject addedJson(const ModeResult &mode, const ModeResult &direct)
{
    return QJsonObject{{QStringLiteral("p50_ms"), mode.latency.p50 - direct.latency.p50},
                       {QStringLiteral("p90_ms"), mode.latency.p90 - direct.latency.p90},
                       {QStringLiteral("p99_ms"), mode.latency.p99 - direct.latency.p99}};
}

} // namespace

QJsonObject ModeResult::toJson() const
{
    return QJsonObject{{QStringLiteral("clients"), clients},
                       {QStringLiteral("latency"), latency.toJson()},
                       {QStringLiteral("calls_per_s"), callsPerSecond},
                       {QStringLiteral("failures"), failures},
                       {QStringLiteral("first_failure"), firstFailure}};
}

QJsonObject AuthzenResult::toJson() const
{
    return QJsonObject{{QStringLiteral("endpoint"), endpoint},
                       {QStringLiteral("batch"), batch},
                       {QStringLiteral("clients"), clients},
                       {QStringLiteral("latency"), latency.toJson()},
                       {QStringLiteral("requests_per_s"), requestsPerSecond},
                       {QStringLiteral("decisions_per_s"), decisionsPerSecond},
                       {QStringLiteral("failures"), failures},
                       {QStringLiteral("first_failure"), firstFailure}};
}

QString ProxyReport::toText() const
{
    QStringList lines{
        QStringLiteral("bench_mcp_proxy: tools/call get_user; %1 calls per target and mode after "
                       "%2 warm-up calls, targets interleaved in %3 rounds")
            .arg(calls)
            .arg(warmup)
            .arg(rounds),
        QStringLiteral("  load average before %1, after %2").arg(loadBefore, loadAfter),
        QStringLiteral("  sync probe (4 KiB write + fdatasync) in %1 (%2)")
            .arg(syncProbeDir, syncProbeFilesystem),
        QStringLiteral("    append     %1").arg(syncAppend.toText()),
        QStringLiteral("    overwrite  %1").arg(syncOverwrite.toText()),
    };
    for (const TargetResult &target : targets) {
        lines.append(
            QStringLiteral("  %1: %2%3")
                .arg(
                    column(target.name, 18), target.path,
                    target.dataDir.isEmpty()
                        ? QString()
                        : QStringLiteral("; data %1 (%2)").arg(target.dataDir, target.filesystem)));
    }
    lines.append(QString());
    lines.append(column(QStringLiteral("target"), 20) + column(QStringLiteral("clients"), 8)
                 + QStringLiteral("     p50     p90     p99     max  calls/s  added p50 / p99 "
                                  "(ms)"));
    const TargetResult *direct = findDirect(targets);
    // A mode that never ran (the set-up failed) has no clients and no row.
    for (const TargetResult &target : targets) {
        if (target.sequential.clients > 0)
            lines.append(
                modeRow(target, target.sequential, direct ? &direct->sequential : nullptr));
    }
    for (const TargetResult &target : targets) {
        if (target.concurrent.clients > 0)
            lines.append(
                modeRow(target, target.concurrent, direct ? &direct->concurrent : nullptr));
    }
    if (!authzen.isEmpty()) {
        lines.append(QString());
        lines.append(QStringLiteral("AuthZEN over HTTP (%1 requests each; ms per request)")
                         .arg(authzenRequests));
        lines.append(column(QStringLiteral("endpoint"), 24) + column(QStringLiteral("batch"), 6)
                     + column(QStringLiteral("clients"), 8)
                     + QStringLiteral("     p50     p90     p99     max   req/s  decisions/s"));
        for (const AuthzenResult &result : authzen) {
            lines.append(column(result.endpoint, 24) + column(QString::number(result.batch), 6)
                         + column(QString::number(result.clients), 8)
                         + number(result.latency.p50, 8) + number(result.latency.p90, 8)
                         + number(result.latency.p99, 8) + number(result.latency.max, 8)
                         + rate(result.requestsPerSecond, 8) + rate(result.decisionsPerSecond, 13)
                         + (result.failures > 0 ? QStringLiteral(" FAILED %1").arg(result.failures)
                                                : QString()));
        }
    }
    lines.append(passed() ? QStringLiteral("PASS: every call answered and checked")
                          : QStringLiteral("FAIL: ") + failures.join(QStringLiteral("; ")));
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QJsonObject ProxyReport::toJson() const
{
    const TargetResult *direct = findDirect(targets);
    QJsonArray targetsJson;
    for (const TargetResult &target : targets) {
        QJsonObject json{{QStringLiteral("name"), target.name},
                         {QStringLiteral("path"), target.path},
                         {QStringLiteral("data_dir"), target.dataDir},
                         {QStringLiteral("filesystem"), target.filesystem},
                         {QStringLiteral("sequential"), target.sequential.toJson()},
                         {QStringLiteral("concurrent"), target.concurrent.toJson()}};
        if (direct && direct != &target) {
            json.insert(QStringLiteral("added_vs_direct"),
                        QJsonObject{{QStringLiteral("sequential"),
                                     addedJson(target.sequential, direct->sequential)},
                                    {QStringLiteral("concurrent"),
                                     addedJson(target.concurrent, direct->concurrent)}});
        }
        targetsJson.append(json);
    }
    QJsonArray authzenJson;
    for (const AuthzenResult &result : authzen)
        authzenJson.append(result.toJson());
    return QJsonObject{
        {QStringLiteral("tool"), QStringLiteral("get_user")},
        {QStringLiteral("calls"), calls},
        {QStringLiteral("warmup"), warmup},
        {QStringLiteral("concurrency"), concurrency},
        {QStringLiteral("rounds"), rounds},
        {QStringLiteral("load_before"), loadBefore},
        {QStringLiteral("load_after"), loadAfter},
        {QStringLiteral("sync_probe"),
         QJsonObject{{QStringLiteral("dir"), syncProbeDir},
                     {QStringLiteral("filesystem"), syncProbeFilesystem},
                     {QStringLiteral("append"), syncAppend.toJson()},
                     {QStringLiteral("overwrite"), syncOverwrite.toJson()}}},
        {QStringLiteral("targets"), targetsJson},
        {QStringLiteral("authzen_requests"), authzenRequests},
        {QStringLiteral("authzen"), authzenJson},
        {QStringLiteral("passed"), passed()},
        {QStringLiteral("failures"), QJsonArray::fromStringList(failures)},
    };
}

} // namespace countersign::load
