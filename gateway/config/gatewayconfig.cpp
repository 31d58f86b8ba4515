#include "gatewayconfig.h"

#include "listenaddress.h"
#include "tlsfiles.h"
#include "yamlmap.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

namespace countersign::gateway {

namespace {

using std::chrono::seconds;

bool isLoopbackHost(const QString &host)
{
    // QUrl has lower-cased the host and removed the brackets around IPv6.
    if (host == u"localhost") {
        return true;
    }
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// Control and formatting characters (including bidi overrides) could make a
// name shown in the companion read as something else.
bool hasInvisibleCharacters(const QString &text)
{
    for (const QChar c : text) {
        const auto category = c.category();
        if (category == QChar::Other_Control || category == QChar::Other_Format
            || category == QChar::Separator_Line || category == QChar::Separator_Paragraph) {
            return true;
        }
    }
    return false;
}

qsizetype codePointCount(const QString &text)
{
    return text.toUcs4().size();
}

// A YAML value as JSON, for `attributes:` (what policies compare). Scalars
// follow the YAML 1.2 core schema: a quoted scalar is always a string; a
// plain one is null (null, ~, empty), a boolean (true, false), an integer
// or a float when it reads as one, else a string. So `age: 42` is a number
// and `zip: "01234"` a string, as a person reading the file expects.
class AttributeReader {
public:
    AttributeReader(const ConfigSource &source)
        : m_source(source)
    {
    }

    Result<QJsonObject> readObject(const YAML::Node &node, const QString &path,
                                   const YAML::Mark &fallback)
    {
        m_values = 0;
        if (!node.IsMap()) {
            return m_source.error(markOr(node, fallback), path,
                                  QStringLiteral("expected a mapping of attribute names to "
                                                 "values, found %1")
                                      .arg(yamlKindName(node)));
        }
        auto value = read(node, path, fallback, 1);
        if (!value)
            return value.error();
        return value->toObject();
    }

private:
    Result<QJsonValue> read(const YAML::Node &node, const QString &path, const YAML::Mark &fallback,
                            int depth)
    {
        const YAML::Mark mark = markOr(node, fallback);
        if (++m_values > GatewayConfig::maxAttributeValues) {
            return m_source.error(mark, path,
                                  QStringLiteral("more than %1 attribute values")
                                      .arg(GatewayConfig::maxAttributeValues));
        }
        if (depth > GatewayConfig::maxAttributeDepth) {
            return m_source.error(mark, path,
                                  QStringLiteral("attributes nest at most %1 levels deep")
                                      .arg(GatewayConfig::maxAttributeDepth));
        }
        if (node.IsNull())
            return QJsonValue(QJsonValue::Null);
        if (node.IsScalar())
            return scalar(node, path, mark);
        if (node.IsSequence()) {
            QJsonArray array;
            int index = 0;
            for (auto it = node.begin(); it != node.end(); ++it, ++index) {
                auto element =
                    read(*it, QStringLiteral("%1[%2]").arg(path).arg(index), mark, depth + 1);
                if (!element)
                    return element.error();
                array.append(element.value());
            }
            return QJsonValue(array);
        }
        // A mapping: every name is allowed, YamlMap still refuses repeated
        // and non-string keys.
        QStringList names;
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (it->first.IsScalar())
                names.append(QString::fromStdString(it->first.Scalar()));
        }
        auto map = YamlMap::open(m_source, node, path, fallback, names);
        if (!map)
            return map.error();
        QJsonObject object;
        for (const QString &name : std::as_const(names)) {
            if (name.isEmpty() || name.size() > 64) {
                return m_source.error(map->markOf(name), map->pathOf(name),
                                      QStringLiteral("attribute names are 1 to 64 characters"));
            }
            auto value = read(map->value(name), map->pathOf(name), map->markOf(name), depth + 1);
            if (!value)
                return value.error();
            object.insert(name, value.value());
        }
        return QJsonValue(object);
    }

    Result<QJsonValue> scalar(const YAML::Node &node, const QString &path, const YAML::Mark &mark)
    {
        const QString text = QString::fromStdString(node.Scalar());
        if (text.size() > GatewayConfig::maxAttributeStringLength) {
            return m_source.error(mark, path,
                                  QStringLiteral("is longer than %1 characters")
                                      .arg(GatewayConfig::maxAttributeStringLength));
        }
        if (node.Tag() == "!") // quoted: a string whatever it reads like
            return QJsonValue(text);
        if (text.isEmpty() || text == u"~" || text == u"null" || text == u"Null"
            || text == u"NULL") {
            return QJsonValue(QJsonValue::Null);
        }
        if (text == u"true" || text == u"True" || text == u"TRUE")
            return QJsonValue(true);
        if (text == u"false" || text == u"False" || text == u"FALSE")
            return QJsonValue(false);
        static const QRegularExpression number(
            QStringLiteral("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"));
        if (number.match(text).hasMatch()) {
            bool ok = false;
            const double value = text.toDouble(&ok);
            constexpr double maxExact = 9007199254740992.0; // 2^53
            if (!ok || !std::isfinite(value)) {
                return m_source.error(mark, path,
                                      QStringLiteral("%1 is not a number a policy can compare; "
                                                     "quote it to make it a string")
                                          .arg(text));
            }
            const bool integer =
                !text.contains(u'.') && !text.contains(u'e') && !text.contains(u'E');
            if (integer && (value >= maxExact || value <= -maxExact)) {
                return m_source.error(mark, path,
                                      QStringLiteral("%1 is beyond 2^53, where numbers lose "
                                                     "precision; quote it to make it a string")
                                          .arg(text));
            }
            return QJsonValue(value);
        }
        return QJsonValue(text);
    }

    const ConfigSource &m_source;
    qsizetype m_values = 0;
};

// resources[].type/id and actions[]: 1 to maxEntityNameLength characters,
// nothing invisible (they are compared with request values and listed by
// the search APIs).
bool isEntityName(const QString &text)
{
    return !text.isEmpty() && text.size() <= GatewayConfig::maxEntityNameLength
        && !hasInvisibleCharacters(text);
}

// Reads one configuration document. Each step stops at the first error so
// that the message points at one place; the order of the steps is the order
// in which later checks depend on earlier values (public_url needs listen
// and tls).
class ConfigParser {
public:
    ConfigParser(const QString &sourceName)
        : m_source{sourceName}
        , m_baseDir(QFileInfo(sourceName).absolutePath())
    {
    }

    Result<GatewayConfig> parse(const YAML::Node &root);

private:
    Status readListen(const YamlMap &top);
    Status readName(const YamlMap &top);
    Status readDataDir(const YamlMap &top);
    Status readTls(const YamlMap &top);
    Status readPublicUrl(const YamlMap &top);
    Status readDurations(const YamlMap &top);
    Status readLimits(const YamlMap &top);
    Status readApprovalLimits(const YamlMap &top);
    Status readAdmin(const YamlMap &top);
    Status readPasskeys(const YamlMap &top);
    Status readUsers(const YamlMap &top);
    Status readResources(const YamlMap &top);
    Status readActions(const YamlMap &top);
    Result<GatewayConfig::User> readUser(const YAML::Node &node, const QString &path,
                                         const YAML::Mark &fallback);
    Status readReserved(const YamlMap &top);
    Status readRetention(const YamlMap &top);
    Result<QString> readPath(const YamlMap &map, const QString &key);

    ConfigSource m_source;
    QDir m_baseDir;
    GatewayConfig m_config;
    ListenAddress m_listen;
};

Result<GatewayConfig> ConfigParser::parse(const YAML::Node &root)
{
    QStringList topKeys{
        QStringLiteral("listen"),   QStringLiteral("public_url"), QStringLiteral("name"),
        QStringLiteral("data_dir"), QStringLiteral("tls"),        QStringLiteral("approvals"),
        QStringLiteral("tokens"),   QStringLiteral("pairing"),    QStringLiteral("admin"),
        QStringLiteral("users"),    QStringLiteral("passkeys"),   QStringLiteral("limits")};
    topKeys << QStringLiteral("retention") << QStringLiteral("resources")
            << QStringLiteral("actions");
    topKeys += GatewayConfig::reservedKeys();
    // An empty file has no marks at all; line 1 is the honest place to point.
    const auto top = YamlMap::open(m_source, root, {}, YAML::Mark(), topKeys);
    if (!top.ok()) {
        return top.error();
    }
    for (const auto step :
         {&ConfigParser::readListen, &ConfigParser::readName, &ConfigParser::readDataDir,
          &ConfigParser::readTls, &ConfigParser::readPublicUrl, &ConfigParser::readDurations,
          &ConfigParser::readAdmin, &ConfigParser::readPasskeys, &ConfigParser::readUsers,
          &ConfigParser::readResources, &ConfigParser::readActions, &ConfigParser::readLimits,
          &ConfigParser::readApprovalLimits, &ConfigParser::readRetention,
          &ConfigParser::readReserved}) {
        const Status status = (this->*step)(top.value());
        if (!status.ok()) {
            return status.error();
        }
    }
    return m_config;
}

Status ConfigParser::readRetention(const YamlMap &top)
{
    const QString key = QStringLiteral("retention");
    const QString audit = QStringLiteral("audit_days");
    const QString approvals = QStringLiteral("approvals_days");
    const auto section =
        YamlMap::open(m_source, top.value(key), key, top.markOf(key), {audit, approvals});
    if (!section.ok())
        return section.error();
    for (const auto &[name, target] : {std::pair{audit, &m_config.retention.auditDays},
                                       std::pair{approvals, &m_config.retention.approvalDays}}) {
        if (!section->contains(name))
            continue;
        auto value = readInt(m_source, section->value(name), section->pathOf(name),
                             section->markOf(name), 1, GatewayConfig::Retention::maxDays);
        if (!value.ok())
            return value.error();
        *target = value.value();
    }
    return Ok{};
}

Status ConfigParser::readListen(const YamlMap &top)
{
    const QString key = QStringLiteral("listen");
    QString text = QString::fromLatin1(GatewayConfig::defaultListen);
    if (top.contains(key)) {
        auto value = readString(m_source, top.value(key), key, top.markOf(key));
        if (!value.ok()) {
            return value.error();
        }
        text = value.value();
    }
    auto listen = ListenAddress::parse(text);
    if (!listen.ok()) {
        return m_source.error(markOr(top.value(key), top.markOf(key)), key,
                              u'"' + text + QStringLiteral("\": ") + listen.error().message);
    }
    m_listen = listen.value();
    m_config.listenAddress = m_listen.address;
    m_config.listenPort = m_listen.port;
    return Ok{};
}

Status ConfigParser::readName(const YamlMap &top)
{
    const QString key = QStringLiteral("name");
    m_config.name = QStringLiteral("Countersign gateway");
    if (!top.contains(key)) {
        return Ok{};
    }
    auto value = readString(m_source, top.value(key), key, top.markOf(key));
    if (!value.ok()) {
        return value.error();
    }
    const QString name = value->trimmed();
    const qsizetype length = codePointCount(name);
    if (length < 1 || length > GatewayConfig::maxNameLength || hasInvisibleCharacters(name)) {
        return m_source.error(markOr(top.value(key), top.markOf(key)), key,
                              QStringLiteral("must be 1 to %1 characters with no control "
                                             "characters")
                                  .arg(GatewayConfig::maxNameLength));
    }
    m_config.name = name;
    return Ok{};
}

Result<QString> ConfigParser::readPath(const YamlMap &map, const QString &key)
{
    const YAML::Mark mark = markOr(map.value(key), map.markOf(key));
    auto value = readString(m_source, map.value(key), map.pathOf(key), mark);
    if (!value.ok()) {
        return value.error();
    }
    if (value->isEmpty()) {
        return m_source.error(mark, map.pathOf(key), QStringLiteral("needs a path"));
    }
    return QDir::cleanPath(m_baseDir.absoluteFilePath(value.value()));
}

Status ConfigParser::readDataDir(const YamlMap &top)
{
    const QString key = QStringLiteral("data_dir");
    if (!top.contains(key)) {
        return Ok{};
    }
    auto path = readPath(top, key);
    if (!path.ok()) {
        return path.error();
    }
    m_config.dataDir = path.value();
    return Ok{};
}

Status ConfigParser::readTls(const YamlMap &top)
{
    const QString key = QStringLiteral("tls");
    const QString certificateKey = QStringLiteral("certificate");
    const QString privateKeyKey = QStringLiteral("private_key");
    if (!top.contains(key) || top.value(key).IsNull()) {
        return Ok{};
    }
    const auto tls = YamlMap::open(m_source, top.value(key), key, top.markOf(key),
                                   {certificateKey, privateKeyKey});
    if (!tls.ok()) {
        return tls.error();
    }
    if (!tls->contains(certificateKey) || !tls->contains(privateKeyKey)) {
        return m_source.error(top.markOf(key), key,
                              QStringLiteral("needs both certificate and private_key (omit "
                                             "tls: entirely to serve plain http on loopback)"));
    }
    auto certificatePath = readPath(tls.value(), certificateKey);
    if (!certificatePath.ok()) {
        return certificatePath.error();
    }
    auto privateKeyPath = readPath(tls.value(), privateKeyKey);
    if (!privateKeyPath.ok()) {
        return privateKeyPath.error();
    }
    const auto chain = loadCertificateChain(certificatePath.value());
    if (!chain.ok()) {
        return m_source.error(markOr(tls->value(certificateKey), tls->markOf(certificateKey)),
                              tls->pathOf(certificateKey), chain.error().message);
    }
    const auto privateKey = loadPrivateKey(privateKeyPath.value());
    if (!privateKey.ok()) {
        return m_source.error(markOr(tls->value(privateKeyKey), tls->markOf(privateKeyKey)),
                              tls->pathOf(privateKeyKey), privateKey.error().message);
    }
    if (!keyMatchesCertificate(privateKey.value(), chain->first())) {
        return m_source.error(markOr(tls->value(privateKeyKey), tls->markOf(privateKeyKey)),
                              tls->pathOf(privateKeyKey),
                              QStringLiteral("%1 is not the private key of the certificate in %2")
                                  .arg(privateKeyPath.value(), certificatePath.value()));
    }
    m_config.tls = GatewayConfig::Tls{certificatePath.value(), privateKeyPath.value(),
                                      chain.value(), privateKey.value()};
    return Ok{};
}

Status ConfigParser::readPublicUrl(const YamlMap &top)
{
    const QString key = QStringLiteral("public_url");
    const QString scheme = m_config.tls ? QStringLiteral("https") : QStringLiteral("http");
    if (!top.contains(key)) {
        if (m_listen.isWildcard()) {
            return m_source.error(top.markOf(QStringLiteral("listen")), key,
                                  QStringLiteral("is required when listen is a wildcard address "
                                                 "(companions cannot connect to %1)")
                                      .arg(m_listen.address.toString()));
        }
        m_config.publicUrl = QUrl(scheme + QStringLiteral("://") + m_listen.urlHost() + u':'
                                  + QString::number(m_listen.port));
        m_config.publicUrlDerived = true;
        return Ok{};
    }
    const YAML::Mark mark = markOr(top.value(key), top.markOf(key));
    auto text = readString(m_source, top.value(key), key, mark);
    if (!text.ok()) {
        return text.error();
    }
    QUrl url(text->trimmed(), QUrl::StrictMode);
    const auto refuse = [&](const QString &why) {
        return m_source.error(mark, key, u'"' + text.value() + QStringLiteral("\" ") + why);
    };
    if (!url.isValid() || url.isRelative()) {
        return refuse(QStringLiteral("is not an absolute URL"));
    }
    if (url.scheme() != u"https" && url.scheme() != u"http") {
        return refuse(QStringLiteral("must be an http or https URL"));
    }
    if (url.host().isEmpty()) {
        return refuse(QStringLiteral("has no host"));
    }
    // authority() keeps a bare '@' that userInfo() reports as empty.
    if (url.authority().contains(u'@')) {
        return refuse(QStringLiteral("must not contain user info"));
    }
    if (url.hasQuery() || url.hasFragment()) {
        return refuse(QStringLiteral("must not have a query or fragment"));
    }
    if (url.scheme() == u"http" && !isLoopbackHost(url.host())) {
        return refuse(QStringLiteral("uses plain http to a host that is not loopback: companions "
                                     "on another machine need TLS; use https (with tls: or "
                                     "behind a TLS-terminating proxy)"));
    }
    if (url.scheme() == u"http" && m_config.tls) {
        return refuse(QStringLiteral("uses http, but with tls: set the gateway only speaks "
                                     "https"));
    }
    // One spelling of the gateway id: companions pin it byte for byte.
    QString path = url.path();
    while (path.endsWith(u'/')) {
        path.chop(1);
    }
    url.setPath(path);
    m_config.publicUrl = url;
    m_config.publicUrlDerived = false;
    return Ok{};
}

Status ConfigParser::readDurations(const YamlMap &top)
{
    struct Setting {
        QString section;
        QString key;
        seconds minimum;
        seconds maximum;
        seconds *target;
    };
    const QList<Setting> settings{
        {QStringLiteral("approvals"), QStringLiteral("timeout"), GatewayConfig::minApprovalTimeout,
         GatewayConfig::maxApprovalTimeout, &m_config.approvalTimeout},
        {QStringLiteral("tokens"), QStringLiteral("ttl"), GatewayConfig::minTokenTtl,
         GatewayConfig::maxTokenTtl, &m_config.tokenTtl},
        {QStringLiteral("pairing"), QStringLiteral("offer_ttl"), GatewayConfig::minOfferTtl,
         GatewayConfig::maxOfferTtl, &m_config.pairingOfferTtl},
    };
    const QString attemptsKey = QStringLiteral("max_attempts_per_minute");
    for (const Setting &setting : settings) {
        QStringList allowed{setting.key};
        if (setting.section == u"pairing") {
            allowed << attemptsKey;
        }
        if (setting.section == u"approvals") {
            allowed << QStringLiteral("limits"); // readApprovalLimits
        }
        const auto section = YamlMap::open(m_source, top.value(setting.section), setting.section,
                                           top.markOf(setting.section), allowed);
        if (!section.ok()) {
            return section.error();
        }
        if (section->contains(setting.key)) {
            auto value =
                readDuration(m_source, section->value(setting.key), section->pathOf(setting.key),
                             section->markOf(setting.key), setting.minimum, setting.maximum);
            if (!value.ok()) {
                return value.error();
            }
            *setting.target = value.value();
        }
        if (section->contains(attemptsKey)) {
            auto value = readInt(m_source, section->value(attemptsKey),
                                 section->pathOf(attemptsKey), section->markOf(attemptsKey), 1,
                                 GatewayConfig::maxPairingAttemptsPerMinuteLimit);
            if (!value.ok()) {
                return value.error();
            }
            m_config.maxPairingAttemptsPerMinute = value.value();
        }
    }
    return Ok{};
}

Status ConfigParser::readApprovalLimits(const YamlMap &top)
{
    const QString approvalsKey = QStringLiteral("approvals");
    const QString key = QStringLiteral("limits");
    if (!top.contains(approvalsKey))
        return Ok{};
    const auto approvals =
        YamlMap::open(m_source, top.value(approvalsKey), approvalsKey, top.markOf(approvalsKey),
                      {QStringLiteral("timeout"), key});
    if (!approvals.ok())
        return approvals.error();
    struct Count {
        const char *key;
        int minimum;
        int maximum;
        int *target;
    };
    GatewayConfig::ApprovalLimitSettings &limits = m_config.approvalLimits;
    const QList<Count> counts{
        {"pending_per_agent", 1, 10'000, &limits.pendingPerAgent},
        {"per_minute_per_agent", 1, 10'000, &limits.perMinutePerAgent},
        {"pending_per_user", 1, 100'000, &limits.pendingPerUser},
        {"per_minute_per_user", 1, 100'000, &limits.perMinutePerUser},
        // A signed request (base64url, 4/3) must stay under the channel's
        // 64 KiB message limit.
        {"max_request_bytes", 1024, 32 * 1024, &limits.maxRequestBytes},
        {"hold_after_denials", 0, 100, &limits.holdAfterDenials},
    };
    const QString windowKey = QStringLiteral("hold_window");
    QStringList allowed{windowKey};
    for (const Count &count : counts)
        allowed << QLatin1String(count.key);
    const auto section = YamlMap::open(m_source, approvals->value(key), approvals->pathOf(key),
                                       approvals->markOf(key), allowed);
    if (!section.ok())
        return section.error();
    for (const Count &count : counts) {
        const QString name = QLatin1String(count.key);
        if (!section->contains(name))
            continue;
        auto value = readInt(m_source, section->value(name), section->pathOf(name),
                             section->markOf(name), count.minimum, count.maximum);
        if (!value.ok())
            return value.error();
        *count.target = value.value();
    }
    if (section->contains(windowKey)) {
        auto value = readDuration(m_source, section->value(windowKey), section->pathOf(windowKey),
                                  section->markOf(windowKey), std::chrono::minutes(1),
                                  std::chrono::hours(24));
        if (!value.ok())
            return value.error();
        limits.holdWindow = value.value();
    }
    return Ok{};
}

Status ConfigParser::readLimits(const YamlMap &top)
{
    // Sizes are bytes, counts are plain numbers, timeouts durations. The
    // ranges keep a typo from disabling a limit (a zero body limit, an
    // hour-long header timeout): docs/gateway.md "Limits".
    struct Size {
        const char *key;
        int minimum;
        int maximum;
        std::size_t *target;
    };
    struct Count {
        const char *key;
        int minimum;
        int maximum;
        int *target;
    };
    struct Timeout {
        const char *key;
        std::chrono::milliseconds *target;
    };
    constexpr int kib = 1024;
    constexpr int mib = 1024 * 1024;
    EdgeLimits &limits = m_config.limits;
    const QList<Size> sizes{
        {"header_bytes", 1 * kib, 1 * mib, &limits.headerBytes},
        {"mcp_body_bytes", 1 * kib, 64 * mib, &limits.mcpBodyBytes},
        {"authzen_body_bytes", 1 * kib, 64 * mib, &limits.authzenBodyBytes},
        {"pairing_body_bytes", 1 * kib, 1 * mib, &limits.pairingBodyBytes},
        {"admin_body_bytes", 1 * kib, 64 * mib, &limits.adminBodyBytes},
        {"other_body_bytes", 0, 1 * mib, &limits.otherBodyBytes},
        {"websocket_message_bytes", 1 * kib, 16 * mib, &limits.webSocketMessageBytes},
        {"send_queue_bytes", 64 * kib, 256 * mib, &limits.sendQueueBytes},
        {"buffered_body_bytes", 1 * mib, 1024 * mib, &limits.bufferedBodyBytes},
    };
    const QList<Count> counts{
        // 0: derived from the open-files limit.
        {"max_connections", 0, 1'000'000, &limits.maxConnections},
        {"max_connections_per_address", 1, 1'000'000, &limits.maxConnectionsPerAddress},
        {"websocket_pings_per_10s", 1, 10'000, &limits.webSocketPingsPer10s},
    };
    const QList<Timeout> timeouts{
        {"header_timeout", &limits.headerTimeout},
        {"body_idle_timeout", &limits.bodyIdleTimeout},
        {"keep_alive_timeout", &limits.keepAliveTimeout},
        {"write_stall_timeout", &limits.writeStallTimeout},
    };
    QStringList allowed;
    for (const Size &size : sizes)
        allowed << QLatin1String(size.key);
    for (const Count &count : counts)
        allowed << QLatin1String(count.key);
    for (const Timeout &timeout : timeouts)
        allowed << QLatin1String(timeout.key);
    const QString key = QStringLiteral("limits");
    const auto section = YamlMap::open(m_source, top.value(key), key, top.markOf(key), allowed);
    if (!section.ok())
        return section.error();
    for (const Size &size : sizes) {
        const QString name = QLatin1String(size.key);
        if (!section->contains(name))
            continue;
        auto value = readInt(m_source, section->value(name), section->pathOf(name),
                             section->markOf(name), size.minimum, size.maximum);
        if (!value.ok())
            return value.error();
        *size.target = static_cast<std::size_t>(value.value());
    }
    for (const Count &count : counts) {
        const QString name = QLatin1String(count.key);
        if (!section->contains(name))
            continue;
        auto value = readInt(m_source, section->value(name), section->pathOf(name),
                             section->markOf(name), count.minimum, count.maximum);
        if (!value.ok())
            return value.error();
        *count.target = value.value();
    }
    for (const Timeout &timeout : timeouts) {
        const QString name = QLatin1String(timeout.key);
        if (!section->contains(name))
            continue;
        auto value = readDuration(m_source, section->value(name), section->pathOf(name),
                                  section->markOf(name), std::chrono::seconds(1),
                                  std::chrono::seconds(3600));
        if (!value.ok())
            return value.error();
        *timeout.target = value.value();
    }
    if (limits.maxConnections != 0 && limits.maxConnections < 16) {
        return m_source.error(section->markOf(QStringLiteral("max_connections")),
                              section->pathOf(QStringLiteral("max_connections")),
                              QStringLiteral("must be 0 (from the open-files limit) or at least "
                                             "16"));
    }
    if (limits.bufferedBodyBytes < limits.largestBody()) {
        return m_source.error(section->markOf(QStringLiteral("buffered_body_bytes")),
                              section->pathOf(QStringLiteral("buffered_body_bytes")),
                              QStringLiteral("must be at least the largest *_body_bytes (%1), or "
                                             "no request of that size could ever be received")
                                  .arg(limits.largestBody()));
    }
    if (limits.sendQueueBytes < limits.webSocketMessageBytes) {
        return m_source.error(section->markOf(QStringLiteral("send_queue_bytes")),
                              section->pathOf(QStringLiteral("send_queue_bytes")),
                              QStringLiteral("must be at least websocket_message_bytes"));
    }
    return Ok{};
}

Status ConfigParser::readAdmin(const YamlMap &top)
{
    const QString key = QStringLiteral("admin");
    const QString tokenFileKey = QStringLiteral("token_file");
    const auto admin =
        YamlMap::open(m_source, top.value(key), key, top.markOf(key), {tokenFileKey});
    if (!admin.ok()) {
        return admin.error();
    }
    if (!admin->contains(tokenFileKey)) {
        return Ok{};
    }
    auto path = readPath(admin.value(), tokenFileKey);
    if (!path.ok()) {
        return path.error();
    }
    const YAML::Mark mark = markOr(admin->value(tokenFileKey), admin->markOf(tokenFileKey));
    const QString keyPath = admin->pathOf(tokenFileKey);
    const QFileInfo info(path.value());
    if (!info.exists()) {
        return m_source.error(mark, keyPath,
                              QStringLiteral("%1 does not exist").arg(info.filePath()));
    }
    if (!info.isFile()) {
        return m_source.error(mark, keyPath,
                              QStringLiteral("%1 is not a regular file").arg(info.filePath()));
    }
    // Whoever holds the token can ask any user for approvals; a token other
    // local accounts can read is not a secret.
    if (info.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther)) {
        return m_source.error(mark, keyPath,
                              QStringLiteral("%1 is readable by group or others; restrict it "
                                             "(chmod 600)")
                                  .arg(info.filePath()));
    }
    QFile file(info.filePath());
    if (!file.open(QIODevice::ReadOnly)) {
        return m_source.error(
            mark, keyPath,
            QStringLiteral("cannot read %1: %2").arg(info.filePath(), file.errorString()));
    }
    if (file.read(4096).trimmed().isEmpty()) {
        return m_source.error(
            mark, keyPath,
            QStringLiteral("%1 is empty; it must hold the token").arg(info.filePath()));
    }
    m_config.adminTokenFile = path.value();
    return Ok{};
}

Status ConfigParser::readPasskeys(const YamlMap &top)
{
    const QString key = QStringLiteral("passkeys");
    const QString rpIdKey = QStringLiteral("rp_id");
    const auto passkeys = YamlMap::open(m_source, top.value(key), key, top.markOf(key), {rpIdKey});
    if (!passkeys.ok()) {
        return passkeys.error();
    }
    if (!passkeys->contains(rpIdKey)) {
        return Ok{};
    }
    const YAML::Mark mark = markOr(passkeys->value(rpIdKey), passkeys->markOf(rpIdKey));
    auto rpId = readString(m_source, passkeys->value(rpIdKey), passkeys->pathOf(rpIdKey), mark);
    if (!rpId.ok()) {
        return rpId.error();
    }
    const QString id = rpId->toLower();
    const bool dnsName = !id.isEmpty() && id.size() <= 253 && !id.startsWith(u'.')
        && !id.endsWith(u'.') && !id.contains(QStringLiteral(".."))
        && std::all_of(id.cbegin(), id.cend(), [](QChar c) {
               return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'-'
                   || c == u'.';
           });
    // WebAuthn: the RP id is the origin's host or a registrable suffix of
    // it; security keys refuse any other, so refuse it here, not at the
    // first registration.
    const QString host = m_config.publicUrl.host().toLower();
    if (!dnsName || (host != id && !host.endsWith(u'.' + id))) {
        return m_source.error(
            mark, passkeys->pathOf(rpIdKey),
            QStringLiteral("\"%1\" must be a domain name equal to or a parent of the public URL's "
                           "host %2")
                .arg(rpId.value(), host));
    }
    m_config.passkeyRpId = id;
    return Ok{};
}

Status ConfigParser::readUsers(const YamlMap &top)
{
    const QString key = QStringLiteral("users");
    const YAML::Node users = top.value(key);
    const YAML::Mark mark = markOr(users, top.markOf(key));
    if (!top.contains(key) || users.IsNull()) {
        return m_source.error(mark, key,
                              QStringLiteral("at least one user is required, for example "
                                             "\"users: [{id: alice@example.com}]\""));
    }
    if (!users.IsSequence()) {
        return m_source.error(
            mark, key,
            QStringLiteral("expected a list of users, found %1").arg(yamlKindName(users)));
    }
    if (users.size() == 0) {
        return m_source.error(mark, key, QStringLiteral("at least one user is required"));
    }
    QMap<QString, QString> seen; // case-folded id -> path of the first one
    int index = 0;
    for (auto it = users.begin(); it != users.end(); ++it, ++index) {
        const QString path = QStringLiteral("users[%1]").arg(index);
        auto user = readUser(*it, path, mark);
        if (!user.ok()) {
            return user.error();
        }
        const QString folded = user->id.toCaseFolded();
        if (seen.contains(folded)) {
            return m_source.error(
                markOr(*it, mark), path + QStringLiteral(".id"),
                QStringLiteral("\"%1\" is already used by %2").arg(user->id, seen.value(folded)));
        }
        seen.insert(folded, path);
        m_config.users.append(user.value());
    }
    return Ok{};
}

Result<GatewayConfig::User> ConfigParser::readUser(const YAML::Node &node, const QString &path,
                                                   const YAML::Mark &fallback)
{
    const QString idKey = QStringLiteral("id");
    const QString displayNameKey = QStringLiteral("display_name");
    const QString attributesKey = QStringLiteral("attributes");
    GatewayConfig::User user;
    YAML::Mark idMark = markOr(node, fallback);
    QString idPath = path;
    if (node.IsScalar()) {
        user.id = QString::fromStdString(node.Scalar());
    } else {
        const auto map =
            YamlMap::open(m_source, node, path, fallback, {idKey, displayNameKey, attributesKey});
        if (!map.ok()) {
            return map.error();
        }
        if (!map->contains(idKey)) {
            return m_source.error(map->mark(), map->pathOf(idKey), QStringLiteral("is required"));
        }
        idMark = markOr(map->value(idKey), map->markOf(idKey));
        idPath = map->pathOf(idKey);
        auto id = readString(m_source, map->value(idKey), idPath, idMark);
        if (!id.ok()) {
            return id.error();
        }
        user.id = id.value();
        if (map->contains(displayNameKey)) {
            const YAML::Mark nameMark =
                markOr(map->value(displayNameKey), map->markOf(displayNameKey));
            auto displayName = readString(m_source, map->value(displayNameKey),
                                          map->pathOf(displayNameKey), nameMark);
            if (!displayName.ok()) {
                return displayName.error();
            }
            user.displayName = displayName->trimmed();
            const qsizetype length = codePointCount(user.displayName);
            if (length < 1 || length > GatewayConfig::maxNameLength
                || hasInvisibleCharacters(user.displayName)) {
                return m_source.error(nameMark, map->pathOf(displayNameKey),
                                      QStringLiteral("must be 1 to %1 characters with no "
                                                     "control characters")
                                          .arg(GatewayConfig::maxNameLength));
            }
        }
        if (map->contains(attributesKey)) {
            AttributeReader reader(m_source);
            auto attributes = reader.readObject(
                map->value(attributesKey), map->pathOf(attributesKey), map->markOf(attributesKey));
            if (!attributes.ok())
                return attributes.error();
            user.attributes = attributes.value();
        }
    }
    bool idOk = !user.id.isEmpty() && codePointCount(user.id) <= GatewayConfig::maxUserIdLength
        && !hasInvisibleCharacters(user.id);
    for (const QChar c : user.id) {
        idOk = idOk && !c.isSpace();
    }
    if (!idOk) {
        return m_source.error(idMark, idPath,
                              QStringLiteral("\"%1\" is not a valid user id (1 to %2 characters, "
                                             "no spaces or control characters)")
                                  .arg(user.id)
                                  .arg(GatewayConfig::maxUserIdLength));
    }
    if (user.displayName.isEmpty()) {
        user.displayName = user.id;
    }
    return user;
}

Status ConfigParser::readResources(const YamlMap &top)
{
    const QString key = QStringLiteral("resources");
    if (!top.contains(key) || top.value(key).IsNull())
        return Ok{};
    const YAML::Node resources = top.value(key);
    const YAML::Mark mark = markOr(resources, top.markOf(key));
    if (!resources.IsSequence()) {
        return m_source.error(mark, key,
                              QStringLiteral("expected a list of {type, id, attributes}, found %1")
                                  .arg(yamlKindName(resources)));
    }
    if (resources.size() > static_cast<std::size_t>(GatewayConfig::maxResources)) {
        return m_source.error(mark, key,
                              QStringLiteral("more than %1 resources; an external attribute "
                                             "source is the place for more")
                                  .arg(GatewayConfig::maxResources));
    }
    const QString typeKey = QStringLiteral("type");
    const QString idKey = QStringLiteral("id");
    const QString attributesKey = QStringLiteral("attributes");
    QMap<QPair<QString, QString>, QString> seen; // (type, id) -> path of the first
    int index = 0;
    for (auto it = resources.begin(); it != resources.end(); ++it, ++index) {
        const QString path = QStringLiteral("%1[%2]").arg(key).arg(index);
        const auto map = YamlMap::open(m_source, *it, path, mark, {typeKey, idKey, attributesKey});
        if (!map.ok())
            return map.error();
        GatewayConfig::Resource resource;
        for (const auto &[name, target] :
             {std::pair{typeKey, &resource.type}, std::pair{idKey, &resource.id}}) {
            if (!map->contains(name)) {
                return m_source.error(map->mark(), map->pathOf(name),
                                      QStringLiteral("is required"));
            }
            const YAML::Mark valueMark = markOr(map->value(name), map->markOf(name));
            auto text = readString(m_source, map->value(name), map->pathOf(name), valueMark);
            if (!text.ok())
                return text.error();
            if (!isEntityName(text.value())) {
                return m_source.error(valueMark, map->pathOf(name),
                                      QStringLiteral("must be 1 to %1 characters with no "
                                                     "control characters")
                                          .arg(GatewayConfig::maxEntityNameLength));
            }
            *target = text.value();
        }
        const auto identity = qMakePair(resource.type, resource.id);
        if (seen.contains(identity)) {
            return m_source.error(map->markOf(idKey), map->pathOf(idKey),
                                  QStringLiteral("%1 \"%2\" is already listed as %3")
                                      .arg(resource.type, resource.id, seen.value(identity)));
        }
        seen.insert(identity, path);
        if (map->contains(attributesKey)) {
            AttributeReader reader(m_source);
            auto attributes = reader.readObject(
                map->value(attributesKey), map->pathOf(attributesKey), map->markOf(attributesKey));
            if (!attributes.ok())
                return attributes.error();
            resource.attributes = attributes.value();
        }
        m_config.resources.append(resource);
    }
    return Ok{};
}

Status ConfigParser::readActions(const YamlMap &top)
{
    const QString key = QStringLiteral("actions");
    if (!top.contains(key) || top.value(key).IsNull())
        return Ok{};
    const YAML::Node actions = top.value(key);
    const YAML::Mark mark = markOr(actions, top.markOf(key));
    if (!actions.IsSequence()
        || actions.size() > static_cast<std::size_t>(GatewayConfig::maxActions)) {
        return m_source.error(mark, key,
                              QStringLiteral("expected a list of at most %1 action names, "
                                             "found %2")
                                  .arg(GatewayConfig::maxActions)
                                  .arg(actions.IsSequence()
                                           ? QStringLiteral("%1 names").arg(actions.size())
                                           : yamlKindName(actions)));
    }
    int index = 0;
    for (auto it = actions.begin(); it != actions.end(); ++it, ++index) {
        const QString path = QStringLiteral("%1[%2]").arg(key).arg(index);
        const YAML::Mark itemMark = markOr(*it, mark);
        auto name = readString(m_source, *it, path, itemMark);
        if (!name.ok())
            return name.error();
        if (!isEntityName(name.value())) {
            return m_source.error(itemMark, path,
                                  QStringLiteral("must be 1 to %1 characters with no control "
                                                 "characters")
                                      .arg(GatewayConfig::maxEntityNameLength));
        }
        if (m_config.actions.contains(name.value())) {
            return m_source.error(itemMark, path,
                                  QStringLiteral("\"%1\" is listed twice").arg(name.value()));
        }
        m_config.actions.append(name.value());
    }
    return Ok{};
}

Status ConfigParser::readReserved(const YamlMap &top)
{
    for (const QString &key : GatewayConfig::reservedKeys()) {
        if (!top.contains(key)) {
            continue;
        }
        const YAML::Node node = top.value(key);
        const std::string text = YAML::Dump(node);
        GatewayConfig::ReservedSection section;
        section.yaml = QByteArray(text.data(), static_cast<qsizetype>(text.size()));
        section.line = markOr(node, top.markOf(key)).line + 1;
        m_config.reserved.insert(key, section);
    }
    return Ok{};
}

} // namespace

QStringList GatewayConfig::reservedKeys()
{
    return {QStringLiteral("agents"), QStringLiteral("upstreams"), QStringLiteral("policy"),
            QStringLiteral("pdp")};
}

Result<GatewayConfig> GatewayConfig::load(const QString &path)
{
    const auto yaml = readConfigFile(path, maxFileBytes);
    if (!yaml)
        return yaml.error();
    return parse(yaml.value(), path);
}

Result<GatewayConfig> GatewayConfig::parse(const QByteArray &yaml, const QString &sourceName)
{
    const ConfigSource source{sourceName};
    return parseYamlDocument<GatewayConfig>(source, yaml, maxFileBytes, QStringLiteral("the file"),
                                            [&](const YAML::Node &root) {
                                                ConfigParser parser(sourceName);
                                                auto config = parser.parse(root);
                                                if (config)
                                                    config.value().sourcePath = sourceName;
                                                return config;
                                            });
}

} // namespace countersign::gateway
