#pragma once

#include <functional>

#include <QHostAddress>
#include <QObject>
#include <QString>

namespace countersign::gateway {

// One accepted companion WebSocket, as the channel sees it. The edge owns
// the socket on an I/O thread; these calls only post work to it, and the
// events come back on the Qt thread. Sends beyond the connection's queue
// limit close it (1008): a companion that does not read is dropped, not
// buffered for.
class CompanionConnection {
public:
    struct Events {
        std::function<void(const QString &text)> text;
        std::function<void()> binary; // the protocol has none: the session closes
        std::function<void()> pong;
        // Once, after the socket is gone (whoever closed it).
        std::function<void()> closed;
    };

    virtual ~CompanionConnection() = default;

    // Starts reading. Events are delivered on receiver's thread (the Qt
    // thread) while receiver exists; after it is destroyed, nothing is.
    virtual void start(QObject *receiver, Events events) = 0;
    virtual void sendText(const QString &text) = 0;
    virtual void ping() = 0;
    // Sends a close frame after what is queued and ends the connection; a
    // peer that does not read has it ended after the write-stall timeout.
    virtual void close(int code, const QString &reason) = 0;
    virtual QHostAddress peerAddress() const = 0;
    // The peer has authenticated: from now on the edge never closes this
    // connection to make room for a newcomer at the connection cap (until
    // then it may, like an idle HTTP connection).
    virtual void markTrusted() = 0;
};

} // namespace countersign::gateway
