#include "authzenmodel.h"

#include <QJsonArray>

namespace countersign::gateway {

namespace {

QString join(const QString &path, const QString &name)
{
    return path.isEmpty() ? name : path + u'.' + name;
}

Error missing(const QString &path)
{
    return makeError(ErrorCode::MissingField, path + QStringLiteral(" is missing"));
}

Error invalid(const QString &path, const QString &what)
{
    return makeError(ErrorCode::InvalidField, path + u' ' + what);
}

Result<QString> requiredString(const QJsonObject &object, const QString &name, const QString &path)
{
    const QString memberPath = join(path, name);
    const QJsonValue value = object.value(name);
    if (value.isUndefined())
        return missing(memberPath);
    if (!value.isString())
        return invalid(memberPath, QStringLiteral("must be a string"));
    const QString text = value.toString();
    // The spec only says "string"; an empty type, id or name identifies
    // nothing and would make globs like "*" match what no one meant.
    if (text.isEmpty())
        return invalid(memberPath, QStringLiteral("is empty"));
    if (text.size() > AccessRequest::maxStringLength) {
        return invalid(
            memberPath,
            QStringLiteral("is longer than %1 characters").arg(AccessRequest::maxStringLength));
    }
    return text;
}

Result<QJsonObject> optionalObject(const QJsonObject &object, const QString &name,
                                   const QString &path)
{
    const QJsonValue value = object.value(name);
    if (value.isUndefined())
        return QJsonObject();
    if (!value.isObject())
        return invalid(join(path, name), QStringLiteral("must be an object"));
    return value.toObject();
}

Result<AuthzenEntity> parseEntity(const QJsonValue &value, const QString &path)
{
    // The type-only form (a search's entity) with the id it lacks.
    auto entity = parseAuthzenEntityType(value, path);
    if (!entity)
        return entity.error();
    auto id = requiredString(value.toObject(), QStringLiteral("id"), path);
    if (!id)
        return id.error();
    AuthzenEntity complete = std::move(entity).value();
    complete.id = id.value();
    return complete;
}

Result<AuthzenAction> parseAction(const QJsonValue &value, const QString &path)
{
    if (!value.isObject())
        return invalid(path, QStringLiteral("must be an object"));
    const QJsonObject object = value.toObject();
    auto name = requiredString(object, QStringLiteral("name"), path);
    if (!name)
        return name.error();
    auto properties = optionalObject(object, QStringLiteral("properties"), path);
    if (!properties)
        return properties.error();
    return AuthzenAction{name.value(), properties.value()};
}

// The four members of an evaluation, each either given or left to a default.
struct Members {
    QJsonValue subject;
    QJsonValue action;
    QJsonValue resource;
    QJsonValue context;
};

Members membersOf(const QJsonObject &object)
{
    return {object.value(QStringLiteral("subject")), object.value(QStringLiteral("action")),
            object.value(QStringLiteral("resource")), object.value(QStringLiteral("context"))};
}

QJsonValue orDefault(const QJsonValue &own, const QJsonValue &fallback)
{
    return own.isUndefined() ? fallback : own;
}

// prefix is "" for a single request, "evaluations[3]" for a batch item;
// members named in errors are prefixed with it.
Result<AccessRequest> resolve(const Members &members, const QString &prefix)
{
    AccessRequest request;
    if (members.subject.isUndefined())
        return missing(join(prefix, QStringLiteral("subject")));
    auto subject = parseEntity(members.subject, join(prefix, QStringLiteral("subject")));
    if (!subject)
        return subject.error();
    request.subject = subject.value();
    if (members.action.isUndefined())
        return missing(join(prefix, QStringLiteral("action")));
    auto action = parseAction(members.action, join(prefix, QStringLiteral("action")));
    if (!action)
        return action.error();
    request.action = action.value();
    if (members.resource.isUndefined())
        return missing(join(prefix, QStringLiteral("resource")));
    auto resource = parseEntity(members.resource, join(prefix, QStringLiteral("resource")));
    if (!resource)
        return resource.error();
    request.resource = resource.value();
    if (!members.context.isUndefined()) {
        if (!members.context.isObject())
            return invalid(join(prefix, QStringLiteral("context")),
                           QStringLiteral("must be an object"));
        request.context = members.context.toObject();
    }
    return request;
}

// A default may be partial ("resource": {} or {"type": "todo"}): AuthZEN
// only requires each item, once its defaults are filled in, to be complete,
// so an incomplete default is an error only of the items that use it (they
// are answered in place). What a default does carry must still have the
// right types: a member that is not an object, or a type, id or name that
// is not a usable string, is a broken request, not something to skip.
Status checkPartialEntity(const QJsonValue &value, const QString &path,
                          std::initializer_list<QLatin1StringView> strings)
{
    if (!value.isObject())
        return invalid(path, QStringLiteral("must be an object"));
    const QJsonObject object = value.toObject();
    for (const QLatin1StringView name : strings) {
        if (!object.contains(name))
            continue;
        if (auto text = requiredString(object, name, path); !text)
            return text.error();
    }
    if (auto properties = optionalObject(object, QStringLiteral("properties"), path); !properties)
        return properties.error();
    return Ok{};
}

Status checkDefaults(const Members &defaults)
{
    const auto type = QLatin1StringView("type");
    const auto id = QLatin1StringView("id");
    if (!defaults.subject.isUndefined()) {
        if (auto checked =
                checkPartialEntity(defaults.subject, QStringLiteral("subject"), {type, id});
            !checked)
            return checked;
    }
    if (!defaults.action.isUndefined()) {
        if (auto checked = checkPartialEntity(defaults.action, QStringLiteral("action"),
                                              {QLatin1StringView("name")});
            !checked)
            return checked;
    }
    if (!defaults.resource.isUndefined()) {
        if (auto checked =
                checkPartialEntity(defaults.resource, QStringLiteral("resource"), {type, id});
            !checked)
            return checked;
    }
    if (!defaults.context.isUndefined() && !defaults.context.isObject())
        return invalid(QStringLiteral("context"), QStringLiteral("must be an object"));
    return Ok{};
}

Result<EvaluationsSemantic> parseOptions(const QJsonObject &body)
{
    const QJsonValue options = body.value(QStringLiteral("options"));
    if (options.isUndefined())
        return EvaluationsSemantic::ExecuteAll;
    if (!options.isObject())
        return invalid(QStringLiteral("options"), QStringLiteral("must be an object"));
    const QJsonValue semantic = options.toObject().value(QStringLiteral("evaluations_semantic"));
    if (semantic.isUndefined())
        return EvaluationsSemantic::ExecuteAll;
    for (const auto candidate :
         {EvaluationsSemantic::ExecuteAll, EvaluationsSemantic::DenyOnFirstDeny,
          EvaluationsSemantic::PermitOnFirstPermit}) {
        if (semantic.isString() && semantic.toString() == evaluationsSemanticName(candidate))
            return candidate;
    }
    // Guessing would change which items run; refuse instead.
    return invalid(QStringLiteral("options.evaluations_semantic"),
                   QStringLiteral("must be one of execute_all, deny_on_first_deny, "
                                  "permit_on_first_permit"));
}

} // namespace

Result<AuthzenEntity> parseAuthzenEntity(const QJsonValue &value, const QString &path)
{
    return parseEntity(value, path);
}

Result<AuthzenAction> parseAuthzenAction(const QJsonValue &value, const QString &path)
{
    return parseAction(value, path);
}

Result<AuthzenEntity> parseAuthzenEntityType(const QJsonValue &value, const QString &path)
{
    if (!value.isObject())
        return invalid(path, QStringLiteral("must be an object"));
    const QJsonObject object = value.toObject();
    auto type = requiredString(object, QStringLiteral("type"), path);
    if (!type)
        return type.error();
    auto properties = optionalObject(object, QStringLiteral("properties"), path);
    if (!properties)
        return properties.error();
    return AuthzenEntity{type.value(), QString(), properties.value()};
}

QJsonObject AuthzenEntity::toJson() const
{
    QJsonObject object{{QStringLiteral("type"), type}, {QStringLiteral("id"), id}};
    if (!properties.isEmpty())
        object.insert(QStringLiteral("properties"), properties);
    return object;
}

QJsonObject AuthzenAction::toJson() const
{
    QJsonObject object{{QStringLiteral("name"), name}};
    if (!properties.isEmpty())
        object.insert(QStringLiteral("properties"), properties);
    return object;
}

Result<AccessRequest> AccessRequest::fromJson(const QJsonObject &body)
{
    return resolve(membersOf(body), QString());
}

QJsonObject AccessRequest::toJson() const
{
    QJsonObject object{{QStringLiteral("subject"), subject.toJson()},
                       {QStringLiteral("action"), action.toJson()},
                       {QStringLiteral("resource"), resource.toJson()}};
    if (!context.isEmpty())
        object.insert(QStringLiteral("context"), context);
    return object;
}

QString evaluationsSemanticName(EvaluationsSemantic semantic)
{
    switch (semantic) {
    case EvaluationsSemantic::ExecuteAll:
        return QStringLiteral("execute_all");
    case EvaluationsSemantic::DenyOnFirstDeny:
        return QStringLiteral("deny_on_first_deny");
    case EvaluationsSemantic::PermitOnFirstPermit:
        return QStringLiteral("permit_on_first_permit");
    }
    return {};
}

Result<AccessEvaluationsRequest> AccessEvaluationsRequest::fromJson(const QJsonObject &body)
{
    AccessEvaluationsRequest batch;
    const Members defaults = membersOf(body);
    auto semantic = parseOptions(body);
    if (!semantic)
        return semantic.error();
    batch.semantic = semantic.value();

    const QJsonValue items = body.value(QStringLiteral("evaluations"));
    if (!items.isUndefined() && !items.isArray())
        return invalid(QStringLiteral("evaluations"), QStringLiteral("must be an array"));
    const QJsonArray array = items.toArray();
    if (array.isEmpty()) {
        auto request = resolve(defaults, QString());
        if (!request)
            return request.error();
        batch.single = true;
        batch.evaluations.push_back(request.value());
        return batch;
    }
    if (array.size() > maxEvaluations) {
        return invalid(QStringLiteral("evaluations"),
                       QStringLiteral("has more than %1 items").arg(maxEvaluations));
    }
    if (auto checked = checkDefaults(defaults); !checked)
        return checked.error();

    batch.evaluations.reserve(static_cast<size_t>(array.size()));
    for (qsizetype index = 0; index < array.size(); ++index) {
        const QString prefix = QStringLiteral("evaluations[%1]").arg(index);
        const QJsonValue item = array.at(index);
        if (!item.isObject()) {
            batch.evaluations.push_back(invalid(prefix, QStringLiteral("must be an object")));
            continue;
        }
        const Members own = membersOf(item.toObject());
        const Members merged{
            orDefault(own.subject, defaults.subject), orDefault(own.action, defaults.action),
            orDefault(own.resource, defaults.resource), orDefault(own.context, defaults.context)};
        batch.evaluations.push_back(resolve(merged, prefix));
    }
    return batch;
}

} // namespace countersign::gateway
