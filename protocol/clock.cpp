#include "clock.h"

#include <QDateTime>

namespace countersign {

qint64 SystemClock::secondsSinceEpoch() const
{
    return QDateTime::currentSecsSinceEpoch();
}

} // namespace countersign
