#pragma once

#include "protocol/clock.h"

#include <QHash>
#include <QList>
#include <QString>

namespace countersign::gateway {

// At most `limit` failures per key (a source address) in any 60-second
// window. Only failures count: a caller that succeeds is never held back by
// its own successes, and nobody can use up another's allowance with
// requests refused before they are tried. Keys with no recent failures are
// forgotten.
class RateLimiter {
public:
    RateLimiter(int limitPerMinute, const Clock &clock);

    // True when the key has reached its limit: refuse before trying.
    bool isLimited(const QString &key);
    // Records a failed attempt of the key.
    void recordFailure(const QString &key);

private:
    void forgetOld();

    int m_limit;
    const Clock &m_clock;
    QHash<QString, QList<qint64>> m_failures;
};

} // namespace countersign::gateway
