#include "processresources.h"

#include <limits>
#include <sys/resource.h>

#include <QFile>

namespace countersign::load {

qint64 residentKib()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly | QIODevice::Text))
        return -1;
    // /proc files report size 0, so atEnd() cannot be trusted: read a bounded
    // block (the file is under 2 KiB) and look for the line.
    const QByteArray text = status.read(16 * 1024);
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith("VmRSS:")) {
            bool ok = false;
            const qint64 value = line.mid(6).trimmed().split(' ').value(0).toLongLong(&ok);
            return ok ? value : -1;
        }
    }
    return -1;
}

qint64 raiseFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            return -1;
    }
    return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<qint64>::max()
                                           : static_cast<qint64>(limit.rlim_cur);
}

} // namespace countersign::load
