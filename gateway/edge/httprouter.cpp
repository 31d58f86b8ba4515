#include "httprouter.h"

namespace countersign::gateway {

namespace {

const QString argSegment = QStringLiteral("<arg>");

QStringList segmentsOf(const QString &path)
{
    return path.split(u'/');
}

HttpResponse refusal(int status, const QString &code, const QString &message)
{
    HttpResponse response = HttpResponse::json(
        QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}}, status);
    response.setHeader("Cache-Control", "no-store");
    return response;
}

} // namespace

void HttpRouter::route(const QString &pattern, HttpMethod method, Handler handler)
{
    m_routes.push_back(Route{segmentsOf(pattern), method, std::move(handler)});
}

void HttpRouter::route(const QString &pattern, HttpMethod method, SimpleHandler handler)
{
    route(pattern, method,
          Handler([handler = std::move(handler)](const HttpRequest &request,
                                                 const QStringList &args, Responder &&responder) {
              Responder answer = std::move(responder);
              answer.send(handler(request, args));
          }));
}

bool HttpRouter::matches(const Route &route, const QStringList &segments, QStringList *args)
{
    if (route.segments.size() != segments.size())
        return false;
    QStringList found;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        if (route.segments[i] == argSegment) {
            if (segments[i].isEmpty())
                return false;
            found.append(segments[i]);
        } else if (route.segments[i] != segments[i]) {
            return false;
        }
    }
    *args = std::move(found);
    return true;
}

void HttpRouter::handle(const HttpRequest &request, Responder &&responder) const
{
    Responder answer = std::move(responder);
    const QStringList segments = segmentsOf(request.path);
    for (const Route &route : m_routes) {
        QStringList args;
        if (!matches(route, segments, &args))
            continue;
        // HEAD is GET without a body; the edge drops the body.
        if (route.method == request.method
            || (route.method == HttpMethod::Get && request.method == HttpMethod::Head)) {
            route.handler(request, args, std::move(answer));
            return;
        }
    }
    // A known path with another method is as unknown as any other (as the
    // gateway answered before the edge moved to Beast).
    HttpResponse response = refusal(HttpStatus::notFound, QStringLiteral("not_found"),
                                    QStringLiteral("no such endpoint (path and method)"));
    // AuthZEN: a PEP's X-Request-ID comes back on every answer, errors too.
    if (const QByteArray id = request.value("X-Request-ID"); isEchoableToken(id))
        response.setHeader("X-Request-ID", id);
    answer.send(std::move(response));
}

} // namespace countersign::gateway
