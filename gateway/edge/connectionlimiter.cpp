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

ConnectionLimiter::Verdict ConnectionLimiter::acquire(const std::string &address, Evictable *victim)
{
    const std::lock_guard lock(m_mutex);
    const auto known = m_addresses.find(address);
    if (known != m_addresses.end() && known->second.open >= m_maxPerAddress)
        return Verdict::OverAddressCap;
    if (m_open >= m_max) {
        if (m_open >= m_max + evictionSlack)
            return Verdict::OverGlobalCap;
        Evictable chosen = takeVictim();
        if (chosen.expired())
            return Verdict::OverGlobalCap;
        if (victim)
            *victim = std::move(chosen);
    }
    ++m_addresses[address].open;
    ++m_open;
    return Verdict::Accepted;
}

ConnectionLimiter::Evictable ConnectionLimiter::takeVictim()
{
    for (;;) {
        Address *fullest = nullptr;
        for (auto &[address, entry] : m_addresses) {
            if (!entry.evictable.empty() && (!fullest || entry.open > fullest->open))
                fullest = &entry;
        }
        if (!fullest)
            return {};
        Candidate oldest = std::move(fullest->evictable.front());
        fullest->evictable.pop_front();
        m_evictable.erase(oldest.key);
        // One that is already gone (its destructor not yet run) is no
        // room made; look further.
        if (!oldest.handle.expired())
            return std::move(oldest.handle);
    }
}

void ConnectionLimiter::release(const std::string &address)
{
    const std::lock_guard lock(m_mutex);
    const auto it = m_addresses.find(address);
    if (it == m_addresses.end())
        return;
    if (--it->second.open <= 0 && it->second.evictable.empty())
        m_addresses.erase(it);
    --m_open;
}

void ConnectionLimiter::setEvictable(const void *key, const std::string &address, Evictable handle)
{
    const std::lock_guard lock(m_mutex);
    const auto known = m_evictable.find(key);
    if (known != m_evictable.end()) {
        m_addresses[known->second.address].evictable.erase(known->second.position);
        m_evictable.erase(known);
    }
    auto &list = m_addresses[address].evictable;
    list.push_back(Candidate{key, std::move(handle)});
    m_evictable.emplace(key, Where{address, std::prev(list.end())});
}

void ConnectionLimiter::setBusy(const void *key)
{
    const std::lock_guard lock(m_mutex);
    const auto known = m_evictable.find(key);
    if (known == m_evictable.end())
        return;
    const auto address = m_addresses.find(known->second.address);
    address->second.evictable.erase(known->second.position);
    if (address->second.open <= 0 && address->second.evictable.empty())
        m_addresses.erase(address);
    m_evictable.erase(known);
}

int ConnectionLimiter::open() const
{
    const std::lock_guard lock(m_mutex);
    return m_open;
}

int ConnectionLimiter::evictableCount() const
{
    const std::lock_guard lock(m_mutex);
    return static_cast<int>(m_evictable.size());
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
    // threads. 128 leaves room for all of them with a margin, and the
    // connections taken above the cap while their victims close come on top.
    constexpr long reserved = 128 + ConnectionLimiter::evictionSlack;
    constexpr long floor = 16;
    const long cap = openFilesLimit - reserved;
    return static_cast<int>(cap < floor ? floor : cap);
}

} // namespace countersign::gateway
