#include "httptransport.h"

#include "protocol/randombytes.h"

#include <memory>

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpSocket>
#include <QUrl>

Q_LOGGING_CATEGORY(lcHttp, "countersign.directory.http")

namespace countersign::directory {

namespace {

using Status = QHttpServerResponder::StatusCode;

const QByteArray sessionHeader = QByteArrayLiteral("Mcp-Session-Id");
const QByteArray versionHeader = QByteArrayLiteral("MCP-Protocol-Version");

// HTTP header names are case-insensitive ("MCP-Session-Id" in 2025-11-25,
// "Mcp-Session-Id" before); this does not rely on how Qt 6.4 stores them.
QByteArray header(const QHttpServerRequest &request, const QByteArray &name)
{
    for (const auto &[key, value] : request.headers()) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

bool hasHeader(const QHttpServerRequest &request, const QByteArray &name)
{
    for (const auto &entry : request.headers()) {
        if (entry.first.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QHttpServerResponse jsonResponse(const QJsonObject &body, Status status = Status::Ok)
{
    QHttpServerResponse response(QByteArrayLiteral("application/json"),
                                 QJsonDocument(body).toJson(QJsonDocument::Compact), status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

// Transport-level refusals carry a JSON-RPC error without an id, as the
// MCP reference implementations send them.
QHttpServerResponse refusal(Status status, const QString &message)
{
    return jsonResponse(McpDispatcher::errorReply(QJsonValue(), -32000, message), status);
}

bool isLoopbackHost(const QString &host)
{
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// DNS rebinding: a web page must not reach this server through the
// browser. Requests without Origin come from programs, not pages.
bool originAllowed(const QHttpServerRequest &request)
{
    if (!hasHeader(request, "Origin"))
        return true;
    const QUrl origin(QString::fromLatin1(header(request, "Origin")));
    if (!origin.isValid() || origin.host().isEmpty())
        return false;
    if (isLoopbackHost(origin.host()))
        return true;
    const QUrl host(QStringLiteral("http://") + QString::fromLatin1(header(request, "Host")));
    return host.isValid() && origin.host().compare(host.host(), Qt::CaseInsensitive) == 0;
}

} // namespace

HttpTransport::HttpTransport(McpDispatcher &dispatcher, QObject *parent)
    : QObject(parent)
    , m_dispatcher(dispatcher)
{
    m_http.route(QStringLiteral("/mcp"), QHttpServerRequest::Method::Post,
                 [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                     post(request, std::move(responder));
                 });
    m_http.route(QStringLiteral("/mcp"), QHttpServerRequest::Method::Delete,
                 [this](const QHttpServerRequest &request) { return remove(request); });
    m_http.route(QStringLiteral("/mcp"), QHttpServerRequest::Method::Get, [] {
        // No server-initiated messages, so no SSE stream to open.
        QHttpServerResponse response =
            refusal(Status::MethodNotAllowed,
                    QStringLiteral("this server has no event stream; POST "
                                   "JSON-RPC messages to /mcp"));
        response.setHeader("Allow", "POST, DELETE");
        return response;
    });
}

Result<quint16> HttpTransport::listen(const QHostAddress &address, quint16 port)
{
    const quint16 bound = m_http.listen(address, port);
    if (bound == 0) {
        return makeError(
            ErrorCode::ConfigError,
            QStringLiteral("cannot listen on %1:%2").arg(address.toString()).arg(port));
    }
    return bound;
}

QString HttpTransport::openSession()
{
    if (m_sessions.size() >= maxSessions) {
        auto oldest = m_sessions.begin();
        for (auto it = m_sessions.begin(); it != m_sessions.end(); ++it) {
            if (it.value() < oldest.value())
                oldest = it;
        }
        m_sessions.erase(oldest);
    }
    // 32 random bytes in base64url: visible ASCII and unguessable, as the
    // specification requires of session ids.
    const QString id = randomToken(32);
    m_sessions.insert(id, ++m_sessionSequence);
    return id;
}

void HttpTransport::post(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    const auto refuse = [&responder](Status status, const QString &message) {
        refusal(status, message).write(std::move(responder));
    };
    if (!originAllowed(request)) {
        refuse(Status::Forbidden, QStringLiteral("requests from web pages are not allowed"));
        return;
    }
    if (hasHeader(request, versionHeader)) {
        const QString version = QString::fromLatin1(header(request, versionHeader));
        if (!McpDispatcher::supportedProtocolVersions().contains(version)) {
            refuse(Status::BadRequest,
                   QStringLiteral("unsupported MCP-Protocol-Version \"%1\"; supported: %2")
                       .arg(version, McpDispatcher::supportedProtocolVersions().join(u", ")));
            return;
        }
    }
    if (request.body().size() > maxBodyBytes) {
        refuse(Status::PayloadTooLarge,
               QStringLiteral("message larger than %1 bytes").arg(maxBodyBytes));
        return;
    }
    const McpDispatcher::Incoming incoming = McpDispatcher::parse(request.body());
    if (incoming.kind == McpDispatcher::Kind::Invalid) {
        jsonResponse(incoming.errorReply, Status::BadRequest).write(std::move(responder));
        return;
    }
    const bool initializing = incoming.kind == McpDispatcher::Kind::Request
        && incoming.message.value(QStringLiteral("method")).toString() == u"initialize";
    if (!initializing) {
        const QString session = QString::fromLatin1(header(request, sessionHeader));
        if (session.isEmpty()) {
            refuse(Status::BadRequest,
                   QStringLiteral("Mcp-Session-Id header is required; send initialize first"));
            return;
        }
        if (!m_sessions.contains(session)) {
            refuse(Status::NotFound, QStringLiteral("unknown or ended session; initialize again"));
            return;
        }
    }
    if (incoming.kind != McpDispatcher::Kind::Request) {
        responder.write(Status::Accepted);
        return;
    }

    // The answer may come after a JWKS fetch, so the responder outlives
    // this function; the socket may not, hence the QPointer.
    QPointer<QTcpSocket> socket = responder.socket();
    auto pending = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<HttpTransport> self(this);
    McpDispatcher::CallContext context;
    context.authorization = header(request, "Authorization");
    m_dispatcher.handleRequest(
        incoming.message, context, [self, socket, pending, initializing](const QJsonObject &reply) {
            if (!self || !socket) {
                qCInfo(lcHttp) << "client left before the answer was ready";
                return;
            }
            QHttpServerResponse response = jsonResponse(reply);
            if (initializing && reply.contains(QStringLiteral("result")))
                response.setHeader(sessionHeader, self->openSession().toLatin1());
            response.write(std::move(*pending));
        });
}

QHttpServerResponse HttpTransport::remove(const QHttpServerRequest &request)
{
    const QString session = QString::fromLatin1(header(request, sessionHeader));
    if (session.isEmpty())
        return refusal(Status::BadRequest, QStringLiteral("Mcp-Session-Id header is required"));
    if (!m_sessions.remove(session))
        return refusal(Status::NotFound, QStringLiteral("unknown or ended session"));
    return QHttpServerResponse(Status::Ok);
}

} // namespace countersign::directory
