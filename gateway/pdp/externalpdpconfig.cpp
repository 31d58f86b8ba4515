#include "externalpdpconfig.h"

#include "gateway/config/yamlmap.h"

#include <exception>
#include <string>

#include <QHostAddress>

namespace countersign::gateway {

namespace {

bool isLoopbackHost(const QString &host)
{
    if (host == u"localhost")
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

Result<ExternalPdpConfig> parseSection(const ConfigSource &source, const YAML::Node &root)
{
    const QString urlKey = QStringLiteral("url");
    const QString timeoutKey = QStringLiteral("timeout");
    auto section =
        YamlMap::open(source, root, QStringLiteral("pdp"), root.Mark(), {urlKey, timeoutKey});
    if (!section)
        return section.error();
    ExternalPdpConfig config;
    if (!section->contains(urlKey)) {
        return source.error(section->mark(), section->pathOf(urlKey),
                            QStringLiteral("is required (the external PDP's base URL)"));
    }
    auto text = readString(source, section->value(urlKey), section->pathOf(urlKey),
                           section->markOf(urlKey));
    if (!text)
        return text.error();
    const YAML::Mark urlMark = markOr(section->value(urlKey), section->markOf(urlKey));
    QUrl url(text.value(), QUrl::StrictMode);
    const QString scheme = url.scheme();
    if (!url.isValid() || (scheme != u"https" && scheme != u"http") || url.host().isEmpty()
        || !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment()) {
        return source.error(urlMark, section->pathOf(urlKey),
                            QStringLiteral("\"%1\" is not an http(s) URL without user info, "
                                           "query or fragment")
                                .arg(text.value()));
    }
    if (scheme == u"http" && !isLoopbackHost(url.host())) {
        return source.error(urlMark, section->pathOf(urlKey),
                            QStringLiteral("plain http is only allowed to a loopback address; "
                                           "use https"));
    }
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path);
    config.url = url;

    if (section->contains(timeoutKey)) {
        auto timeout = readDuration(source, section->value(timeoutKey), section->pathOf(timeoutKey),
                                    section->markOf(timeoutKey), ExternalPdpConfig::minTimeout,
                                    ExternalPdpConfig::maxTimeout);
        if (!timeout)
            return timeout.error();
        config.timeout = timeout.value();
    }
    return config;
}

} // namespace

QUrl ExternalPdpConfig::evaluationUrl() const
{
    QUrl endpoint = url;
    endpoint.setPath(url.path() + QStringLiteral("/access/v1/evaluation"));
    return endpoint;
}

Result<ExternalPdpConfig> ExternalPdpConfig::fromConfigSection(const QByteArray &yaml, int line,
                                                               const QString &configPath)
{
    const ConfigSource source{configPath};
    // Put the section's text back on its lines of the configuration file.
    const QByteArray placed = QByteArray(qMax(0, line - 1), '\n') + yaml;
    try {
        return parseSection(source, loadYamlDocument(placed));
    } catch (const YAML::Exception &exception) {
        return source.error(exception.mark, QStringLiteral("pdp"),
                            QString::fromStdString(exception.msg));
    } catch (const std::exception &exception) {
        return source.error(
            YAML::Mark::null_mark(), QStringLiteral("pdp"),
            QStringLiteral("cannot be read: %1").arg(QString::fromLocal8Bit(exception.what())));
    }
}

} // namespace countersign::gateway
