#include "policy.h"

#include "gateway/config/yamlmap.h"
#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/authzenmodel.h"
#include "protocol/messages/jsonfields.h"

#include <algorithm>
#include <exception>
#include <map>
#include <string>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace countersign::gateway {

namespace {

const QString rulesKey = QStringLiteral("rules");
const QString fileKey = QStringLiteral("file");
const QString userSubjectTypesKey = QStringLiteral("user_subject_types");

// A property or argument value as the text a glob is matched against.
std::optional<QString> spelling(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Undefined:
        return std::nullopt;
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Double: {
        // JSON has one number type; 5 and 5.0 both read as "5", as a person
        // writing `count: "5"` in YAML expects.
        const double number = value.toDouble();
        constexpr double maxExact = 9007199254740992.0; // 2^53
        if (number == static_cast<double>(static_cast<qint64>(number)) && number < maxExact
            && number > -maxExact) {
            return QString::number(static_cast<qint64>(number));
        }
        return QString::number(number, 'g', QLocale::FloatingPointShortest);
    }
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    return std::nullopt;
}

bool isRuleNameCharacter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
        || c == u'_' || c == u'-' || c == u'.';
}

// An AccessRequest as a rule reads it (RequestFacts, policy.h). Spellings of
// properties and arguments are made once per request and key, not once per
// rule that asks, so a long policy does not spell the same value again.
class QtRequestFacts {
public:
    QtRequestFacts(const AccessRequest &request, const EntityDirectory *directory,
                   const QStringList *userSubjectTypes)
        : m_request(request)
        , m_directory(directory)
        , m_userSubjectTypes(userSubjectTypes)
    {
    }

    QStringView actionName() const { return m_request.action.name; }
    QStringView resourceType() const { return m_request.resource.type; }
    QStringView resourceId() const { return m_request.resource.id; }
    QStringView subjectId() const { return m_request.subject.id; }

    // nullptr when the property is absent.
    const QString *subjectProperty(const QString &key)
    {
        return lookup(m_subject, m_request.subject.properties, key);
    }
    bool hasArguments()
    {
        if (!m_argumentsRead) {
            m_argumentsRead = true;
            const auto given = m_request.resource.properties.constFind(argumentsMember);
            if (given != m_request.resource.properties.constEnd() && given->isObject())
                m_arguments = given->toObject();
            else
                m_argumentsIsObject = false;
        }
        return m_argumentsIsObject;
    }
    const QString *argument(const QString &key)
    {
        return lookup(m_argumentSpellings, m_arguments, key);
    }
    bool conditionsHold(const std::vector<Condition> &conditions)
    {
        // Made on the first rule with conditions: a policy of match: keys
        // only never pays for it.
        if (!m_attributes)
            m_attributes.emplace(m_request, m_directory, m_userSubjectTypes);
        return allHold(conditions, *m_attributes);
    }
    static constexpr bool unsure() { return false; }

private:
    struct Spelled {
        QString key;
        std::optional<QString> text;
    };
    static const QString *lookup(std::vector<Spelled> &memo, const QJsonObject &values,
                                 const QString &key)
    {
        for (const Spelled &seen : memo) {
            if (seen.key == key)
                return seen.text ? &*seen.text : nullptr;
        }
        memo.push_back({key, spelling(values.value(key))});
        return memo.back().text ? &*memo.back().text : nullptr;
    }

    inline static const QString argumentsMember = QStringLiteral("arguments");
    const AccessRequest &m_request;
    const EntityDirectory *m_directory;
    const QStringList *m_userSubjectTypes;
    std::optional<RequestAttributes> m_attributes;
    std::vector<Spelled> m_subject;
    std::vector<Spelled> m_argumentSpellings;
    QJsonObject m_arguments;
    bool m_argumentsRead = false;
    bool m_argumentsIsObject = true;
};

} // namespace

bool PolicyRule::matches(const AccessRequest &request) const
{
    QtRequestFacts facts(request, nullptr, nullptr);
    return matchesFacts(facts);
}

// Reads policy YAML into rules. Stops at the first error so that the
// message points at one place.
class PolicyParser {
public:
    PolicyParser(const QString &sourceName, QString pathPrefix)
        : m_source{sourceName}
        , m_prefix(std::move(pathPrefix))
    {
    }

    // The top level of a policy file: {rules: [...]}.
    Result<Policy> parseDocument(const YAML::Node &root)
    {
        auto top =
            YamlMap::open(m_source, root, m_prefix, YAML::Mark(), {rulesKey, userSubjectTypesKey});
        if (!top)
            return top.error();
        return parseRules(top.value());
    }

    Result<Policy> parseRules(const YamlMap &owner)
    {
        const QString path = owner.pathOf(rulesKey);
        const YAML::Node rules = owner.value(rulesKey);
        const YAML::Mark mark = owner.markOf(rulesKey);
        if (!owner.contains(rulesKey) || rules.IsNull()) {
            return m_source.error(mark, path,
                                  QStringLiteral("at least one rule is required; without rules "
                                                 "every call would be denied"));
        }
        if (!rules.IsSequence()) {
            return m_source.error(
                markOr(rules, mark), path,
                QStringLiteral("expected a list of rules, found %1").arg(yamlKindName(rules)));
        }
        if (rules.size() == 0)
            return m_source.error(markOr(rules, mark), path,
                                  QStringLiteral("at least one rule is required"));
        Policy policy;
        policy.m_sourceName = m_source.name;
        if (owner.contains(userSubjectTypesKey)) {
            auto types = readNameList(owner, userSubjectTypesKey);
            if (!types)
                return types.error();
            policy.m_userSubjectTypes = types.value();
        }
        QMap<QString, int> lines; // rule name -> line of its first use
        int index = 0;
        for (auto it = rules.begin(); it != rules.end(); ++it, ++index) {
            const QString rulePath = QStringLiteral("%1[%2]").arg(path).arg(index);
            auto rule = parseRule(*it, rulePath, markOr(rules, mark));
            if (!rule)
                return rule.error();
            if (lines.contains(rule->name)) {
                return m_source.error(
                    markOr(*it, mark), rulePath + QStringLiteral(".name"),
                    QStringLiteral("\"%1\" is already the name of the rule on line %2")
                        .arg(rule->name)
                        .arg(lines.value(rule->name)));
            }
            lines.insert(rule->name, rule->line);
            policy.m_rules.append(rule.value());
        }
        numberPaths(policy.m_rules);
        return policy;
    }

private:
    Result<PolicyRule> parseRule(const YAML::Node &node, const QString &path,
                                 const YAML::Mark &fallback)
    {
        const QString nameKey = QStringLiteral("name");
        const QString matchKey = QStringLiteral("match");
        const QString effectKey = QStringLiteral("effect");
        const QString methodsKey = QStringLiteral("methods");
        const QString timeoutKey = QStringLiteral("timeout");
        const QString reasonKey = QStringLiteral("reason");
        const QString userVerificationKey = QStringLiteral("user_verification");
        const QString whenKey = QStringLiteral("when");
        if (!node.IsMap()) {
            return m_source.error(markOr(node, fallback), path,
                                  QStringLiteral("expected a rule (a mapping with name, match "
                                                 "and effect), found %1")
                                      .arg(yamlKindName(node)));
        }
        auto map = YamlMap::open(m_source, node, path, fallback,
                                 {nameKey, matchKey, whenKey, effectKey, methodsKey, timeoutKey,
                                  reasonKey, userVerificationKey});
        if (!map)
            return map.error();
        PolicyRule rule;
        rule.line = map->mark().line + 1;

        if (!map->contains(nameKey))
            return m_source.error(map->mark(), map->pathOf(nameKey), QStringLiteral("is required"));
        auto name =
            readString(m_source, map->value(nameKey), map->pathOf(nameKey), map->markOf(nameKey));
        if (!name)
            return name.error();
        if (name->isEmpty() || name->size() > Policy::maxRuleNameLength
            || !std::all_of(name->cbegin(), name->cend(), isRuleNameCharacter)) {
            return m_source.error(markOr(map->value(nameKey), map->markOf(nameKey)),
                                  map->pathOf(nameKey),
                                  QStringLiteral("\"%1\" is not a rule name (1 to %2 letters, "
                                                 "digits, \"_\", \"-\" or \".\")")
                                      .arg(name.value())
                                      .arg(Policy::maxRuleNameLength));
        }
        rule.name = name.value();

        if (auto matched = parseMatch(*map, matchKey, rule); !matched)
            return matched.error();
        if (map->contains(whenKey)) {
            auto conditions = parseConditionList(map->value(whenKey), map->pathOf(whenKey),
                                                 map->markOf(whenKey), 1);
            if (!conditions)
                return conditions.error();
            rule.when = std::move(conditions.value());
        }

        if (!map->contains(effectKey)) {
            return m_source.error(map->mark(), map->pathOf(effectKey),
                                  QStringLiteral("is required (allow, deny or step_up)"));
        }
        auto effect = readString(m_source, map->value(effectKey), map->pathOf(effectKey),
                                 map->markOf(effectKey));
        if (!effect)
            return effect.error();
        if (effect.value() == u"allow") {
            rule.effect = PolicyRule::Effect::Allow;
        } else if (effect.value() == u"deny") {
            rule.effect = PolicyRule::Effect::Deny;
        } else if (effect.value() == u"step_up") {
            rule.effect = PolicyRule::Effect::StepUp;
        } else {
            return m_source.error(markOr(map->value(effectKey), map->markOf(effectKey)),
                                  map->pathOf(effectKey),
                                  QStringLiteral("\"%1\" is not an effect (expected allow, deny "
                                                 "or step_up)")
                                      .arg(effect.value()));
        }

        const bool stepUp = rule.effect == PolicyRule::Effect::StepUp;
        for (const QString &key : {methodsKey, timeoutKey, userVerificationKey}) {
            if (!stepUp && map->contains(key)) {
                return m_source.error(map->markOf(key), map->pathOf(key),
                                      QStringLiteral("only applies to effect step_up"));
            }
        }
        if (stepUp) {
            auto methods = parseMethods(*map, methodsKey);
            if (!methods)
                return methods.error();
            rule.methods = methods.value();
            if (map->contains(timeoutKey)) {
                auto timeout =
                    readDuration(m_source, map->value(timeoutKey), map->pathOf(timeoutKey),
                                 map->markOf(timeoutKey), AccessDecision::minStepUpTimeout,
                                 AccessDecision::maxStepUpTimeout);
                if (!timeout)
                    return timeout.error();
                rule.timeout = timeout.value();
            }
            if (map->contains(userVerificationKey)) {
                const YAML::Mark mark =
                    markOr(map->value(userVerificationKey), map->markOf(userVerificationKey));
                auto level = readString(m_source, map->value(userVerificationKey),
                                        map->pathOf(userVerificationKey), mark);
                if (!level)
                    return level.error();
                if (level.value() != u"required" && level.value() != u"preferred") {
                    return m_source.error(mark, map->pathOf(userVerificationKey),
                                          QStringLiteral("\"%1\" is not a level (expected "
                                                         "required or preferred)")
                                              .arg(level.value()));
                }
                rule.userVerificationRequired = level.value() == u"required";
                if (rule.userVerificationRequired
                    && !rule.methods.contains(ApprovalMethod::Passkey)) {
                    return m_source.error(mark, map->pathOf(userVerificationKey),
                                          QStringLiteral("required needs passkey among the "
                                                         "methods"));
                }
            }
        }

        if (map->contains(reasonKey)) {
            auto reason = readString(m_source, map->value(reasonKey), map->pathOf(reasonKey),
                                     map->markOf(reasonKey));
            if (!reason)
                return reason.error();
            // Shown to a person in the companion: the same rule as other
            // display text, so it cannot hide or reorder what they read.
            if (reason->size() > Policy::maxReasonLength || !isDisplaySafe(reason.value())) {
                return m_source.error(markOr(map->value(reasonKey), map->markOf(reasonKey)),
                                      map->pathOf(reasonKey),
                                      QStringLiteral("must be at most %1 characters without "
                                                     "control characters")
                                          .arg(Policy::maxReasonLength));
            }
            rule.reason = reason.value();
        }
        return rule;
    }

    Status parseMatch(const YamlMap &ruleMap, const QString &matchKey, PolicyRule &rule)
    {
        const QString actionKey = QStringLiteral("action");
        const QString resourceTypeKey = QStringLiteral("resource_type");
        const QString resourceIdKey = QStringLiteral("resource_id");
        const QString subjectIdKey = QStringLiteral("subject_id");
        const QString subjectKey = QStringLiteral("subject");
        const QString argumentsKey = QStringLiteral("arguments");
        if (!ruleMap.contains(matchKey))
            return Ok{};
        auto match = YamlMap::open(
            m_source, ruleMap.value(matchKey), ruleMap.pathOf(matchKey), ruleMap.markOf(matchKey),
            {actionKey, resourceTypeKey, resourceIdKey, subjectIdKey, subjectKey, argumentsKey});
        if (!match)
            return match.error();
        const auto glob = [&](const QString &key, std::optional<GlobPattern> &target) -> Status {
            if (!match->contains(key))
                return Ok{};
            auto pattern = readGlob(match->value(key), match->pathOf(key), match->markOf(key));
            if (!pattern)
                return pattern.error();
            target = pattern.value();
            return Ok{};
        };
        if (auto read = glob(actionKey, rule.action); !read)
            return read;
        if (auto read = glob(resourceIdKey, rule.resourceId); !read)
            return read;
        if (auto read = glob(subjectIdKey, rule.subjectId); !read)
            return read;
        if (match->contains(resourceTypeKey)) {
            auto type = readString(m_source, match->value(resourceTypeKey),
                                   match->pathOf(resourceTypeKey), match->markOf(resourceTypeKey));
            if (!type)
                return type.error();
            if (type->isEmpty()) {
                return m_source.error(match->markOf(resourceTypeKey),
                                      match->pathOf(resourceTypeKey),
                                      QStringLiteral("must not be empty"));
            }
            rule.resourceType = type.value();
        }
        if (auto read = readGlobMap(*match, subjectKey, rule.subjectProperties); !read)
            return read;
        return readGlobMap(*match, argumentsKey, rule.arguments);
    }

    Result<QList<ApprovalMethod>> parseMethods(const YamlMap &ruleMap, const QString &key)
    {
        if (!ruleMap.contains(key))
            return QList<ApprovalMethod>{ApprovalMethod::Passkey, ApprovalMethod::Totp};
        const YAML::Node node = ruleMap.value(key);
        const YAML::Mark mark = markOr(node, ruleMap.markOf(key));
        if (!node.IsSequence() || node.size() == 0) {
            return m_source.error(
                mark, ruleMap.pathOf(key),
                QStringLiteral("expected a non-empty list of methods (passkey, "
                               "totp), found %1")
                    .arg(node.IsSequence() ? QStringLiteral("an empty list") : yamlKindName(node)));
        }
        QList<ApprovalMethod> methods;
        int index = 0;
        for (auto it = node.begin(); it != node.end(); ++it, ++index) {
            const QString path = QStringLiteral("%1[%2]").arg(ruleMap.pathOf(key)).arg(index);
            auto name = readString(m_source, *it, path, mark);
            if (!name)
                return name.error();
            const auto method = approvalMethodFromName(name.value());
            if (!method) {
                return m_source.error(markOr(*it, mark), path,
                                      QStringLiteral("\"%1\" is not a method (expected passkey "
                                                     "or totp)")
                                          .arg(name.value()));
            }
            if (methods.contains(*method)) {
                return m_source.error(markOr(*it, mark), path,
                                      QStringLiteral("\"%1\" is listed twice").arg(name.value()));
            }
            methods.append(*method);
        }
        return methods;
    }

    // The same number for the same path text across the policy, so a
    // request resolves "subject.attributes.roles" once for all the rules
    // that read it (RequestAttributes).
    static void numberPaths(QList<PolicyRule> &rules)
    {
        std::map<QString, int> slots;
        for (PolicyRule &rule : rules) {
            for (Condition &condition : rule.when) {
                condition.forEachPath([&slots](AttributePath &path) {
                    const auto [entry, added] = slots.try_emplace(path.text, int(slots.size()));
                    path.slot = entry->second;
                });
            }
        }
    }

    // A non-empty list of distinct names (user_subject_types).
    Result<QStringList> readNameList(const YamlMap &owner, const QString &key)
    {
        const YAML::Node node = owner.value(key);
        const YAML::Mark mark = markOr(node, owner.markOf(key));
        if (!node.IsSequence() || node.size() == 0 || node.size() > 32) {
            return m_source.error(mark, owner.pathOf(key),
                                  QStringLiteral("expected a list of 1 to 32 subject types, "
                                                 "found %1")
                                      .arg(node.IsSequence()
                                               ? QStringLiteral("%1 entries").arg(node.size())
                                               : yamlKindName(node)));
        }
        QStringList names;
        int index = 0;
        for (auto it = node.begin(); it != node.end(); ++it, ++index) {
            const QString path = QStringLiteral("%1[%2]").arg(owner.pathOf(key)).arg(index);
            auto name = readString(m_source, *it, path, mark);
            if (!name)
                return name.error();
            if (name->isEmpty() || names.contains(name.value())) {
                return m_source.error(
                    markOr(*it, mark), path,
                    name->isEmpty() ? QStringLiteral("must not be empty")
                                    : QStringLiteral("\"%1\" is listed twice").arg(name.value()));
            }
            names.append(name.value());
        }
        return names;
    }

    // `when:` (and the lists of all_of / any_of): conditions that must all
    // hold. depth counts the groups around the list.
    Result<std::vector<Condition>> parseConditionList(const YAML::Node &node, const QString &path,
                                                      const YAML::Mark &fallback, int depth)
    {
        const YAML::Mark mark = markOr(node, fallback);
        if (!node.IsSequence() || node.size() == 0
            || node.size() > static_cast<std::size_t>(Policy::maxConditions)) {
            return m_source.error(
                mark, path,
                QStringLiteral("expected a list of 1 to %1 conditions (\"PATH OPERATOR "
                               "OPERAND\", all_of, any_of or not), found %2")
                    .arg(Policy::maxConditions)
                    .arg(node.IsSequence() ? QStringLiteral("%1 entries").arg(node.size())
                                           : yamlKindName(node)));
        }
        std::vector<Condition> conditions;
        int index = 0;
        for (auto it = node.begin(); it != node.end(); ++it, ++index) {
            auto condition =
                parseCondition(*it, QStringLiteral("%1[%2]").arg(path).arg(index), mark, depth);
            if (!condition)
                return condition.error();
            conditions.push_back(std::move(condition.value()));
        }
        return conditions;
    }

    Result<Condition> parseCondition(const YAML::Node &node, const QString &path,
                                     const YAML::Mark &fallback, int depth)
    {
        const YAML::Mark mark = markOr(node, fallback);
        if (node.IsScalar()) {
            QString error;
            auto condition = parseComparison(QString::fromStdString(node.Scalar()), error);
            if (!condition)
                return m_source.error(mark, path, error);
            return std::move(*condition);
        }
        const QString allOfKey = QStringLiteral("all_of");
        const QString anyOfKey = QStringLiteral("any_of");
        const QString notKey = QStringLiteral("not");
        if (!node.IsMap() || node.size() != 1) {
            return m_source.error(
                mark, path,
                QStringLiteral("expected a condition (\"PATH OPERATOR "
                               "OPERAND\") or one of all_of, any_of, not; "
                               "found %1")
                    .arg(node.IsMap() ? QStringLiteral("a mapping of %1 keys").arg(node.size())
                                      : yamlKindName(node)));
        }
        auto map = YamlMap::open(m_source, node, path, fallback, {allOfKey, anyOfKey, notKey});
        if (!map)
            return map.error();
        if (depth >= Condition::maxDepth) {
            return m_source.error(
                mark, path,
                QStringLiteral("groups nest at most %1 deep").arg(Condition::maxDepth - 1));
        }
        Condition group;
        if (map->contains(notKey)) {
            group.kind = Condition::Kind::Not;
            auto inner = parseCondition(map->value(notKey), map->pathOf(notKey),
                                        map->markOf(notKey), depth + 1);
            if (!inner)
                return inner.error();
            group.children.push_back(std::move(inner.value()));
            return group;
        }
        const QString key = map->contains(allOfKey) ? allOfKey : anyOfKey;
        group.kind = key == allOfKey ? Condition::Kind::AllOf : Condition::Kind::AnyOf;
        auto children =
            parseConditionList(map->value(key), map->pathOf(key), map->markOf(key), depth + 1);
        if (!children)
            return children.error();
        group.children = std::move(children.value());
        return group;
    }

    Result<GlobPattern> readGlob(const YAML::Node &node, const QString &path,
                                 const YAML::Mark &fallback)
    {
        auto text = readString(m_source, node, path, fallback);
        if (!text)
            return text.error();
        // An empty pattern matches only an empty value, which AuthZEN ids
        // never are; it is almost certainly a mistake.
        if (text->isEmpty()) {
            return m_source.error(markOr(node, fallback), path,
                                  QStringLiteral("an empty pattern matches nothing; use \"*\" "
                                                 "for anything"));
        }
        return GlobPattern(text.value());
    }

    Status readGlobMap(const YamlMap &match, const QString &key,
                       QList<QPair<QString, GlobPattern>> &target)
    {
        if (!match.contains(key))
            return Ok{};
        const YAML::Node node = match.value(key);
        const YAML::Mark mark = markOr(node, match.markOf(key));
        if (!node.IsMap()) {
            return m_source.error(mark, match.pathOf(key),
                                  QStringLiteral("expected a mapping of names to patterns, "
                                                 "found %1")
                                      .arg(yamlKindName(node)));
        }
        // Every name is allowed here, so collect them as the allowed list:
        // YamlMap still refuses repeated and non-scalar keys.
        QStringList names;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node keyNode = it->first;
            if (keyNode.IsScalar())
                names.append(QString::fromStdString(keyNode.Scalar()));
        }
        auto map = YamlMap::open(m_source, node, match.pathOf(key), match.markOf(key), names);
        if (!map)
            return map.error();
        QStringList seen;
        for (const QString &name : std::as_const(names)) {
            if (seen.contains(name))
                continue;
            seen.append(name);
            auto pattern = readGlob(map->value(name), map->pathOf(name), map->markOf(name));
            if (!pattern)
                return pattern.error();
            target.append({name, pattern.value()});
        }
        return Ok{};
    }

    ConfigSource m_source;
    QString m_prefix;
};

namespace {

template <typename Parse>
Result<Policy> guarded(const ConfigSource &source, const QByteArray &yaml, Parse parse)
{
    return parseYamlDocument<Policy>(source, yaml, Policy::maxFileBytes,
                                     QStringLiteral("the policy"), parse);
}

} // namespace

Result<Policy> Policy::load(const QString &path)
{
    const auto yaml = readConfigFile(path, maxFileBytes);
    if (!yaml)
        return yaml.error();
    return parse(yaml.value(), path);
}

Result<Policy> Policy::parse(const QByteArray &yaml, const QString &sourceName)
{
    const ConfigSource source{sourceName};
    return guarded(source, yaml, [&](const YAML::Node &root) {
        PolicyParser parser(sourceName, QString());
        return parser.parseDocument(root);
    });
}

Result<Policy> Policy::fromConfigSection(const QByteArray &yaml, int line,
                                         const QString &configPath)
{
    const ConfigSource source{configPath};
    const QString sectionKey = QStringLiteral("policy");
    // Blank lines in front put the section's text back on its lines in the
    // configuration file, so yaml-cpp's marks need no translation.
    const QByteArray placed = QByteArray(qMax(0, line - 1), '\n') + yaml;
    return guarded(source, placed, [&](const YAML::Node &root) -> Result<Policy> {
        const YAML::Mark sectionMark = root.Mark();
        auto section = YamlMap::open(source, root, sectionKey, sectionMark,
                                     {fileKey, rulesKey, userSubjectTypesKey});
        if (!section)
            return section.error();
        if (section->contains(fileKey) == section->contains(rulesKey)) {
            return source.error(section->mark(), sectionKey,
                                QStringLiteral("give either file (a policy file) or rules "
                                               "(inline), not %1")
                                    .arg(section->contains(fileKey) ? QStringLiteral("both")
                                                                    : QStringLiteral("neither")));
        }
        if (section->contains(fileKey)) {
            if (section->contains(userSubjectTypesKey)) {
                return source.error(section->markOf(userSubjectTypesKey),
                                    section->pathOf(userSubjectTypesKey),
                                    QStringLiteral("belongs in the policy file with its rules"));
            }
            auto file = readString(source, section->value(fileKey), section->pathOf(fileKey),
                                   section->markOf(fileKey));
            if (!file)
                return file.error();
            if (file->isEmpty()) {
                return source.error(section->markOf(fileKey), section->pathOf(fileKey),
                                    QStringLiteral("needs a path"));
            }
            const QString path =
                QDir(QFileInfo(configPath).absolutePath()).absoluteFilePath(file.value());
            return load(QDir::cleanPath(path));
        }
        PolicyParser parser(configPath, sectionKey);
        return parser.parseRules(section.value());
    });
}

const QList<PolicyRule> &Policy::rules() const
{
    return m_rules;
}

const PolicyRule *Policy::firstMatch(const AccessRequest &request,
                                     const EntityDirectory *directory) const
{
    QtRequestFacts facts(request, directory, &m_userSubjectTypes);
    return firstMatchOf(facts);
}

const QString &Policy::sourceName() const
{
    return m_sourceName;
}

} // namespace countersign::gateway
