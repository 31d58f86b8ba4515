#include "channelmessage.h"

#include "protocol/base64url.h"
#include "protocol/displaytext.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/jsonfields.h"

#include <algorithm>
#include <limits>

#include <QJsonArray>
#include <QJsonDocument>

namespace countersign::channel {

namespace {

const QString typeKey = QStringLiteral("type");

// A string member by type and length only. Ids, JWSs and texts for people
// are judged by whoever uses them (the verifier, the dialog), so this does
// not refuse characters; JsonFields::requiredString would refuse control
// characters in an error message the companion only has to display safely.
Result<QString> stringMember(const QJsonObject &json, const QString &path, const QString &name,
                             qsizetype maxLength, bool required)
{
    const QJsonValue value = json.value(name);
    const QString where = path + u'.' + name;
    if (value.isUndefined()) {
        if (required)
            return makeError(ErrorCode::MissingField, where + QStringLiteral(" is missing"));
        return QString();
    }
    if (!value.isString())
        return makeError(ErrorCode::InvalidField, where + QStringLiteral(" must be a string"));
    QString text = value.toString();
    if (required && text.isEmpty())
        return makeError(ErrorCode::InvalidField, where + QStringLiteral(" is empty"));
    if (text.size() > maxLength) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("%1 is longer than %2 characters").arg(where).arg(maxLength));
    }
    return text;
}

Result<QString> requiredText(const QJsonObject &json, const QString &path, const QString &name,
                             qsizetype maxLength)
{
    return stringMember(json, path, name, maxLength, true);
}

Result<QString> readOutcome(const QJsonObject &json, const QString &path,
                            const QStringList &allowed)
{
    auto value = requiredText(json, path, QStringLiteral("outcome"), 16);
    if (value && !allowed.contains(value.value())) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1.outcome must be one of %2")
                             .arg(path, allowed.join(QStringLiteral(", "))));
    }
    return value;
}

QJsonObject envelope(const QString &type)
{
    return QJsonObject{{typeKey, type}};
}

template <typename Message>
Result<ChannelMessage> parseAs(const QJsonObject &json)
{
    auto message = Message::fromJson(json);
    if (!message)
        return message.error();
    return ChannelMessage(std::move(message).value());
}

} // namespace

QJsonObject Hello::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("v"), protocolVersion);
    json.insert(QStringLiteral("gateway_id"), gatewayId);
    json.insert(QStringLiteral("nonce"), nonce);
    return json;
}

Result<Hello> Hello::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, typeName);
    if (auto version = fields.checkVersion(protocolVersion); !version)
        return version.error();
    auto gatewayId = requiredText(json, typeName, QStringLiteral("gateway_id"), maxIdLength);
    if (!gatewayId)
        return gatewayId.error();
    // Canonical base64url of exactly 32 bytes, so the text is the nonce.
    if (auto nonce = fields.requiredBase64Url(QStringLiteral("nonce"), nonceBytes, nonceBytes);
        !nonce) {
        return nonce.error();
    }
    return Hello{gatewayId.value(), json.value(QStringLiteral("nonce")).toString()};
}

QJsonObject AuthClaims::toJson() const
{
    return QJsonObject{{QStringLiteral("v"), protocolVersion},
                       {QStringLiteral("nonce"), nonce},
                       {QStringLiteral("gateway_id"), gatewayId},
                       {QStringLiteral("iat"), issuedAt}};
}

Result<QByteArray> AuthClaims::sign(const EcPrivateKey &deviceKey) const
{
    return Jws::sign(QJsonDocument(toJson()).toJson(QJsonDocument::Compact), deviceKey, jwsType,
                     deviceKey.publicKey().thumbprint());
}

QJsonObject Auth::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("device_id"), deviceId);
    json.insert(QStringLiteral("proof"), proof);
    return json;
}

Result<Auth> Auth::fromJson(const QJsonObject &json)
{
    auto deviceId = requiredText(json, typeName, QStringLiteral("device_id"), maxIdLength);
    if (!deviceId)
        return deviceId.error();
    auto proof = requiredText(json, typeName, QStringLiteral("proof"), maxJwsLength);
    if (!proof)
        return proof.error();
    return Auth{deviceId.value(), proof.value()};
}

QJsonObject Welcome::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("device_id"), deviceId);
    json.insert(QStringLiteral("user"), user);
    json.insert(QStringLiteral("pending"), QJsonArray::fromStringList(pending));
    if (pendingTotal)
        json.insert(QStringLiteral("pending_total"), *pendingTotal);
    if (!passkey.isUndefined())
        json.insert(QStringLiteral("passkey"), passkey);
    return json;
}

Result<Welcome> Welcome::fromJson(const QJsonObject &json)
{
    Welcome welcome;
    auto deviceId = requiredText(json, typeName, QStringLiteral("device_id"), maxIdLength);
    if (!deviceId)
        return deviceId.error();
    auto user = requiredText(json, typeName, QStringLiteral("user"), maxIdLength);
    if (!user)
        return user.error();
    const QJsonValue pending = json.value(QStringLiteral("pending"));
    if (pending.isUndefined()) {
        return makeError(ErrorCode::MissingField,
                         QStringLiteral("welcome.pending is missing: the welcome has no pending "
                                        "list"));
    }
    if (!pending.isArray()) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("welcome.pending must be a list of request JWSs"));
    }
    for (const QJsonValue &request : pending.toArray()) {
        if (!request.isString() || request.toString().size() > maxJwsLength) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("welcome.pending must be a list of request JWSs"));
        }
        welcome.pending.append(request.toString());
    }
    if (const QJsonValue total = json.value(QStringLiteral("pending_total"));
        !total.isUndefined()) {
        const qint64 count = total.toInteger(-1);
        if (!total.isDouble() || count < welcome.pending.size()
            || double(count) != total.toDouble()) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("welcome.pending_total must be an integer no smaller "
                                            "than the pending list"));
        }
        welcome.pendingTotal = count;
    }
    welcome.deviceId = deviceId.value();
    welcome.user = user.value();
    welcome.passkey = json.value(QStringLiteral("passkey"));
    return welcome;
}

QJsonObject ApprovalRequested::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("request"), request);
    return json;
}

Result<ApprovalRequested> ApprovalRequested::fromJson(const QJsonObject &json)
{
    auto request = requiredText(json, typeName, QStringLiteral("request"), maxJwsLength);
    if (!request)
        return request.error();
    return ApprovalRequested{request.value()};
}

QJsonObject ApprovalRespond::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("proof"), proof);
    return json;
}

Result<ApprovalRespond> ApprovalRespond::fromJson(const QJsonObject &json)
{
    auto proof = requiredText(json, typeName, QStringLiteral("proof"), maxJwsLength);
    if (!proof)
        return proof.error();
    return ApprovalRespond{proof.value()};
}

QJsonObject ApprovalAccepted::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("request_id"), requestId);
    json.insert(QStringLiteral("outcome"), outcome);
    return json;
}

Result<ApprovalAccepted> ApprovalAccepted::fromJson(const QJsonObject &json)
{
    auto requestId = requiredText(json, typeName, QStringLiteral("request_id"), maxRequestIdLength);
    if (!requestId)
        return requestId.error();
    auto result =
        readOutcome(json, typeName, {QStringLiteral("approved"), QStringLiteral("denied")});
    if (!result)
        return result.error();
    return ApprovalAccepted{requestId.value(), result.value()};
}

QJsonObject ApprovalResolved::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("request_id"), requestId);
    json.insert(QStringLiteral("outcome"), outcome);
    if (!reason.isEmpty())
        json.insert(QStringLiteral("reason"), reason);
    return json;
}

Result<ApprovalResolved> ApprovalResolved::fromJson(const QJsonObject &json)
{
    auto requestId = requiredText(json, typeName, QStringLiteral("request_id"), maxRequestIdLength);
    if (!requestId)
        return requestId.error();
    auto result = readOutcome(json, typeName,
                              {QStringLiteral("approved"), QStringLiteral("denied"),
                               QStringLiteral("expired"), QStringLiteral("cancelled")});
    if (!result)
        return result.error();
    auto reason = stringMember(json, typeName, QStringLiteral("reason"), maxTextLength, false);
    if (!reason)
        return reason.error();
    return ApprovalResolved{requestId.value(), result.value(), reason.value()};
}

QJsonObject ApprovalWaiting::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("request_id"), requestId);
    json.insert(QStringLiteral("agent_waiting"), agentWaiting);
    return json;
}

Result<ApprovalWaiting> ApprovalWaiting::fromJson(const QJsonObject &json)
{
    auto requestId = requiredText(json, typeName, QStringLiteral("request_id"), maxRequestIdLength);
    if (!requestId)
        return requestId.error();
    const QJsonValue waiting = json.value(QStringLiteral("agent_waiting"));
    if (waiting.isUndefined())
        return makeError(ErrorCode::MissingField,
                         QStringLiteral("%1: agent_waiting is missing").arg(typeName));
    if (!waiting.isBool())
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1: agent_waiting must be true or false").arg(typeName));
    return ApprovalWaiting{requestId.value(), waiting.toBool()};
}

QJsonObject AgentHeld::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("agent"), agent);
    json.insert(QStringLiteral("held_count"), heldCount);
    json.insert(QStringLiteral("until"), until);
    return json;
}

Result<AgentHeld> AgentHeld::fromJson(const QJsonObject &json)
{
    auto agent = stringMember(json, typeName, QStringLiteral("agent"), maxIdLength, false);
    if (!agent)
        return agent.error();
    qint64 numbers[2] = {0, 0};
    const QString names[2] = {QStringLiteral("held_count"), QStringLiteral("until")};
    for (int i = 0; i < 2; ++i) {
        const QJsonValue value = json.value(names[i]);
        if (value.isUndefined())
            return makeError(ErrorCode::MissingField,
                             QStringLiteral("%1.%2 is missing").arg(typeName, names[i]));
        const qint64 number = value.toInteger(-1);
        if (!value.isDouble() || number < 0 || double(number) != value.toDouble())
            return makeError(
                ErrorCode::InvalidField,
                QStringLiteral("%1.%2 must be a non-negative integer").arg(typeName, names[i]));
        numbers[i] = number;
    }
    return AgentHeld{agent.value(), numbers[0], numbers[1]};
}

namespace {

// The passkey change members of v1.3 (8.2): the factor a companion sends and
// the change a gateway announces.
QJsonObject factorToJson(const PasskeyFactor &factor)
{
    return QJsonObject{{QStringLiteral("method"), QStringLiteral("totp")},
                       {QStringLiteral("code"), factor.totpCode}};
}

Result<std::optional<PasskeyFactor>> factorFromJson(const QJsonObject &json, const QString &type)
{
    if (!json.contains(QStringLiteral("factor")))
        return std::optional<PasskeyFactor>();
    const JsonFields message(json, type);
    const auto object = message.requiredObject(QStringLiteral("factor"));
    if (!object)
        return object.error();
    const JsonFields fields(object.value(), type + QStringLiteral(".factor"));
    if (const Status known = fields.checkOnly({QStringLiteral("method"), QStringLiteral("code")});
        !known)
        return known.error();
    const auto method = fields.requiredString(QStringLiteral("method"), 32);
    if (!method)
        return method.error();
    if (method.value() != u"totp") {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1.factor.method must be \"totp\"").arg(type));
    }
    const auto code = fields.requiredString(QStringLiteral("code"), 8);
    if (!code)
        return code.error();
    const bool digits =
        std::all_of(code->cbegin(), code->cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
    if (!digits || (code->size() != 6 && code->size() != 8)) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("%1.factor.code must be 6 or 8 digits").arg(type));
    }
    return std::optional(PasskeyFactor{code.value()});
}

} // namespace

QJsonObject Passkeys::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("passkey"), passkey);
    if (change) {
        json.insert(QStringLiteral("change"),
                    QJsonObject{{QStringLiteral("action"), change->action},
                                {QStringLiteral("name"), change->name},
                                {QStringLiteral("device"), change->device}});
    }
    return json;
}

Result<Passkeys> Passkeys::fromJson(const QJsonObject &json)
{
    const QJsonValue passkey = json.value(QStringLiteral("passkey"));
    if (passkey.isUndefined())
        return makeError(ErrorCode::MissingField, QStringLiteral("passkeys.passkey is missing"));
    Passkeys passkeys{passkey, std::nullopt};
    if (!json.contains(QStringLiteral("change")))
        return passkeys;
    const auto object = JsonFields(json, typeName).requiredObject(QStringLiteral("change"));
    if (!object)
        return object.error();
    const JsonFields fields(object.value(), typeName + QStringLiteral(".change"));
    const auto action = fields.requiredString(QStringLiteral("action"), 16);
    if (!action)
        return action.error();
    if (action.value() != u"added" && action.value() != u"removed") {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("passkeys.change.action must be added or removed"));
    }
    const auto name = fields.optionalString(QStringLiteral("name"), maxPasskeyNameLength);
    if (!name)
        return name.error();
    const auto device = fields.optionalString(QStringLiteral("device"), maxIdLength);
    if (!device)
        return device.error();
    passkeys.change = PasskeyChange{action.value(), name.value(), device.value()};
    return passkeys;
}

QJsonObject PasskeyRegister::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("name"), name);
    json.insert(QStringLiteral("credential"), credential);
    if (factor)
        json.insert(QStringLiteral("factor"), factorToJson(*factor));
    return json;
}

Result<PasskeyRegister> PasskeyRegister::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, typeName);
    const auto name = fields.requiredString(QStringLiteral("name"), maxPasskeyNameLength);
    if (!name)
        return name.error();
    if (name->trimmed().isEmpty()) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("name must be 1 to %1 printable characters").arg(maxPasskeyNameLength));
    }
    auto credential = fields.requiredObject(QStringLiteral("credential"));
    if (!credential)
        return credential.error();
    auto factor = factorFromJson(json, typeName);
    if (!factor)
        return factor.error();
    return PasskeyRegister{name.value(), credential.value(), factor.value()};
}

QJsonObject PasskeyRemove::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("credential_id"),
                QString::fromLatin1(base64UrlEncode(credentialId)));
    if (factor)
        json.insert(QStringLiteral("factor"), factorToJson(*factor));
    return json;
}

Result<PasskeyRemove> PasskeyRemove::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, typeName);
    auto id = fields.requiredBase64Url(QStringLiteral("credential_id"), 1, maxCredentialIdBytes);
    if (!id)
        return id.error();
    auto factor = factorFromJson(json, typeName);
    if (!factor)
        return factor.error();
    return PasskeyRemove{id.value(), factor.value()};
}

QJsonObject ErrorReply::toJson() const
{
    QJsonObject json = envelope(typeName);
    json.insert(QStringLiteral("code"), channelErrorCodeName(code));
    json.insert(QStringLiteral("message"), message);
    if (!requestId.isEmpty())
        json.insert(QStringLiteral("request_id"), requestId);
    if (attemptsLeft)
        json.insert(QStringLiteral("attempts_left"), *attemptsLeft);
    return json;
}

Result<ErrorReply> ErrorReply::fromJson(const QJsonObject &json)
{
    ErrorReply reply;
    const auto name = requiredText(json, typeName, QStringLiteral("code"), 64);
    if (!name)
        return name.error();
    const auto code = parseChannelErrorCode(name.value());
    if (!code) {
        return makeError(
            ErrorCode::InvalidField,
            QStringLiteral("error.code \"%1\" is not a code of the protocol").arg(name->left(64)));
    }
    reply.code = *code;
    auto message = stringMember(json, typeName, QStringLiteral("message"), maxTextLength, false);
    if (!message)
        return message.error();
    reply.message = message.value();
    auto requestId =
        stringMember(json, typeName, QStringLiteral("request_id"), maxRequestIdLength, false);
    if (!requestId)
        return requestId.error();
    reply.requestId = requestId.value();
    if (json.contains(QStringLiteral("attempts_left"))) {
        const auto attempts =
            JsonFields(json, typeName).requiredInteger(QStringLiteral("attempts_left"));
        if (!attempts || attempts.value() > std::numeric_limits<int>::max()) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("error.attempts_left must be a non-negative integer"));
        }
        reply.attemptsLeft = static_cast<int>(attempts.value());
    }
    return reply;
}

Result<ChannelMessage> parseChannelMessage(const QJsonObject &message)
{
    const QJsonValue type = message.value(typeKey);
    if (!type.isString()) {
        return makeError(ErrorCode::UnsupportedMessage,
                         QStringLiteral("the message has no \"type\""));
    }
    const QString name = type.toString();
    if (name == Hello::typeName)
        return parseAs<Hello>(message);
    if (name == Auth::typeName)
        return parseAs<Auth>(message);
    if (name == Welcome::typeName)
        return parseAs<Welcome>(message);
    if (name == ApprovalRequested::typeName)
        return parseAs<ApprovalRequested>(message);
    if (name == ApprovalRespond::typeName)
        return parseAs<ApprovalRespond>(message);
    if (name == ApprovalAccepted::typeName)
        return parseAs<ApprovalAccepted>(message);
    if (name == ApprovalResolved::typeName)
        return parseAs<ApprovalResolved>(message);
    if (name == ApprovalWaiting::typeName)
        return parseAs<ApprovalWaiting>(message);
    if (name == Passkeys::typeName)
        return parseAs<Passkeys>(message);
    if (name == PasskeyRegister::typeName)
        return parseAs<PasskeyRegister>(message);
    if (name == PasskeyRemove::typeName)
        return parseAs<PasskeyRemove>(message);
    if (name == ErrorReply::typeName)
        return parseAs<ErrorReply>(message);
    if (name == AgentHeld::typeName)
        return parseAs<AgentHeld>(message);
    return makeError(ErrorCode::UnsupportedMessage,
                     QStringLiteral("unknown message type \"%1\"").arg(name.left(40)));
}

QString channelMessageType(const ChannelMessage &message)
{
    return std::visit([](const auto &m) { return std::decay_t<decltype(m)>::typeName; }, message);
}

QJsonObject toJson(const ChannelMessage &message)
{
    return std::visit([](const auto &m) { return m.toJson(); }, message);
}

QString toText(const ChannelMessage &message)
{
    return toText(toJson(message));
}

QString toText(const QJsonObject &json)
{
    return QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact));
}

} // namespace countersign::channel
