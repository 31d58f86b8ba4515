#include "gateway/pdp/condition.h"

#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/entitydirectory.h"

#include <algorithm>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

namespace countersign::gateway {

namespace {

bool isKeyCharacter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
        || c == u'_' || c == u'-';
}

struct OperatorName {
    const char16_t *name;
    Condition::Operator op;
};

constexpr OperatorName operatorNames[] = {
    {u"==", Condition::Operator::Equal},
    {u"!=", Condition::Operator::NotEqual},
    {u"<", Condition::Operator::Less},
    {u"<=", Condition::Operator::LessOrEqual},
    {u">", Condition::Operator::Greater},
    {u">=", Condition::Operator::GreaterOrEqual},
    {u"in", Condition::Operator::In},
    {u"contains", Condition::Operator::Contains},
    {u"contains_any", Condition::Operator::ContainsAny},
    {u"matches", Condition::Operator::Matches},
    {u"exists", Condition::Operator::Exists},
    {u"absent", Condition::Operator::Absent},
};

QString operatorName(Condition::Operator op)
{
    for (const OperatorName &entry : operatorNames) {
        if (entry.op == op)
            return QString::fromUtf16(entry.name);
    }
    return {};
}

const QString operatorList =
    QStringLiteral("==, !=, <, <=, >, >=, in, contains, contains_any, matches, exists or absent");

QString kindName(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Array:
        return QStringLiteral("a list");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

bool isNumberComparison(Condition::Operator op)
{
    return op == Condition::Operator::Less || op == Condition::Operator::LessOrEqual
        || op == Condition::Operator::Greater || op == Condition::Operator::GreaterOrEqual;
}

// The operand written after the operator: a path (starts with a letter and
// is not true/false/null) or a JSON value.
bool readOperand(const QString &text, Condition &condition, QString &error)
{
    if (text.front().isLetter() && text != u"true" && text != u"false" && text != u"null") {
        QString pathError;
        auto path = AttributePath::parse(text, pathError);
        if (!path) {
            error = QStringLiteral("%1; a string operand is written in double quotes "
                                   "(\"%2\")")
                        .arg(pathError, text);
            return false;
        }
        condition.right = std::move(*path);
        return true;
    }
    QJsonParseError parseError{};
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArrayLiteral("[") + text.toUtf8() + ']', &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isArray()
        || document.array().size() != 1) {
        error = QStringLiteral("%1 is not a value (a JSON string in double quotes, a number, "
                               "true, false, null or a list [\"a\", \"b\"]) nor an attribute "
                               "path")
                    .arg(text);
        return false;
    }
    condition.literal = document.array().at(0);
    condition.literalValue = ConditionValue::of(condition.literal);
    return true;
}

// The load-time checks: operands the operator or the path can never
// compare, so the rule could never apply as written.
bool checkKinds(Condition &condition, QString &error)
{
    const AttributePath &left = condition.left;
    const Condition::Operator op = condition.op;
    const bool hasOperand = condition.right || !condition.literal.isUndefined();
    if (op == Condition::Operator::Exists || op == Condition::Operator::Absent) {
        if (hasOperand) {
            error = QStringLiteral("exists and absent take no operand");
            return false;
        }
        if (left.isStringField()) {
            error = QStringLiteral("%1 is always present").arg(left.text);
            return false;
        }
        return true;
    }
    if (!hasOperand) {
        error = QStringLiteral("the operator needs an operand after it");
        return false;
    }
    const QJsonValue &literal = condition.literal;
    if (isNumberComparison(op)) {
        if (left.isStringField() || (condition.right && condition.right->isStringField())) {
            error = QStringLiteral("%1 compares numbers, but %2 is a string")
                        .arg(operatorName(op),
                             left.isStringField() ? left.text : condition.right->text);
            return false;
        }
        if (!condition.right && !literal.isDouble()) {
            error =
                QStringLiteral("compares numbers, but the operand is %1").arg(kindName(literal));
            return false;
        }
        return true;
    }
    switch (op) {
    case Condition::Operator::Equal:
    case Condition::Operator::NotEqual:
        if (left.isStringField() && !condition.right && !literal.isString()) {
            error = QStringLiteral("%1 is a string and never equals %2")
                        .arg(left.text, kindName(literal));
            return false;
        }
        return true;
    case Condition::Operator::In:
        if (condition.right) {
            if (condition.right->isStringField()) {
                error = QStringLiteral("in needs a list, but %1 is a string")
                            .arg(condition.right->text);
                return false;
            }
            return true;
        }
        if (!literal.isArray() || literal.toArray().isEmpty()
            || literal.toArray().size() > Condition::maxListLength) {
            error =
                QStringLiteral("in needs a list of 1 to %1 values, found %2")
                    .arg(Condition::maxListLength)
                    .arg(literal.isArray() ? QStringLiteral("an empty list") : kindName(literal));
            return false;
        }
        if (left.isStringField()) {
            for (const QJsonValue &element : literal.toArray()) {
                if (!element.isString()) {
                    error = QStringLiteral("%1 is a string and never equals %2 in the list")
                                .arg(left.text, kindName(element));
                    return false;
                }
            }
        }
        return true;
    case Condition::Operator::Contains:
    case Condition::Operator::ContainsAny:
        if (left.isStringField()) {
            error = QStringLiteral("%1 is a string, not a list; for a part of a string use "
                                   "matches \"*part*\"")
                        .arg(left.text);
            return false;
        }
        if (op == Condition::Operator::ContainsAny) {
            if (condition.right || !literal.isArray() || literal.toArray().isEmpty()
                || literal.toArray().size() > Condition::maxListLength) {
                error = QStringLiteral("contains_any needs a list of 1 to %1 values")
                            .arg(Condition::maxListLength);
                return false;
            }
        }
        return true;
    case Condition::Operator::Matches:
        if (condition.right || !literal.isString() || literal.toString().isEmpty()) {
            error = QStringLiteral("matches needs a non-empty glob in double quotes "
                                   "(\"*@example.com\")");
            return false;
        }
        condition.glob.emplace(literal.toString());
        return true;
    default:
        break;
    }
    return true;
}

} // namespace

ConditionValue ConditionValue::of(const QJsonValue &value)
{
    ConditionValue decoded;
    switch (value.type()) {
    case QJsonValue::Undefined:
        break;
    case QJsonValue::String:
        decoded.kind = Kind::String;
        decoded.text = value.toString();
        break;
    case QJsonValue::Double:
        decoded.kind = Kind::Number;
        decoded.number = value.toDouble();
        break;
    case QJsonValue::Bool:
        decoded.kind = Kind::Bool;
        decoded.boolean = value.toBool();
        break;
    case QJsonValue::Null:
        decoded.kind = Kind::Null;
        break;
    case QJsonValue::Array: {
        decoded.kind = Kind::Array;
        const QJsonArray array = value.toArray();
        decoded.elements.reserve(static_cast<std::size_t>(array.size()));
        for (const QJsonValue &element : array)
            decoded.elements.push_back(of(element));
        break;
    }
    case QJsonValue::Object:
        decoded.kind = Kind::Object;
        decoded.object = value;
        break;
    }
    return decoded;
}

ConditionValue ConditionValue::ofText(const QString &text)
{
    ConditionValue decoded;
    decoded.kind = Kind::String;
    decoded.text = text;
    return decoded;
}

bool ConditionValue::equals(const ConditionValue &other) const
{
    if (kind != other.kind)
        return false;
    switch (kind) {
    case Kind::Absent:
        return false;
    case Kind::String:
        return text == other.text;
    case Kind::Number:
        return number == other.number;
    case Kind::Bool:
        return boolean == other.boolean;
    case Kind::Null:
        return true;
    case Kind::Array:
        return std::equal(
            elements.cbegin(), elements.cend(), other.elements.cbegin(), other.elements.cend(),
            [](const ConditionValue &a, const ConditionValue &b) { return a.equals(b); });
    case Kind::Object:
        return object == other.object;
    }
    return false;
}

bool AttributePath::isStringField() const
{
    switch (root) {
    case Root::SubjectType:
    case Root::SubjectId:
    case Root::ActionName:
    case Root::ResourceType:
    case Root::ResourceId:
        return true;
    default:
        return false;
    }
}

std::optional<AttributePath> AttributePath::parse(QStringView text, QString &error)
{
    const QList<QStringView> parts = text.split(u'.');
    for (const QStringView part : parts) {
        if (part.isEmpty() || part.size() > maxKeyLength
            || !std::all_of(part.begin(), part.end(), isKeyCharacter)) {
            error = QStringLiteral("\"%1\" is not an attribute path (names of letters, digits, "
                                   "\"_\" and \"-\" joined by \".\")")
                        .arg(text);
            return std::nullopt;
        }
    }
    AttributePath path;
    path.text = text.toString();
    const QStringView root = parts.front();
    const QStringView field = parts.size() > 1 ? parts[1] : QStringView();
    qsizetype firstKey = 2;
    const auto fieldError = [&](const char *expected) {
        error = QStringLiteral("\"%1\": %2 has %3").arg(text, root, QString::fromLatin1(expected));
        return std::nullopt;
    };
    if (root == u"subject" || root == u"resource") {
        const bool subject = root == u"subject";
        if (field == u"type")
            path.root = subject ? Root::SubjectType : Root::ResourceType;
        else if (field == u"id")
            path.root = subject ? Root::SubjectId : Root::ResourceId;
        else if (field == u"properties")
            path.root = subject ? Root::SubjectProperties : Root::ResourceProperties;
        else if (field == u"attributes")
            path.root = subject ? Root::SubjectAttributes : Root::ResourceAttributes;
        else
            return fieldError("type, id, properties.* and attributes.*");
    } else if (root == u"action") {
        if (field == u"name")
            path.root = Root::ActionName;
        else if (field == u"properties")
            path.root = Root::ActionProperties;
        else
            return fieldError("name and properties.*");
    } else if (root == u"context") {
        path.root = Root::Context;
        firstKey = 1;
    } else {
        error = QStringLiteral("\"%1\": unknown root \"%2\" (expected subject, action, resource "
                               "or context)")
                    .arg(text, root);
        return std::nullopt;
    }
    if (path.isStringField() && parts.size() > 2) {
        error =
            QStringLiteral("\"%1\": %2.%3 is a string and has no members").arg(text, root, field);
        return std::nullopt;
    }
    if (parts.size() - firstKey > maxKeys) {
        error = QStringLiteral("\"%1\" is deeper than %2 names").arg(text).arg(maxKeys);
        return std::nullopt;
    }
    for (qsizetype i = firstKey; i < parts.size(); ++i)
        path.keys.append(parts[i].toString());
    return path;
}

std::optional<Condition> parseComparison(const QString &text, QString &error)
{
    const QString trimmed = text.trimmed();
    const qsizetype pathEnd = trimmed.indexOf(u' ');
    if (trimmed.isEmpty()) {
        error = QStringLiteral("a condition reads \"PATH OPERATOR OPERAND\", for example "
                               "\"resource.properties.owner == subject.id\"");
        return std::nullopt;
    }
    Condition condition;
    auto left = AttributePath::parse(
        QStringView(trimmed).left(pathEnd < 0 ? trimmed.size() : pathEnd), error);
    if (!left)
        return std::nullopt;
    condition.left = std::move(*left);
    if (pathEnd < 0) {
        error = QStringLiteral("\"%1\" needs an operator (%2)").arg(trimmed, operatorList);
        return std::nullopt;
    }
    const QString rest = trimmed.mid(pathEnd).trimmed();
    const qsizetype operatorEnd = rest.indexOf(u' ');
    const QString name = operatorEnd < 0 ? rest : rest.left(operatorEnd);
    bool known = false;
    for (const OperatorName &entry : operatorNames) {
        if (name == QStringView(entry.name)) {
            condition.op = entry.op;
            known = true;
            break;
        }
    }
    if (!known) {
        error = QStringLiteral("\"%1\" is not an operator (expected %2)").arg(name, operatorList);
        return std::nullopt;
    }
    const QString operand = operatorEnd < 0 ? QString() : rest.mid(operatorEnd).trimmed();
    if (!operand.isEmpty() && !readOperand(operand, condition, error))
        return std::nullopt;
    if (!checkKinds(condition, error))
        return std::nullopt;
    return condition;
}

RequestAttributes::RequestAttributes(const AccessRequest &request, const EntityDirectory *directory,
                                     const QStringList *userSubjectTypes)
    : m_request(request)
    , m_directory(directory)
    , m_userSubjectTypes(userSubjectTypes)
{
}

const DirectoryEntity *RequestAttributes::subjectRecord()
{
    if (!m_subjectLooked) {
        m_subjectLooked = true;
        if (m_directory) {
            const QString &type = m_request.subject.type;
            // Users are "user" subjects in the directory; a policy may say
            // its requests name them with another type (user_subject_types).
            const bool user = m_userSubjectTypes && m_userSubjectTypes->contains(type);
            m_subject =
                m_directory->subject(user ? QStringLiteral("user") : type, m_request.subject.id);
        }
    }
    return m_subject;
}

const DirectoryEntity *RequestAttributes::resourceRecord()
{
    if (!m_resourceLooked) {
        m_resourceLooked = true;
        if (m_directory)
            m_resource = m_directory->resource(m_request.resource.type, m_request.resource.id);
    }
    return m_resource;
}

const ConditionValue &RequestAttributes::value(const AttributePath &path)
{
    if (path.slot < 0) {
        m_unnumbered.push_back(resolve(path));
        return m_unnumbered.back();
    }
    const auto slot = static_cast<std::size_t>(path.slot);
    if (m_values.size() <= slot)
        m_values.resize(slot + 1);
    std::optional<ConditionValue> &cached = m_values[slot];
    if (!cached)
        cached = resolve(path);
    return *cached;
}

ConditionValue RequestAttributes::resolve(const AttributePath &path)
{
    using Root = AttributePath::Root;
    const QJsonObject *object = nullptr;
    switch (path.root) {
    case Root::SubjectType:
        return ConditionValue::ofText(m_request.subject.type);
    case Root::SubjectId:
        return ConditionValue::ofText(m_request.subject.id);
    case Root::ActionName:
        return ConditionValue::ofText(m_request.action.name);
    case Root::ResourceType:
        return ConditionValue::ofText(m_request.resource.type);
    case Root::ResourceId:
        return ConditionValue::ofText(m_request.resource.id);
    case Root::SubjectProperties:
        object = &m_request.subject.properties;
        break;
    case Root::ActionProperties:
        object = &m_request.action.properties;
        break;
    case Root::ResourceProperties:
        object = &m_request.resource.properties;
        break;
    case Root::Context:
        object = &m_request.context;
        break;
    case Root::SubjectAttributes: {
        const DirectoryEntity *record = subjectRecord();
        if (!record)
            return {};
        object = &record->attributes;
        break;
    }
    case Root::ResourceAttributes: {
        const DirectoryEntity *record = resourceRecord();
        if (!record)
            return {};
        object = &record->attributes;
        break;
    }
    }
    if (path.keys.isEmpty())
        return ConditionValue::of(*object);
    QJsonValue current = object->value(path.keys.front());
    for (qsizetype i = 1; i < path.keys.size(); ++i) {
        if (!current.isObject())
            return {};
        current = current.toObject().value(path.keys[i]);
    }
    return ConditionValue::of(current);
}

Truth evaluate(const Condition &condition, RequestAttributes &attributes)
{
    using Op = Condition::Operator;
    switch (condition.kind) {
    case Condition::Kind::AllOf: {
        Truth result = Truth::True;
        for (const Condition &child : condition.children) {
            const Truth truth = evaluate(child, attributes);
            if (truth == Truth::False)
                return Truth::False;
            if (truth == Truth::Unknown)
                result = Truth::Unknown;
        }
        return result;
    }
    case Condition::Kind::AnyOf: {
        Truth result = Truth::False;
        for (const Condition &child : condition.children) {
            const Truth truth = evaluate(child, attributes);
            if (truth == Truth::True)
                return Truth::True;
            if (truth == Truth::Unknown)
                result = Truth::Unknown;
        }
        return result;
    }
    case Condition::Kind::Not: {
        const Truth truth = evaluate(condition.children.front(), attributes);
        if (truth == Truth::Unknown)
            return Truth::Unknown;
        return truth == Truth::True ? Truth::False : Truth::True;
    }
    case Condition::Kind::Compare:
        break;
    }
    using Kind = ConditionValue::Kind;
    const ConditionValue &left = attributes.value(condition.left);
    if (condition.op == Op::Exists)
        return left.isAbsent() ? Truth::False : Truth::True;
    if (condition.op == Op::Absent)
        return left.isAbsent() ? Truth::True : Truth::False;
    if (left.isAbsent())
        return Truth::Unknown;
    const ConditionValue &right =
        condition.right ? attributes.value(*condition.right) : condition.literalValue;
    if (right.isAbsent())
        return Truth::Unknown;
    const auto truth = [](bool holds) { return holds ? Truth::True : Truth::False; };
    const auto holds = [](const ConditionValue &list, const ConditionValue &wanted) {
        return std::any_of(
            list.elements.cbegin(), list.elements.cend(),
            [&wanted](const ConditionValue &element) { return element.equals(wanted); });
    };
    switch (condition.op) {
    case Op::Equal:
        return truth(left.equals(right));
    case Op::NotEqual:
        return truth(!left.equals(right));
    case Op::Less:
    case Op::LessOrEqual:
    case Op::Greater:
    case Op::GreaterOrEqual: {
        if (left.kind != Kind::Number || right.kind != Kind::Number)
            return Truth::Unknown;
        const double a = left.number;
        const double b = right.number;
        if (condition.op == Op::Less)
            return truth(a < b);
        if (condition.op == Op::LessOrEqual)
            return truth(a <= b);
        if (condition.op == Op::Greater)
            return truth(a > b);
        return truth(a >= b);
    }
    case Op::In:
        if (right.kind != Kind::Array)
            return Truth::Unknown;
        return truth(holds(right, left));
    case Op::Contains:
        if (left.kind != Kind::Array)
            return Truth::Unknown;
        return truth(holds(left, right));
    case Op::ContainsAny:
        if (left.kind != Kind::Array || right.kind != Kind::Array)
            return Truth::Unknown;
        return truth(
            std::any_of(right.elements.cbegin(), right.elements.cend(),
                        [&](const ConditionValue &wanted) { return holds(left, wanted); }));
    case Op::Matches:
        if (left.kind != Kind::String)
            return Truth::Unknown;
        return truth(condition.glob->matches(left.text));
    case Op::Exists:
    case Op::Absent:
        break;
    }
    return Truth::Unknown;
}

bool allHold(const std::vector<Condition> &conditions, RequestAttributes &attributes)
{
    for (const Condition &condition : conditions) {
        if (evaluate(condition, attributes) != Truth::True)
            return false;
    }
    return true;
}

} // namespace countersign::gateway
