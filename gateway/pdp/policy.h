#pragma once

#include "gateway/pdp/condition.h"
#include "gateway/pdp/globpattern.h"
#include "protocol/messages/approvalmethod.h"
#include "protocol/result.h"

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUtf8StringView>

namespace countersign::gateway {

struct AccessRequest;
class EntityDirectory;

// One rule of a policy. A rule matches when every condition it gives holds;
// a rule without conditions matches everything.
struct PolicyRule {
    enum class Effect {
        Allow,
        Deny,
        StepUp,
    };

    QString name;
    int line = 0;                          // where the rule starts in its source, 1-based
    std::optional<GlobPattern> action;     // action.name
    std::optional<QString> resourceType;   // resource.type, exact
    std::optional<GlobPattern> resourceId; // resource.id
    std::optional<GlobPattern> subjectId;  // subject.id
    QList<QPair<QString, GlobPattern>> subjectProperties; // subject.properties.<key>
    QList<QPair<QString, GlobPattern>> arguments;         // resource.properties.arguments.<key>
    std::vector<Condition> when;                          // every one must be True (condition.h)
    Effect effect = Effect::Deny;
    QList<ApprovalMethod> methods;               // StepUp only, never empty there
    std::optional<std::chrono::seconds> timeout; // StepUp only; nullopt: gateway default
    bool userVerificationRequired = false;       // StepUp only: passkey with UV
    QString reason;                              // optional text for people

    bool matches(const AccessRequest &request) const;

    // The same on any view of a request ("facts"): a class with
    //   actionName(), resourceType(), resourceId(), subjectId()  -> Text
    //   subjectProperty(const QString &key), argument(key)       -> const Text *
    //                                        (nullptr: absent, never matches)
    //   hasArguments()   resource.properties.arguments is an object
    //   conditionsHold(const std::vector<Condition> &)   the `when:` list
    //   unsure()         true: stop, the view cannot decide (the caller
    //                    then asks the reference path)
    // where Text is QStringView (UTF-16) or std::string_view (UTF-8). The
    // AuthZEN endpoints match straight on the parsed JSON this way, without
    // building an AccessRequest; the result is the same by construction.
    template <typename Facts>
    bool matchesFacts(Facts &facts) const;
};

namespace policytext {
inline bool globMatches(const GlobPattern &glob, QStringView text)
{
    return glob.matches(text);
}
inline bool globMatches(const GlobPattern &glob, std::string_view utf8)
{
    return glob.matchesUtf8(utf8);
}
inline bool equals(const QString &expected, QStringView text)
{
    return expected == text;
}
inline bool equals(const QString &expected, std::string_view utf8)
{
    return QtPrivate::equalStrings(QStringView(expected),
                                   QUtf8StringView(utf8.data(), qsizetype(utf8.size())));
}
} // namespace policytext

template <typename Facts>
bool PolicyRule::matchesFacts(Facts &facts) const
{
    using policytext::equals;
    using policytext::globMatches;
    if (action && !globMatches(*action, facts.actionName()))
        return false;
    if (resourceType && !equals(*resourceType, facts.resourceType()))
        return false;
    if (resourceId && !globMatches(*resourceId, facts.resourceId()))
        return false;
    if (subjectId && !globMatches(*subjectId, facts.subjectId()))
        return false;
    for (const auto &[key, glob] : subjectProperties) {
        const auto *text = facts.subjectProperty(key);
        if (!text || !globMatches(glob, *text))
            return false;
    }
    if (!arguments.isEmpty()) {
        if (!facts.hasArguments())
            return false;
        for (const auto &[key, glob] : arguments) {
            const auto *text = facts.argument(key);
            if (!text || !globMatches(glob, *text))
                return false;
        }
    }
    // Conditions last: the cheap keys above reject most rules first.
    return when.empty() || facts.conditionsHold(when);
}

// The embedded PDP's policy: an ordered list of rules, the first rule that
// matches decides, and a request no rule matches is denied.
//
// The language (YAML; strict: unknown keys, repeated keys and values of the
// wrong kind are errors that name the file and line):
//
//   user_subject_types: [identity]
//                                optional; subject types besides "user"
//                                whose ids are gateway.yaml users (their
//                                attributes are subject.attributes.*)
//   rules:                       required, at least one rule, in order
//     - name: read-only-tools    required; 1..64 of A-Z a-z 0-9 _ . -;
//                                unique. Shown in logs and obligation ids.
//       match:                   optional; every key given must hold
//         action: "get_*"        glob on action.name (the tool)
//         resource_type: tool    exact resource.type
//         resource_id: "directory/*"   glob on resource.id
//         subject_id: "*@example.com"  glob on subject.id
//         subject:               globs on subject.properties.<key>
//           agent: "claude-*"
//         arguments:             globs on resource.properties.arguments.<key>
//           user_id: "u-*"
//       when:                    optional; 1..32 conditions, all must hold
//         - resource.properties.ownerID == subject.attributes.email
//         - subject.attributes.roles contains "admin"
//         - any_of: [CONDITION, ...]   also all_of: [...], not: CONDITION
//                                      (groups nest 3 deep)
//       effect: allow            allow | deny | step_up
//       methods: [passkey, totp] step_up only; default [passkey, totp]
//       timeout: 120s            step_up only; 10s..1h; default: the
//                                gateway's approvals.timeout
//       user_verification: required
//                                step_up only; required | preferred
//                                (default). required: a passkey approval
//                                must carry the UV flag (the key's PIN or
//                                biometrics); needs passkey in methods.
//                                TOTP, when also listed, is unaffected.
//       reason: "text"           optional, up to 200 characters; shown to
//                                the person (deny and step_up)
//
// Globs: `*` is any run of characters (including "/" and none), `?` one
// character; case-sensitive; the whole value must match. Property and
// argument values that are not strings are compared in their JSON spelling
// (5, true, null, {"a":1}); a property or argument that is absent never
// matches, not even "*".
//
// A condition is one line, "PATH OPERATOR OPERAND" (after Cedar's `when`
// clauses and Cerbos' conditions, without their expression languages):
//   PATH      subject.type, subject.id, subject.properties.K,
//             subject.attributes.K (the gateway's record of the subject,
//             looked up by type and id), action.name, action.properties.K,
//             resource.type, resource.id, resource.properties.K,
//             resource.attributes.K (gateway.yaml resources:), context.K;
//             K is one or more names joined by "." (nested objects), each
//             1..64 of A-Z a-z 0-9 _ -; at most 8.
//   OPERATOR  == != (JSON equality; 5 == 5.0; no conversion between kinds)
//             < <= > >= (numbers)
//             in (the value is one of a list: in ["a", "b"] or in PATH)
//             contains (a list holds the operand)
//             contains_any (a list holds one of ["a", "b"])
//             matches (glob on a string: matches "*@example.com")
//             exists, absent (no operand)
//   OPERAND   a JSON value ("text" in double quotes, 1000, true, null,
//             ["a", "b"]) or another PATH (compares two attributes).
// An attribute that is absent, or of a kind the operator cannot compare,
// makes the condition unknown, which is never true: `not` of unknown stays
// unknown, so a rule never applies because something was missing (use
// exists/absent to ask about presence). Mistakes the rule could never mean
// are load errors: an unknown root or field, an unknown operator, comparing
// subject.id (a string) with a number or with <, contains on a string,
// matches without a glob.
class Policy {
public:
    static constexpr qint64 maxFileBytes = 1024 * 1024;
    static constexpr qsizetype maxRuleNameLength = 64;
    static constexpr qsizetype maxReasonLength = 200;
    static constexpr qsizetype maxConditions = 32; // per list (when:, all_of, any_of)

    Policy() = default; // no rules: denies everything

    // Reads and validates the policy file at path (errors name it as given).
    static Result<Policy> load(const QString &path);
    // Parses and validates YAML text; sourceName labels errors.
    static Result<Policy> parse(const QByteArray &yaml, const QString &sourceName);
    // The gateway configuration's `policy:` section (GatewayConfig::
    // reserved["policy"]: its YAML text and the line it starts on), either
    //   policy:
    //     file: policy.yaml     relative to the configuration file's folder
    // or the rules inline:
    //   policy:
    //     rules: [...]
    // Errors in inline rules read "gateway.yaml:41: policy.rules[0].effect:
    // ...". The reserved text is re-emitted YAML without comments, so a
    // comment or blank line inside the section shifts later line numbers;
    // the key path stays exact.
    static Result<Policy> fromConfigSection(const QByteArray &yaml, int line,
                                            const QString &configPath);

    const QList<PolicyRule> &rules() const;
    // The first rule that matches, or nullptr (default deny).
    // directory: the records subject.attributes.* and resource.attributes.*
    // read (none when null).
    const PolicyRule *firstMatch(const AccessRequest &request,
                                 const EntityDirectory *directory = nullptr) const;
    // The same on a view of a request (PolicyRule::matchesFacts).
    template <typename Facts>
    const PolicyRule *firstMatchOf(Facts &facts) const
    {
        for (const PolicyRule &rule : m_rules) {
            if (rule.matchesFacts(facts))
                return &rule;
            if (facts.unsure())
                return nullptr; // the caller asks the reference path
        }
        return nullptr;
    }
    // Where the rules came from ("policy.yaml", "gateway.yaml").
    const QString &sourceName() const;
    // Subject types besides "user" whose ids are gateway.yaml users
    // (user_subject_types; empty by default).
    const QStringList &userSubjectTypes() const { return m_userSubjectTypes; }

private:
    QList<PolicyRule> m_rules;
    QString m_sourceName;
    QStringList m_userSubjectTypes;

    friend class PolicyParser;
};

} // namespace countersign::gateway
