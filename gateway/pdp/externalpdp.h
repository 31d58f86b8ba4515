#pragma once

#include "gateway/pdp/accessdecision.h"
#include "gateway/pdp/externalpdpconfig.h"

#include <functional>

#include <QObject>

class QNetworkAccessManager;

namespace countersign::gateway {

struct AccessRequest;

// Asks an external AuthZEN PDP (POST <url>/access/v1/evaluation) and fails
// closed: a transport error, the timeout, a status other than 200, a body
// over 64 KiB, malformed JSON or an obligation we cannot fulfil all answer
// deny, with a reason that says which (for logs; the agent sees a deny).
class ExternalPdp : public QObject {
    Q_OBJECT

public:
    static constexpr qint64 maxResponseBytes = 64 * 1024;
    using Callback = std::function<void(const AccessDecision &)>;

    // network must outlive this object.
    ExternalPdp(ExternalPdpConfig config, QNetworkAccessManager &network,
                QObject *parent = nullptr);

    // Sends the request; done runs exactly once, later, on this object's
    // thread, unless context or this object is destroyed first (then
    // never). requestId, if
    // not empty, is sent as X-Request-ID; otherwise a fresh one is made.
    void evaluate(const AccessRequest &request, const QObject *context, Callback done,
                  const QString &requestId = {});

    const ExternalPdpConfig &config() const;

private:
    ExternalPdpConfig m_config;
    QNetworkAccessManager &m_network;
};

} // namespace countersign::gateway
