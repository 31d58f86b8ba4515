#include "gatewayserver.h"

#include "gateway/approvals/approvalbroker.h"
#include "gateway/channel/companionhub.h"
#include "gateway/http/websocketroute.h"
#include "gateway/mcp/mcpproxy.h"
#include "gateway/pairing/pairingservice.h"
#include "gateway/pdp/pdpendpoints.h"
#include "protocol/base64url.h"
#include "protocol/messages/bindingcode.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/strictjson.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QWebSocket>

#include <openssl/crypto.h>

Q_LOGGING_CATEGORY(lcHttp, "countersign.gateway.http")

namespace countersign::gateway {

namespace {

using Status = QHttpServerResponder::StatusCode;

const QString companionPath = QStringLiteral("/companion/v1");

QHttpServerResponse json(const QJsonObject &body, Status status = Status::Ok)
{
    QHttpServerResponse response(body, status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

QHttpServerResponse failure(Status status, const QString &code, const QString &message)
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

} // namespace

GatewayServer::GatewayServer(ServerOptions options, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_pairingLimiter(m_options.pairingAttemptsPerMinute, clock)
{
}

void GatewayServer::attach(ApprovalBroker &broker, PairingService &pairing, CompanionHub &hub,
                           QJsonObject jwks)
{
    m_broker = &broker;
    m_pairing = &pairing;
    m_hub = &hub;
    m_jwks = std::move(jwks);
    addRoutes();
    connect(&m_http, &QAbstractHttpServer::newWebSocketConnection, this, [this] {
        while (m_http.hasPendingWebSocketConnections()) {
            std::unique_ptr<QWebSocket> socket = m_http.nextPendingWebSocketConnection();
            if (socket && socket->requestUrl().path() == companionPath) {
                m_hub->accept(std::move(socket));
            } else if (socket) {
                socket->close(QWebSocketProtocol::CloseCodePolicyViolated,
                              QStringLiteral("no WebSocket service here"));
            }
        }
    });
}

Result<quint16> GatewayServer::listen()
{
    if (m_options.tls)
        m_http.sslSetup(*m_options.tls);
    const quint16 port = m_http.listen(m_options.address, m_options.port);
    if (port == 0) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("cannot listen on %1:%2; is another gateway running?")
                             .arg(m_options.address.toString())
                             .arg(m_options.port));
    }
    qCInfo(lcHttp) << "listening on" << m_options.address.toString() << port;
    return port;
}

void GatewayServer::addRoutes()
{
    m_http.route(QStringLiteral("/healthz"), [] {
        return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}});
    });
    m_http.route(QStringLiteral("/.well-known/jwks.json"), [this] { return json(m_jwks); });
    m_http.route(QStringLiteral("/companion/v1/pair"), QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request) { return pair(request); });
    allowWebSocketUpgrade(m_http, companionPath);
    m_http.route(QStringLiteral("/approvals"), QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request) { return createApproval(request); });
    m_http.route(QStringLiteral("/approvals/<arg>"), QHttpServerRequest::Method::Get,
                 [this](const QString &id, const QHttpServerRequest &request) {
                     return approvalStatus(id, request);
                 });
    m_http.route(QStringLiteral("/approvals/<arg>/token"), QHttpServerRequest::Method::Post,
                 [this](const QString &id, const QHttpServerRequest &request) {
                     return redeemApproval(id, request);
                 });
}

void GatewayServer::attachPdp(const PdpEndpoints &endpoints)
{
    const PdpEndpoints *pdp = &endpoints;
    m_http.route(QStringLiteral("/.well-known/authzen-configuration"),
                 QHttpServerRequest::Method::Get,
                 [pdp](const QHttpServerRequest &request) { return pdp->configuration(request); });
    m_http.route(QStringLiteral("/access/v1/evaluation"), QHttpServerRequest::Method::Post,
                 [this, pdp](const QHttpServerRequest &request) {
                     if (!isAdmin(request)) {
                         return failure(Status::Unauthorized, QStringLiteral("unauthorized"),
                                        QStringLiteral("an admin bearer token is required"));
                     }
                     return pdp->evaluation(request);
                 });
    m_http.route(QStringLiteral("/access/v1/evaluations"), QHttpServerRequest::Method::Post,
                 [this, pdp](const QHttpServerRequest &request) {
                     if (!isAdmin(request)) {
                         return failure(Status::Unauthorized, QStringLiteral("unauthorized"),
                                        QStringLiteral("an admin bearer token is required"));
                     }
                     return pdp->evaluations(request);
                 });
}

void GatewayServer::attachMcp(McpProxy &proxy)
{
    proxy.addRoutes(m_http);
}

bool GatewayServer::isAdmin(const QHttpServerRequest &request) const
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

QHttpServerResponse GatewayServer::pair(const QHttpServerRequest &request)
{
    if (!m_pairingLimiter.allow(request.remoteAddress().toString())) {
        return failure(Status::TooManyRequests, QStringLiteral("rate_limited"),
                       QStringLiteral("too many pairing attempts; wait a minute"));
    }
    const auto outcome = m_pairing->redeem(request.body());
    if (const auto *refusal = std::get_if<PairingRefusal>(&outcome)) {
        return failure(static_cast<Status>(refusal->httpStatus), refusal->error, refusal->message);
    }
    return json(std::get<QJsonObject>(outcome), Status::Created);
}

QHttpServerResponse GatewayServer::createApproval(const QHttpServerRequest &request)
{
    if (!isAdmin(request)) {
        return failure(Status::Unauthorized, QStringLiteral("unauthorized"),
                       QStringLiteral("an admin bearer token is required"));
    }
    if (request.body().size() > maxBodyBytes) {
        return failure(Status::PayloadTooLarge, QStringLiteral("too_large"),
                       QStringLiteral("request body over %1 bytes").arg(maxBodyBytes));
    }
    const auto body = parseStrictJsonObject(request.body(), QStringLiteral("body"));
    if (!body)
        return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                       body.error().message);
    const JsonFields fields(body.value(), QStringLiteral("body"));
    if (auto known = fields.checkOnly({QStringLiteral("sarc"), QStringLiteral("methods"),
                                       QStringLiteral("timeout"), QStringLiteral("upstream"),
                                       QStringLiteral("arguments_hash")});
        !known) {
        return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                       known.error().message);
    }
    const auto sarcJson = fields.requiredObject(QStringLiteral("sarc"));
    const auto sarc = sarcJson ? Sarc::fromJson(sarcJson.value()) : Result<Sarc>(sarcJson.error());
    if (!sarc)
        return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                       sarc.error().message);

    ApprovalSpec spec;
    spec.sarc = sarc.value();
    spec.timeoutSeconds = m_options.defaultApprovalTimeout;
    if (body->contains(QStringLiteral("timeout"))) {
        const auto timeout = fields.requiredInteger(QStringLiteral("timeout"));
        if (!timeout) {
            return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                           timeout.error().message);
        }
        spec.timeoutSeconds = timeout.value();
    }
    if (body->contains(QStringLiteral("methods"))) {
        spec.methods.clear();
        for (const QJsonValue &name : body->value(QStringLiteral("methods")).toArray()) {
            const auto method = approvalMethodFromName(name.toString());
            if (!method) {
                return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                               QStringLiteral("body.methods has an unknown method"));
            }
            spec.methods.append(*method);
        }
    }
    const auto upstream = fields.optionalString(QStringLiteral("upstream"), 512);
    if (!upstream)
        return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                       upstream.error().message);
    spec.upstream = upstream.value();
    if (body->contains(QStringLiteral("arguments_hash"))) {
        const auto hash = fields.requiredBase64Url(QStringLiteral("arguments_hash"), 32, 32);
        if (!hash) {
            return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                           hash.error().message);
        }
        spec.argumentsHash = hash.value();
    }
    const auto approval = m_broker->create(spec);
    if (!approval) {
        return failure(Status::BadRequest, QStringLiteral("malformed_request"),
                       approval.error().message);
    }
    return json(describe(approval.value()), Status::Created);
}

QHttpServerResponse GatewayServer::approvalStatus(const QString &requestId,
                                                  const QHttpServerRequest &request)
{
    if (!isAdmin(request)) {
        return failure(Status::Unauthorized, QStringLiteral("unauthorized"),
                       QStringLiteral("an admin bearer token is required"));
    }
    const auto approval = m_broker->approval(requestId);
    if (!approval)
        return failure(Status::NotFound, QStringLiteral("unknown_request"),
                       QStringLiteral("no such request"));
    return json(describe(approval.value()));
}

QHttpServerResponse GatewayServer::redeemApproval(const QString &requestId,
                                                  const QHttpServerRequest &request)
{
    if (!isAdmin(request)) {
        return failure(Status::Unauthorized, QStringLiteral("unauthorized"),
                       QStringLiteral("an admin bearer token is required"));
    }
    const auto token = m_broker->redeem(requestId);
    if (!token)
        return failure(Status::Conflict, QStringLiteral("not_redeemable"), token.error().message);
    return json(QJsonObject{{QStringLiteral("token"), QString::fromLatin1(token->token)},
                            {QStringLiteral("token_id"), token->tokenId},
                            {QStringLiteral("expires_at"), token->expiresAt}});
}

} // namespace countersign::gateway
