#pragma once

#include "bench/load/callclient.h"

#include <array>

#include <QByteArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QUrl>

namespace countersign::load {

// A policy enforcement point asking the gateway's AuthZEN API: each call is
// one POST /access/v1/evaluation (batch 1) or one POST /access/v1/evaluations
// with `batch` items. Inputs cycle through an allowed call (get_user), one
// that needs a step-up (disable_user) and a denied one (delete_user), and
// every answer is checked against what the demo policy decides. Its own
// QNetworkAccessManager gives each client its own connection.
class AuthzenClient : public CallClient {
public:
    AuthzenClient(const QUrl &gateway, const QByteArray &adminToken, int batch);

    void call(qint64 sequence, Done done) override;
    int batch() const { return m_batch; }

private:
    enum class Expected { Allow, StepUp, Deny };
    static constexpr std::array<Expected, 3> cycle{Expected::Allow, Expected::StepUp,
                                                   Expected::Deny};

    static QString check(const QJsonObject &answer, Expected expected);

    QNetworkAccessManager m_network;
    QUrl m_url;
    QByteArray m_authorization;
    int m_batch = 1;
    std::array<QByteArray, 3> m_singleBodies; // one per entry of `cycle`
    QByteArray m_batchBody;                   // item i expects cycle[i % 3]
};

} // namespace countersign::load
