#include "upstreamconfig.h"

#include "gateway/config/yamlmap.h"

#include <exception>
#include <string>

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

namespace countersign::gateway {

namespace {

const QString sectionName = QStringLiteral("upstreams");

Result<QList<UpstreamConfig>> parseSection(const ConfigSource &source, const YAML::Node &root,
                                           const QString &configPath)
{
    if (!root.IsSequence() || root.size() == 0) {
        return source.error(
            root.Mark(), sectionName,
            QStringLiteral("must be a list of upstreams (name, command), not %1")
                .arg(root.IsSequence() ? QStringLiteral("an empty list") : yamlKindName(root)));
    }
    const QString nameKey = QStringLiteral("name");
    const QString commandKey = QStringLiteral("command");
    const QString urlKey = QStringLiteral("url");
    static const QRegularExpression namePattern(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    const QDir base = configPath.isEmpty() ? QDir::current() : QFileInfo(configPath).absoluteDir();
    QList<UpstreamConfig> upstreams;
    QSet<QString> names;
    for (std::size_t i = 0; i < root.size(); ++i) {
        const YAML::Node item = root[i];
        const QString path = QStringLiteral("%1[%2]").arg(sectionName).arg(i);
        auto map = YamlMap::open(source, item, path, markOr(item, root.Mark()),
                                 {nameKey, commandKey, urlKey});
        if (!map)
            return map.error();
        if (map->contains(urlKey)) {
            return source.error(map->markOf(urlKey), map->pathOf(urlKey),
                                QStringLiteral("HTTP upstreams are not supported yet; start the "
                                               "server as a child with command: [...] (stdio)"));
        }
        for (const QString &key : {nameKey, commandKey}) {
            if (!map->contains(key))
                return source.error(map->mark(), map->pathOf(key), QStringLiteral("is required"));
        }
        auto name =
            readString(source, map->value(nameKey), map->pathOf(nameKey), map->markOf(nameKey));
        if (!name)
            return name.error();
        const YAML::Mark nameMark = markOr(map->value(nameKey), map->markOf(nameKey));
        if (!namePattern.match(name.value()).hasMatch() || name->contains(QStringLiteral("__"))) {
            return source.error(nameMark, map->pathOf(nameKey),
                                QStringLiteral("\"%1\" is not 1 to 64 of A-Z a-z 0-9 _ - "
                                               "without \"__\"")
                                    .arg(name.value()));
        }
        if (names.contains(name.value())) {
            return source.error(
                nameMark, map->pathOf(nameKey),
                QStringLiteral("\"%1\" is already used by another upstream").arg(name.value()));
        }
        const YAML::Node command = map->value(commandKey);
        const YAML::Mark commandMark = markOr(command, map->markOf(commandKey));
        if (!command.IsSequence() || command.size() == 0) {
            return source.error(commandMark, map->pathOf(commandKey),
                                QStringLiteral("must be a non-empty list: [program, "
                                               "arguments...]"));
        }
        QStringList parts;
        for (std::size_t j = 0; j < command.size(); ++j) {
            auto part = readString(source, command[j],
                                   QStringLiteral("%1[%2]").arg(map->pathOf(commandKey)).arg(j),
                                   commandMark);
            if (!part)
                return part.error();
            parts.append(part.value());
        }
        if (parts.constFirst().isEmpty()) {
            return source.error(commandMark, map->pathOf(commandKey),
                                QStringLiteral("the program is empty"));
        }
        UpstreamConfig upstream;
        upstream.name = name.value();
        upstream.program = parts.takeFirst();
        // A bare name is for PATH lookup; anything with a directory part is
        // a path, and a relative one means "next to the configuration".
        if (upstream.program.contains(u'/') && QFileInfo(upstream.program).isRelative())
            upstream.program = QDir::cleanPath(base.absoluteFilePath(upstream.program));
        upstream.arguments = parts;
        upstream.audience = upstream.name;
        names.insert(upstream.name);
        upstreams.append(upstream);
    }
    return upstreams;
}

} // namespace

Result<QList<UpstreamConfig>> UpstreamConfig::fromConfigSection(const QByteArray &yaml, int line,
                                                                const QString &configPath)
{
    const ConfigSource source{configPath};
    // Put the section's text back on its lines of the configuration file.
    const QByteArray placed = QByteArray(qMax(0, line - 1), '\n') + yaml;
    try {
        return parseSection(
            source, YAML::Load(std::string(placed.constData(), static_cast<size_t>(placed.size()))),
            configPath);
    } catch (const YAML::Exception &exception) {
        return source.error(exception.mark, sectionName, QString::fromStdString(exception.msg));
    } catch (const std::exception &exception) {
        return source.error(
            YAML::Mark::null_mark(), sectionName,
            QStringLiteral("cannot be read: %1").arg(QString::fromLocal8Bit(exception.what())));
    }
}

} // namespace countersign::gateway
