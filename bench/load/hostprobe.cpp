#include "hostprobe.h"

#include <unistd.h>

#include <QElapsedTimer>
#include <QFile>
#include <QStorageInfo>

namespace countersign::load {

QString loadAverage()
{
    QFile file(QStringLiteral("/proc/loadavg"));
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("unknown");
    const QList<QByteArray> fields = file.readAll().simplified().split(' ');
    if (fields.size() < 3)
        return QStringLiteral("unknown");
    return QString::fromLatin1(fields.at(0) + ' ' + fields.at(1) + ' ' + fields.at(2));
}

QString filesystemOf(const QString &path)
{
    const QStorageInfo storage(path);
    if (!storage.isValid())
        return QStringLiteral("unknown");
    return QStringLiteral("%1 on %2")
        .arg(QString::fromUtf8(storage.fileSystemType()), QString::fromUtf8(storage.device()));
}

QList<qint64> fdatasyncNanoseconds(const QString &dir, int count, SyncWrite how)
{
    QFile file(dir + QStringLiteral("/sync-probe"));
    if (!file.open(QIODevice::ReadWrite | QIODevice::Truncate))
        return {};
    const QByteArray page(4096, 'x');
    const auto sync = [&file] { return file.flush() && ::fdatasync(file.handle()) == 0; };
    if (how == SyncWrite::Overwrite) {
        for (int i = 0; i < count; ++i) {
            if (file.write(page) != page.size())
                return {};
        }
        if (!sync() || !file.seek(0))
            return {};
    }
    QList<qint64> durations;
    durations.reserve(count);
    QElapsedTimer clock;
    for (int i = 0; i < count; ++i) {
        clock.start();
        if (file.write(page) != page.size() || !sync())
            return {};
        durations.append(clock.nsecsElapsed());
    }
    file.remove();
    return durations;
}

} // namespace countersign::load
