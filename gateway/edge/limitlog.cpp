#include "limitlog.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcEdge)

namespace countersign::gateway {

namespace {

const char *kindName(LimitLog::Kind kind)
{
    switch (kind) {
    case LimitLog::HeaderTooLarge:
        return "request headers too large";
    case LimitLog::BodyTooLarge:
        return "request body too large";
    case LimitLog::BodyBudget:
        return "request bodies being received reached buffered_body_bytes";
    case LimitLog::BadFraming:
        return "malformed request framing";
    case LimitLog::Timeout:
        return "connection timed out";
    case LimitLog::ConnectionCap:
        return "connection cap reached";
    case LimitLog::Evicted:
        return "connection cap reached, idle connection closed for a newcomer";
    case LimitLog::AddressCap:
        return "per-address connection cap reached";
    case LimitLog::AcceptFailed:
        return "accept failed";
    case LimitLog::SendQueueFull:
        return "send queue full";
    case LimitLog::PingFlood:
        return "too many WebSocket pings";
    case LimitLog::MessageTooLarge:
        return "WebSocket message too large";
    case LimitLog::OriginRefused:
        return "WebSocket Origin refused";
    case LimitLog::KindCount:
        break;
    }
    return "limit";
}

} // namespace

LimitLog::LimitLog(std::chrono::milliseconds interval)
    : m_interval(interval)
{
}

void LimitLog::trip(Kind kind, const QString &detail)
{
    m_total[kind].fetch_add(1, std::memory_order_relaxed);
    const qint64 now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now().time_since_epoch())
                           .count();
    qint64 next = m_nextLogAt[kind].load(std::memory_order_relaxed);
    if (now < next || !m_nextLogAt[kind].compare_exchange_strong(next, now + m_interval.count())) {
        m_suppressed[kind].fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const quint64 suppressed = m_suppressed[kind].exchange(0, std::memory_order_relaxed);
    if (suppressed > 0) {
        qCWarning(lcEdge).noquote() << kindName(kind) << "-" << detail << "(and" << suppressed
                                    << "more since the last report)";
    } else {
        qCWarning(lcEdge).noquote() << kindName(kind) << "-" << detail;
    }
}

} // namespace countersign::gateway
