// Any bytes as the body of the embedded PDP's AuthZEN Search APIs (POST
// /access/v1/search/{subject,resource,action}, gateway/pdp) and as a page
// token. Properties:
//  - every search answers 200 or 400, always with a JSON object: 400 is
//    {"error": "malformed_request", "message"}; 200 has "page" with a string
//    "next_token" and a "count" equal to the number of "results", and no
//    more results than the page allows;
//  - a next_token, sent back with the same request, is accepted (200), and
//    walking the pages never returns a result twice;
//  - the bytes as page.token of a valid request are refused (400) unless
//    they are a token this gateway made for it: never a crash, never a
//    position outside the directory.
#include "gateway/edge/httpmessage.h"
#include "gateway/pdp/authzensearch.h"
#include "gateway/pdp/pdpendpoints.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUrl>

using namespace countersign;
using namespace countersign::gateway;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

const char *const policyYaml = R"(rules:
  - name: read
    match: {action: "get_*", resource_type: tool}
    effect: allow
  - name: admin
    match: {subject_id: "admin@*"}
    effect: allow
  - name: approval
    match: {action: "disable_*"}
    effect: step_up
  - name: rest
    effect: deny
)";

const PolicyDecisionPoint &pdp()
{
    static const PolicyDecisionPoint instance = [] {
        PolicyDecisionPoint made(Policy::parse(policyYaml, QStringLiteral("fuzz.yaml")).value());
        auto directory = std::make_shared<EntityDirectory>();
        for (const char *id : {"alice@example.com", "admin@example.com", "bob@example.com"})
            directory->addSubject({QStringLiteral("user"), QString::fromLatin1(id), {}});
        for (const char *id : {"directory/get_user", "directory/set_user", "other/x"})
            directory->addResource({QStringLiteral("tool"), QString::fromLatin1(id), {}});
        directory->setActions({QStringLiteral("get_user"), QStringLiteral("set_user"),
                               QStringLiteral("disable_user")});
        made.setDirectory(std::move(directory));
        return made;
    }();
    return instance;
}

// Small pages and a small bound, so that paging and the bound are reached.
const PdpEndpoints &endpoints()
{
    static const PdpEndpoints instance(pdp(), QUrl(QStringLiteral("https://gateway.example")));
    return instance;
}

HttpRequest requestWith(const QByteArray &body)
{
    HttpRequest request;
    request.method = HttpMethod::Post;
    request.headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
    request.body = body;
    return request;
}

// The answer's next_token ("" on the last page); aborts on a broken answer.
QString checkAnswer(const HttpResponse &response)
{
    require(response.status == 200 || response.status == 400);
    const QJsonDocument document = QJsonDocument::fromJson(response.body);
    require(document.isObject());
    const QJsonObject body = document.object();
    if (response.status == 400) {
        require(body.value(QStringLiteral("error")).toString() == u"malformed_request");
        require(body.value(QStringLiteral("message")).isString());
        return {};
    }
    const QJsonObject page = body.value(QStringLiteral("page")).toObject();
    require(page.value(QStringLiteral("next_token")).isString());
    const QJsonArray results = body.value(QStringLiteral("results")).toArray();
    require(page.value(QStringLiteral("count")).toInt(-1) == results.size());
    require(results.size() <= SearchLimits{}.maxPageSize);
    return page.value(QStringLiteral("next_token")).toString();
}

void walk(SearchKind kind, const QByteArray &body)
{
    HttpResponse response = endpoints().search(kind, requestWith(body));
    QString token = checkAnswer(response);
    if (response.status != 200 || token.isEmpty())
        return;
    QSet<QByteArray> seen;
    for (const QJsonValue &result :
         QJsonDocument::fromJson(response.body).object().value(QStringLiteral("results")).toArray())
        seen.insert(QJsonDocument(result.toObject()).toJson(QJsonDocument::Compact));
    // The directory is small: a handful of pages at most.
    for (int page = 0; page < 10 && !token.isEmpty(); ++page) {
        QJsonObject next = QJsonDocument::fromJson(body).object();
        QJsonObject paging = next.value(QStringLiteral("page")).toObject();
        paging.insert(QStringLiteral("token"), token);
        next.insert(QStringLiteral("page"), paging);
        response = endpoints().search(kind, requestWith(QJsonDocument(next).toJson()));
        require(response.status == 200);
        token = checkAnswer(response);
        for (const QJsonValue &result : QJsonDocument::fromJson(response.body)
                                            .object()
                                            .value(QStringLiteral("results"))
                                            .toArray()) {
            const QByteArray key = QJsonDocument(result.toObject()).toJson(QJsonDocument::Compact);
            require(!seen.contains(key));
            seen.insert(key);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    for (const SearchKind kind : {SearchKind::Subject, SearchKind::Resource, SearchKind::Action})
        walk(kind, bytes);

    // The bytes as a page token of a request that is valid for all three.
    QJsonObject request{{QStringLiteral("subject"),
                         QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                                     {QStringLiteral("id"), QStringLiteral("bob@example.com")}}},
                        {QStringLiteral("action"),
                         QJsonObject{{QStringLiteral("name"), QStringLiteral("get_user")}}},
                        {QStringLiteral("resource"),
                         QJsonObject{{QStringLiteral("type"), QStringLiteral("tool")},
                                     {QStringLiteral("id"), QStringLiteral("directory/get_user")}}},
                        {QStringLiteral("page"),
                         QJsonObject{{QStringLiteral("limit"), 1},
                                     {QStringLiteral("token"), QString::fromLatin1(bytes)}}}};
    for (const SearchKind kind : {SearchKind::Subject, SearchKind::Resource, SearchKind::Action})
        checkAnswer(endpoints().search(kind, requestWith(QJsonDocument(request).toJson())));
    return 0;
}
