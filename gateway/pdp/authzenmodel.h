#pragma once

#include "protocol/result.h"

#include <vector>

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace countersign::gateway {

// The OpenID AuthZEN Authorization API 1.0 information model
// (docs: /work/shared/design/STANDARDS.md section 2). Parsing follows the
// spec's rules: required members are checked and named in errors, unknown
// members are ignored (receivers MUST ignore them), and the free-form
// `properties` and `context` objects are kept as they came.

// A subject or a resource: {type, id, properties?}.
struct AuthzenEntity {
    QString type;
    QString id;
    QJsonObject properties; // empty when absent

    QJsonObject toJson() const;
};

// {name, properties?}.
struct AuthzenAction {
    QString name;
    QJsonObject properties;

    QJsonObject toJson() const;
};

// The members as AccessRequest::fromJson reads them; errors name `path`
// ("subject.id is missing"). parseAuthzenEntityType reads an entity whose
// id is left out on purpose (the entity a Search API searches for): only
// its type and properties; an id, if sent, is ignored as AuthZEN says.
Result<AuthzenEntity> parseAuthzenEntity(const QJsonValue &value, const QString &path);
Result<AuthzenEntity> parseAuthzenEntityType(const QJsonValue &value, const QString &path);
Result<AuthzenAction> parseAuthzenAction(const QJsonValue &value, const QString &path);

// One Access Evaluation request: "may subject do action on resource?".
struct AccessRequest {
    static constexpr qsizetype maxStringLength = 1024;

    AuthzenEntity subject;
    AuthzenAction action;
    AuthzenEntity resource;
    QJsonObject context; // empty when absent

    // The body of POST /access/v1/evaluation. Errors are MissingField or
    // InvalidField and name the member ("subject.id is missing").
    static Result<AccessRequest> fromJson(const QJsonObject &body);
    QJsonObject toJson() const;
};

enum class EvaluationsSemantic {
    ExecuteAll,          // evaluate every item (the default)
    DenyOnFirstDeny,     // stop after the first decision false
    PermitOnFirstPermit, // stop after the first decision true
};

QString evaluationsSemanticName(EvaluationsSemantic semantic);

// The body of POST /access/v1/evaluations ("boxcarring"). Top-level subject,
// action, resource and context are defaults; an item's own member replaces
// the default as a whole (AuthZEN: it "overrides the corresponding top-level
// default"; nothing is merged inside a member, so a default's properties
// never leak into an item that names its own resource). A default may be
// partial or empty ("resource": {}): only an item that takes an incomplete
// default is an error, answered in its place.
struct AccessEvaluationsRequest {
    static constexpr qsizetype maxEvaluations = 100;

    // One entry per item, in request order: the resolved request, or why the
    // item is not one. Per AuthZEN an item's error does not fail the batch;
    // it is answered in place with decision false and context.error.
    std::vector<Result<AccessRequest>> evaluations;
    EvaluationsSemantic semantic = EvaluationsSemantic::ExecuteAll;
    // No `evaluations` array (or an empty one): AuthZEN says the request is
    // then a single evaluation of the top-level members, answered with the
    // single-evaluation response shape.
    bool single = false;

    // Errors (the whole batch is refused, HTTP 400) are limited to the batch
    // structure: wrong types at the top level (a default that is not an
    // object, or whose type, id or name is not a non-empty string), an
    // unknown semantic or too many items.
    static Result<AccessEvaluationsRequest> fromJson(const QJsonObject &body);
};

} // namespace countersign::gateway
