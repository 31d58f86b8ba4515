#pragma once

#include "gateway/store/store.h"
#include "protocol/messages/channelmessage.h"
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

// Why a proof was refused (docs/protocol.md 4.1): the `error` message the
// companion gets, with the code, the attempts left for invalid_code, and the
// request id the proof named (even when its signature did not verify), so
// the companion knows which of its answers was refused.
using ProofRejection = channel::ErrorReply;

} // namespace countersign::gateway

Q_DECLARE_METATYPE(countersign::gateway::ApprovalRecord)
