#pragma once

#include "gateway/pdp/authzenmodel.h"
#include "protocol/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace countersign::gateway {

class PolicyDecisionPoint;

// The AuthZEN 1.0 Search APIs ("which subjects / resources / actions would
// be permitted?"), answered from the embedded PDP's policy information point
// (EntityDirectory): each candidate of the searched kind is put into the
// request and evaluated with PolicyDecisionPoint::evaluate, exactly as an
// Access Evaluation would be; the permitted ones (decision true; a step-up
// is not a permit) are the results, in directory order.
//   subject search   candidates: directory().subjects(subject.type)
//   resource search  candidates: directory().resources(resource.type)
//   action search    candidates: directory().actions() (gateway.yaml
//                    `actions:`); none listed, no action is ever found
enum class SearchKind { Subject, Resource, Action };

QString searchKindName(SearchKind kind); // "subject", "resource", "action"

// A Search API request body. The searched entity carries only its type (an
// id sent with it is ignored, as AuthZEN says); the action search takes no
// action (one sent is ignored).
struct SearchRequest {
    SearchKind kind = SearchKind::Subject;
    AuthzenEntity subject;
    AuthzenAction action;
    AuthzenEntity resource;
    QJsonObject context;
    QString pageToken;    // page.token; empty: the first page
    qint64 pageLimit = 0; // page.limit; 0: not given

    // Errors (InvalidField, MissingField) name the member, as
    // AccessRequest::fromJson does.
    static Result<SearchRequest> fromJson(SearchKind kind, const QJsonObject &body);
};

// Bounds of one search request: a search can never cost more than
// maxCandidatesPerRequest decisions, however large the directory, nor
// answer more than maxPageSize results.
struct SearchLimits {
    qint64 defaultPageSize = 100;          // no page.limit
    qint64 maxPageSize = 1000;             // a larger page.limit is lowered to this
    qint64 maxCandidatesPerRequest = 1000; // decisions per request; more continue on the next page
};

// Thread-safe (const, no shared mutable state) as PolicyDecisionPoint is:
// the I/O threads answer searches.
class AuthzenSearch {
public:
    explicit AuthzenSearch(const PolicyDecisionPoint &pdp, SearchLimits limits = {});

    // The response body, compact JSON with members in the order AuthZEN
    // recommends (page first; each result {"type","id"} or {"name"}):
    //   {"page":{"next_token":"<token or empty>","count":N},"results":[...]}
    // next_token is empty on the last page. Errors are a bad request (400):
    // a token that is not one this gateway made for this very request
    // (entities, context and limit unchanged) is refused, never guessed at.
    Result<QByteArray> search(const SearchRequest &request) const;

    const SearchLimits &limits() const { return m_limits; }

private:
    const PolicyDecisionPoint &m_pdp;
    SearchLimits m_limits;
};

} // namespace countersign::gateway
