#include "evaluationfastpath.h"

#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/strictjson.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <string_view>

#include <QUtf8StringView>

namespace countersign::gateway {

namespace json = boost::json;

namespace {

// Counts the members of the tree, all levels; false when a number is not
// finite (Boost.JSON reads 1e400 as infinity, Qt may not read it at all).
// Depth is bounded by the parser's max_depth.
bool countMembers(const json::value &value, qsizetype &count)
{
    switch (value.kind()) {
    case json::kind::object:
        count += static_cast<qsizetype>(value.get_object().size());
        for (const auto &member : value.get_object()) {
            if (!countMembers(member.value(), count))
                return false;
        }
        return true;
    case json::kind::array:
        for (const json::value &element : value.get_array()) {
            if (!countMembers(element, count))
                return false;
        }
        return true;
    case json::kind::double_:
        return std::isfinite(value.get_double());
    default:
        return true;
    }
}

// The length Qt gives the text (UTF-16 code units) without converting it:
// one per code point, two for those outside the BMP (4-byte sequences).
// The text is valid UTF-8 (Boost.JSON checked it).
std::size_t utf16Length(std::string_view utf8)
{
    std::size_t length = 0;
    for (const char c : utf8) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte & 0xC0) != 0x80)
            ++length;
        if (byte >= 0xF0)
            ++length;
    }
    return length;
}

// As requiredString in authzenmodel.cpp; false where it gives an error.
bool readRequiredString(const json::object &object, std::string_view name, std::string_view &out)
{
    const json::value *value = object.if_contains(name);
    if (!value || !value->is_string())
        return false;
    out = value->get_string();
    return !out.empty()
        && utf16Length(out) <= static_cast<std::size_t>(AccessRequest::maxStringLength);
}

// As optionalObject in authzenmodel.cpp: nullptr when absent.
bool readOptionalObject(const json::object &object, std::string_view name, const json::object *&out)
{
    const json::value *value = object.if_contains(name);
    out = nullptr;
    if (!value)
        return true;
    if (!value->is_object())
        return false;
    out = &value->get_object();
    return true;
}

struct Entity {
    std::string_view type;
    std::string_view id;
    const json::object *properties = nullptr;
};

bool readEntity(const json::value *value, Entity &out)
{
    if (!value || !value->is_object())
        return false;
    const json::object &object = value->get_object();
    return readRequiredString(object, "type", out.type) && readRequiredString(object, "id", out.id)
        && readOptionalObject(object, "properties", out.properties);
}

bool readActionName(const json::value *value, std::string_view &name)
{
    if (!value || !value->is_object())
        return false;
    const json::object &object = value->get_object();
    const json::object *properties = nullptr;
    return readRequiredString(object, "name", name)
        && readOptionalObject(object, "properties", properties);
}

// The request as PolicyRule::matchesFacts reads it, on the parsed JSON.
// Property and argument values are spelled as policy.cpp spells them for
// strings, booleans and null; a number, array or object a rule asks about
// makes the facts unsure (the reference path spells those) and the caller
// gives up.
class JsonRequestFacts {
public:
    JsonRequestFacts(std::string_view action, const Entity &subject, const Entity &resource)
        : m_action(action)
        , m_subject(subject)
        , m_resource(resource)
    {
    }

    std::string_view actionName() const { return m_action; }
    std::string_view resourceType() const { return m_resource.type; }
    std::string_view resourceId() const { return m_resource.id; }
    std::string_view subjectId() const { return m_subject.id; }

    const std::string_view *subjectProperty(const QString &key)
    {
        return spell(m_subject.properties, key);
    }
    bool hasArguments()
    {
        if (!m_resource.properties)
            return false;
        const json::value *arguments = m_resource.properties->if_contains("arguments");
        if (!arguments || !arguments->is_object())
            return false;
        m_arguments = &arguments->get_object();
        return true;
    }
    const std::string_view *argument(const QString &key) { return spell(m_arguments, key); }
    // `when:` conditions are evaluated by the reference path only (with
    // its directory lookups): a rule that gets this far makes the answer
    // unsure, so the caller asks PolicyDecisionPoint::evaluate. The fast
    // path therefore never decides differently; it only decides less.
    bool conditionsHold(const std::vector<Condition> &)
    {
        m_unsure = true;
        return false;
    }

    bool unsure() const { return m_unsure; }

private:
    const std::string_view *spell(const json::object *values, const QString &key)
    {
        if (!values)
            return nullptr;
        for (const auto &member : *values) {
            const std::string_view name = member.key();
            if (!QtPrivate::equalStrings(QStringView(key),
                                         QUtf8StringView(name.data(), qsizetype(name.size()))))
                continue;
            const json::value &value = member.value();
            switch (value.kind()) {
            case json::kind::string:
                m_spelling = value.get_string();
                return &m_spelling;
            case json::kind::bool_:
                m_spelling = value.get_bool() ? "true" : "false";
                return &m_spelling;
            case json::kind::null:
                m_spelling = "null";
                return &m_spelling;
            default:
                m_unsure = true;
                return nullptr;
            }
        }
        return nullptr;
    }

    std::string_view m_action;
    const Entity &m_subject;
    const Entity &m_resource;
    const json::object *m_arguments = nullptr;
    std::string_view m_spelling; // read by the rule before the next lookup
    bool m_unsure = false;
};

// The four members of an evaluation, each given or left to a default
// (nullptr: absent), as Members in authzenmodel.cpp.
struct Members {
    const json::value *subject = nullptr;
    const json::value *action = nullptr;
    const json::value *resource = nullptr;
    const json::value *context = nullptr;
};

Members membersOf(const json::object &object)
{
    return {object.if_contains("subject"), object.if_contains("action"),
            object.if_contains("resource"), object.if_contains("context")};
}

const json::value *orDefault(const json::value *own, const json::value *fallback)
{
    return own ? own : fallback;
}

// The decision for one evaluation as its response body, or nullptr where
// resolve() in authzenmodel.cpp gives an error or the facts are unsure.
// `allowed` is the response's decision.
const QByteArray *decide(const PolicyDecisionPoint &pdp, const Members &members, bool &allowed)
{
    Entity subject;
    std::string_view action;
    Entity resource;
    if (!readEntity(members.subject, subject) || !readActionName(members.action, action)
        || !readEntity(members.resource, resource)) {
        return nullptr;
    }
    if (members.context && !members.context->is_object())
        return nullptr;
    JsonRequestFacts facts(action, subject, resource);
    const PolicyRule *rule = pdp.policy().firstMatchOf(facts);
    if (facts.unsure())
        return nullptr;
    allowed = rule && rule->effect == PolicyRule::Effect::Allow;
    return &pdp.authzenResponse(rule);
}

// As checkDefaults in authzenmodel.cpp: a default that is given must be
// well-formed even when every item replaces it.
bool defaultsAreWellFormed(const Members &defaults)
{
    Entity entity;
    std::string_view name;
    return (!defaults.subject || readEntity(defaults.subject, entity))
        && (!defaults.action || readActionName(defaults.action, name))
        && (!defaults.resource || readEntity(defaults.resource, entity))
        && (!defaults.context || defaults.context->is_object());
}

// As parseOptions in authzenmodel.cpp; false where it gives an error.
bool readSemantic(const json::object &top, EvaluationsSemantic &semantic)
{
    semantic = EvaluationsSemantic::ExecuteAll;
    const json::value *options = top.if_contains("options");
    if (!options)
        return true;
    if (!options->is_object())
        return false;
    const json::value *name = options->get_object().if_contains("evaluations_semantic");
    if (!name)
        return true;
    if (!name->is_string())
        return false;
    const std::string_view text = name->get_string();
    if (text == "execute_all")
        semantic = EvaluationsSemantic::ExecuteAll;
    else if (text == "deny_on_first_deny")
        semantic = EvaluationsSemantic::DenyOnFirstDeny;
    else if (text == "permit_on_first_permit")
        semantic = EvaluationsSemantic::PermitOnFirstPermit;
    else
        return false;
    return true;
}

// Parses the body as parseStrictJsonObject would accept it; a null value
// where it refuses (or might: see the class comment). The tree lives in
// `memory`: a typical request fits in its stack buffer, a larger one (up to
// the edge's authzen_body_bytes) grows onto the heap and is freed with it.
// The parser's own stack starts on this stack too, so a typical request
// costs no heap allocation at all.
json::value parseStrict(QByteArrayView body, json::monotonic_resource &memory)
{
    unsigned char parserStack[1024];
    json::parser parser(json::storage_ptr(), json::parse_options(), parserStack,
                        sizeof parserStack);
    parser.reset(json::storage_ptr(&memory));
    json::error_code error;
    parser.write(body.data(), static_cast<std::size_t>(body.size()), error);
    if (error)
        return json::value(json::storage_ptr(&memory));
    json::value root = parser.release();
    // Boost.JSON keeps the last of two equal names, so fewer members in the
    // tree than written in the text (counted as parseStrictJsonObject counts
    // them, protocol/strictjson.h) means a name was given twice.
    qsizetype members = 0;
    if (!root.is_object() || !countMembers(root, members) || members != writtenMemberCount(body))
        return json::value(json::storage_ptr(&memory));
    return root;
}

} // namespace

EvaluationFastPath::EvaluationFastPath(const PolicyDecisionPoint &pdp)
    : m_pdp(pdp)
{
}

std::optional<QByteArray> EvaluationFastPath::evaluate(QByteArrayView body) const
{
    if (!m_pdp.matchesOnUtf8())
        return std::nullopt;
    unsigned char buffer[4096];
    json::monotonic_resource memory(buffer, sizeof buffer);
    const json::value root = parseStrict(body, memory);
    if (!root.is_object())
        return std::nullopt;
    bool allowed = false;
    const QByteArray *answer = decide(m_pdp, membersOf(root.get_object()), allowed);
    if (!answer)
        return std::nullopt;
    return *answer;
}

std::optional<QByteArray> EvaluationFastPath::evaluateBatch(QByteArrayView body) const
{
    if (!m_pdp.matchesOnUtf8())
        return std::nullopt;
    unsigned char buffer[8192];
    json::monotonic_resource memory(buffer, sizeof buffer);
    const json::value root = parseStrict(body, memory);
    if (!root.is_object())
        return std::nullopt;
    // The order of AccessEvaluationsRequest::fromJson.
    const json::object &top = root.get_object();
    const Members defaults = membersOf(top);
    EvaluationsSemantic semantic;
    if (!readSemantic(top, semantic))
        return std::nullopt;
    const json::value *items = top.if_contains("evaluations");
    if (items && !items->is_array())
        return std::nullopt;
    bool allowed = false;
    if (!items || items->get_array().empty()) {
        // No items: a single evaluation, answered in the single shape.
        const QByteArray *answer = decide(m_pdp, defaults, allowed);
        if (!answer)
            return std::nullopt;
        return *answer;
    }
    const json::array &array = items->get_array();
    if (array.size() > static_cast<std::size_t>(AccessEvaluationsRequest::maxEvaluations)
        || !defaultsAreWellFormed(defaults)) {
        return std::nullopt;
    }
    // Each item's answer is the compact JSON the reference writes for it,
    // and a compact array of them is those texts joined by commas.
    QByteArray response = QByteArrayLiteral("{\"evaluations\":[");
    bool first = true;
    for (const json::value &item : array) {
        // An item that is not a request is answered in place by the
        // reference (context.error); this path leaves such batches to it.
        if (!item.is_object())
            return std::nullopt;
        const Members own = membersOf(item.get_object());
        const Members merged{
            orDefault(own.subject, defaults.subject), orDefault(own.action, defaults.action),
            orDefault(own.resource, defaults.resource), orDefault(own.context, defaults.context)};
        const QByteArray *answer = decide(m_pdp, merged, allowed);
        if (!answer)
            return std::nullopt;
        if (!first)
            response += ',';
        first = false;
        response += *answer;
        if ((semantic == EvaluationsSemantic::DenyOnFirstDeny && !allowed)
            || (semantic == EvaluationsSemantic::PermitOnFirstPermit && allowed)) {
            break;
        }
    }
    response += "]}";
    return response;
}

} // namespace countersign::gateway
