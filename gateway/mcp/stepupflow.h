#pragma once

#include "gateway/approvals/approvalbroker.h"
#include "gateway/mcp/mcpaudit.h"
#include "gateway/mcp/requeststate.h"
#include "gateway/mcp/responsestream.h"
#include "gateway/mcp/toolcall.h"
#include "gateway/pdp/accessdecision.h"

#include <chrono>
#include <functional>
#include <memory>

#include <QHash>
#include <QObject>
#include <QTimer>

namespace countersign::gateway {

struct StepUpTimings {
    // How often a waiting client hears from the gateway (progress
    // notification or SSE comment): well inside the 60 s request timeout
    // of the MCP SDKs, which progress resets when the client asks it to.
    std::chrono::milliseconds progressInterval = std::chrono::seconds(10);
    // How long an approval whose client had left waits for the same call to
    // come again.
    std::chrono::seconds freshApproval = std::chrono::seconds(300);
    // When the policy rule names no timeout (the gateway's approvals.timeout).
    std::chrono::seconds approvalTimeout = std::chrono::seconds(120);
};

// How a step-up is a multi round-trip request for MCP 2026-07-28 clients.
struct StepUpRoundTrips {
    // Seals the requestState of an input_required result; null: a key of
    // this process only (tests; states die with the gateway).
    std::shared_ptr<const RequestStateSealer> states;
    // The approval page for URL-mode elicitation; empty: form mode only.
    std::function<QString(const QString &approvalId)> approvalLink;
};

// The step-up half of the MCP proxy: a tools/call the policy answered with
// "step-up" becomes an approval (ApprovalBroker), the client hears what to
// do (progress notifications, a form elicitation with no fields) while a
// person decides in the companion, and the call goes upstream with the
// elevated token once, when approved.
//
// An approval belongs to (user, agent, upstream tool, arguments hash), not
// to one HTTP request: a client that timed out and calls again attaches to
// the pending or freshly approved approval instead of raising another.
class StepUpFlow : public QObject {
    Q_OBJECT

public:
    using Stream = std::shared_ptr<ResponseStream>;

    // The key of the one elicitation in an input_required result.
    static constexpr auto inputRequestKey = "countersign_approval";

    StepUpFlow(ApprovalBroker &broker, McpAudit &audit, const Clock &clock,
               StepUpTimings timings = {}, StepUpRoundTrips roundTrips = {},
               QObject *parent = nullptr);
    ~StepUpFlow() override;

    // Takes over the call: answers `stream` when the approval ends, or
    // (2026-07-28, a client that declared elicitation) at once with an
    // input_required result whose retry (ToolCall::requestState) then waits.
    void begin(const ToolCall &call, const AccessDecision &decision, Stream stream);

    // A client's JSON-RPC response (to an elicitation/create) on `sessionId`;
    // false when it answers nothing this flow asked.
    bool handleClientResponse(const QString &sessionId, const QJsonObject &message);

    // Pending approvals this flow is waiting for (for tests and logs).
    qsizetype pendingCount() const { return m_byApproval.size(); }
    // Calls held open waiting for a person's decision (for tests and logs).
    qsizetype heldCallCount() const
    {
        qsizetype held = 0;
        for (const Entry &entry : m_byApproval)
            held += entry.waiters.size();
        return held;
    }

private:
    struct Waiter {
        ToolCall call;
        AccessDecision decision;
        Stream stream;
        QString elicitationId; // outstanding elicitation/create, if any
        double progress = 0;
    };
    struct Entry {
        QString approvalId;
        QString key;
        QString bindingCode;
        QString action;
        qint64 expiresAt = 0;
        enum class Phase {
            Pending,  // the person has not answered
            Approved, // approved, waiting for its caller (who had left) to call again
            Running,  // approved and its one upstream call is running
        };
        Phase phase = Phase::Pending;
        qint64 freshUntil = 0; // approved: when the approval stops waiting for a re-call
        QString method;        // approved: how ("TOTP", "passkey")
        QList<Waiter> waiters;
    };

    static QString keyFor(const ToolCall &call);
    // The same call again (in memory, kept result, or stored approval);
    // false when there is no approval to join.
    bool joinKnown(const ToolCall &call, const AccessDecision &decision, Stream &stream);
    // A pending approval: the caller waits on its stream, or is asked for
    // input (input_required) when it is a 2026-07-28 first call.
    void waitOrAsk(Entry &entry, const ToolCall &call, const AccessDecision &decision,
                   Stream stream);
    bool asksForInput(const ToolCall &call) const;
    void askForInput(const Entry &entry, const ToolCall &call, const AccessDecision &decision,
                     Stream stream);
    // A 2026-07-28 retry: its requestState is opened and checked against
    // the authenticated caller and this call before anything else.
    void retry(const ToolCall &call, const AccessDecision &decision, Stream stream);
    std::optional<RequestState> openState(const ToolCall &call, const AccessDecision &decision,
                                          const Stream &stream);
    // What an ended approval means for its caller, in words, and the outcome
    // for programs ("denied", "expired", "cancelled").
    static std::pair<QString, QString> endedText(const ApprovalRecord &approval,
                                                 const QString &bindingCode, const QString &action);
    // SHA-256 of keyFor(): stored with the approval so that the same call
    // after a restart finds it (ApprovalBroker::forOperation).
    static QByteArray dedupeKeyFor(const QString &key);
    // Attaches to the stored approval of this operation when memory has
    // none (the gateway restarted); false when there is none to attach to.
    bool resumeStored(const QString &key, const ToolCall &call, const AccessDecision &decision,
                      Stream &stream);
    Entry &remember(const ApprovalRecord &approval, const QString &key, const QString &action);
    // The machine-readable part of what the agent is told (_meta).
    static QJsonObject approvalDetails(const Entry &entry);
    void attach(Entry &entry, const ToolCall &call, const AccessDecision &decision, Stream stream);
    void onResolved(const ApprovalRecord &approval);
    // Redeems the approval (unless `token` was already) and runs the call.
    void useApproval(Entry &entry, Waiter waiter, std::optional<ElevatedToken> token = {});
    void deliverResult(const QString &approvalId, const QJsonObject &response);
    // The approved call's record could not be made durable: it is not run.
    void refuseUnrecorded(const QString &approvalId);
    void tick();
    void updateTimer();
    QString waitingMessage(const Entry &entry) const;
    // What the person does: "open Countersign ... with binding code 59".
    static QString instruction(const Entry &entry);
    // Answers at once, with the binding code and the instruction, the
    // waiters of a pending approval that nothing can reach while they wait
    // (no progressToken, no elicitation, or no event stream); the approval
    // stays pending for the same call again.
    void answerClientsThatCannotWait(const QString &approvalId);
    void sendProgress(Waiter &waiter, const QString &message);
    void forget(const QString &approvalId);

    ApprovalBroker &m_broker;
    McpAudit &m_audit;
    const Clock &m_clock;
    StepUpTimings m_timings;
    StepUpRoundTrips m_roundTrips;
    QHash<QString, Entry> m_byApproval;     // approval id -> entry
    QHash<QString, QString> m_byKey;        // call key -> approval id
    QHash<QString, QString> m_elicitations; // elicitation id -> approval id
    // Results of approved calls whose client had left before the answer:
    // the same call again gets it instead of a second approval.
    struct Delivered {
        QJsonObject response;
        QString approvalId;
        qint64 keepUntil = 0;
    };
    QHash<QString, Delivered> m_undelivered; // call key -> result
    quint64 m_elicitationSequence = 0;
    QTimer m_timer;
};

} // namespace countersign::gateway
