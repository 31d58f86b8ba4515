#pragma once

#include "tests/support/testcompanion.h"

#include <QSignalSpy>
#include <QTest>
#include <QWebSocket>

namespace countersign::testing {

// A WebSocket ping answered on the companion's channel. Frames keep their
// order, so every message the gateway sent before it read the ping has
// arrived and is in the companion's inbox: check that a message did not come
// with waitFor(type, 0) after this, not with a fixed wait.
inline bool channelRoundTrip(TestCompanion &companion, int timeoutMs = 10000)
{
    QSignalSpy pongs(&companion.socket(), &QWebSocket::pong);
    companion.socket().ping(QByteArrayLiteral("round-trip"));
    return QTest::qWaitFor([&] { return !pongs.isEmpty(); }, timeoutMs);
}

} // namespace countersign::testing
