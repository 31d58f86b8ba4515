#pragma once

#include "protocol/clock.h"

#include <QHash>
#include <QList>
#include <QString>

namespace countersign::gateway {

// At most `limit` attempts per key (a source address) in any 60-second
// window. Keys with no recent attempts are forgotten.
class RateLimiter {
public:
    RateLimiter(int limitPerMinute, const Clock &clock);

    // Records an attempt; false when the key is over its limit.
    bool allow(const QString &key);

private:
    int m_limit;
    const Clock &m_clock;
    QHash<QString, QList<qint64>> m_attempts;
};

} // namespace countersign::gateway
