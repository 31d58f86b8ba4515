#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace countersign::gateway {

// Counts open connections, overall and per source address, for the accept
// loops of all I/O threads (hence the mutex; it is held for a map lookup).
class ConnectionLimiter {
public:
    enum class Verdict { Accepted, OverGlobalCap, OverAddressCap };

    ConnectionLimiter(int maxConnections, int maxPerAddress);

    Verdict acquire(const std::string &address);
    void release(const std::string &address);
    int open() const;
    int maxConnections() const { return m_max; }

private:
    mutable std::mutex m_mutex;
    const int m_max;
    const int m_maxPerAddress;
    int m_open = 0;
    std::unordered_map<std::string, int> m_perAddress;
};

// Raises the soft open-files limit to the hard one (logged) and returns
// the soft limit in force afterwards.
long raiseOpenFilesLimit();

// The connection cap for an open-files limit: what is left after the
// descriptors the rest of the gateway needs (database, upstreams, logs,
// control socket), never below a small floor.
int connectionCapFor(long openFilesLimit);

} // namespace countersign::gateway
