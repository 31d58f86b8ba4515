#pragma once

#include "protocol/messages/approvalrequest.h"

#include <QJsonObject>
#include <QtGlobal>

namespace countersign::testing {

// The demo's example: an agent acting for alice asks to disable user bob.
inline Sarc sampleSarc()
{
    Sarc sarc;
    sarc.subject.id = QStringLiteral("alice@example.com");
    sarc.subject.agent = QStringLiteral("claude-code");
    sarc.action.name = QStringLiteral("disable_user");
    sarc.resource.type = QStringLiteral("tool");
    sarc.resource.id = QStringLiteral("directory/disable_user");
    sarc.resource.properties =
        QJsonObject{{QStringLiteral("arguments"),
                     QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}}}};
    sarc.context.verified = QJsonObject{{QStringLiteral("session"), QStringLiteral("s-1")}};
    sarc.context.agentSupplied =
        QJsonObject{{QStringLiteral("reason"), QStringLiteral("Bob left the company")}};
    return sarc;
}

inline ApprovalRequest sampleRequest(qint64 now)
{
    ApprovalRequest request;
    request.requestId = QStringLiteral("req_7Hk2");
    request.gatewayId = QStringLiteral("https://gateway.example.com");
    request.sarc = sampleSarc();
    request.nonce = QByteArray(16, '\x5a');
    request.issuedAt = now;
    request.expiresAt = now + 120;
    request.methods = {ApprovalMethod::Passkey, ApprovalMethod::Totp};
    return request;
}

// What the companion's dialogs get: `request` signed by the gateway's key
// and verified with it, as GatewayClient does with the pinned key. A sample
// that does not verify is a broken test, so it stops the test program.
inline VerifiedApprovalRequest verifiedAsReceived(const ApprovalRequest &request,
                                                  const EcPrivateKey &gatewayKey,
                                                  const Clock &clock)
{
    const auto compact = request.sign(gatewayKey);
    if (!compact.ok())
        qFatal("sample request cannot be signed: %s", qPrintable(compact.error().message));
    const auto checked =
        verifyApprovalRequest(compact.value(), gatewayKey.publicKey(), request.gatewayId, clock);
    if (!checked.ok())
        qFatal("sample request does not verify: %s", qPrintable(checked.error().message));
    return checked.value();
}

} // namespace countersign::testing
