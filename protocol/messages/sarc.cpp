#include "sarc.h"

#include "protocol/displaytext.h"
#include "protocol/strictjson.h"

#include <algorithm>
#include <initializer_list>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

namespace countersign {

namespace {

QString hexCodePoint(char32_t codePoint)
{
    return QStringLiteral("U+")
        % QString::number(static_cast<uint>(codePoint), 16).toUpper().rightJustified(4, u'0');
}

// Member names come from the sender and end up in dialogs and logs: show
// at most a few dozen characters, with anything unprintable as U+XXXX.
QString forMessage(QStringView text)
{
    constexpr qsizetype maxShown = 40;
    QString shown;
    const QList<uint> codePoints = text.left(maxShown).toUcs4();
    for (const uint codePoint : codePoints) {
        const auto c = static_cast<char32_t>(codePoint);
        if (QChar::isPrint(c) && c != U'\\' && c != U'\'') {
            shown += QString::fromUcs4(&c, 1);
        } else {
            shown += hexCodePoint(c);
        }
    }
    if (text.size() > maxShown) {
        shown += QStringLiteral("...");
    }
    return shown;
}

Error missing(const QString &path)
{
    return makeError(ErrorCode::MissingField, path % QStringLiteral(" is missing"));
}

Error invalid(const QString &path, const QString &problem)
{
    return makeError(ErrorCode::InvalidField, path % u' ' % problem);
}

Error tooLarge(const QString &path, const QString &problem)
{
    return makeError(ErrorCode::InputTooLarge, path % u' ' % problem);
}

QString member(const QString &path, QStringView key)
{
    return path % u'.' % key;
}

qsizetype compactSize(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact).size();
}

// The sender decides nothing about the shape: a member this version does
// not know may be something the person should have been shown.
Status checkKnownMembers(const QJsonObject &object, const QString &path,
                         std::initializer_list<QStringView> known)
{
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString key = it.key();
        if (std::find(known.begin(), known.end(), QStringView(key)) == known.end()) {
            return invalid(path, QStringLiteral("has unknown member '%1'").arg(forMessage(key)));
        }
    }
    return Ok{};
}

enum class Presence { Required, Optional };

// An absent optional object reads as empty, the same as {}.
Result<QJsonObject> objectMember(const QJsonObject &parent, const QString &parentPath,
                                 QStringView key, Presence presence)
{
    const QString path = member(parentPath, key);
    const auto it = parent.constFind(key);
    if (it == parent.constEnd()) {
        if (presence == Presence::Required) {
            return missing(path);
        }
        return QJsonObject();
    }
    if (!it->isObject()) {
        return invalid(path, QStringLiteral("must be an object"));
    }
    return it->toObject();
}

Status checkIdentifier(const QString &text, const QString &path)
{
    if (text.isEmpty()) {
        return invalid(path, QStringLiteral("is empty"));
    }
    qsizetype length = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        char32_t codePoint = c.unicode();
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            codePoint = QChar::surrogateToUcs4(c, text[i + 1]);
            ++i;
        } else if (c.isSurrogate()) {
            return invalid(path, QStringLiteral("contains an unpaired surrogate"));
        }
        if (isDisplayUnsafe(codePoint)) {
            return invalid(path,
                           QStringLiteral("contains the control or bidirectional formatting "
                                          "character %1")
                               .arg(hexCodePoint(codePoint)));
        }
        ++length;
    }
    if (length > SarcLimits::maxIdentifierLength) {
        return tooLarge(
            path,
            QStringLiteral("is %1 characters; the limit is %2")
                .arg(QString::number(length), QString::number(SarcLimits::maxIdentifierLength)));
    }
    return Ok{};
}

Result<QString> identifierMember(const QJsonObject &parent, const QString &parentPath,
                                 QStringView key)
{
    const QString path = member(parentPath, key);
    const auto it = parent.constFind(key);
    if (it == parent.constEnd()) {
        return missing(path);
    }
    if (!it->isString()) {
        return invalid(path, QStringLiteral("must be a string"));
    }
    QString text = it->toString();
    if (const auto status = checkIdentifier(text, path); !status) {
        return status.error();
    }
    return text;
}

// True when containers nest more than `remaining` levels deep, counting the
// value itself: {} is one level, {"a": []} two. Stops descending at the
// limit, so the recursion is bounded whatever the input.
bool nestsDeeperThan(const QJsonValue &value, int remaining)
{
    if (!value.isObject() && !value.isArray()) {
        return false;
    }
    if (remaining == 0) {
        return true;
    }
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (nestsDeeperThan(it.value(), remaining - 1)) {
                return true;
            }
        }
        return false;
    }
    const QJsonArray array = value.toArray();
    for (const QJsonValue &element : array) {
        if (nestsDeeperThan(element, remaining - 1)) {
            return true;
        }
    }
    return false;
}

// Properties and context are free JSON the dialog renders; the limits keep a
// request something a person can read and a parser can handle cheaply.
Result<QJsonObject> freeJsonMember(const QJsonObject &parent, const QString &parentPath,
                                   QStringView key)
{
    auto object = objectMember(parent, parentPath, key, Presence::Optional);
    if (!object) {
        return object;
    }
    const QString path = member(parentPath, key);
    if (nestsDeeperThan(object.value(), SarcLimits::maxDepth)) {
        return invalid(path,
                       QStringLiteral("nests deeper than %1 levels")
                           .arg(QString::number(SarcLimits::maxDepth)));
    }
    const qsizetype size = compactSize(object.value());
    if (size > SarcLimits::maxSectionBytes) {
        return tooLarge(
            path,
            QStringLiteral("is %1 bytes as compact JSON; the limit is %2")
                .arg(QString::number(size), QString::number(SarcLimits::maxSectionBytes)));
    }
    return object;
}

Result<Subject> parseSubject(const QJsonObject &sarc, const QString &sarcPath)
{
    const QString path = member(sarcPath, u"subject");
    const auto json = objectMember(sarc, sarcPath, u"subject", Presence::Required);
    if (!json) {
        return json.error();
    }
    if (const auto status = checkKnownMembers(json.value(), path, {u"type", u"id", u"properties"});
        !status) {
        return status.error();
    }
    Subject subject;
    auto type = identifierMember(json.value(), path, u"type");
    if (!type) {
        return type.error();
    }
    subject.type = std::move(type).value();
    auto id = identifierMember(json.value(), path, u"id");
    if (!id) {
        return id.error();
    }
    subject.id = std::move(id).value();
    const QString propertiesPath = member(path, u"properties");
    const auto properties = objectMember(json.value(), path, u"properties", Presence::Required);
    if (!properties) {
        return properties.error();
    }
    // Only the agent's name: anything else about the subject would be shown
    // as if the gateway had checked it.
    if (const auto status = checkKnownMembers(properties.value(), propertiesPath, {u"agent"});
        !status) {
        return status.error();
    }
    auto agent = identifierMember(properties.value(), propertiesPath, u"agent");
    if (!agent) {
        return agent.error();
    }
    subject.agent = std::move(agent).value();
    return subject;
}

Result<Action> parseAction(const QJsonObject &sarc, const QString &sarcPath)
{
    const QString path = member(sarcPath, u"action");
    const auto json = objectMember(sarc, sarcPath, u"action", Presence::Required);
    if (!json) {
        return json.error();
    }
    if (const auto status = checkKnownMembers(json.value(), path, {u"name", u"properties"});
        !status) {
        return status.error();
    }
    Action action;
    auto name = identifierMember(json.value(), path, u"name");
    if (!name) {
        return name.error();
    }
    action.name = std::move(name).value();
    auto properties = freeJsonMember(json.value(), path, u"properties");
    if (!properties) {
        return properties.error();
    }
    action.properties = std::move(properties).value();
    return action;
}

Result<Resource> parseResource(const QJsonObject &sarc, const QString &sarcPath)
{
    const QString path = member(sarcPath, u"resource");
    const auto json = objectMember(sarc, sarcPath, u"resource", Presence::Required);
    if (!json) {
        return json.error();
    }
    if (const auto status = checkKnownMembers(json.value(), path, {u"type", u"id", u"properties"});
        !status) {
        return status.error();
    }
    Resource resource;
    auto type = identifierMember(json.value(), path, u"type");
    if (!type) {
        return type.error();
    }
    resource.type = std::move(type).value();
    auto id = identifierMember(json.value(), path, u"id");
    if (!id) {
        return id.error();
    }
    resource.id = std::move(id).value();
    auto properties = freeJsonMember(json.value(), path, u"properties");
    if (!properties) {
        return properties.error();
    }
    resource.properties = std::move(properties).value();
    return resource;
}

Result<Context> parseContext(const QJsonObject &sarc, const QString &sarcPath)
{
    const QString path = member(sarcPath, u"context");
    const auto json = objectMember(sarc, sarcPath, u"context", Presence::Required);
    if (!json) {
        return json.error();
    }
    // Two members only, so that nothing the agent wrote can pass for
    // something the gateway verified.
    if (const auto status = checkKnownMembers(json.value(), path, {u"verified", u"agent_supplied"});
        !status) {
        return status.error();
    }
    Context context;
    auto verified = freeJsonMember(json.value(), path, u"verified");
    if (!verified) {
        return verified.error();
    }
    context.verified = std::move(verified).value();
    auto agentSupplied = freeJsonMember(json.value(), path, u"agent_supplied");
    if (!agentSupplied) {
        return agentSupplied.error();
    }
    context.agentSupplied = std::move(agentSupplied).value();
    return context;
}

} // namespace

QJsonObject Sarc::toJson() const
{
    // Empty optional objects are left out; fromJson reads absent and {} alike.
    QJsonObject actionJson{{QStringLiteral("name"), action.name}};
    if (!action.properties.isEmpty()) {
        actionJson.insert(QStringLiteral("properties"), action.properties);
    }
    QJsonObject resourceJson{{QStringLiteral("type"), resource.type},
                             {QStringLiteral("id"), resource.id}};
    if (!resource.properties.isEmpty()) {
        resourceJson.insert(QStringLiteral("properties"), resource.properties);
    }
    QJsonObject contextJson;
    if (!context.verified.isEmpty()) {
        contextJson.insert(QStringLiteral("verified"), context.verified);
    }
    if (!context.agentSupplied.isEmpty()) {
        contextJson.insert(QStringLiteral("agent_supplied"), context.agentSupplied);
    }
    return QJsonObject{
        {QStringLiteral("subject"),
         QJsonObject{{QStringLiteral("type"), subject.type},
                     {QStringLiteral("id"), subject.id},
                     {QStringLiteral("properties"),
                      QJsonObject{{QStringLiteral("agent"), subject.agent}}}}},
        {QStringLiteral("action"), actionJson},
        {QStringLiteral("resource"), resourceJson},
        {QStringLiteral("context"), contextJson},
    };
}

Result<Sarc> Sarc::fromJson(const QJsonObject &json)
{
    const QString path = QStringLiteral("sarc");
    const qsizetype size = compactSize(json);
    if (size > SarcLimits::maxTotalBytes) {
        return tooLarge(
            path,
            QStringLiteral("is %1 bytes as compact JSON; the limit is %2")
                .arg(QString::number(size), QString::number(SarcLimits::maxTotalBytes)));
    }
    if (const auto status =
            checkKnownMembers(json, path, {u"subject", u"action", u"resource", u"context"});
        !status) {
        return status.error();
    }
    Sarc sarc;
    auto subject = parseSubject(json, path);
    if (!subject) {
        return subject.error();
    }
    sarc.subject = std::move(subject).value();
    auto action = parseAction(json, path);
    if (!action) {
        return action.error();
    }
    sarc.action = std::move(action).value();
    auto resource = parseResource(json, path);
    if (!resource) {
        return resource.error();
    }
    sarc.resource = std::move(resource).value();
    auto context = parseContext(json, path);
    if (!context) {
        return context.error();
    }
    sarc.context = std::move(context).value();
    return sarc;
}

Result<Sarc> Sarc::fromJsonBytes(QByteArrayView json)
{
    // Checked before parsing so that an oversized message costs nothing.
    if (json.size() > SarcLimits::maxTotalBytes) {
        return makeError(
            ErrorCode::InputTooLarge,
            QStringLiteral("sarc is %1 bytes; the limit is %2")
                .arg(QString::number(json.size()), QString::number(SarcLimits::maxTotalBytes)));
    }
    const auto object = parseStrictJsonObject(json, QStringLiteral("sarc"));
    if (!object)
        return object.error();
    return fromJson(object.value());
}

} // namespace countersign
