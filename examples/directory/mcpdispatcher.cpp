#include "mcpdispatcher.h"

#include "elevatedtokenverifier.h"
#include "jwkssource.h"
#include "userdirectory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcMcp, "countersign.directory.mcp")

namespace countersign::directory {

namespace {

QJsonObject toolResult(const QString &text, bool isError, const QJsonObject &structured = {})
{
    QJsonObject result{
        {QStringLiteral("content"),
         QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                {QStringLiteral("text"), text}}}},
        {QStringLiteral("isError"), isError},
    };
    if (!structured.isEmpty())
        result.insert(QStringLiteral("structuredContent"), structured);
    return result;
}

// Structured results also travel as text, for clients older than 2025-06-18.
QJsonObject structuredResult(const QJsonObject &structured)
{
    return toolResult(QString::fromUtf8(QJsonDocument(structured).toJson(QJsonDocument::Compact)),
                      false, structured);
}

bool isMutating(const QString &tool)
{
    return tool == u"disable_user" || tool == u"enable_user";
}

QJsonObject userArgumentSchema()
{
    return QJsonObject{
        {QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"),
         QJsonObject{{QStringLiteral("user"),
                      QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                                  {QStringLiteral("minLength"), 1},
                                  {QStringLiteral("description"),
                                   QStringLiteral("The user's id, such as \"alice\".")}}}}},
        {QStringLiteral("required"), QJsonArray{QStringLiteral("user")}},
        {QStringLiteral("additionalProperties"), false},
    };
}

QJsonObject tool(const QString &name, const QString &title, const QString &description,
                 const QJsonObject &inputSchema, bool readOnly)
{
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("title"), title},
        {QStringLiteral("description"), description},
        {QStringLiteral("inputSchema"), inputSchema},
        {QStringLiteral("annotations"),
         QJsonObject{{QStringLiteral("readOnlyHint"), readOnly},
                     {QStringLiteral("destructiveHint"), !readOnly},
                     {QStringLiteral("idempotentHint"), true},
                     {QStringLiteral("openWorldHint"), false}}},
    };
}

QJsonArray toolList()
{
    const QString approval =
        QStringLiteral(" Needs a person's approval: the call must carry a Countersign elevated "
                       "token issued for exactly this call.");
    return QJsonArray{
        tool(QStringLiteral("list_users"), QStringLiteral("List users"),
             QStringLiteral("Lists every user in the directory with their status."),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                         {QStringLiteral("properties"), QJsonObject{}},
                         {QStringLiteral("additionalProperties"), false}},
             true),
        tool(QStringLiteral("get_user"), QStringLiteral("Get a user"),
             QStringLiteral("Shows one user's name, email and whether the account is disabled."),
             userArgumentSchema(), true),
        tool(QStringLiteral("disable_user"), QStringLiteral("Disable a user"),
             QStringLiteral("Disables a user's account.") + approval, userArgumentSchema(), false),
        tool(QStringLiteral("enable_user"), QStringLiteral("Enable a user"),
             QStringLiteral("Enables a disabled user's account.") + approval, userArgumentSchema(),
             false),
    };
}

bool isKnownTool(const QString &name)
{
    for (const QJsonValue &entry : toolList()) {
        if (entry.toObject().value(QStringLiteral("name")).toString() == name)
            return true;
    }
    return false;
}

// The tools' arguments, checked against their schemas; an empty string
// when they fit. A tool error, not a JSON-RPC one, so the model can correct
// itself (MCP 2025-11-25).
QString argumentProblem(const QString &tool, const QJsonObject &arguments)
{
    const QStringList allowed =
        tool == u"list_users" ? QStringList{} : QStringList{QStringLiteral("user")};
    for (auto it = arguments.constBegin(); it != arguments.constEnd(); ++it) {
        if (!allowed.contains(it.key()))
            return QStringLiteral("%1 takes no argument \"%2\"").arg(tool, it.key());
    }
    if (allowed.isEmpty())
        return {};
    const QJsonValue user = arguments.value(QStringLiteral("user"));
    if (!user.isString() || user.toString().isEmpty())
        return QStringLiteral("%1 needs \"user\", a user id such as \"alice\"").arg(tool);
    return {};
}

} // namespace

const QStringList &McpDispatcher::supportedProtocolVersions()
{
    static const QStringList versions{QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"),
                                      QStringLiteral("2025-03-26")};
    return versions;
}

QJsonObject McpDispatcher::errorReply(const QJsonValue &id, int code, const QString &message)
{
    return JsonRpcMessage::error(id.isUndefined() ? QJsonValue(QJsonValue::Null) : id, code,
                                 message);
}

McpDispatcher::McpDispatcher(UserDirectory &users, ElevatedTokenVerifier &verifier,
                             JwksSource &keys, TokenSource tokenSource, QObject *parent)
    : QObject(parent)
    , m_users(users)
    , m_verifier(verifier)
    , m_keys(keys)
    , m_tokenSource(tokenSource)
{
}

void McpDispatcher::handleRequest(const QJsonObject &request, const CallContext &context,
                                  Reply reply)
{
    const QJsonValue id = request.value(QStringLiteral("id"));
    const QString method = request.value(QStringLiteral("method")).toString();
    const QJsonObject params = request.value(QStringLiteral("params")).toObject();
    if (method == u"initialize") {
        reply(initialize(id, params));
    } else if (method == u"ping") {
        reply(JsonRpcMessage::result(id, QJsonObject{}));
    } else if (method == u"tools/list") {
        reply(JsonRpcMessage::result(id, QJsonObject{{QStringLiteral("tools"), toolList()}}));
    } else if (method == u"tools/call") {
        callTool(id, params, context, std::move(reply));
    } else {
        reply(errorReply(id, MethodNotFound, QStringLiteral("method not found: ") + method));
    }
}

QJsonObject McpDispatcher::initialize(const QJsonValue &id, const QJsonObject &params) const
{
    const QJsonValue requested = params.value(QStringLiteral("protocolVersion"));
    if (!requested.isString()) {
        return errorReply(id, InvalidParams,
                          QStringLiteral("initialize needs params.protocolVersion"));
    }
    // MCP lifecycle: answer with the version asked for when we speak it,
    // else with our newest and let the client decide.
    const QString version = supportedProtocolVersions().contains(requested.toString())
        ? requested.toString()
        : supportedProtocolVersions().constFirst();
    return JsonRpcMessage::result(
        id,
        QJsonObject{
            {QStringLiteral("protocolVersion"), version},
            {QStringLiteral("capabilities"),
             QJsonObject{
                 {QStringLiteral("tools"), QJsonObject{{QStringLiteral("listChanged"), false}}}}},
            {QStringLiteral("serverInfo"),
             QJsonObject{{QStringLiteral("name"), QStringLiteral("countersign-directory")},
                         {QStringLiteral("title"), QStringLiteral("Countersign example directory")},
                         {QStringLiteral("version"), QStringLiteral(COUNTERSIGN_VERSION)}}},
            {QStringLiteral("instructions"),
             QStringLiteral("A user directory. list_users and get_user are open; disable_user "
                            "and enable_user run only with a person's approval through "
                            "Countersign.")},
        });
}

void McpDispatcher::callTool(const QJsonValue &id, const QJsonObject &params,
                             const CallContext &context, Reply reply)
{
    const QJsonValue name = params.value(QStringLiteral("name"));
    if (!name.isString()) {
        reply(errorReply(id, InvalidParams, QStringLiteral("tools/call needs params.name")));
        return;
    }
    const QString tool = name.toString();
    if (!isKnownTool(tool)) {
        reply(errorReply(id, InvalidParams, QStringLiteral("unknown tool: ") + tool));
        return;
    }
    const QJsonValue arguments = params.value(QStringLiteral("arguments"));
    if (!arguments.isUndefined() && !arguments.isObject()) {
        reply(errorReply(id, InvalidParams,
                         QStringLiteral("tools/call params.arguments must be an object")));
        return;
    }
    // The approved hash covers exactly the arguments object sent ({} when
    // absent), so check it as received.
    const QJsonObject args = arguments.toObject();
    if (const QString problem = argumentProblem(tool, args); !problem.isEmpty()) {
        reply(JsonRpcMessage::result(id, toolResult(problem, true)));
        return;
    }
    if (!isMutating(tool)) {
        reply(JsonRpcMessage::result(id, runReadTool(tool, args)));
        return;
    }

    ToolCall call{id, tool, args, {}, std::move(reply)};
    if (m_tokenSource == TokenSource::MetaField) {
        const QJsonValue token =
            params.value(QStringLiteral("_meta")).toObject().value(elevatedTokenMetaKey);
        call.token = token.toString().toUtf8();
    } else if (!context.authorization.isEmpty()) {
        const QByteArray header = context.authorization.trimmed();
        if (!header.toLower().startsWith("bearer ")) {
            call.reply(JsonRpcMessage::result(
                id,
                toolResult(QStringLiteral("%1 refused: the Authorization header does not "
                                          "carry a Bearer token")
                               .arg(tool),
                           true)));
            return;
        }
        call.token = header.mid(7).trimmed();
    }
    if (call.token.isEmpty()) {
        const QString where = m_tokenSource == TokenSource::MetaField
            ? QStringLiteral("params._meta[\"%1\"]").arg(elevatedTokenMetaKey)
            : QStringLiteral("an Authorization: Bearer header");
        call.reply(JsonRpcMessage::result(
            id,
            toolResult(QStringLiteral("%1 refused: it needs a person's approval, and no "
                                      "elevated token was presented (expected in %2)")
                           .arg(tool, where),
                       true)));
        return;
    }
    authorize(std::move(call), false);
}

void McpDispatcher::authorize(ToolCall call, bool keysRefreshed)
{
    const TokenVerdict verdict =
        m_verifier.verifyAndSpend(call.token, m_keys.keys(), call.tool, call.arguments);
    if (verdict.refusal == TokenRefusal::UnknownKey && !keysRefreshed) {
        // The gateway may have rotated its key, or we have not fetched yet.
        QPointer<McpDispatcher> self(this);
        m_keys.refresh([self, call](const Status &fetched) mutable {
            if (!self)
                return;
            if (!fetched) {
                qCWarning(lcMcp) << call.tool << "refused:" << fetched.error().message;
                call.reply(JsonRpcMessage::result(
                    call.id,
                    toolResult(call.tool + QStringLiteral(" refused: ") + fetched.error().message,
                               true)));
                return;
            }
            self->authorize(std::move(call), true);
        });
        return;
    }
    if (!verdict.accepted()) {
        qCWarning(lcMcp) << call.tool << "refused:" << verdict.message;
        call.reply(JsonRpcMessage::result(
            call.id, toolResult(call.tool + QStringLiteral(" refused: ") + verdict.message, true)));
        return;
    }
    qCInfo(lcMcp).noquote() << call.tool << "approved by" << verdict.subject << "for agent"
                            << verdict.agent << "(token" << verdict.tokenId << ")";
    call.reply(JsonRpcMessage::result(call.id, runMutatingTool(call, verdict.subject)));
}

QJsonObject McpDispatcher::runReadTool(const QString &tool, const QJsonObject &arguments) const
{
    if (tool == u"list_users") {
        QJsonArray users;
        for (const User &user : m_users.users())
            users.append(user.toJson());
        return structuredResult(QJsonObject{{QStringLiteral("users"), users}});
    }
    const QString id = arguments.value(QStringLiteral("user")).toString();
    const User *user = m_users.find(id);
    if (!user)
        return toolResult(QStringLiteral("no user \"%1\" in the directory").arg(id), true);
    return structuredResult(user->toJson());
}

QJsonObject McpDispatcher::runMutatingTool(const ToolCall &call, const QString &approver)
{
    const QString id = call.arguments.value(QStringLiteral("user")).toString();
    const bool disable = call.tool == u"disable_user";
    const User *user = m_users.find(id);
    if (!user)
        return toolResult(QStringLiteral("no user \"%1\" in the directory").arg(id), true);
    if (auto changed = m_users.setDisabled(id, disable); !changed) {
        qCWarning(lcMcp) << call.tool << "failed:" << changed.error().message;
        return toolResult(call.tool + QStringLiteral(" failed: ") + changed.error().message, true);
    }
    qCInfo(lcMcp).noquote() << id << (disable ? "disabled" : "enabled") << "with" << approver
                            << "'s approval";
    return structuredResult(m_users.find(id)->toJson());
}

} // namespace countersign::directory
