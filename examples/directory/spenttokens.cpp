#include "spenttokens.h"

#include "protocol/strictjson.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

namespace countersign::directory {

namespace {

void dropExpired(QHash<QString, qint64> &spent, qint64 now)
{
    spent.removeIf([now](const auto &entry) { return entry.value() < now; });
}

} // namespace

SpentTokens::SpentTokens(QString path)
    : m_path(std::move(path))
{
}

QString SpentTokens::pathBeside(const QString &usersFile)
{
    const QFileInfo info(usersFile);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral(".spent-tokens.json"));
}

const QString &SpentTokens::path() const
{
    return m_path;
}

Status SpentTokens::load(qint64 now)
{
    m_spent.clear();
    if (m_path.isEmpty() || !QFileInfo::exists(m_path))
        return Ok{};
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("%1: cannot read: %2").arg(m_path, file.errorString()));
    const auto root =
        parseStrictJsonObject(file.read(16 * 1024 * 1024), QStringLiteral("the spent-token list"));
    if (!root)
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("%1: %2").arg(m_path, root.error().message));
    const QJsonValue spent = root->value(QStringLiteral("spent"));
    if (!spent.isObject())
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("%1: \"spent\" is missing or not an object").arg(m_path));
    const QJsonObject entries = spent.toObject();
    for (auto it = entries.constBegin(); it != entries.constEnd(); ++it) {
        if (!it.value().isDouble())
            return makeError(
                ErrorCode::StorageFailure,
                QStringLiteral("%1: the expiry of \"%2\" is not a number").arg(m_path, it.key()));
        m_spent.insert(it.key(), it.value().toInteger());
    }
    dropExpired(m_spent, now);
    return Ok{};
}

bool SpentTokens::contains(const QString &tokenId) const
{
    return m_spent.contains(tokenId);
}

Status SpentTokens::spend(const QString &tokenId, qint64 forgetAt, qint64 now)
{
    if (tokenId.isEmpty() || tokenId.size() > maxTokenIdLength)
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("the token id is empty or too long"));
    QHash<QString, qint64> spent = m_spent;
    dropExpired(spent, now);
    spent.insert(tokenId, forgetAt);
    if (auto saved = save(spent); !saved)
        return saved;
    m_spent = std::move(spent);
    return Ok{};
}

Status SpentTokens::save(const QHash<QString, qint64> &spent) const
{
    if (m_path.isEmpty())
        return Ok{};
    QJsonObject entries;
    for (auto it = spent.constBegin(); it != spent.constEnd(); ++it)
        entries.insert(it.key(), it.value());
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("%1: cannot write: %2").arg(m_path, file.errorString()));
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("spent"), entries}})
                   .toJson(QJsonDocument::Compact));
    if (!file.commit())
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("%1: cannot save: %2").arg(m_path, file.errorString()));
    return Ok{};
}

} // namespace countersign::directory
