#include "agentdirectory.h"

#include "gateway/config/yamlmap.h"

#include <exception>
#include <string>

#include <QCryptographicHash>
#include <QRegularExpression>
#include <QSet>

#include <openssl/crypto.h>

namespace countersign::gateway {

namespace {

const QString sectionName = QStringLiteral("agents");

bool isAgentName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    return pattern.match(name).hasMatch();
}

bool isUserId(const QString &user)
{
    if (user.isEmpty() || user.size() > AgentDirectory::maxUserLength)
        return false;
    for (const QChar c : user) {
        if (c.isSpace() || c.category() == QChar::Other_Control)
            return false;
    }
    return true;
}

Result<QList<McpAgent>> parseSection(const ConfigSource &source, const YAML::Node &root)
{
    if (!root.IsSequence() || root.size() == 0) {
        return source.error(
            root.Mark(), sectionName,
            QStringLiteral("must be a list of agents (name, user, key_sha256), "
                           "not %1")
                .arg(root.IsSequence() ? QStringLiteral("an empty list") : yamlKindName(root)));
    }
    const QString nameKey = QStringLiteral("name");
    const QString userKey = QStringLiteral("user");
    const QString keyKey = QStringLiteral("key_sha256");
    QList<McpAgent> agents;
    QSet<QString> names;
    QSet<QByteArray> keys;
    for (std::size_t i = 0; i < root.size(); ++i) {
        const YAML::Node item = root[i];
        const QString path = QStringLiteral("%1[%2]").arg(sectionName).arg(i);
        auto map = YamlMap::open(source, item, path, markOr(item, root.Mark()),
                                 {nameKey, userKey, keyKey});
        if (!map)
            return map.error();
        for (const QString &key : {nameKey, userKey, keyKey}) {
            if (!map->contains(key))
                return source.error(map->mark(), map->pathOf(key), QStringLiteral("is required"));
        }
        const auto read = [&](const QString &key) {
            return readString(source, map->value(key), map->pathOf(key), map->markOf(key));
        };
        const auto valueMark = [&](const QString &key) {
            return markOr(map->value(key), map->markOf(key));
        };
        auto name = read(nameKey);
        if (!name)
            return name.error();
        if (!isAgentName(name.value())) {
            return source.error(
                valueMark(nameKey), map->pathOf(nameKey),
                QStringLiteral("\"%1\" is not 1 to 64 of A-Z a-z 0-9 _ . -").arg(name.value()));
        }
        if (names.contains(name.value())) {
            return source.error(
                valueMark(nameKey), map->pathOf(nameKey),
                QStringLiteral("\"%1\" is already used by another agent").arg(name.value()));
        }
        auto user = read(userKey);
        if (!user)
            return user.error();
        if (!isUserId(user.value())) {
            return source.error(valueMark(userKey), map->pathOf(userKey),
                                QStringLiteral("must be 1 to 254 characters without spaces"));
        }
        auto hex = read(keyKey);
        if (!hex)
            return hex.error();
        static const QRegularExpression hexPattern(QStringLiteral("^[0-9A-Fa-f]{64}$"));
        if (!hexPattern.match(hex.value()).hasMatch()) {
            return source.error(valueMark(keyKey), map->pathOf(keyKey),
                                QStringLiteral("must be 64 hex digits: the SHA-256 of the "
                                               "agent's key (e.g. from sha256sum), never the "
                                               "key itself"));
        }
        const QByteArray digest = QByteArray::fromHex(hex.value().toLatin1());
        // Two agents with one key could not be told apart.
        if (keys.contains(digest)) {
            return source.error(valueMark(keyKey), map->pathOf(keyKey),
                                QStringLiteral("is the same as another agent's"));
        }
        names.insert(name.value());
        keys.insert(digest);
        agents.append(McpAgent{name.value(), user.value(), digest});
    }
    return agents;
}

} // namespace

AgentDirectory::AgentDirectory(QList<McpAgent> agents)
    : m_agents(std::move(agents))
{
}

Result<AgentDirectory> AgentDirectory::fromConfigSection(const QByteArray &yaml, int line,
                                                         const QString &configPath)
{
    const ConfigSource source{configPath};
    // Put the section's text back on its lines of the configuration file.
    const QByteArray placed = QByteArray(qMax(0, line - 1), '\n') + yaml;
    try {
        auto agents = parseSection(source, loadYamlDocument(placed));
        if (!agents)
            return agents.error();
        return AgentDirectory(std::move(agents).value());
    } catch (const YAML::Exception &exception) {
        return source.error(exception.mark, sectionName, QString::fromStdString(exception.msg));
    } catch (const std::exception &exception) {
        return source.error(
            YAML::Mark::null_mark(), sectionName,
            QStringLiteral("cannot be read: %1").arg(QString::fromLocal8Bit(exception.what())));
    }
}

std::optional<McpAgent> AgentDirectory::authenticate(const QByteArray &authorizationHeader) const
{
    const QByteArray scheme = authorizationHeader.left(7);
    if (scheme.compare("Bearer ", Qt::CaseInsensitive) != 0)
        return std::nullopt;
    const QByteArray key = authorizationHeader.mid(7).trimmed();
    if (key.isEmpty())
        return std::nullopt;
    // Comparing hashes keeps the comparison constant-time and independent of
    // the key's length; every agent is compared so that the time does not
    // tell which one matched.
    const QByteArray presented = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
    std::optional<McpAgent> found;
    for (const McpAgent &agent : m_agents) {
        if (agent.keySha256.size() == presented.size()
            && CRYPTO_memcmp(presented.constData(), agent.keySha256.constData(),
                             static_cast<size_t>(presented.size()))
                == 0) {
            found = agent;
        }
    }
    return found;
}

} // namespace countersign::gateway
