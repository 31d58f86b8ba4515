#pragma once

#include "protocol/result.h"

#include <QHash>
#include <QString>

namespace countersign::directory {

// The "jti" of every elevated token already used, kept until the token could
// no longer pass the expiry check anyway. With a file path they are also
// written to disk before the tool runs, so restarting the server cannot
// make a used token usable again.
class SpentTokens {
public:
    // Longer ids are refused rather than stored.
    static constexpr qsizetype maxTokenIdLength = 256;

    // An empty path keeps them in memory only (tests).
    explicit SpentTokens(QString path = {});

    // "<dir>/<users file's base name>.spent-tokens.json".
    static QString pathBeside(const QString &usersFile);

    // Reads the file; a missing file means nothing was spent yet. Entries
    // past `now` are dropped. A damaged file is an error: starting with an
    // empty list would reopen every token in it.
    Status load(qint64 now);

    bool contains(const QString &tokenId) const;

    // Records `tokenId` until `forgetAt` (and drops entries past `now`).
    // When the file cannot be written nothing is recorded and the caller
    // must refuse the call.
    Status spend(const QString &tokenId, qint64 forgetAt, qint64 now);

    const QString &path() const;

private:
    Status save(const QHash<QString, qint64> &spent) const;

    QString m_path;
    QHash<QString, qint64> m_spent;
};

} // namespace countersign::directory
