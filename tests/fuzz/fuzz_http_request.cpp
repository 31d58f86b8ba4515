// Any bytes as an HTTP/1.1 request reaching the gateway's edge. Boost.Beast
// parses the bytes (its parser is not ours, but it is the only way our code
// sees a request); what is ours is everything after it, all fuzzed here:
//  - edge::toHttpRequest splits the target into path (percent-decoded) and
//    query: target is always path-as-sent + ["?" query];
//  - HttpRequest::header finds names case-insensitively, the first wins;
//  - HttpRouter matches the gateway's real route patterns: exactly one
//    answer per request, 404 JSON when nothing matches, "<arg>" never empty;
//  - the body limit the edge applies from the raw target (before the route
//    is known) is never larger than the limit of the route the request
//    reaches (a percent-encoded path must not buy a larger body);
//  - AgentDirectory::authenticate (the MCP agents' Authorization header)
//    lets in exactly "Bearer <key>" (scheme case-insensitive, key trimmed);
//  - a response that echoes request text (X-Request-ID, any header value)
//    serializes to a head with no injected line: edge::serializeHead drops
//    every value with CR, LF, NUL or another control character.
#include "gateway/config/edgelimits.h"
#include "gateway/edge/edgeshared.h"
#include "gateway/edge/httpmessage.h"
#include "gateway/edge/httprouter.h"
#include "gateway/edge/responder.h"
#include "gateway/mcp/agentdirectory.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <QCryptographicHash>
#include <QUrl>

using namespace countersign::gateway;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

class CountingSink : public ResponseSink {
public:
    void send(HttpResponse response) override
    {
        ++answers;
        last = std::move(response);
    }
    void beginStream(int status, HttpHeaders) override
    {
        ++answers;
        last = HttpResponse(status);
    }
    void writeChunk(QByteArray) override {}
    void endStream() override {}
    void abandon() override { ++abandoned; }
    bool clientStillThere() const override { return true; }

    int answers = 0;
    int abandoned = 0;
    HttpResponse last;
};

// The gateway's routes (gateway/http/gatewayserver.cpp, pdp/pdpendpoints.cpp,
// mcp/mcpproxy.cpp), with the method each accepts.
struct RouteSpec {
    const char *pattern;
    HttpMethod method;
};
constexpr RouteSpec gatewayRoutes[] = {
    {"/healthz", HttpMethod::Get},
    {"/companion/v1/pair", HttpMethod::Post},
    {"/approvals", HttpMethod::Post},
    {"/approvals/<arg>", HttpMethod::Get},
    {"/approvals/<arg>/token", HttpMethod::Post},
    {"/.well-known/authzen-configuration", HttpMethod::Get},
    {"/.well-known/jwks.json", HttpMethod::Get},
    {"/access/v1/evaluation", HttpMethod::Post},
    {"/access/v1/evaluations", HttpMethod::Post},
    {"/mcp", HttpMethod::Post},
    {"/mcp", HttpMethod::Delete},
    {"/mcp", HttpMethod::Get},
};

struct RoutedTo {
    QString pattern;
    QStringList args;
};

const HttpRouter &router(std::shared_ptr<RoutedTo> &routed)
{
    static auto target = std::make_shared<RoutedTo>();
    static const HttpRouter instance = [] {
        HttpRouter r;
        for (const RouteSpec &spec : gatewayRoutes) {
            const QString pattern = QString::fromLatin1(spec.pattern);
            r.route(
                pattern, spec.method,
                HttpRouter::SimpleHandler([pattern](const HttpRequest &, const QStringList &args) {
                    target->pattern = pattern;
                    target->args = args;
                    return HttpResponse(HttpStatus::ok);
                }));
        }
        return r;
    }();
    routed = target;
    return instance;
}

const QByteArray agentKey = QByteArrayLiteral("fuzz-agent-key-0123456789");

const AgentDirectory &agents()
{
    static const AgentDirectory directory(
        QList<McpAgent>{{QStringLiteral("fuzz-agent"), QStringLiteral("alice@example.com"),
                         QCryptographicHash::hash(agentKey, QCryptographicHash::Sha256)}});
    return directory;
}

void checkTarget(const HttpRequest &request)
{
    const qsizetype question = request.target.indexOf('?');
    if (question < 0) {
        require(request.query.isEmpty());
        require(request.path == QUrl::fromPercentEncoding(request.target));
    } else {
        require(request.target.left(question) + '?' + request.query == request.target);
        require(request.path == QUrl::fromPercentEncoding(request.target.left(question)));
    }
}

void checkHeaders(const HttpRequest &request)
{
    for (const auto &[name, value] : request.headers) {
        const auto found = request.header(name.toUpper());
        require(found.has_value());
        // The first field of that name, whatever its case.
        for (const auto &[otherName, otherValue] : request.headers) {
            if (otherName.compare(name, Qt::CaseInsensitive) == 0) {
                require(*found == otherValue);
                break;
            }
        }
    }
}

void checkRouting(const HttpRequest &request, const EdgeLimits &limits)
{
    std::shared_ptr<RoutedTo> routed;
    const HttpRouter &r = router(routed);
    routed->pattern.clear();
    routed->args.clear();
    auto sink = std::make_shared<CountingSink>();
    r.handle(request, Responder(sink));
    require(sink->answers == 1 && sink->abandoned == 0);
    if (routed->pattern.isEmpty()) {
        require(sink->last.status == HttpStatus::notFound);
        require(sink->last.header("Content-Type") == QByteArray("application/json"));
        return;
    }
    for (const QString &arg : routed->args)
        require(!arg.isEmpty());
    // The edge picks the body limit from the raw target, before routing.
    const std::string rawTarget = request.target.toStdString();
    const std::string_view rawPath = std::string_view(rawTarget).substr(0, rawTarget.find('?'));
    QString routePath = routed->pattern;
    routePath.replace(QStringLiteral("<arg>"), QStringLiteral("x"));
    require(limits.bodyLimitFor(rawPath) <= limits.bodyLimitFor(routePath.toStdString()));
}

void checkAuthorization(const HttpRequest &request)
{
    const QByteArray header = request.value("Authorization");
    const bool expected = header.left(7).compare("Bearer ", Qt::CaseInsensitive) == 0
        && header.mid(7).trimmed() == agentKey;
    const auto agent = agents().authenticate(header);
    require(agent.has_value() == expected);
}

void checkEchoedHead(const HttpRequest &request)
{
    HttpResponse response(HttpStatus::ok);
    if (const QByteArray id = request.value("X-Request-ID"); isEchoableToken(id))
        response.setHeader("X-Request-ID", id);
    for (const auto &[name, value] : request.headers)
        response.headers.append({name, value}); // as if a route echoed them
    for (const bool chunked : {false, true}) {
        const std::string head =
            edge::serializeHead(response.status, response.headers, std::size_t(0), chunked, true);
        // One head, ending the first time a blank line appears, and no bare
        // CR, LF or NUL anywhere in it.
        require(head.size() >= 4 && head.ends_with("\r\n\r\n"));
        require(head.find("\r\n\r\n") == head.size() - 4);
        for (std::size_t i = 0; i < head.size(); ++i) {
            const char c = head[i];
            require(c != '\0');
            if (c == '\r')
                require(i + 1 < head.size() && head[i + 1] == '\n');
            if (c == '\n')
                require(i > 0 && head[i - 1] == '\r');
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const EdgeLimits limits;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.headerBytes));
    parser.body_limit(limits.largestBody());
    parser.eager(true);
    beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (ec || !parser.is_done())
        return 0;
    const edge::Peer peer{QHostAddress(QHostAddress::LocalHost), 40000};
    const HttpRequest request = edge::toHttpRequest(parser.release(), peer);
    checkTarget(request);
    checkHeaders(request);
    checkRouting(request, limits);
    checkAuthorization(request);
    checkEchoedHead(request);
    return 0;
}
