#pragma once

#include "protocol/result.h"

#include <QHostAddress>
#include <QString>
#include <QStringView>

namespace countersign::gateway {

// The address the gateway's HTTP server binds: "HOST:PORT" where HOST is an
// IP address (IPv6 in brackets: "[::1]:8780") or "localhost" (taken as
// 127.0.0.1). Host names other than localhost are refused: binding to
// whatever a name resolves to at start-up is a surprise nobody wants.
// Port 0 means "any free port" (tests use it).
struct ListenAddress {
    QHostAddress address;
    quint16 port = 0;

    // Fails with a message that says what is wrong, without location: the
    // caller knows which key and line the text came from.
    static Result<ListenAddress> parse(QStringView text);

    // The host as it appears in a URL: "127.0.0.1", "[::1]".
    QString urlHost() const;
    bool isLoopback() const;
    bool isWildcard() const; // 0.0.0.0 or ::, which no client can connect to
};

} // namespace countersign::gateway
