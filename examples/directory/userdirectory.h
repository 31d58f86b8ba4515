#pragma once

#include "protocol/result.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace countersign::directory {

struct User {
    QString id;
    QString name;
    QString email;
    bool disabled = false;

    QJsonObject toJson() const;
};

// The directory's users, kept in one JSON file:
//   {"users":[{"id":"alice","name":"Alice Liddell","email":"alice@example.com",
//              "disabled":false}, ...]}
// Every change is written at once and atomically (QSaveFile), so a crash
// leaves either the old file or the new one, never half of one.
class UserDirectory {
public:
    // Larger files are refused: this is an example directory, not an LDAP.
    static constexpr qint64 maxFileBytes = 4 * 1024 * 1024;

    // Reads and validates the file; every error names the file and the entry.
    static Result<UserDirectory> load(const QString &path);
    // load(), but first creates the file with seedUsers() when it does not
    // exist. An existing file is never overwritten.
    static Result<UserDirectory> loadOrSeed(const QString &path);
    static QList<User> seedUsers();

    const QString &path() const;
    const QList<User> &users() const;
    const User *find(const QString &id) const;

    // Changes one user and saves. If saving fails the change is undone, so
    // memory never claims what the file does not hold.
    Status setDisabled(const QString &id, bool disabled);

private:
    UserDirectory(QString path, QList<User> users);
    static Status write(const QString &path, const QList<User> &users);

    QString m_path;
    QList<User> m_users;
};

} // namespace countersign::directory
