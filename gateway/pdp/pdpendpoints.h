#pragma once

#include "gateway/edge/httprouter.h"
#include "gateway/pdp/authzensearch.h"
#include "gateway/pdp/evaluationfastpath.h"

#include <functional>
#include <optional>

#include <QJsonObject>
#include <QUrl>

namespace countersign::gateway {

class PolicyDecisionPoint;

// The embedded PDP's AuthZEN HTTP API:
//   POST /access/v1/evaluation            one decision
//   POST /access/v1/evaluations           a batch, with evaluations_semantic
//   POST /access/v1/search/subject        who may do action on resource?
//   POST /access/v1/search/resource       on what may subject do action?
//   POST /access/v1/search/action         what may subject do on resource?
//   GET  /.well-known/authzen-configuration   PDP metadata (public)
// Decisions are 200 (deny is {"decision": false}, not an HTTP error).
// Errors are JSON {"error": code, "message": text}: 401 "unauthorized"
// (with WWW-Authenticate: Bearer) when the authenticator refuses the
// request, 400 "unsupported_media_type" without Content-Type:
// application/json, 400 "malformed_request" for a body that is not a valid
// request (bodies over limits.authzen_body_bytes never get here: the edge
// answers 413). X-Request-ID is echoed on every answer, errors included,
// when it is a short printable token (isEchoableToken).
// The decision and search endpoints are closed until setAuthenticator()
// says who may ask: a decision, and even more a search, tells what the
// policy allows (AuthZEN: the PDP SHOULD authenticate the PEP).
class PdpEndpoints {
public:
    // pdp must outlive this object. publicUrl is the gateway's public URL;
    // it is the policy_decision_point identifier in the metadata.
    PdpEndpoints(const PolicyDecisionPoint &pdp, QUrl publicUrl);

    // Who may ask for decisions and searches (the gateway: the admin
    // bearer token). Unset, every such request is answered 401. Set before
    // serving: it is called on I/O threads.
    using Authenticator = std::function<bool(const HttpRequest &)>;
    void setAuthenticator(Authenticator authenticator);

    // Adds the six routes; this object must outlive the server's use of
    // them (the routes call back into it).
    void addRoutes(HttpRouter &router);
    // The answer to a request for one of the routes' exact method and path,
    // or nullopt for any other request. Thread-safe: for the edge's I/O
    // threads (EdgeServer::setIoThreadHandler).
    std::optional<HttpResponse> answer(const HttpRequest &request) const;

    // With port 0 the URL is only known after listening.
    void setPublicUrl(QUrl publicUrl);
    QJsonObject discoveryDocument() const;

    // What the routes answer once the caller is authenticated and the body
    // is declared JSON (addRoutes and answer() check both first): the body
    // alone decides. For benchmarks, fuzzing and the fast-path tests.
    HttpResponse evaluation(const HttpRequest &request) const;
    HttpResponse evaluations(const HttpRequest &request) const;
    HttpResponse search(SearchKind kind, const HttpRequest &request) const;
    HttpResponse configuration(const HttpRequest &request) const;

private:
    QString endpoint(const QString &path) const;
    // The 401 or 400 a decision or search request gets before its body is
    // read, or nullopt when it may go on.
    std::optional<HttpResponse> refusal(const HttpRequest &request) const;
    // answer() unless refusal() refuses the request.
    template <typename Answer>
    HttpResponse guarded(const HttpRequest &request, Answer answer) const;

    const PolicyDecisionPoint &m_pdp;
    EvaluationFastPath m_fastPath;
    AuthzenSearch m_search;
    Authenticator m_authenticator;
    QUrl m_publicUrl;
};

} // namespace countersign::gateway
