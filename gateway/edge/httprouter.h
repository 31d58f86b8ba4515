#pragma once

#include "gateway/edge/responder.h"

#include <functional>
#include <vector>

#include <QStringList>

namespace countersign::gateway {

// Path and method to handler, on the Qt thread. A pattern is a path whose
// segments may be "<arg>" (one non-empty segment, handed to the handler in
// order). No match of path and method is 404, JSON.
class HttpRouter {
public:
    using Handler =
        std::function<void(const HttpRequest &request, const QStringList &args, Responder &&)>;
    using SimpleHandler =
        std::function<HttpResponse(const HttpRequest &request, const QStringList &args)>;

    void route(const QString &pattern, HttpMethod method, Handler handler);
    // For handlers that answer at once.
    void route(const QString &pattern, HttpMethod method, SimpleHandler handler);

    void handle(const HttpRequest &request, Responder &&responder) const;

private:
    struct Route {
        QStringList segments;
        HttpMethod method;
        Handler handler;
    };
    static bool matches(const Route &route, const QStringList &segments, QStringList *args);

    std::vector<Route> m_routes;
};

} // namespace countersign::gateway
