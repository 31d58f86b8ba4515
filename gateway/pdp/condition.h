#pragma once

#include "gateway/pdp/globpattern.h"

#include <deque>
#include <list>
#include <optional>
#include <vector>

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

namespace countersign::gateway {

struct AccessRequest;
struct DirectoryEntity;
class EntityDirectory;

// A place in an access request a condition reads, parsed and checked once
// when the policy is loaded: "resource.properties.ownerID",
// "subject.attributes.roles", "context.time.hour", "subject.id".
struct AttributePath {
    enum class Root : quint8 {
        SubjectType,
        SubjectId,
        SubjectProperties,
        SubjectAttributes, // the directory's record of the subject
        ActionName,
        ActionProperties,
        ResourceType,
        ResourceId,
        ResourceProperties,
        ResourceAttributes, // the directory's record of the resource
        Context,
    };
    static constexpr qsizetype maxKeys = 8;
    static constexpr qsizetype maxKeyLength = 64;

    Root root = Root::SubjectId;
    QStringList keys; // members below the root's object, outermost first
    QString text;     // as written, for messages
    // The same number for the same text within a policy (Policy numbers
    // them at load), so a request resolves each distinct path once however
    // many rules read it; -1: not numbered, resolved on every use.
    int slot = -1;

    // One of subject.type, subject.id, action.name, resource.type,
    // resource.id: always present and always a string.
    bool isStringField() const;
    bool readsSubjectAttributes() const { return root == Root::SubjectAttributes; }
    bool readsResourceAttributes() const { return root == Root::ResourceAttributes; }

    // nullopt with `error` set ("unknown root \"user\" ...") when the text is
    // not a path.
    static std::optional<AttributePath> parse(QStringView text, QString &error);
};

// A value as conditions compare it, decoded once (literals at load,
// attributes once per request), so comparing allocates nothing.
struct ConditionValue {
    enum class Kind : quint8 {
        Absent,
        String,
        Number,
        Bool,
        Null,
        Array,
        Object,
    };
    Kind kind = Kind::Absent;
    QString text;                         // String
    double number = 0;                    // Number
    bool boolean = false;                 // Bool
    std::vector<ConditionValue> elements; // Array
    QJsonValue object;                    // Object (compared whole)

    static ConditionValue of(const QJsonValue &value);
    static ConditionValue ofText(const QString &text);
    bool isAbsent() const { return kind == Kind::Absent; }
    // JSON equality: numbers by value (5 == 5.0), never across kinds.
    bool equals(const ConditionValue &other) const;
};

// The three-valued result of a condition: Unknown when an attribute it
// needs is absent or of the wrong kind at run time. A rule applies only when
// every condition is True, so Unknown never allows (and `not` of Unknown is
// Unknown, never True).
enum class Truth : quint8 {
    False,
    True,
    Unknown,
};

// One condition of a rule's `when:` list (policy.h documents the syntax):
// a comparison "PATH OPERATOR [OPERAND]" or a group (all_of, any_of, not).
struct Condition {
    enum class Kind : quint8 {
        Compare,
        AllOf,
        AnyOf,
        Not,
    };
    enum class Operator : quint8 {
        Equal,          // ==
        NotEqual,       // !=
        Less,           // <
        LessOrEqual,    // <=
        Greater,        // >
        GreaterOrEqual, // >=
        In,             // in [a, b] / in PATH (a list)
        Contains,       // a list holds the operand
        ContainsAny,    // a list holds one of the operand's elements
        Matches,        // glob on a string
        Exists,         // present (any value, also null)
        Absent,         // not present
    };
    static constexpr int maxDepth = 4;
    static constexpr qsizetype maxListLength = 256;

    Kind kind = Kind::Compare;
    Operator op = Operator::Equal;
    AttributePath left;
    std::optional<AttributePath> right;        // the operand is another attribute
    QJsonValue literal{QJsonValue::Undefined}; // otherwise the operand (Undefined: none)
    ConditionValue literalValue;               // the same, decoded
    std::optional<GlobPattern> glob;           // Matches
    std::vector<Condition> children;           // groups

    // Calls visit(AttributePath &) for every path, groups included.
    template <typename Visit>
    void forEachPath(Visit &&visit)
    {
        if (kind != Kind::Compare) {
            for (Condition &child : children)
                child.forEachPath(visit);
            return;
        }
        visit(left);
        if (right)
            visit(*right);
    }
};

// Parses "PATH OPERATOR [OPERAND]" with the load-time checks (unknown root
// or operator, an operand of a kind the operator or the path cannot
// compare). nullopt with `error` set otherwise.
std::optional<Condition> parseComparison(const QString &text, QString &error);

// An access request as conditions read it, with the subject's and the
// resource's directory records looked up on first use (once per request,
// not once per rule).
class RequestAttributes {
public:
    // directory may be null (no records). Subjects are looked up by type and
    // id; a type in userSubjectTypes (may be null) reads as "user", the type
    // of gateway.yaml users in the directory.
    RequestAttributes(const AccessRequest &request, const EntityDirectory *directory,
                      const QStringList *userSubjectTypes);

    // Kind Absent when absent. The reference stays valid for the life of
    // this object.
    const ConditionValue &value(const AttributePath &path);

private:
    ConditionValue resolve(const AttributePath &path);
    const DirectoryEntity *subjectRecord();
    const DirectoryEntity *resourceRecord();

    const AccessRequest &m_request;
    const EntityDirectory *m_directory;
    const QStringList *m_userSubjectTypes;
    const DirectoryEntity *m_subject = nullptr;
    const DirectoryEntity *m_resource = nullptr;
    bool m_subjectLooked = false;
    bool m_resourceLooked = false;
    // By AttributePath::slot; a deque so that growing it never moves a
    // value a caller still holds.
    std::deque<std::optional<ConditionValue>> m_values;
    std::list<ConditionValue> m_unnumbered; // (no allocation until used)
};

Truth evaluate(const Condition &condition, RequestAttributes &attributes);
// True only when every condition is True.
bool allHold(const std::vector<Condition> &conditions, RequestAttributes &attributes);

} // namespace countersign::gateway
