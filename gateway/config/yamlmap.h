#pragma once

#include "protocol/result.h"

#include <chrono>

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <yaml-cpp/yaml.h>

namespace countersign::gateway {

// Where configuration text came from, so that every error reads
// "gateway.yaml:12: approvals.timeout: ..." and a person can go straight to
// the line.
struct ConfigSource {
    QString name; // as given to the parser: a path or any label

    // ConfigError "name:line: keyPath: message"; the line is left out when
    // the mark is null (the value does not come from the text).
    Error error(const YAML::Mark &mark, const QString &keyPath, const QString &message) const;
};

// One YAML mapping of the configuration read strictly: keys must be plain
// strings, none may repeat (yaml-cpp 0.7 would silently keep one of them) and
// none may be outside the allowed list, because a misspelt key that is
// ignored leaves a setting at its default without anyone noticing.
class YamlMap {
public:
    // A null node (the section is absent or written with no value) reads as
    // an empty mapping. keyPath is the mapping's own path ("" for the top).
    static Result<YamlMap> open(const ConfigSource &source, const YAML::Node &node,
                                const QString &keyPath, const YAML::Mark &fallbackMark,
                                const QStringList &allowedKeys);

    bool contains(const QString &key) const;
    // The value, or a null node without a mark when the key is absent.
    YAML::Node value(const QString &key) const;
    // The key's own position, or the mapping's when the key is absent: the
    // place to point at for "missing" errors.
    YAML::Mark markOf(const QString &key) const;
    YAML::Mark mark() const;
    // "approvals" + "timeout" -> "approvals.timeout".
    QString pathOf(const QString &key) const;

private:
    YamlMap() = default;

    QString m_path;
    YAML::Mark m_mark;
    QMap<QString, YAML::Node> m_values;
    QMap<QString, YAML::Mark> m_keyMarks;
};

// Human names for error messages ("a mapping", "a list").
QString yamlKindName(const YAML::Node &node);
// The mark of a value, falling back to another when the value has none.
YAML::Mark markOr(const YAML::Node &node, const YAML::Mark &fallback);

// Typed readers. Each refuses null values, lists and mappings where a single
// value belongs, and names keyPath and the line in every error.
Result<QString> readString(const ConfigSource &source, const YAML::Node &node,
                           const QString &keyPath, const YAML::Mark &fallbackMark);
Result<int> readInt(const ConfigSource &source, const YAML::Node &node, const QString &keyPath,
                    const YAML::Mark &fallbackMark, int minimum, int maximum);
Result<std::chrono::seconds> readDuration(const ConfigSource &source, const YAML::Node &node,
                                          const QString &keyPath, const YAML::Mark &fallbackMark,
                                          std::chrono::seconds minimum,
                                          std::chrono::seconds maximum);

// Reads a configuration or policy file of at most maxBytes (one more byte is
// read so the parser can say the file is too large); the error names the path.
Result<QByteArray> readConfigFile(const QString &path, qint64 maxBytes);

// Limits on every YAML text the gateway reads. A configuration or policy
// file is small and written by a person: it never needs anchors or aliases,
// dozens of nesting levels or a hundred thousand values. Each of those lets a
// few bytes make yaml-cpp, or code that walks or re-emits its tree, use
// unbounded memory (alias expansion, deep recursion), so they are refused
// rather than budgeted.
inline constexpr int maxYamlDepth = 20;
inline constexpr qsizetype maxYamlNodes = 100000;
// A backstop for text that does not come through readConfigFile (the
// sections GatewayConfig hands on); the files have their own, lower limits.
inline constexpr qint64 maxYamlTextBytes = 4 * 1024 * 1024;

// The one place the gateway turns YAML text into nodes: every parser calls
// this, never YAML::Load. Returns the root of the text's only document (a
// null node when there is none). The text is first run through yaml-cpp's
// event parser, which refuses anchors and aliases, nesting deeper than
// maxYamlDepth, more than maxYamlNodes values and a second document, and
// stops yaml-cpp 0.7 looping forever on a stray "," (it reports an empty
// document without consuming the token, again and again, and LoadAll keeps
// each one). Only then are nodes built. Everything refused is thrown as a
// YAML::ParserException with the place in the text, like yaml-cpp's own
// syntax errors, so callers report both the same way.
YAML::Node loadYamlDocument(const QByteArray &yaml);

// yaml-cpp's syntax errors in words a person can act on: a tab in the
// indentation, an indentation that does not line up ("end of map not
// found"), an unclosed [ { or quote. `mark` and `message` are the
// exception's; returns the place to report (the tab's line) and the text.
// Messages that are ours (the guard's) come back unchanged.
struct YamlSyntaxProblem {
    YAML::Mark mark;
    QString message;
};
YamlSyntaxProblem explainYamlSyntaxError(const QByteArray &yaml, const YAML::Mark &mark,
                                         const std::string &message);

// Loads one YAML document of at most maxBytes (with loadYamlDocument) and
// hands its root to `parse`. yaml-cpp reports everything, from syntax errors
// to its nesting limit, by exception, also while nodes are read; none may
// escape, whatever the file holds. `what` names the document in size errors
// ("the file", "the policy").
template <typename T, typename Parse>
Result<T> parseYamlDocument(const ConfigSource &source, const QByteArray &yaml, qint64 maxBytes,
                            const QString &what, Parse parse)
{
    if (yaml.size() > maxBytes) {
        return source.error(
            YAML::Mark::null_mark(), {},
            QStringLiteral("%1 is larger than %2 MiB").arg(what).arg(maxBytes / (1024 * 1024)));
    }
    if (yaml.contains('\0')) {
        return source.error(
            YAML::Mark::null_mark(), {},
            QStringLiteral("%1 contains a NUL byte; it is not YAML text").arg(what));
    }
    try {
        return parse(loadYamlDocument(yaml));
    } catch (const YAML::Exception &exception) {
        const auto problem = explainYamlSyntaxError(yaml, exception.mark, exception.msg);
        return source.error(problem.mark, {}, problem.message);
    } catch (const std::exception &exception) {
        return source.error(
            YAML::Mark::null_mark(), {},
            QStringLiteral("cannot be read: %1").arg(QString::fromLocal8Bit(exception.what())));
    }
}

} // namespace countersign::gateway
