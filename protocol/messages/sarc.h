#pragma once

#include "protocol/result.h"

#include <QByteArrayView>
#include <QJsonObject>
#include <QString>

namespace countersign {

// Subject, Action, Resource, Context: what a person is asked to approve.
// The JSON shape follows the AuthZEN Access Evaluation request, with the
// context split into facts the gateway checked itself and text the agent
// supplied, which the companion must label as unverified.
//
// {
//   "subject":  {"type": "user", "id": "alice@example.com", "properties": {"agent":
//   "claude-code"}}, "action":   {"name": "disable_user", "properties": {...}}, "resource":
//   {"type": "tool", "id": "directory/disable_user", "properties": {...}}, "context":  {"verified":
//   {...}, "agent_supplied": {...}}
// }

struct Subject {
    QString type = QStringLiteral("user");
    QString id;    // the user the action is done for
    QString agent; // the acting agent's name, as authenticated by the gateway

    friend bool operator==(const Subject &, const Subject &) = default;
};

struct Action {
    QString name;
    QJsonObject properties;

    friend bool operator==(const Action &, const Action &) = default;
};

struct Resource {
    QString type;
    QString id;
    QJsonObject properties;

    friend bool operator==(const Resource &, const Resource &) = default;
};

struct Context {
    QJsonObject verified;      // set by the gateway from facts it checked
    QJsonObject agentSupplied; // reason, description: the agent's own words, unverified

    friend bool operator==(const Context &, const Context &) = default;
};

struct SarcLimits {
    static constexpr qsizetype maxIdentifierLength = 256;   // type, id, name, agent
    static constexpr qsizetype maxSectionBytes = 16 * 1024; // each properties/context object
    static constexpr qsizetype maxTotalBytes = 48 * 1024;   // the whole SARC as compact JSON
    static constexpr int maxDepth = 8;                      // nesting inside free JSON
};

struct Sarc {
    Subject subject;
    Action action;
    Resource resource;
    Context context;

    QJsonObject toJson() const;

    // Validates shape and limits: required members present and non-empty,
    // identifiers without control characters and within length, free JSON
    // within size and depth, no unknown members. Every failure names the
    // member at fault.
    static Result<Sarc> fromJson(const QJsonObject &json);
    static Result<Sarc> fromJsonBytes(QByteArrayView json);

    friend bool operator==(const Sarc &, const Sarc &) = default;
};

} // namespace countersign
