#include "yamlmap.h"

#include "duration.h"

#include <QFile>

namespace countersign::gateway {

namespace {

QString quoted(const std::string &scalar)
{
    return u'"' + QString::fromStdString(scalar) + u'"';
}

} // namespace

Error ConfigSource::error(const YAML::Mark &mark, const QString &keyPath,
                          const QString &message) const
{
    QString text = name;
    if (!mark.is_null()) {
        // yaml-cpp counts lines from 0; editors and people count from 1.
        text += u':' + QString::number(mark.line + 1);
    }
    text += QStringLiteral(": ");
    if (!keyPath.isEmpty()) {
        text += keyPath + QStringLiteral(": ");
    }
    return makeError(ErrorCode::ConfigError, text + message);
}

QString yamlKindName(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map:
        return QStringLiteral("a mapping");
    case YAML::NodeType::Sequence:
        return QStringLiteral("a list");
    case YAML::NodeType::Scalar:
        return QStringLiteral("a single value");
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

YAML::Mark markOr(const YAML::Node &node, const YAML::Mark &fallback)
{
    // An empty value ("timeout:") is marked where the next token starts,
    // often the next line; its key is the better place to point at.
    if (node.IsNull()) {
        return fallback;
    }
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? fallback : mark;
}

Result<YamlMap> YamlMap::open(const ConfigSource &source, const YAML::Node &node,
                              const QString &keyPath, const YAML::Mark &fallbackMark,
                              const QStringList &allowedKeys)
{
    YamlMap map;
    map.m_path = keyPath;
    map.m_mark = markOr(node, fallbackMark);
    if (node.IsNull()) {
        return map;
    }
    if (!node.IsMap()) {
        return source.error(map.m_mark, keyPath,
                            QStringLiteral("expected a mapping of keys to values, found %1")
                                .arg(yamlKindName(node)));
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        // Copies: the iterator hands out a temporary pair, so references
        // into it would dangle.
        const YAML::Node keyNode = it->first;
        const YAML::Node valueNode = it->second;
        const YAML::Mark keyMark = markOr(keyNode, map.m_mark);
        if (!keyNode.IsScalar()) {
            return source.error(
                keyMark, keyPath,
                QStringLiteral("keys must be plain names, found %1").arg(yamlKindName(keyNode)));
        }
        const QString key = QString::fromStdString(keyNode.Scalar());
        if (map.m_values.contains(key)) {
            return source.error(keyMark, map.pathOf(key),
                                QStringLiteral("is given more than once"));
        }
        if (!allowedKeys.contains(key)) {
            return source.error(keyMark, map.pathOf(key),
                                QStringLiteral("unknown key (expected one of: %1)")
                                    .arg(allowedKeys.join(QStringLiteral(", "))));
        }
        map.m_values.insert(key, valueNode);
        map.m_keyMarks.insert(key, keyMark);
    }
    return map;
}

bool YamlMap::contains(const QString &key) const
{
    return m_values.contains(key);
}

YAML::Node YamlMap::value(const QString &key) const
{
    return m_values.value(key, YAML::Node());
}

YAML::Mark YamlMap::markOf(const QString &key) const
{
    return m_keyMarks.value(key, m_mark);
}

YAML::Mark YamlMap::mark() const
{
    return m_mark;
}

QString YamlMap::pathOf(const QString &key) const
{
    return m_path.isEmpty() ? key : m_path + u'.' + key;
}

Result<QString> readString(const ConfigSource &source, const YAML::Node &node,
                           const QString &keyPath, const YAML::Mark &fallbackMark)
{
    const YAML::Mark mark = markOr(node, fallbackMark);
    if (node.IsNull()) {
        return source.error(mark, keyPath, QStringLiteral("needs a value"));
    }
    if (!node.IsScalar()) {
        return source.error(
            mark, keyPath,
            QStringLiteral("expected a single value, found %1").arg(yamlKindName(node)));
    }
    return QString::fromStdString(node.Scalar());
}

Result<int> readInt(const ConfigSource &source, const YAML::Node &node, const QString &keyPath,
                    const YAML::Mark &fallbackMark, int minimum, int maximum)
{
    auto text = readString(source, node, keyPath, fallbackMark);
    if (!text.ok()) {
        return text.error();
    }
    const YAML::Mark mark = markOr(node, fallbackMark);
    bool isNumber = !text->isEmpty() && text->size() <= 9;
    for (const QChar c : text.value()) {
        isNumber = isNumber && c >= u'0' && c <= u'9';
    }
    if (!isNumber) {
        return source.error(mark, keyPath,
                            QStringLiteral("%1 is not a whole number").arg(quoted(node.Scalar())));
    }
    const int value = text->toInt();
    if (value < minimum || value > maximum) {
        return source.error(mark, keyPath,
                            QStringLiteral("%1 is outside the allowed range %2 to %3")
                                .arg(quoted(node.Scalar()))
                                .arg(minimum)
                                .arg(maximum));
    }
    return value;
}

Result<std::chrono::seconds> readDuration(const ConfigSource &source, const YAML::Node &node,
                                          const QString &keyPath, const YAML::Mark &fallbackMark,
                                          std::chrono::seconds minimum,
                                          std::chrono::seconds maximum)
{
    auto text = readString(source, node, keyPath, fallbackMark);
    if (!text.ok()) {
        return text.error();
    }
    const YAML::Mark mark = markOr(node, fallbackMark);
    const auto duration = parseDuration(text.value());
    if (!duration) {
        return source.error(mark, keyPath,
                            QStringLiteral("%1 is not a duration (write seconds, or a number "
                                           "followed by s, m or h: \"90s\", \"2m\", \"1h\")")
                                .arg(quoted(node.Scalar())));
    }
    if (*duration < minimum) {
        return source.error(mark, keyPath,
                            QStringLiteral("%1 is below the minimum %2")
                                .arg(quoted(node.Scalar()), formatDuration(minimum)));
    }
    if (*duration > maximum) {
        return source.error(mark, keyPath,
                            QStringLiteral("%1 is above the maximum %2")
                                .arg(quoted(node.Scalar()), formatDuration(maximum)));
    }
    return *duration;
}

Result<QByteArray> readConfigFile(const QString &path, qint64 maxBytes)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    }
    QByteArray content = file.read(maxBytes + 1);
    if (file.error() != QFileDevice::NoError) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    }
    return content;
}

} // namespace countersign::gateway
