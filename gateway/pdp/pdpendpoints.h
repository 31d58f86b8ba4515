#pragma once

#include "gateway/edge/httprouter.h"
#include "gateway/pdp/evaluationfastpath.h"

#include <QJsonObject>
#include <QUrl>

namespace countersign::gateway {

class PolicyDecisionPoint;

// The embedded PDP's AuthZEN HTTP API:
//   POST /access/v1/evaluation            one decision
//   POST /access/v1/evaluations           a batch, with evaluations_semantic
//   GET  /.well-known/authzen-configuration   PDP metadata
// Decisions are 200 (deny is {"decision": false}, not an HTTP error);
// malformed requests are 400 {"error": "malformed_request", "message"}
// (bodies over limits.authzen_body_bytes never get here: the edge answers
// 413). X-Request-ID is echoed on every answer when it
// is a short printable token (isEchoableToken).
// Authentication is left to the caller (AuthZEN leaves it out of scope):
// anyone who reaches these routes can ask what the policy would decide.
class PdpEndpoints {
public:
    // pdp must outlive this object. publicUrl is the gateway's public URL;
    // it is the policy_decision_point identifier in the metadata.
    PdpEndpoints(const PolicyDecisionPoint &pdp, QUrl publicUrl);

    // Adds the three routes; this object must outlive the server's use of
    // them (the routes call back into it).
    void addRoutes(HttpRouter &router);

    // With port 0 the URL is only known after listening.
    void setPublicUrl(QUrl publicUrl);
    QJsonObject discoveryDocument() const;

    HttpResponse evaluation(const HttpRequest &request) const;
    HttpResponse evaluations(const HttpRequest &request) const;
    HttpResponse configuration(const HttpRequest &request) const;

private:
    QString endpoint(const QString &path) const;

    const PolicyDecisionPoint &m_pdp;
    EvaluationFastPath m_fastPath;
    QUrl m_publicUrl;
};

} // namespace countersign::gateway
