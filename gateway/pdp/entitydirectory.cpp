#include "gateway/pdp/entitydirectory.h"

#include "gateway/config/gatewayconfig.h"

namespace countersign::gateway {

namespace {
QString keyOf(const QString &type, const QString &id)
{
    return type + QLatin1Char('\n') + id;
}
} // namespace

void EntityDirectory::Table::add(DirectoryEntity entity)
{
    const QString key = keyOf(entity.type, entity.id);
    const auto found = index.constFind(key);
    if (found != index.cend()) {
        entities[*found] = std::move(entity);
        return;
    }
    index.insert(key, entities.size());
    entities.push_back(std::move(entity));
}

const DirectoryEntity *EntityDirectory::Table::find(const QString &type, const QString &id) const
{
    const auto found = index.constFind(keyOf(type, id));
    return found == index.cend() ? nullptr : &entities[*found];
}

QList<const DirectoryEntity *> EntityDirectory::Table::ofType(const QString &type) const
{
    QList<const DirectoryEntity *> result;
    for (const DirectoryEntity &entity : entities) {
        if (entity.type == type)
            result.append(&entity);
    }
    return result;
}

void EntityDirectory::addSubject(DirectoryEntity entity)
{
    m_subjects.add(std::move(entity));
}

void EntityDirectory::addResource(DirectoryEntity entity)
{
    m_resources.add(std::move(entity));
}

const DirectoryEntity *EntityDirectory::subject(const QString &type, const QString &id) const
{
    return m_subjects.find(type, id);
}

const DirectoryEntity *EntityDirectory::resource(const QString &type, const QString &id) const
{
    return m_resources.find(type, id);
}

QList<const DirectoryEntity *> EntityDirectory::subjects(const QString &type) const
{
    return m_subjects.ofType(type);
}

QList<const DirectoryEntity *> EntityDirectory::resources(const QString &type) const
{
    return m_resources.ofType(type);
}

void EntityDirectory::setActions(QStringList names)
{
    names.removeDuplicates();
    m_actions = std::move(names);
}

EntityDirectory entityDirectoryFromConfig(const GatewayConfig &config)
{
    EntityDirectory directory;
    for (const GatewayConfig::User &user : config.users)
        directory.addSubject({QStringLiteral("user"), user.id, user.attributes});
    for (const GatewayConfig::Resource &resource : config.resources)
        directory.addResource({resource.type, resource.id, resource.attributes});
    directory.setActions(config.actions);
    return directory;
}

} // namespace countersign::gateway
