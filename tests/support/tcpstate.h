#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <QTcpSocket>

namespace countersign::testing {

// Whether the peer has closed the connection (FIN: CLOSE_WAIT, reset:
// CLOSE), read from the socket's TCP state so that the test never reads
// (and so never drains) what the peer sent: for tests of a server's
// behaviour towards clients that do not read.
inline bool peerHasClosed(const QTcpSocket &socket)
{
    tcp_info info{};
    socklen_t length = sizeof(info);
    if (getsockopt(static_cast<int>(socket.socketDescriptor()), IPPROTO_TCP, TCP_INFO, &info,
                   &length)
        != 0)
        return true;
    return info.tcpi_state != TCP_ESTABLISHED;
}

} // namespace countersign::testing
