#include "gatewayserver.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/channel/companionhub.h"
#include "gateway/http/approvalpage.h"
#include "gateway/mcp/mcpproxy.h"
#include "gateway/pairing/pairingservice.h"
#include "gateway/pdp/pdpendpoints.h"
#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"
#include "protocol/messages/bindingcode.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/strictjson.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QLoggingCategory>

#include <openssl/crypto.h>

Q_LOGGING_CATEGORY(lcHttp, "countersign.gateway.http")

namespace countersign::gateway {

namespace {

const QString companionPath = QStringLiteral("/companion/v1");

HttpResponse json(const QJsonObject &body, int status = HttpStatus::ok)
{
    HttpResponse response = HttpResponse::json(body, status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

HttpResponse failure(int status, const QString &code, const QString &message)
{
    return json(QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}},
                status);
}

QJsonObject describe(const ApprovalRecord &approval)
{
    QJsonObject body{
        {QStringLiteral("request_id"), approval.requestId},
        {QStringLiteral("state"), approvalStateName(approval.state)},
        {QStringLiteral("binding_code"), bindingCodeForRequestHash(approval.requestHash)},
        {QStringLiteral("expires_at"), approval.expiresAt},
    };
    if (approval.resolvedMethod)
        body.insert(QStringLiteral("method"), approvalMethodName(*approval.resolvedMethod));
    if (!approval.reason.isEmpty())
        body.insert(QStringLiteral("reason"), approval.reason);
    return body;
}

// scheme://host[:port], as a browser sends it in Origin.
QByteArray originOf(const QUrl &url)
{
    return url
        .adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment
                  | QUrl::RemoveUserInfo)
        .toString(QUrl::FullyEncoded)
        .toLatin1();
}

constexpr int unsupportedMediaType = 415;

// base64url(SHA-256(JCS(arguments))) of sarc.resource.properties.arguments,
// which must be an object (a tool call's arguments); absent, it is {}.
Result<QByteArray> boundArgumentsHash(const Sarc &sarc)
{
    const QJsonValue arguments = sarc.resource.properties.value(QStringLiteral("arguments"));
    if (!arguments.isUndefined() && !arguments.isObject()) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("sarc.resource.properties.arguments must be an object"));
    }
    auto hash = argumentsHash(arguments.toObject());
    if (!hash) {
        return makeError(hash.error().code,
                         QStringLiteral("sarc.resource.properties.arguments: ")
                             + hash.error().message);
    }
    return hash;
}

// "application/json", in any case, with or without parameters (charset).
bool isJsonContentType(const QByteArray &value)
{
    const qsizetype semicolon = value.indexOf(';');
    return value.left(semicolon < 0 ? value.size() : semicolon).trimmed().toLower()
        == "application/json";
}

} // namespace

GatewayServer::GatewayServer(ServerOptions options, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_pairingLimiter(m_options.pairingAttemptsPerMinute, clock)
    , m_edge(m_options.edge)
{
    m_edge.setHttpHandler([this](const HttpRequest &request, Responder &&responder) {
        m_router.handle(request, std::move(responder));
    });
}

GatewayServer::~GatewayServer()
{
    stop();
}

void GatewayServer::stop()
{
    m_edge.stop();
}

void GatewayServer::attach(ApprovalBroker &broker, PairingService &pairing, CompanionHub &hub,
                           QJsonObject jwks, const QUrl &publicUrl)
{
    m_broker = &broker;
    m_pairing = &pairing;
    m_hub = &hub;
    m_jwks = std::move(jwks);
    m_ownOrigin = originOf(publicUrl);
    addRoutes();
    m_edge.setWebSocketHandler([this](const HttpRequest &request) { return checkUpgrade(request); },
                               [this](std::shared_ptr<CompanionConnection> connection) {
                                   m_hub->accept(std::move(connection));
                               });
}

std::optional<HttpResponse> GatewayServer::checkUpgrade(const HttpRequest &request) const
{
    if (request.path != companionPath) {
        return failure(HttpStatus::notFound, QStringLiteral("not_found"),
                       QStringLiteral("no WebSocket service here"));
    }
    // Companions are programs and send no Origin (or, at most, the
    // gateway's own). A browser always sends the page's: a web page must
    // not open a channel (and learn the gateway id and a nonce).
    if (const auto origin = request.header("Origin"); origin && *origin != m_ownOrigin) {
        return failure(HttpStatus::forbidden, QStringLiteral("forbidden_origin"),
                       QStringLiteral("WebSocket connections from web pages are not allowed"));
    }
    return std::nullopt;
}

Result<quint16> GatewayServer::listen()
{
    return m_edge.listen();
}

void GatewayServer::addRoutes()
{
    using Simple = HttpRouter::SimpleHandler;
    m_router.route(QStringLiteral("/healthz"), HttpMethod::Get,
                   Simple([](const HttpRequest &, const QStringList &) {
                       return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}});
                   }));
    m_router.route(
        QStringLiteral("/.well-known/jwks.json"), HttpMethod::Get,
        Simple([this](const HttpRequest &, const QStringList &) { return json(m_jwks); }));
    m_router.route(
        QStringLiteral("/companion/v1/pair"), HttpMethod::Post,
        Simple([this](const HttpRequest &request, const QStringList &) { return pair(request); }));
    m_router.route(QStringLiteral("/approvals"), HttpMethod::Post,
                   Simple([this](const HttpRequest &request, const QStringList &) {
                       return createApproval(request);
                   }));
    m_router.route(QStringLiteral("/approvals/<arg>"), HttpMethod::Get,
                   Simple([this](const HttpRequest &request, const QStringList &args) {
                       return approvalStatus(args.value(0), request);
                   }));
    m_router.route(QStringLiteral("/approvals/<arg>/token"), HttpMethod::Post,
                   Simple([this](const HttpRequest &request, const QStringList &args) {
                       return redeemApproval(args.value(0), request);
                   }));
}

void GatewayServer::attachPdp(PdpEndpoints &endpoints)
{
    // Decisions and searches tell what the policy allows: only the admin
    // token may ask (without one configured, they are closed: 401).
    // Discovery stays public.
    endpoints.setAuthenticator([this](const HttpRequest &request) { return isAdmin(request); });
    endpoints.addRoutes(m_router);
    // Decisions and searches need only the policy and its directory, which
    // never change while the server runs, and the admin token's hash (a
    // constant-time check on immutable bytes): all safe to read on any
    // thread, and nothing here touches the store. So the I/O thread answers
    // them itself, without the hop to this thread that costs more than the
    // decision (docs/benchmarks.md); a search is bounded in the decisions it
    // makes (SearchLimits). Other spellings of the paths still reach the
    // routes above, which answer the same.
    const PdpEndpoints *pdp = &endpoints;
    m_edge.setIoThreadHandler([pdp](const HttpRequest &request) -> std::optional<HttpResponse> {
        return pdp->answer(request);
    });
}

void GatewayServer::attachMcp(McpProxy &proxy)
{
    proxy.addRoutes(m_router);
}

void GatewayServer::attachApprovalPage(const ApprovalPage &page)
{
    page.addRoutes(m_router);
}

bool GatewayServer::isAdmin(const HttpRequest &request) const
{
    if (m_options.adminTokenSha256.isEmpty())
        return false;
    const QByteArray header = request.value("Authorization");
    if (!header.startsWith("Bearer "))
        return false;
    // Hashing first makes the comparison constant-time and length-independent.
    const QByteArray presented =
        QCryptographicHash::hash(header.mid(7).trimmed(), QCryptographicHash::Sha256);
    return CRYPTO_memcmp(presented.constData(), m_options.adminTokenSha256.constData(),
                         static_cast<size_t>(presented.size()))
        == 0;
}

HttpResponse GatewayServer::pair(const HttpRequest &request)
{
    // A companion is a program: it sends JSON and no Origin. A web page can
    // send a "simple" cross-site POST (text/plain, no preflight) but not one
    // without its Origin, nor application/json without a preflight nobody
    // answers; both are refused before they are tried or counted, so a page
    // cannot use up a person's pairing attempts (docs/protocol.md 2.2).
    if (request.header("Origin")) {
        return failure(HttpStatus::forbidden, QStringLiteral("forbidden_origin"),
                       QStringLiteral("pairing requests from web pages are not allowed; pair "
                                      "with the Countersign companion"));
    }
    if (!isJsonContentType(request.value("Content-Type"))) {
        return failure(unsupportedMediaType, QStringLiteral("unsupported_media_type"),
                       QStringLiteral("send the pairing request as Content-Type: "
                                      "application/json"));
    }
    const QString address = request.peerAddress.toString();
    if (m_pairingLimiter.isLimited(address)) {
        return failure(HttpStatus::tooManyRequests, QStringLiteral("rate_limited"),
                       QStringLiteral("too many failed pairing attempts; wait a minute"));
    }
    const auto outcome = m_pairing->redeem(request.body);
    if (const auto *refusal = std::get_if<PairingRefusal>(&outcome)) {
        // The gateway's own failure is not the caller's attempt.
        if (refusal->httpStatus < HttpStatus::internalServerError)
            m_pairingLimiter.recordFailure(address);
        return failure(refusal->httpStatus, refusal->error, refusal->message);
    }
    return json(std::get<QJsonObject>(outcome), HttpStatus::created);
}

HttpResponse GatewayServer::createApproval(const HttpRequest &request)
{
    if (!isAdmin(request)) {
        return failure(HttpStatus::unauthorized, QStringLiteral("unauthorized"),
                       QStringLiteral("an admin bearer token is required"));
    }
    const auto body = parseStrictJsonObject(request.body, QStringLiteral("body"));
    if (!body)
        return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       body.error().message);
    const JsonFields fields(body.value(), QStringLiteral("body"));
    if (auto known = fields.checkOnly({QStringLiteral("sarc"), QStringLiteral("methods"),
                                       QStringLiteral("timeout"), QStringLiteral("upstream"),
                                       QStringLiteral("arguments_hash")});
        !known) {
        return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       known.error().message);
    }
    const auto sarcJson = fields.requiredObject(QStringLiteral("sarc"));
    const auto sarc = sarcJson ? Sarc::fromJson(sarcJson.value()) : Result<Sarc>(sarcJson.error());
    if (!sarc)
        return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       sarc.error().message);

    ApprovalSpec spec;
    spec.sarc = sarc.value();
    spec.timeoutSeconds = m_options.defaultApprovalTimeout;
    if (body->contains(QStringLiteral("timeout"))) {
        const auto timeout = fields.requiredInteger(QStringLiteral("timeout"));
        if (!timeout) {
            return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                           timeout.error().message);
        }
        spec.timeoutSeconds = timeout.value();
    }
    if (body->contains(QStringLiteral("methods"))) {
        spec.methods.clear();
        for (const QJsonValue &name : body->value(QStringLiteral("methods")).toArray()) {
            const auto method = approvalMethodFromName(name.toString());
            if (!method) {
                return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                               QStringLiteral("body.methods has an unknown method"));
            }
            spec.methods.append(*method);
        }
    }
    const auto upstream = fields.optionalString(QStringLiteral("upstream"), 512);
    if (!upstream)
        return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       upstream.error().message);
    spec.upstream = upstream.value();
    // The token binds the operation's arguments as the MCP path does
    // (docs/protocol.md 6): from the SARC the person sees, never from a
    // hash the caller made up. A SARC without arguments is bound to {}.
    const auto bound = boundArgumentsHash(spec.sarc);
    if (!bound)
        return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       bound.error().message);
    spec.argumentsHash = bound.value();
    if (body->contains(QStringLiteral("arguments_hash"))) {
        const auto hash = fields.requiredBase64Url(QStringLiteral("arguments_hash"), 32, 32);
        if (!hash) {
            return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                           hash.error().message);
        }
        if (hash.value() != spec.argumentsHash) {
            return failure(HttpStatus::badRequest, QStringLiteral("arguments_hash_mismatch"),
                           QStringLiteral("body.arguments_hash is not the RFC 8785 hash of "
                                          "sarc.resource.properties.arguments; leave it out and "
                                          "the gateway computes it"));
        }
    }
    spec.origin = ApprovalOrigin::AdminApi;
    ApprovalRefusal refusal;
    const auto approval = m_broker->create(spec, &refusal);
    if (!approval && !refusal.message.isEmpty()) {
        // Bounded per user and agent like the MCP proxy's (approvals.limits).
        const bool tooLarge = refusal.kind == ApprovalRefusal::Kind::SarcTooLarge;
        const bool storage = refusal.kind == ApprovalRefusal::Kind::Storage;
        return failure(tooLarge      ? HttpStatus::payloadTooLarge
                           : storage ? HttpStatus::serviceUnavailable
                                     : HttpStatus::tooManyRequests,
                       tooLarge      ? QStringLiteral("request_too_large")
                           : storage ? QStringLiteral("storage_failure")
                           : refusal.kind == ApprovalRefusal::Kind::Held
                           ? QStringLiteral("agent_held")
                           : QStringLiteral("rate_limited"),
                       refusal.message);
    }
    if (!approval) {
        return failure(HttpStatus::badRequest, QStringLiteral("malformed_request"),
                       approval.error().message);
    }
    return json(describe(approval.value()), HttpStatus::created);
}

HttpResponse GatewayServer::approvalStatus(const QString &requestId, const HttpRequest &request)
{
    if (!isAdmin(request)) {
        return failure(HttpStatus::unauthorized, QStringLiteral("unauthorized"),
                       QStringLiteral("an admin bearer token is required"));
    }
    const auto approval = m_broker->approval(requestId);
    if (!approval)
        return failure(HttpStatus::notFound, QStringLiteral("unknown_request"),
                       QStringLiteral("no such request"));
    return json(describe(approval.value()));
}

HttpResponse GatewayServer::redeemApproval(const QString &requestId, const HttpRequest &request)
{
    if (!isAdmin(request)) {
        return failure(HttpStatus::unauthorized, QStringLiteral("unauthorized"),
                       QStringLiteral("an admin bearer token is required"));
    }
    // The MCP proxy's approvals are for the one call it makes itself; their
    // token is never handed out here (nor that of rows older than schema 3,
    // whose origin is unknown).
    if (const auto approval = m_broker->approval(requestId);
        approval && approval->origin != ApprovalOrigin::AdminApi) {
        return failure(HttpStatus::conflict, QStringLiteral("not_redeemable"),
                       QStringLiteral("request %1 was not raised through the admin API (origin "
                                      "%2): its token is issued only to the call that raised it")
                           .arg(requestId, approvalOriginName(approval->origin)));
    }
    const auto token = m_broker->redeem(requestId);
    if (!token)
        return failure(HttpStatus::conflict, QStringLiteral("not_redeemable"),
                       token.error().message);
    return json(QJsonObject{{QStringLiteral("token"), QString::fromLatin1(token->token)},
                            {QStringLiteral("token_id"), token->tokenId},
                            {QStringLiteral("expires_at"), token->expiresAt}});
}

} // namespace countersign::gateway
