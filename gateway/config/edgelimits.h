#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace countersign::gateway {

// What the edge allows one client before it refuses or closes
// (docs/gateway.md "Limits" gives the reason for each default; the
// `limits:` block of gateway.yaml sets them). Immutable once the server
// listens: the I/O threads read it without locks.
struct EdgeLimits {
    // Request line plus headers; more is 431 and the connection closes
    // without reading on.
    std::size_t headerBytes = 16 * 1024;
    // Bodies, per route. A Content-Length above the limit is refused (413)
    // before the body is read; a chunked body is counted as it arrives.
    std::size_t mcpBodyBytes = 4 * 1024 * 1024;
    std::size_t authzenBodyBytes = 1024 * 1024;
    std::size_t pairingBodyBytes = 16 * 1024;
    std::size_t adminBodyBytes = 256 * 1024;
    std::size_t otherBodyBytes = 16 * 1024;
    // Request bodies being received on all connections together. Each body
    // limit bounds one connection, but connections are many (the cap is in
    // the thousands): without this, idle-slow uploads of 4 MiB bodies could
    // hold gigabytes. A body is counted from its Content-Length (or as its
    // chunks arrive) until it is handed to its route; one that would pass
    // this gets 503 with Retry-After.
    std::size_t bufferedBodyBytes = 128 * 1024 * 1024;

    // From the first byte of a request (or the connection) to the end of
    // its headers; also the TLS handshake.
    std::chrono::milliseconds headerTimeout{10'000};
    // Longest pause between two reads of a body.
    std::chrono::milliseconds bodyIdleTimeout{30'000};
    // A kept-alive connection with no new request.
    std::chrono::milliseconds keepAliveTimeout{60'000};
    // A write (response, event, WebSocket frame) that makes no progress.
    std::chrono::milliseconds writeStallTimeout{30'000};

    // 0: derived from the open-files limit at start (raised to the hard
    // limit first), minus what the rest of the gateway needs.
    int maxConnections = 0;
    int maxConnectionsPerAddress = 256;

    std::size_t webSocketMessageBytes = 64 * 1024;
    // Bytes queued for one connection (WebSocket frames, event stream) that
    // the peer has not read yet; more closes it.
    std::size_t sendQueueBytes = 1024 * 1024;
    // Pings a companion may send per 10 seconds.
    int webSocketPingsPer10s = 20;

    // The body limit of the route a path belongs to.
    std::size_t bodyLimitFor(std::string_view path) const
    {
        if (path == "/mcp")
            return mcpBodyBytes;
        if (path.starts_with("/access/v1/"))
            return authzenBodyBytes;
        if (path == "/companion/v1/pair")
            return pairingBodyBytes;
        if (path == "/approvals" || path.starts_with("/approvals/"))
            return adminBodyBytes;
        return otherBodyBytes;
    }
    std::size_t largestBody() const
    {
        std::size_t largest = otherBodyBytes;
        for (std::size_t limit : {mcpBodyBytes, authzenBodyBytes, pairingBodyBytes, adminBodyBytes})
            largest = limit > largest ? limit : largest;
        return largest;
    }
};

} // namespace countersign::gateway
