#pragma once

#include "protocol/result.h"

#include <chrono>

#include <QByteArray>
#include <QUrl>

namespace countersign::gateway {

// The gateway configuration's `pdp:` section, for deployments that decide
// with their own AuthZEN PDP instead of the embedded policy:
//
//   pdp:
//     url: https://pdp.example.com   required; the PDP's base URL, to which
//                                    /access/v1/evaluation is appended.
//                                    https, or http on loopback only: a
//                                    decision read off the network in
//                                    clear could be forged.
//     timeout: 2s                    optional, 1s..30s, default 2s; a PDP
//                                    slower than this counts as a deny.
struct ExternalPdpConfig {
    static constexpr auto defaultTimeout = std::chrono::seconds(2);
    static constexpr auto minTimeout = std::chrono::seconds(1);
    static constexpr auto maxTimeout = std::chrono::seconds(30);

    QUrl url; // base URL, no trailing "/"
    std::chrono::milliseconds timeout = defaultTimeout;

    // The evaluation endpoint: url + "/access/v1/evaluation".
    QUrl evaluationUrl() const;

    // yaml and line as in GatewayConfig::reserved["pdp"]; errors read
    // "gateway.yaml:50: pdp.url: ...".
    static Result<ExternalPdpConfig> fromConfigSection(const QByteArray &yaml, int line,
                                                       const QString &configPath);
};

} // namespace countersign::gateway
