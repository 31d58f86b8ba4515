#pragma once

#include <QString>
#include <QUrl>

namespace countersign::gateway {

// Who the passkeys are for (docs/protocol.md 8.1): the WebAuthn RP id that
// security keys scope credentials to, and the origin every clientDataJSON
// must name.
struct RelyingParty {
    static constexpr int maxPasskeysPerUser = 10;

    QString id;     // "gw.example.com": passkeys.rp_id, else the gateway URL's host
    QString origin; // the gateway id ("https://gw.example.com")

    // rp id = configuredId when given, else the host of gatewayUrl.
    static RelyingParty forGateway(const QUrl &gatewayUrl, const QString &configuredId);
};

} // namespace countersign::gateway
