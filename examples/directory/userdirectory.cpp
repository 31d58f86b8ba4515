#include "userdirectory.h"

#include "protocol/strictjson.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSet>

namespace countersign::directory {

namespace {

Error fileError(const QString &path, const QString &problem)
{
    return makeError(ErrorCode::ConfigError, QStringLiteral("%1: %2").arg(path, problem));
}

// One entry of "users"; `where` is "users[3]" for messages.
Result<User> userFromJson(const QJsonValue &value, const QString &where)
{
    if (!value.isObject())
        return makeError(ErrorCode::InvalidField, where + QStringLiteral(" is not an object"));
    const QJsonObject object = value.toObject();
    static const QStringList known{QStringLiteral("id"), QStringLiteral("name"),
                                   QStringLiteral("email"), QStringLiteral("disabled")};
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        // A misspelt "disabled" must not silently leave a user enabled.
        if (!known.contains(it.key())) {
            return makeError(
                ErrorCode::InvalidField,
                QStringLiteral("%1 has an unknown member \"%2\"").arg(where, it.key()));
        }
    }
    User user;
    for (const auto &[member, target] :
         {std::pair{QStringLiteral("id"), &user.id}, std::pair{QStringLiteral("name"), &user.name},
          std::pair{QStringLiteral("email"), &user.email}}) {
        const QJsonValue field = object.value(member);
        if (field.isUndefined())
            return makeError(ErrorCode::MissingField,
                             QStringLiteral("%1.%2 is missing").arg(where, member));
        if (!field.isString())
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("%1.%2 is not a string").arg(where, member));
        *target = field.toString();
    }
    if (user.id.trimmed().isEmpty() || user.id != user.id.trimmed())
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1.id is empty or has surrounding spaces").arg(where));
    const QJsonValue disabled = object.value(QStringLiteral("disabled"));
    if (!disabled.isUndefined() && !disabled.isBool())
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1.disabled is not true or false").arg(where));
    user.disabled = disabled.toBool(false);
    return user;
}

} // namespace

QJsonObject User::toJson() const
{
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("email"), email},
                       {QStringLiteral("disabled"), disabled}};
}

UserDirectory::UserDirectory(QString path, QList<User> users)
    : m_path(std::move(path))
    , m_users(std::move(users))
{
}

QList<User> UserDirectory::seedUsers()
{
    return {
        {QStringLiteral("alice"), QStringLiteral("Alice Liddell"),
         QStringLiteral("alice@example.com"), false},
        {QStringLiteral("bob"), QStringLiteral("Bob Cratchit"), QStringLiteral("bob@example.com"),
         false},
        {QStringLiteral("carol"), QStringLiteral("Carol Danvers"),
         QStringLiteral("carol@example.com"), false},
    };
}

Result<UserDirectory> UserDirectory::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fileError(path, QStringLiteral("cannot read the users file: ") + file.errorString());
    if (file.size() > maxFileBytes)
        return fileError(path, QStringLiteral("larger than %1 bytes").arg(maxFileBytes));
    const QByteArray bytes = file.read(maxFileBytes + 1);
    const auto root = parseStrictJsonObject(bytes, QStringLiteral("the users file"));
    if (!root)
        return fileError(path, root.error().message);
    for (auto it = root->constBegin(); it != root->constEnd(); ++it) {
        if (it.key() != u"users")
            return fileError(path, QStringLiteral("unknown member \"%1\"").arg(it.key()));
    }
    const QJsonValue list = root->value(QStringLiteral("users"));
    if (!list.isArray())
        return fileError(path, QStringLiteral("\"users\" is missing or not an array"));
    QList<User> users;
    QSet<QString> ids;
    const QJsonArray array = list.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString where = QStringLiteral("users[%1]").arg(i);
        auto user = userFromJson(array.at(i), where);
        if (!user)
            return fileError(path, user.error().message);
        if (ids.contains(user->id)) {
            return fileError(path,
                             QStringLiteral("%1.id \"%2\" appears twice").arg(where, user->id));
        }
        ids.insert(user->id);
        users.append(std::move(user).value());
    }
    return UserDirectory(path, std::move(users));
}

Result<UserDirectory> UserDirectory::loadOrSeed(const QString &path)
{
    if (!QFileInfo::exists(path)) {
        if (auto written = write(path, seedUsers()); !written)
            return written.error();
    }
    return load(path);
}

const QString &UserDirectory::path() const
{
    return m_path;
}

const QList<User> &UserDirectory::users() const
{
    return m_users;
}

const User *UserDirectory::find(const QString &id) const
{
    for (const User &user : m_users) {
        if (user.id == id)
            return &user;
    }
    return nullptr;
}

Status UserDirectory::setDisabled(const QString &id, bool disabled)
{
    QList<User> changed = m_users;
    bool found = false;
    for (User &user : changed) {
        if (user.id == id) {
            user.disabled = disabled;
            found = true;
        }
    }
    if (!found)
        return makeError(ErrorCode::InvalidField, QStringLiteral("no user \"%1\"").arg(id));
    if (auto written = write(m_path, changed); !written)
        return written.error();
    m_users = std::move(changed);
    return Ok{};
}

Status UserDirectory::write(const QString &path, const QList<User> &users)
{
    QJsonArray array;
    for (const User &user : users)
        array.append(user.toJson());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fileError(path,
                         QStringLiteral("cannot write the users file: ") + file.errorString());
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("users"), array}})
                   .toJson(QJsonDocument::Indented));
    if (!file.commit())
        return fileError(path, QStringLiteral("cannot save the users file: ") + file.errorString());
    return Ok{};
}

} // namespace countersign::directory
