#pragma once

#include "gateway/store/store.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/messages/sarc.h"

#include <chrono>
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
    // Who asks (only admin approvals are redeemable through the admin API)
    // and, for the MCP proxy, what identifies the operation across restarts.
    ApprovalOrigin origin = ApprovalOrigin::AdminApi;
    QByteArray dedupeKey;
};

// What one agent, and one user, may have waiting for a person
// (approvals.limits in the configuration, docs/gateway.md). Counted in the
// store, so a restart does not reset them. The agent is the request's
// subject.agent.
struct ApprovalLimits {
    int pendingPerAgent = 20;
    int perMinutePerAgent = 30;
    int pendingPerUser = 50;
    int perMinutePerUser = 60;
    // The SARC (RFC 8785 canonical JSON) the person sees; a larger one is
    // refused, never cut. 8 KiB keeps the signed request (base64url: 4/3)
    // and its envelope far under the channel's 64 KiB message limit.
    qsizetype maxSarcBytes = 8 * 1024;
    // Push fatigue: after this many denials within holdWindow for one agent
    // of a user, its new requests are held (not shown) until fewer remain
    // in the window. 0 turns holding off.
    int holdAfterDenials = 3;
    std::chrono::seconds holdWindow = std::chrono::minutes(10);
};

// Why ApprovalBroker::create raised no approval although the spec was valid.
struct ApprovalRefusal {
    enum class Kind {
        SarcTooLarge,
        AgentPending,
        AgentRate,
        UserPending,
        UserRate,
        Held,    // push-fatigue hold: `until` says when it ends
        Storage, // the counts could not be read: refused, fail closed
    };
    Kind kind = Kind::Storage;
    QString message; // for the agent and the admin: what happened, what to do
    qint64 until = 0;
    int heldCount = 0; // Held: requests held during this hold, this one included
};

// Why a proof was refused (docs/protocol.md 4.1): the `error` message the
// companion gets, with the code, the attempts left for invalid_code, and the
// request id the proof named (even when its signature did not verify), so
// the companion knows which of its answers was refused.
using ProofRejection = channel::ErrorReply;

} // namespace countersign::gateway

Q_DECLARE_METATYPE(countersign::gateway::ApprovalRecord)
