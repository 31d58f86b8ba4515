#pragma once

#include <QList>
#include <QString>

namespace countersign::load {

// The machine the benchmark shares: its 1, 5 and 15 minute load averages
// ("5.12 4.80 4.11"), so that a report says how busy it was.
QString loadAverage();

// "ext4 on /dev/vda": where files written under `path` end up.
QString filesystemOf(const QString &path);

// How a sync probe writes its 4 KiB pages.
enum class SyncWrite {
    // Each page extends the file: the file system must also commit the new
    // size and blocks (on ext4 a journal commit), as while a WAL grows.
    Append,
    // Pages overwrite a file written and synced beforehand: data only, as
    // once SQLite reuses its WAL after a checkpoint (the steady state).
    Overwrite,
};

// Durations of `count` writes of 4 KiB to a scratch file in `dir`, each
// followed by fdatasync(): what one SQLite commit in WAL mode with
// synchronous=FULL waits for at least. Empty when the file cannot be
// written.
QList<qint64> fdatasyncNanoseconds(const QString &dir, int count, SyncWrite how);

} // namespace countersign::load
