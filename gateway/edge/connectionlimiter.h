#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace countersign::gateway {

namespace edge {
// A connection the server can close from any thread: when it stops, or to
// make room for a newcomer at the connection cap.
class Closable {
public:
    virtual ~Closable() = default;
    virtual void closeNow() = 0;
};
} // namespace edge

// Counts open connections, overall and per source address, for the accept
// loops of all I/O threads (hence the mutex; it is held for map lookups),
// and knows which of them may be closed to make room for a newcomer.
//
// A connection is evictable while closing it loses no work anyone waits
// for: an HTTP connection waiting for (the rest of) a request, a WebSocket
// that has not authenticated. At the global cap a newcomer is still taken
// when an evictable connection can be closed for it: the oldest evictable
// one of the address holding the most connections. So a flood of idle
// sockets from a few addresses costs those addresses their oldest sockets,
// not everyone else their access (issue 15: 1100 idle sockets under an
// open-files limit of 1024 took the Qt gateway offline).
class ConnectionLimiter {
public:
    enum class Verdict { Accepted, OverGlobalCap, OverAddressCap };
    using Evictable = std::weak_ptr<edge::Closable>;

    // Connections accepted above maxConnections while their victims close
    // (each such acceptance closes one evictable connection, so the
    // overshoot lasts as long as a close takes). The cap leaves more room
    // than this below the open-files limit (connectionCapFor()).
    static constexpr int evictionSlack = 32;

    ConnectionLimiter(int maxConnections, int maxPerAddress);

    // Counts a new connection from address. At the global cap *victim is
    // set to the connection to close for it (the caller closes it) and the
    // newcomer is accepted; without one it is refused.
    Verdict acquire(const std::string &address, Evictable *victim);
    void release(const std::string &address);

    // Whether the connection `key` may be evicted (see above). A connection
    // made evictable again becomes the youngest of its address.
    void setEvictable(const void *key, const std::string &address, Evictable handle);
    void setBusy(const void *key);

    int open() const;
    int evictableCount() const;
    int maxConnections() const { return m_max; }

private:
    struct Candidate {
        const void *key;
        Evictable handle;
    };
    struct Address {
        int open = 0;
        std::list<Candidate> evictable; // oldest first
    };
    struct Where {
        std::string address;
        std::list<Candidate>::iterator position;
    };

    // With m_mutex held: removes and returns the victim, or an empty handle.
    Evictable takeVictim();

    mutable std::mutex m_mutex;
    const int m_max;
    const int m_maxPerAddress;
    int m_open = 0;
    std::unordered_map<std::string, Address> m_addresses;
    std::unordered_map<const void *, Where> m_evictable;
};

// Raises the soft open-files limit to the hard one (logged) and returns
// the soft limit in force afterwards.
long raiseOpenFilesLimit();

// The connection cap for an open-files limit: what is left after the
// descriptors the rest of the gateway needs (database, upstreams, logs,
// control socket) and the eviction slack, never below a small floor.
int connectionCapFor(long openFilesLimit);

} // namespace countersign::gateway
