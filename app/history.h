#pragma once

#include "app/historyentry.h"
#include "protocol/result.h"

#include <QList>
#include <QObject>
#include <QString>

namespace countersign {

// The companion's record of what happened to the requests it saw, for the
// history window: an SQLite database in the application data directory, one
// row per request that ended here (oldest first by row id).
//
// Bounded: the newest maxEntries rows are kept; older ones are deleted in
// the transaction that adds a new one. Rows that do not read back (a hand
// edit, a newer companion's outcome name) are skipped with a warning, and
// every text field is cut to maxFieldLength before it is stored.
//
// Private to the user (0600, and SQLite gives its journal files the same
// mode): it says what the person approved. A file that is not a history
// database is moved aside (renamed, never deleted) and a new one started,
// so a damaged file cannot stop the companion from recording.
class History : public QObject {
    Q_OBJECT

public:
    static constexpr int maxEntries = 5000;
    static constexpr qsizetype maxFieldLength = 512; // characters per text field
    static constexpr int schemaVersion = 1;

    // `filePath`: the database file; defaultFilePath() in the companion.
    explicit History(QString filePath, QObject *parent = nullptr);
    ~History() override;

    // <GenericDataLocation>/countersign/Countersign/history.sqlite: the
    // AppDataLocation of AppId's organization and application names, spelt
    // out so that it does not depend on what QCoreApplication was told
    // (~/.local/share/countersign/Countersign on Linux).
    static QString defaultFilePath();

    QString filePath() const { return m_filePath; }

    // Opens (creating when missing) and reads the database; a missing file
    // is an empty history and is not created until the first append.
    // append() loads first if this was not called. StorageFailure when the
    // file exists but cannot be opened or read; what was read before stays.
    Status load();

    // Oldest first, at most maxEntries.
    QList<HistoryEntry> entries() const { return m_entries; }

    // Records one entry (text fields cut to maxFieldLength) and stores it at
    // once. The entry is kept in memory (and appended() emitted) even when
    // it cannot be stored; the error says so.
    Status append(HistoryEntry entry);

    // Where a damaged file was moved by the last load(), or empty.
    QString movedAsidePath() const { return m_movedAsidePath; }

Q_SIGNALS:
    void appended(const countersign::HistoryEntry &entry);
    // After load() replaced the entries.
    void reloaded();

private:
    Status open(bool create);
    Status connectAndPrepare(bool &notADatabase);
    Status readAll(QList<HistoryEntry> &into);
    Status insert(const HistoryEntry &entry);
    void close();

    QString m_filePath;
    QString m_connectionName;
    QString m_movedAsidePath;
    QList<HistoryEntry> m_entries;
    bool m_loaded = false;
    bool m_open = false;
};

} // namespace countersign
