#pragma once

#include "app/historyentry.h"
#include "protocol/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QObject>
#include <QString>

namespace countersign {

// The companion's record of what happened to the requests it saw, for the
// history window: JSON lines (one HistoryEntry per line, oldest first) in a
// file of the application data directory, readable with any text tool.
//
// Bounded: the newest maxEntries are kept. Entries are appended to the file
// as they come, and once it holds compactionSlack lines more than that it
// is rewritten (atomically, through QSaveFile) with the newest maxEntries
// only. Lines that do not read back (a crash mid-write, a hand edit) are
// skipped with a warning; every text field is cut to maxFieldLength.
//
// The file is private to the user (0600): it says what the person approved.
class History : public QObject {
    Q_OBJECT

public:
    static constexpr int maxEntries = 1000;
    static constexpr int compactionSlack = 250;
    static constexpr qsizetype maxFieldLength = 512; // characters per text field
    static constexpr qsizetype maxLineBytes = 16 * 1024;
    // A larger file (not written by us) is read from its last part only.
    static constexpr qint64 maxFileBytes = 8 * 1024 * 1024;

    // `filePath`: where the lines live; defaultFilePath() in the companion.
    explicit History(QString filePath, QObject *parent = nullptr);
    ~History() override;

    // <GenericDataLocation>/countersign/Countersign/history.jsonl: the
    // AppDataLocation of AppId's organization and application names, spelt
    // out so that it does not depend on what QCoreApplication was told
    // (~/.local/share/countersign/Countersign on Linux).
    static QString defaultFilePath();

    QString filePath() const { return m_filePath; }

    // Reads the file (a missing file is an empty history). append() loads
    // first if this was not called. StorageFailure when it exists but cannot
    // be read; what was read before stays.
    Status load();

    // Oldest first, at most maxEntries.
    QList<HistoryEntry> entries() const { return m_entries; }

    // Records one entry (text fields cut to maxFieldLength) and writes it
    // out at once. The entry is kept in memory (and appended() emitted) even
    // when the file cannot be written; the error says so.
    Status append(HistoryEntry entry);

    // One entry as its JSON line (without the newline), and back. decode
    // refuses anything that is not a line encode could have written.
    static QByteArray encode(const HistoryEntry &entry);
    static Result<HistoryEntry> decode(QByteArrayView line);

Q_SIGNALS:
    void appended(const countersign::HistoryEntry &entry);
    // After load() replaced the entries.
    void reloaded();

private:
    Status appendLine(const QByteArray &line);
    Status rewrite();
    Status ensureDirectory() const;

    QString m_filePath;
    QList<HistoryEntry> m_entries;
    bool m_loaded = false;
    qsizetype m_linesInFile = 0; // lines the file holds, valid or not
};

} // namespace countersign
