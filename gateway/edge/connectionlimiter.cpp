#include "connectionlimiter.h"

#include <sys/resource.h>

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcEdge)

namespace countersign::gateway {

ConnectionLimiter::ConnectionLimiter(int maxConnections, int maxPerAddress)
    : m_max(maxConnections)
    , m_maxPerAddress(maxPerAddress)
{
}

ConnectionLimiter::Verdict ConnectionLimiter::acquire(const std::string &address)
{
    const std::lock_guard lock(m_mutex);
    if (m_open >= m_max)
        return Verdict::OverGlobalCap;
    int &count = m_perAddress[address];
    if (count >= m_maxPerAddress) {
        if (count == 0)
            m_perAddress.erase(address);
        return Verdict::OverAddressCap;
    }
    ++count;
    ++m_open;
    return Verdict::Accepted;
}

void ConnectionLimiter::release(const std::string &address)
{
    const std::lock_guard lock(m_mutex);
    const auto it = m_perAddress.find(address);
    if (it == m_perAddress.end())
        return;
    if (--it->second <= 0)
        m_perAddress.erase(it);
    --m_open;
}

int ConnectionLimiter::open() const
{
    const std::lock_guard lock(m_mutex);
    return m_open;
}

long raiseOpenFilesLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1024;
    const rlim_t before = limit.rlim_cur;
    if (limit.rlim_cur != limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            limit.rlim_cur = before;
    }
    qCInfo(lcEdge) << "open-files limit" << static_cast<qulonglong>(limit.rlim_cur) << "(was"
                   << static_cast<qulonglong>(before) << ", hard"
                   << static_cast<qulonglong>(limit.rlim_max) << ")";
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > 1'000'000)
        return 1'000'000;
    return static_cast<long>(limit.rlim_cur);
}

int connectionCapFor(long openFilesLimit)
{
    // Descriptors for everything but client connections: SQLite and its
    // journal, stdio upstreams (three pipes each), HTTP upstream sockets,
    // the control socket, logs, the listening sockets, eventfds of the I/O
    // threads. 128 leaves room for all of them with a margin.
    constexpr long reserved = 128;
    constexpr long floor = 16;
    const long cap = openFilesLimit - reserved;
    return static_cast<int>(cap < floor ? floor : cap);
}

} // namespace countersign::gateway
