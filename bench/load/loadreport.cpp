#include "loadreport.h"

#include <QJsonArray>

namespace countersign::load {

namespace {

QJsonObject countsToJson(const QMap<QString, int> &counts)
{
    QJsonObject json;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        json.insert(it.key(), it.value());
    return json;
}

QString countsToText(const QMap<QString, int> &counts)
{
    if (counts.isEmpty())
        return QStringLiteral("none");
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(QStringLiteral("%1 %2").arg(it.key()).arg(it.value()));
    return parts.join(QStringLiteral(", "));
}

} // namespace

QString LoadReport::toText() const
{
    const double perCompanionMs = companions > 0 ? connectWallMs / companions : 0;
    const qint64 connectDeltaKib = rssAfterConnectKib - rssBeforeConnectKib;
    const double perConnectionKib =
        companions > 0 ? static_cast<double>(connectDeltaKib) / companions : 0;
    QStringList lines{
        QStringLiteral("bench_gateway_load"),
        QStringLiteral("  companions %1 (users %1, one device each; %2 paired over HTTP, %3 "
                       "registered in the store)")
            .arg(companions)
            .arg(httpPaired)
            .arg(storeRegistered),
        QStringLiteral("  requests %1, concurrency %2, handshakes in flight %3, fd limit %4")
            .arg(requests)
            .arg(concurrency)
            .arg(connectParallel)
            .arg(fileLimit),
        QStringLiteral("  threads: %1").arg(threading),
        QStringLiteral("  data dir %1").arg(dataDir),
        QStringLiteral("set-up              %1 ms (keys, TOTP enrolment, offers, device rows)")
            .arg(formatMs(setupWallMs)),
        QStringLiteral("pairing (HTTP)      %1 devices in %2 ms")
            .arg(httpPaired)
            .arg(formatMs(pairingWallMs)),
        QStringLiteral("connect             %1/%2 welcomed, %3 in the hub; total %4 ms, %5 ms "
                       "per companion")
            .arg(welcomed)
            .arg(companions)
            .arg(hubConnected)
            .arg(formatMs(connectWallMs), formatMs(perCompanionMs)),
        QStringLiteral("  handshake         %1").arg(handshake.toText()),
        QStringLiteral("approve             %1/%2 approved in %3 ms; %4 proofs verified/s")
            .arg(approved)
            .arg(requests)
            .arg(formatMs(approveWallMs))
            .arg(proofsPerSecond, 0, 'f', 1),
        QStringLiteral("  requested->resolved %1").arg(requestedToResolved.toText()),
        QStringLiteral("  create() alone    %1").arg(create.toText()),
        QStringLiteral("  other outcomes    %1").arg(countsToText(otherOutcomes)),
        QStringLiteral("  proofs sent %1, approval.accepted %2, approval.resolved %3, gateway "
                       "errors: %4, unexpected closes %5")
            .arg(proofsSent)
            .arg(acceptedAcks)
            .arg(resolvedNotices)
            .arg(countsToText(proofErrors))
            .arg(unexpectedCloses),
        QStringLiteral("memory (VmRSS, gateway and clients share the process)"),
        QStringLiteral("  start %1 KiB, before connect %2 KiB, after connect %3 KiB, after "
                       "approve %4 KiB")
            .arg(rssStartKib)
            .arg(rssBeforeConnectKib)
            .arg(rssAfterConnectKib)
            .arg(rssAfterApproveKib),
        QStringLiteral("  per connection (both ends + client objects) %1 KiB")
            .arg(perConnectionKib, 0, 'f', 1),
    };
    lines.append(passed() ? QStringLiteral("PASS: every request was approved")
                          : QStringLiteral("FAIL: ") + failures.join(QStringLiteral("; ")));
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QJsonObject LoadReport::toJson() const
{
    return QJsonObject{
        {QStringLiteral("companions"), companions},
        {QStringLiteral("users"), companions},
        {QStringLiteral("requests"), requests},
        {QStringLiteral("concurrency"), concurrency},
        {QStringLiteral("connect_parallel"), connectParallel},
        {QStringLiteral("http_paired"), httpPaired},
        {QStringLiteral("store_registered"), storeRegistered},
        {QStringLiteral("fd_limit"), fileLimit},
        {QStringLiteral("threads"), threading},
        {QStringLiteral("data_dir"), dataDir},
        {QStringLiteral("setup_wall_ms"), setupWallMs},
        {QStringLiteral("pairing_wall_ms"), pairingWallMs},
        {QStringLiteral("connect"),
         QJsonObject{
             {QStringLiteral("welcomed"), welcomed},
             {QStringLiteral("hub_connected"), hubConnected},
             {QStringLiteral("wall_ms"), connectWallMs},
             {QStringLiteral("per_companion_ms"), companions > 0 ? connectWallMs / companions : 0},
             {QStringLiteral("handshake"), handshake.toJson()}}},
        {QStringLiteral("approve"),
         QJsonObject{{QStringLiteral("approved"), approved},
                     {QStringLiteral("wall_ms"), approveWallMs},
                     {QStringLiteral("proofs_verified_per_s"), proofsPerSecond},
                     {QStringLiteral("requested_to_resolved"), requestedToResolved.toJson()},
                     {QStringLiteral("create"), create.toJson()},
                     {QStringLiteral("other_outcomes"), countsToJson(otherOutcomes)},
                     {QStringLiteral("proofs_sent"), proofsSent},
                     {QStringLiteral("accepted_acks"), acceptedAcks},
                     {QStringLiteral("resolved_notices"), resolvedNotices},
                     {QStringLiteral("gateway_errors"), countsToJson(proofErrors)},
                     {QStringLiteral("unexpected_closes"), unexpectedCloses}}},
        {QStringLiteral("rss_kib"),
         QJsonObject{{QStringLiteral("start"), rssStartKib},
                     {QStringLiteral("before_connect"), rssBeforeConnectKib},
                     {QStringLiteral("after_connect"), rssAfterConnectKib},
                     {QStringLiteral("after_approve"), rssAfterApproveKib},
                     {QStringLiteral("per_connection"),
                      companions > 0 ? static_cast<double>(rssAfterConnectKib - rssBeforeConnectKib)
                              / companions
                                     : 0}}},
        {QStringLiteral("passed"), passed()},
        {QStringLiteral("failures"), QJsonArray::fromStringList(failures)},
    };
}

} // namespace countersign::load
