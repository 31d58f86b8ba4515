#include "externalpdp.h"

#include "gateway/pdp/authzenmodel.h"

#include <memory>

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QTimer>
#include <QUuid>

Q_LOGGING_CATEGORY(lcExternalPdp, "countersign.gateway.pdp.external")

namespace countersign::gateway {

ExternalPdp::ExternalPdp(ExternalPdpConfig config, QNetworkAccessManager &network, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_network(network)
{
}

const ExternalPdpConfig &ExternalPdp::config() const
{
    return m_config;
}

void ExternalPdp::evaluate(const AccessRequest &request, const QObject *context, Callback done,
                           const QString &requestId)
{
    QNetworkRequest http(m_config.evaluationUrl());
    http.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    http.setRawHeader("Accept", "application/json");
    const QString id =
        requestId.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : requestId;
    http.setRawHeader("X-Request-ID", id.toUtf8());
    // A redirect would send the question (and trust the answer) somewhere
    // the configuration did not name; treat it as a non-200.
    http.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                      QNetworkRequest::ManualRedirectPolicy);
    const QByteArray body = QJsonDocument(request.toJson()).toJson(QJsonDocument::Compact);
    QNetworkReply *reply = m_network.post(http, body);

    // Whole-call deadline (transferTimeout only limits silence), owned by
    // the reply so it dies with it.
    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    auto timedOut = std::make_shared<bool>(false);
    connect(deadline, &QTimer::timeout, reply, [reply, timedOut] {
        *timedOut = true;
        reply->abort();
    });
    deadline->start(m_config.timeout);

    // Refuse oversized answers as they arrive rather than buffering them.
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > maxResponseBytes)
            reply->abort();
    });

    const QPointer<const QObject> guard(context);
    const QString url = m_config.evaluationUrl().toString();
    const qint64 timeoutMs = m_config.timeout.count();
    connect(
        reply, &QNetworkReply::finished, this,
        [reply, guard, done = std::move(done), timedOut, url, id, timeoutMs] {
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray answer = reply->read(maxResponseBytes + 1);
            AccessDecision decision;
            if (*timedOut) {
                decision = AccessDecision::deny(
                    QStringLiteral("the external PDP did not answer within %1 ms").arg(timeoutMs));
            } else if (reply->error() != QNetworkReply::NoError && status == 0) {
                decision =
                    AccessDecision::deny(QStringLiteral("the external PDP cannot be reached: %1")
                                             .arg(reply->errorString()));
            } else if (status != 200) {
                decision = AccessDecision::deny(
                    QStringLiteral("the external PDP answered HTTP %1").arg(status));
            } else if (answer.size() > maxResponseBytes
                       || reply->error() != QNetworkReply::NoError) {
                decision = AccessDecision::deny(
                    QStringLiteral("the external PDP's answer is over %1 bytes or cut short")
                        .arg(maxResponseBytes));
            } else {
                decision = AccessDecision::fromAuthzenResponse(answer);
            }
            if (!decision.isAllow()) {
                qCInfo(lcExternalPdp).noquote()
                    << "request" << id << "to" << url << "->"
                    << (decision.isStepUp() ? "step-up" : "deny") << decision.reason;
            }
            if (guard)
                done(decision);
        });
}

} // namespace countersign::gateway
