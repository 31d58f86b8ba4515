#include "upstreamconfig.h"

#include "gateway/config/yamlmap.h"

#include <exception>
#include <string>

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSet>

namespace countersign::gateway {

namespace {

const QString sectionName = QStringLiteral("upstreams");

bool isLoopbackHost(const QString &host)
{
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

Result<QStringList> readCommand(const ConfigSource &source, const YamlMap &map,
                                const QString &commandKey)
{
    const YAML::Node command = map.value(commandKey);
    const YAML::Mark commandMark = markOr(command, map.markOf(commandKey));
    if (!command.IsSequence() || command.size() == 0) {
        return source.error(commandMark, map.pathOf(commandKey),
                            QStringLiteral("must be a non-empty list: [program, "
                                           "arguments...]"));
    }
    QStringList parts;
    for (std::size_t j = 0; j < command.size(); ++j) {
        auto part =
            readString(source, command[j],
                       QStringLiteral("%1[%2]").arg(map.pathOf(commandKey)).arg(j), commandMark);
        if (!part)
            return part.error();
        parts.append(part.value());
    }
    if (parts.constFirst().isEmpty()) {
        return source.error(commandMark, map.pathOf(commandKey),
                            QStringLiteral("the program is empty"));
    }
    return parts;
}

Result<QUrl> readUrl(const ConfigSource &source, const YamlMap &map, const QString &urlKey)
{
    auto text = readString(source, map.value(urlKey), map.pathOf(urlKey), map.markOf(urlKey));
    if (!text)
        return text.error();
    const YAML::Mark mark = markOr(map.value(urlKey), map.markOf(urlKey));
    const QUrl url(text.value(), QUrl::StrictMode);
    const QString scheme = url.scheme();
    if (!url.isValid() || (scheme != u"https" && scheme != u"http") || url.host().isEmpty()) {
        return source.error(mark, map.pathOf(urlKey),
                            QStringLiteral("\"%1\" is not an http(s) URL with a host, such as "
                                           "https://mcp.example.com/mcp")
                                .arg(text.value()));
    }
    // Secrets do not belong in the configuration file, and QNetworkAccessManager
    // would quietly send them as Basic credentials.
    if (!url.userInfo().isEmpty()) {
        return source.error(mark, map.pathOf(urlKey),
                            QStringLiteral("must not contain a user name or password"));
    }
    // Elevated tokens travel on this connection: whoever reads them in
    // transit can replay an approved call before it is made.
    if (scheme == u"http" && !isLoopbackHost(url.host())) {
        return source.error(mark, map.pathOf(urlKey),
                            QStringLiteral("\"%1\" must use https: elevated tokens travel on it, "
                                           "so plain http is only allowed to a loopback host "
                                           "(127.0.0.1, ::1, localhost)")
                                .arg(text.value()));
    }
    return url;
}

Result<QList<UpstreamConfig>> parseSection(const ConfigSource &source, const YAML::Node &root,
                                           const QString &configPath)
{
    if (!root.IsSequence() || root.size() == 0) {
        return source.error(
            root.Mark(), sectionName,
            QStringLiteral("must be a list of upstreams (name, command or url), not %1")
                .arg(root.IsSequence() ? QStringLiteral("an empty list") : yamlKindName(root)));
    }
    const QString nameKey = QStringLiteral("name");
    const QString commandKey = QStringLiteral("command");
    const QString urlKey = QStringLiteral("url");
    const QString audienceKey = QStringLiteral("audience");
    static const QRegularExpression namePattern(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    const QDir base = configPath.isEmpty() ? QDir::current() : QFileInfo(configPath).absoluteDir();
    QList<UpstreamConfig> upstreams;
    QSet<QString> names;
    for (std::size_t i = 0; i < root.size(); ++i) {
        const YAML::Node item = root[i];
        const QString path = QStringLiteral("%1[%2]").arg(sectionName).arg(i);
        auto map = YamlMap::open(source, item, path, markOr(item, root.Mark()),
                                 {nameKey, commandKey, urlKey, audienceKey});
        if (!map)
            return map.error();
        if (!map->contains(nameKey))
            return source.error(map->mark(), map->pathOf(nameKey), QStringLiteral("is required"));
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
        const bool hasCommand = map->contains(commandKey);
        const bool hasUrl = map->contains(urlKey);
        if (hasCommand && hasUrl) {
            return source.error(map->markOf(urlKey), map->pathOf(urlKey),
                                QStringLiteral("cannot be given with command:; an upstream is "
                                               "either a child process (command) or a Streamable "
                                               "HTTP server (url)"));
        }
        if (!hasCommand && !hasUrl) {
            return source.error(map->mark(), path,
                                QStringLiteral("needs command: [program, arguments...] (stdio) "
                                               "or url: (Streamable HTTP)"));
        }

        UpstreamConfig upstream;
        upstream.name = name.value();
        if (hasUrl) {
            auto url = readUrl(source, map.value(), urlKey);
            if (!url)
                return url.error();
            upstream.url = url.value();
            // As written, because the server compares `aud` byte for byte
            // with what its operator typed, not with Qt's normal form.
            upstream.audience = QString::fromStdString(map->value(urlKey).Scalar());
        } else {
            auto command = readCommand(source, map.value(), commandKey);
            if (!command)
                return command.error();
            QStringList parts = std::move(command).value();
            upstream.program = parts.takeFirst();
            // A bare name is for PATH lookup; anything with a directory part
            // is a path, and a relative one means "next to the configuration".
            if (upstream.program.contains(u'/') && QFileInfo(upstream.program).isRelative())
                upstream.program = QDir::cleanPath(base.absoluteFilePath(upstream.program));
            upstream.arguments = parts;
            upstream.audience = upstream.name;
        }
        if (map->contains(audienceKey)) {
            auto audience = readString(source, map->value(audienceKey), map->pathOf(audienceKey),
                                       map->markOf(audienceKey));
            if (!audience)
                return audience.error();
            if (audience->isEmpty()) {
                return source.error(markOr(map->value(audienceKey), map->markOf(audienceKey)),
                                    map->pathOf(audienceKey), QStringLiteral("must not be empty"));
            }
            upstream.audience = audience.value();
        }
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
        return parseSection(source, loadYamlDocument(placed), configPath);
    } catch (const YAML::Exception &exception) {
        return source.error(exception.mark, sectionName, QString::fromStdString(exception.msg));
    } catch (const std::exception &exception) {
        return source.error(
            YAML::Mark::null_mark(), sectionName,
            QStringLiteral("cannot be read: %1").arg(QString::fromLocal8Bit(exception.what())));
    }
}

} // namespace countersign::gateway
