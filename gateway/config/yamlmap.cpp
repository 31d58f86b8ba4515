#include "yamlmap.h"

#include "duration.h"

#include <sstream>
#include <string>

#include <QFile>

#include <yaml-cpp/eventhandler.h>

namespace countersign::gateway {

namespace {

QString quoted(const std::string &scalar)
{
    return u'"' + QString::fromStdString(scalar) + u'"';
}

[[noreturn]] void refuse(const YAML::Mark &mark, const QString &message)
{
    throw YAML::ParserException(mark, message.toStdString());
}

// Watches yaml-cpp's parse events and throws at the first thing no
// configuration needs (see loadYamlDocument). It builds nothing, so what it
// refuses never reaches memory.
class YamlGuard final : public YAML::EventHandler {
public:
    explicit YamlGuard(const std::string &text)
        : m_text(text)
    {
    }

    int documents() const { return m_documents; }
    YAML::Mark secondDocumentMark() const { return m_secondStart; }

    void OnDocumentStart(const YAML::Mark &mark) override
    {
        // A document that starts where the previous one started consumed
        // nothing: yaml-cpp 0.7 is stuck on a token it cannot place (a
        // stray ",") and would report empty documents there forever.
        if (m_documents > 0 && mark.pos == m_lastStart.pos) {
            refuse(mark, QStringLiteral("unexpected %1").arg(characterAt(mark)));
        }
        ++m_documents;
        m_lastStart = mark;
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark &mark, YAML::anchor_t) override { countNode(mark); }
    void OnAlias(const YAML::Mark &mark, YAML::anchor_t) override
    {
        // Unreachable while anchors are refused (an alias needs one), but
        // an alias is what would repeat a subtree, so it is refused itself.
        refuse(mark, QStringLiteral("aliases (*name) are not allowed; write the value out"));
    }
    void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                  const std::string &) override
    {
        countNode(mark);
    }
    void OnSequenceStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                         YAML::EmitterStyle::value) override
    {
        enter(mark);
    }
    void OnSequenceEnd() override { --m_depth; }
    void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                    YAML::EmitterStyle::value) override
    {
        enter(mark);
    }
    void OnMapEnd() override { --m_depth; }
    void OnAnchor(const YAML::Mark &mark, const std::string &name) override
    {
        refuse(mark,
               QStringLiteral("anchors (&%1) and aliases are not allowed; write the value "
                              "out each time it is needed")
                   .arg(QString::fromStdString(name)));
    }

private:
    void countNode(const YAML::Mark &mark)
    {
        // The second document is named by its first value, the line a
        // person would look at, as yaml-cpp's own node marks do.
        if (m_documents == 2 && !m_secondStarted) {
            m_secondStart = mark;
            m_secondStarted = true;
        }
        if (++m_nodes > maxYamlNodes) {
            refuse(mark, QStringLiteral("more than %1 values").arg(maxYamlNodes));
        }
    }

    void enter(const YAML::Mark &mark)
    {
        countNode(mark);
        if (++m_depth > maxYamlDepth) {
            refuse(mark,
                   QStringLiteral("lists and mappings are nested more than %1 levels deep")
                       .arg(maxYamlDepth));
        }
    }

    QString characterAt(const YAML::Mark &mark) const
    {
        // yaml-cpp counts positions in the text it decoded; for UTF-8 input
        // without a byte order mark that is the byte offset. Name the
        // character only when it is plainly one.
        if (mark.pos >= 0 && static_cast<size_t>(mark.pos) < m_text.size()) {
            const char c = m_text[static_cast<size_t>(mark.pos)];
            if (c > ' ' && c < 0x7f) {
                return u'"' + QString(QLatin1Char(c)) + u'"';
            }
        }
        return QStringLiteral("text");
    }

    const std::string &m_text;
    int m_documents = 0;
    YAML::Mark m_lastStart;
    YAML::Mark m_secondStart;
    bool m_secondStarted = false;
    int m_depth = 0;
    qsizetype m_nodes = 0;
};

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

YamlSyntaxProblem explainYamlSyntaxError(const QByteArray &yaml, const YAML::Mark &mark,
                                         const std::string &message)
{
    const QString raw = QString::fromStdString(message);
    // A tab where the indentation is read up to the error is the usual
    // cause of every indentation message: name that line.
    if (!mark.is_null()) {
        const QList<QByteArray> lines = yaml.split('\n');
        const int last = std::min<int>(mark.line, static_cast<int>(lines.size()) - 1);
        for (int line = 0; line <= last; ++line) {
            const QByteArray &text = lines.at(line);
            qsizetype indent = 0;
            while (indent < text.size() && (text.at(indent) == ' ' || text.at(indent) == '\t'))
                ++indent;
            if (text.left(indent).contains('\t') && indent < text.size()) {
                YAML::Mark tabMark = mark;
                tabMark.line = line;
                tabMark.column = static_cast<int>(text.indexOf('\t'));
                return {tabMark,
                        QStringLiteral("this line is indented with a tab; YAML indents "
                                       "with spaces only (yaml-cpp: %1)")
                            .arg(raw)};
            }
        }
    }
    struct Hint {
        const char *yamlCpp;
        const char *words;
    };
    static constexpr Hint hints[] = {
        {"end of map not found",
         "the indentation does not line up with the lines above: keys of one mapping start "
         "in the same column, and what belongs to a key is indented further (with spaces)"},
        {"end of sequence not found",
         "the indentation does not line up with the lines above: the \"- \" items of one list "
         "start in the same column (with spaces)"},
        {"illegal map value",
         "a \":\" where no key can start: check the indentation of this line and that a value "
         "holding \": \" is quoted"},
        {"illegal block entry",
         "a \"- \" list item where none can start: check the indentation of this line"},
        {"end of sequence flow not found", "a [ list is not closed with ]"},
        {"end of map flow not found", "a { mapping is not closed with }"},
        {"illegal EOF in scalar", "a quoted value is not closed"},
        {"illegal tab when looking for indentation",
         "this line is indented with a tab; YAML indents with spaces only"},
    };
    for (const Hint &hint : hints) {
        if (message == hint.yamlCpp) {
            return {mark,
                    QStringLiteral("%1 (yaml-cpp: %2)").arg(QString::fromUtf8(hint.words), raw)};
        }
    }
    return {mark, raw};
}

YAML::Node loadYamlDocument(const QByteArray &yaml)
{
    if (yaml.size() > maxYamlTextBytes) {
        refuse(
            YAML::Mark::null_mark(),
            QStringLiteral("the text is larger than %1 MiB").arg(maxYamlTextBytes / (1024 * 1024)));
    }
    const std::string text(yaml.constData(), static_cast<size_t>(yaml.size()));
    {
        std::istringstream stream(text);
        YAML::Parser parser(stream);
        YamlGuard guard(text);
        // A third document is read only to tell a second one from yaml-cpp
        // being stuck (the guard throws when a document starts where the
        // last one did); either way the text is refused.
        while (guard.documents() < 3 && parser.HandleNextDocument(guard)) {
        }
        if (guard.documents() > 1) {
            refuse(guard.secondDocumentMark(),
                   QStringLiteral("the file holds more than one YAML document"));
        }
    }
    // The same text passed the guard, so building its nodes is bounded; Load
    // reads only the first (here the only) document.
    return YAML::Load(text);
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
