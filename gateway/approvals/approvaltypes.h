#pragma once

#include "gateway/store/store.h"
#include "protocol/messages/sarc.h"

#include <optional>

#include <QMetaType>

namespace countersign::gateway {

// What a caller (the MCP proxy, POST /approvals) asks a person to approve.
struct ApprovalSpec {
    Sarc sarc;
    QList<ApprovalMethod> methods{ApprovalMethod::Totp};
    qint64 timeoutSeconds = 120;
    QString upstream;         // audience of the elevated token
    QByteArray argumentsHash; // SHA-256 of the call's canonical arguments
    // A passkey approval must carry UV (policy user_verification: required).
    // Kept with the approval; the signed request does not carry it.
    bool userVerificationRequired = false;
};

// Why a proof was refused, with the reason name of docs/protocol.md 4.1.
struct ProofRejection {
    QString reason; // "bad_signature", "invalid_code", ...
    QString message;
    std::optional<int> attemptsLeft;
};

} // namespace countersign::gateway

Q_DECLARE_METATYPE(countersign::gateway::ApprovalRecord)
