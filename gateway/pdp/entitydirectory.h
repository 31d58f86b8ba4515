#pragma once

#include <vector>

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace countersign::gateway {

struct GatewayConfig;

// One subject or resource the gateway knows attributes of.
struct DirectoryEntity {
    QString type;           // "user" for gateway.yaml users
    QString id;             // unique within its type
    QJsonObject attributes; // what rules read as subject.attributes.* / resource.attributes.*
};

// The embedded PDP's policy information point: attributes of subjects
// (gateway.yaml `users:`) and resources (gateway.yaml `resources:`) that a
// request does not carry itself, looked up by type and id. Built once at
// start-up from the configuration, read-only afterwards (shared by the Qt
// thread and the I/O threads that answer AuthZEN requests, so it must never
// change while the gateway serves). The Search APIs enumerate it.
class EntityDirectory {
public:
    // Later entries with the same type and id replace earlier ones; the
    // configuration parser refuses duplicates before they get here.
    void addSubject(DirectoryEntity entity);
    void addResource(DirectoryEntity entity);

    // nullptr when unknown: an unknown subject has no attributes.
    const DirectoryEntity *subject(const QString &type, const QString &id) const;
    const DirectoryEntity *resource(const QString &type, const QString &id) const;

    // Every known subject/resource of a type, in the order they were added.
    QList<const DirectoryEntity *> subjects(const QString &type) const;
    QList<const DirectoryEntity *> resources(const QString &type) const;

    // Action names the Search APIs try (gateway.yaml `actions:`, or the
    // policy's literal action names); in the order given, no duplicates.
    void setActions(QStringList names);
    const QStringList &actions() const { return m_actions; }

    bool isEmpty() const { return m_subjects.empty() && m_resources.empty(); }

private:
    struct Table {
        std::vector<DirectoryEntity> entities;
        QHash<QString, std::size_t> index; // type + '\n' + id -> position
        void add(DirectoryEntity entity);
        const DirectoryEntity *find(const QString &type, const QString &id) const;
        QList<const DirectoryEntity *> ofType(const QString &type) const;
        bool empty() const { return entities.empty(); }
    };
    Table m_subjects;
    Table m_resources;
    QStringList m_actions;
};

// The directory of a configuration: users: as "user" subjects with their
// attributes, resources:, actions:. The runtime, `policy eval --config` and
// the scenario tests build it this way.
EntityDirectory entityDirectoryFromConfig(const GatewayConfig &config);

} // namespace countersign::gateway
