#include "stepupflow.h"

#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/recordedforward.h"
#include "protocol/base64url.h"
#include "protocol/canonicaljson.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/bindingcode.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QPointer>

Q_DECLARE_LOGGING_CATEGORY(lcMcp)

namespace countersign::gateway {

namespace {

QString methodLabel(std::optional<ApprovalMethod> method)
{
    if (!method)
        return QStringLiteral("a companion");
    return *method == ApprovalMethod::Passkey ? QStringLiteral("passkey") : QStringLiteral("TOTP");
}

QString clientLabel(const QJsonObject &clientInfo)
{
    const QString name = clientInfo.value(QStringLiteral("name")).toString().left(64);
    const QString version = clientInfo.value(QStringLiteral("version")).toString().left(32);
    return version.isEmpty() ? name : QString(name + u' ' + version);
}

// Whether anything reaches the client while its call waits: a progress
// notification (it sent a progressToken) or the form elicitation, both on an
// event stream. A client with neither (MCP Inspector's CLI, a client that
// takes only application/json) would wait without ever seeing the binding
// code the person must pick.
bool canBeToldWhileWaiting(const ToolCall &call, const ResponseStream &stream)
{
    // A 2026-07-28 retry was told the binding code in its input_required
    // result: it waits (held open) until the person decides, whatever it
    // can hear meanwhile. Answering it now would only make it retry.
    if (call.modern && !call.requestState.isUndefined())
        return true;
    if (!stream.canStream())
        return false;
    return call.elicitation || !(call.progressToken.isUndefined() || call.progressToken.isNull());
}

} // namespace

StepUpFlow::StepUpFlow(ApprovalBroker &broker, McpAudit &audit, const Clock &clock,
                       StepUpTimings timings, StepUpRoundTrips roundTrips, QObject *parent)
    : QObject(parent)
    , m_broker(broker)
    , m_audit(audit)
    , m_clock(clock)
    , m_timings(timings)
    , m_roundTrips(std::move(roundTrips))
{
    if (!m_roundTrips.states)
        m_roundTrips.states =
            std::make_shared<const RequestStateSealer>(RequestStateSealer::ephemeral());
    connect(&m_broker, &ApprovalBroker::resolved, this, &StepUpFlow::onResolved);
    m_timer.setInterval(m_timings.progressInterval);
    connect(&m_timer, &QTimer::timeout, this, &StepUpFlow::tick);
}

StepUpFlow::~StepUpFlow()
{
    // The gateway is stopping: waiting clients get an answer rather than a
    // cut connection. Their approvals stay in the store.
    for (Entry &entry : m_byApproval) {
        for (Waiter &waiter : entry.waiters) {
            waiter.stream->finish(toolErrorResult(
                waiter.call.rpcId,
                QStringLiteral("The gateway is shutting down; call again to wait for the "
                               "approval."),
                QStringLiteral("failed"), entry.approvalId));
        }
    }
}

QString StepUpFlow::keyFor(const ToolCall &call)
{
    const auto hash = argumentsHash(call.arguments);
    return QStringList{call.userId, call.agentName, call.resourceId(),
                       hash ? QString::fromLatin1(base64UrlEncode(hash.value())) : QString()}
        .join(u'\n');
}

QByteArray StepUpFlow::dedupeKeyFor(const QString &key)
{
    return QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256);
}

QJsonObject StepUpFlow::approvalDetails(const Entry &entry)
{
    return QJsonObject{{QStringLiteral("request_id"), entry.approvalId},
                       {QStringLiteral("binding_code"), entry.bindingCode},
                       {QStringLiteral("expires_at"), entry.expiresAt}};
}

StepUpFlow::Entry &StepUpFlow::remember(const ApprovalRecord &approval, const QString &key,
                                        const QString &action)
{
    Entry entry;
    entry.approvalId = approval.requestId;
    entry.key = key;
    entry.bindingCode = bindingCodeForRequestHash(approval.requestHash);
    entry.action = action;
    entry.expiresAt = approval.expiresAt;
    m_byKey.insert(key, entry.approvalId);
    return m_byApproval.insert(entry.approvalId, entry).value();
}

bool StepUpFlow::resumeStored(const QString &key, const ToolCall &call,
                              const AccessDecision &decision, Stream &stream)
{
    const qint64 approvedSince = m_clock.secondsSinceEpoch() - m_timings.freshApproval.count();
    const auto stored = m_broker.forOperation(dedupeKeyFor(key), approvedSince);
    if (!stored) {
        qCWarning(lcMcp) << "cannot look up the stored approval of" << call.resourceId() << ":"
                         << stored.error().message;
        return false;
    }
    if (!stored->has_value())
        return false;
    const ApprovalRecord &approval = **stored;
    if (approval.state == ApprovalState::Approved) {
        // Approved while no client waited, before a restart: the same call
        // again uses it once, as it would have before the restart. Redeemed
        // already (its call ran): a new approval is needed.
        auto token = m_broker.redeem(approval.requestId);
        if (!token) {
            qCInfo(lcMcp) << "stored approval" << approval.requestId
                          << "cannot be used again:" << token.error().message;
            return false;
        }
        Entry &entry = remember(approval, key, call.tool);
        entry.phase = Entry::Phase::Approved;
        entry.method = methodLabel(approval.resolvedMethod);
        m_audit.steppedUp(call, decision, entry.approvalId);
        qCInfo(lcMcp) << "call again after a restart: using stored approval" << entry.approvalId;
        useApproval(entry, Waiter{call, decision, std::move(stream), {}, 0},
                    std::move(token).value());
        return true;
    }
    Entry &entry = remember(approval, key, call.tool);
    m_audit.steppedUp(call, decision, entry.approvalId);
    qCInfo(lcMcp) << "call again after a restart: attaching to stored approval" << entry.approvalId;
    waitOrAsk(entry, call, decision, std::move(stream));
    return true;
}

bool StepUpFlow::joinKnown(const ToolCall &call, const AccessDecision &decision, Stream &stream)
{
    const QString key = keyFor(call);
    if (const auto kept = m_undelivered.find(key); kept != m_undelivered.end()) {
        const Delivered delivered = *kept;
        m_undelivered.erase(kept);
        if (delivered.keepUntil >= m_clock.secondsSinceEpoch()) {
            // The approved call already ran for a client that left; this is
            // its answer, not a second run.
            qCInfo(lcMcp) << "call again after approval" << delivered.approvalId
                          << "ran - returning its result";
            QJsonObject response = delivered.response;
            response.insert(QStringLiteral("id"), call.rpcId);
            m_audit.finished(call, decision, QStringLiteral("delivered_again"),
                             delivered.approvalId);
            stream->finish(response);
            return true;
        }
    }
    if (const auto known = m_byKey.constFind(key); known != m_byKey.cend()) {
        Entry &entry = m_byApproval[*known];
        m_audit.steppedUp(call, decision, entry.approvalId);
        if (entry.phase == Entry::Phase::Running) {
            qCInfo(lcMcp) << "call again while approved call" << entry.approvalId
                          << "runs - waiting for its result";
            Waiter waiter{call, decision, std::move(stream), {}, 0};
            waiter.stream->open();
            entry.waiters.append(std::move(waiter));
        } else if (entry.phase == Entry::Phase::Approved) {
            qCInfo(lcMcp) << "call again after approval" << entry.approvalId << "- using it";
            useApproval(entry, Waiter{call, decision, std::move(stream), {}, 0});
        } else {
            qCInfo(lcMcp) << "call again while approval" << entry.approvalId
                          << "is pending - attaching";
            waitOrAsk(entry, call, decision, std::move(stream));
        }
        return true;
    }
    return resumeStored(key, call, decision, stream);
}

void StepUpFlow::waitOrAsk(Entry &entry, const ToolCall &call, const AccessDecision &decision,
                           Stream stream)
{
    if (asksForInput(call)) {
        askForInput(entry, call, decision, std::move(stream));
        return;
    }
    const QString approvalId = entry.approvalId;
    attach(entry, call, decision, std::move(stream));
    answerClientsThatCannotWait(approvalId);
}

void StepUpFlow::begin(const ToolCall &call, const AccessDecision &decision, Stream stream)
{
    if (call.modern && !call.requestState.isUndefined()) {
        retry(call, decision, std::move(stream));
        return;
    }
    if (joinKnown(call, decision, stream))
        return;
    const QString key = keyFor(call);

    const auto hash = argumentsHash(call.arguments);
    if (!hash) {
        m_audit.finished(call, decision, QStringLiteral("failed"), {}, hash.error().message);
        stream->finish(
            JsonRpcMessage::error(call.rpcId, JsonRpcMessage::invalidParams, hash.error().message));
        return;
    }
    ApprovalSpec spec;
    spec.sarc.subject = Subject{QStringLiteral("user"), call.userId, call.agentName};
    spec.sarc.action = Action{call.tool, {}};
    spec.sarc.resource = Resource{QStringLiteral("tool"), call.resourceId(),
                                  QJsonObject{{QStringLiteral("arguments"), call.arguments}}};
    QJsonObject verified{{QStringLiteral("upstream"), call.upstream->name()}};
    if (!decision.ruleName.isEmpty())
        verified.insert(QStringLiteral("policy_rule"), decision.ruleName);
    if (!decision.reason.isEmpty())
        verified.insert(QStringLiteral("policy_reason"), decision.reason);
    spec.sarc.context.verified = verified;
    QJsonObject agentSupplied;
    if (!call.agentReason.isEmpty())
        agentSupplied.insert(QStringLiteral("reason"), call.agentReason);
    if (const QString client = clientLabel(call.clientInfo); !client.isEmpty())
        agentSupplied.insert(QStringLiteral("client"), client);
    spec.sarc.context.agentSupplied = agentSupplied;
    spec.methods = decision.methods;
    spec.userVerificationRequired = decision.userVerificationRequired;
    spec.timeoutSeconds = decision.timeout.value_or(m_timings.approvalTimeout).count();
    spec.upstream = call.upstream->audience();
    spec.argumentsHash = hash.value();
    spec.origin = ApprovalOrigin::McpProxy;
    spec.dedupeKey = dedupeKeyFor(key);

    ApprovalRefusal refusal;
    const auto created = m_broker.create(spec, &refusal);
    if (!created) {
        // Limits and holds: refused before anyone was asked, so the outcome
        // says which, for programs, and the text what to do.
        const bool limited = !refusal.message.isEmpty();
        const bool held = limited && refusal.kind == ApprovalRefusal::Kind::Held;
        const QString outcome = held ? QStringLiteral("held")
            : limited                ? QStringLiteral("limited")
                                     : QStringLiteral("failed");
        QJsonObject details;
        if (refusal.until > 0)
            details.insert(QStringLiteral("until"), refusal.until);
        m_audit.finished(call, decision, outcome, {}, created.error().message);
        stream->finish(toolErrorResult(
            call.rpcId,
            QStringLiteral("Approval required, but the gateway did not ask for it: %1")
                .arg(created.error().message),
            outcome, {}, details));
        return;
    }
    m_audit.steppedUp(call, decision, created->requestId);
    Entry &stored = remember(created.value(), key, call.tool);
    qCInfo(lcMcp) << "approval" << stored.approvalId << "raised for" << call.resourceId()
                  << "binding code" << stored.bindingCode;
    const QString approvalId = stored.approvalId;
    const bool asked = asksForInput(call);
    if (asked)
        askForInput(stored, call, decision, std::move(stream));
    else
        attach(stored, call, decision, std::move(stream));
    // Whoever listens to requested() may already have resolved it.
    if (const auto current = m_broker.approval(approvalId);
        current && current->state != ApprovalState::Pending) {
        onResolved(*current);
    }
    if (!asked)
        answerClientsThatCannotWait(approvalId);
}

bool StepUpFlow::asksForInput(const ToolCall &call) const
{
    // Only a first call of a client that declared a mode the gateway can
    // use (client/elicitation: never a mode the client did not declare).
    return call.modern && call.requestState.isUndefined()
        && (call.formElicitation || (call.urlElicitation && m_roundTrips.approvalLink));
}

void StepUpFlow::askForInput(const Entry &entry, const ToolCall &call,
                             const AccessDecision &decision, Stream stream)
{
    const qint64 now = m_clock.secondsSinceEpoch();
    RequestState state;
    state.approvalId = entry.approvalId;
    state.agent = call.agentName;
    state.user = call.userId;
    state.method = QStringLiteral("tools/call");
    state.callDigest = requestStateCallDigest(call.resourceId(), call.arguments);
    // Long enough for a retry after the person approved at the last moment
    // (an approval waits freshApproval for its call), never past the
    // sealer's bound.
    state.expiresAt = qMin(qMax(entry.expiresAt, now) + m_timings.freshApproval.count(),
                           now + RequestStateSealer::MaxLifetime.count());
    // Keys rotate daily; sealing is when a new one is first needed.
    if (const Status rotated = m_roundTrips.states->rotateIfDue(now); !rotated)
        qCWarning(lcMcp) << "requestState keys not rotated:" << rotated.error().message;
    const QString sealed = m_roundTrips.states->seal(state);

    QJsonObject params;
    // One arg() call: a %N in the tool name must not be filled in.
    const QString what = QStringLiteral("Countersign: \"%1\" on %2 needs a person's approval. "
                                        "Binding code %3: approve in Countersign on your desktop "
                                        "and pick %3 there.")
                             .arg(entry.action, call.resourceId(), entry.bindingCode);
    if (call.urlElicitation && m_roundTrips.approvalLink) {
        params = QJsonObject{
            {QStringLiteral("mode"), QStringLiteral("url")},
            {QStringLiteral("message"),
             QString(what
                     + u" The page at this link shows the request and whether it has been decided "
                       u"(it cannot approve).")},
            {QStringLiteral("url"), m_roundTrips.approvalLink(entry.approvalId)},
        };
    } else {
        params = QJsonObject{
            {QStringLiteral("mode"), QStringLiteral("form")},
            {QStringLiteral("message"),
             QString(what
                     + u" Nothing to enter here: the approval happens only in Countersign. "
                       u"Decline to cancel the request.")},
            // No fields: codes and secrets are never collected by form
            // elicitation (client/elicitation, security considerations).
            {QStringLiteral("requestedSchema"),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                         {QStringLiteral("properties"), QJsonObject{}}}},
        };
    }
    QJsonObject approval = approvalDetails(entry);
    approval.insert(QStringLiteral("outcome"), QStringLiteral("input_required"));
    const QJsonObject result{
        {QStringLiteral("resultType"), QStringLiteral("input_required")},
        {QStringLiteral("inputRequests"),
         QJsonObject{{QLatin1String(inputRequestKey),
                      QJsonObject{{QStringLiteral("method"), QStringLiteral("elicitation/create")},
                                  {QStringLiteral("params"), params}}}}},
        {QStringLiteral("requestState"), sealed},
        // The binding code for programs, not only in the English message.
        {QStringLiteral("_meta"), QJsonObject{{QLatin1String(approvalMetaKey), approval}}},
    };
    qCInfo(lcMcp) << "approval" << entry.approvalId << "- input_required for" << call.resourceId();
    m_audit.finished(call, decision, QStringLiteral("input_required"), entry.approvalId);
    stream->finish(JsonRpcMessage::result(call.rpcId, result));
}

std::optional<RequestState>
StepUpFlow::openState(const ToolCall &call, const AccessDecision &decision, const Stream &stream)
{
    const auto refuse = [&](const QString &why) {
        qCInfo(lcMcp).noquote() << "retry of" << call.resourceId() << "by agent" << call.agentName
                                << "refused:" << why;
        m_audit.finished(call, decision, QStringLiteral("request_state_refused"), {}, why);
        stream->finish(JsonRpcMessage::error(
            call.rpcId, JsonRpcMessage::invalidParams,
            QStringLiteral("requestState refused: %1. Nothing was performed. Call again without "
                           "requestState and inputResponses to ask for a new approval.")
                .arg(why)));
        return std::nullopt;
    };
    if (!call.requestState.isString())
        return refuse(QStringLiteral("it must be the string the gateway sent"));
    if (!call.inputResponses.isUndefined() && !call.inputResponses.isObject())
        return refuse(QStringLiteral("inputResponses must be an object"));
    auto opened =
        m_roundTrips.states->open(call.requestState.toString(), m_clock.secondsSinceEpoch());
    if (!opened) {
        const ErrorCode code = opened.error().code;
        return refuse(code == RequestStateSealer::StateExpired ? QStringLiteral("it has expired")
                          : code == RequestStateSealer::NotIssuedHere
                          ? QStringLiteral("it was not issued by this gateway (altered, or its "
                                           "key is gone)")
                          : QStringLiteral("it is malformed"));
    }
    const RequestState state = std::move(opened).value();
    // Everything the approval depends on comes from the authenticated
    // caller and this call; the state only has to agree with them.
    if (state.agent != call.agentName || state.user != call.userId)
        return refuse(QStringLiteral("it was issued to another agent"));
    if (state.method != u"tools/call"
        || state.callDigest != requestStateCallDigest(call.resourceId(), call.arguments)) {
        return refuse(QStringLiteral("it was issued for a different call (another tool or other "
                                     "arguments)"));
    }
    return state;
}

void StepUpFlow::retry(const ToolCall &call, const AccessDecision &decision, Stream stream)
{
    const auto state = openState(call, decision, stream);
    if (!state)
        return;
    const QString action = call.inputResponses.toObject()
                               .value(QLatin1String(inputRequestKey))
                               .toObject()
                               .value(QStringLiteral("action"))
                               .toString();
    if (action == u"decline" || action == u"cancel") {
        // The person said no in the agent's client: the companion's dialog
        // closes. (An "accept" there approves nothing: only a proof from a
        // paired device does.)
        const QString client = clientLabel(call.clientInfo);
        qCInfo(lcMcp) << "elicitation" << action << "- cancelling approval" << state->approvalId;
        const Status cancelled = m_broker.cancel(
            state->approvalId,
            QStringLiteral("%1 in the agent's client%2")
                .arg(action == u"decline" ? QStringLiteral("declined")
                                          : QStringLiteral("cancelled"),
                     client.isEmpty() ? QString() : QString(u" (" + client + u')')));
        if (!cancelled)
            qCInfo(lcMcp) << "approval" << state->approvalId << "was already resolved";
    }
    const auto approval = m_broker.approval(state->approvalId);
    if (!approval) {
        m_audit.finished(call, decision, QStringLiteral("failed"), state->approvalId,
                         QStringLiteral("unknown approval"));
        stream->finish(toolErrorResult(
            call.rpcId,
            QStringLiteral("The approval this retry belongs to is gone. Nothing was performed; "
                           "call again without requestState to ask again."),
            QStringLiteral("failed"), state->approvalId));
        return;
    }
    if (approval->state != ApprovalState::Pending && approval->state != ApprovalState::Approved) {
        const QString code = bindingCodeForRequestHash(approval->requestHash);
        const auto [text, outcome] = endedText(*approval, code, call.tool);
        m_audit.finished(call, decision, outcome, approval->requestId, approval->reason);
        stream->finish(
            toolErrorResult(call.rpcId, text, outcome, approval->requestId,
                            QJsonObject{{QStringLiteral("request_id"), approval->requestId},
                                        {QStringLiteral("binding_code"), code},
                                        {QStringLiteral("expires_at"), approval->expiresAt}}));
        return;
    }
    // Pending: held open until the person decides; approved: runs once.
    if (joinKnown(call, decision, stream))
        return;
    // Approved, and its one call already ran (the state is spent), or
    // nobody came for it while it was fresh.
    m_audit.finished(call, decision, QStringLiteral("already_used"), state->approvalId);
    stream->finish(toolErrorResult(
        call.rpcId,
        QStringLiteral("This approval was already used for its one call, or it was approved more "
                       "than %1 s ago and nobody called for it. Nothing was performed now; call "
                       "again without requestState to ask for a new approval.")
            .arg(m_timings.freshApproval.count()),
        QStringLiteral("already_used"), state->approvalId));
}

QString StepUpFlow::instruction(const Entry &entry)
{
    return QStringLiteral(
               "open Countersign on your desktop and approve \"%1\" with binding code %2")
        .arg(entry.action, entry.bindingCode);
}

QString StepUpFlow::waitingMessage(const Entry &entry) const
{
    const qint64 left = qMax<qint64>(0, entry.expiresAt - m_clock.secondsSinceEpoch());
    // One arg() call: a %N in the tool name must not be filled in.
    return QStringLiteral("Approval required: %1. Waiting %2 s more.")
        .arg(instruction(entry), QString::number(left));
}

void StepUpFlow::answerClientsThatCannotWait(const QString &approvalId)
{
    const auto found = m_byApproval.find(approvalId);
    if (found == m_byApproval.end() || found->phase != Entry::Phase::Pending)
        return;
    Entry &entry = *found;
    const qint64 left = qMax<qint64>(0, entry.expiresAt - m_clock.secondsSinceEpoch());
    // The approval stays pending: the same call again attaches to it, and
    // once approved it runs for that call (freshApproval).
    const QString text =
        QStringLiteral("Approval required: %1 within %2 s, then make this same call again (same "
                       "arguments): it runs once approved. This client cannot be told while a "
                       "call waits, so the gateway answers now; nothing was performed yet.")
            .arg(instruction(entry), QString::number(left));
    QList<Waiter> still;
    for (Waiter &waiter : entry.waiters) {
        if (canBeToldWhileWaiting(waiter.call, *waiter.stream)) {
            still.append(std::move(waiter));
            continue;
        }
        qCInfo(lcMcp) << "client can hear nothing while waiting - answering now for approval"
                      << entry.approvalId;
        m_audit.finished(waiter.call, waiter.decision, QStringLiteral("input_required"),
                         entry.approvalId);
        waiter.stream->finish(toolErrorResult(waiter.call.rpcId, text,
                                              QStringLiteral("input_required"), entry.approvalId,
                                              approvalDetails(entry)));
    }
    entry.waiters = std::move(still);
}

void StepUpFlow::attach(Entry &entry, const ToolCall &call, const AccessDecision &decision,
                        Stream stream)
{
    Waiter waiter{call, decision, std::move(stream), {}, 0};
    // Headers now, so the client knows the gateway is working on it.
    waiter.stream->open();
    sendProgress(waiter, waitingMessage(entry));
    if (call.elicitation && waiter.stream->canStream()) {
        waiter.elicitationId =
            QStringLiteral("countersign-elicitation-%1").arg(++m_elicitationSequence);
        QJsonObject params{
            {QStringLiteral("message"),
             QStringLiteral("Countersign: \"%1\" on %2 needs your approval. Open Countersign on "
                            "your desktop and pick binding code %3 there; the approval itself "
                            "happens only in Countersign. Decline here to cancel the request.")
                 .arg(entry.action, call.resourceId(), entry.bindingCode)},
            // No fields: codes and secrets are never collected by form
            // elicitation (MCP elicitation, security considerations).
            {QStringLiteral("requestedSchema"),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                         {QStringLiteral("properties"), QJsonObject{}}}},
        };
        if (call.protocolVersion == u"2025-11-25")
            params.insert(QStringLiteral("mode"), QStringLiteral("form"));
        // The binding code for programs, not only in the English message.
        params.insert(QStringLiteral("_meta"),
                      QJsonObject{{QString::fromLatin1(approvalMetaKey), approvalDetails(entry)}});
        waiter.stream->send(JsonRpcMessage::request(waiter.elicitationId,
                                                    QStringLiteral("elicitation/create"), params));
        m_elicitations.insert(waiter.elicitationId, entry.approvalId);
    }
    entry.waiters.append(std::move(waiter));
    // A call again after its client left: the person's dialog is live again.
    m_broker.setAgentWaiting(entry.approvalId, true);
    updateTimer();
}

void StepUpFlow::sendProgress(Waiter &waiter, const QString &message)
{
    if (!waiter.stream->canStream())
        return;
    if (waiter.call.progressToken.isUndefined() || waiter.call.progressToken.isNull()) {
        waiter.stream->keepAlive();
        return;
    }
    waiter.progress += 1;
    waiter.stream->send(JsonRpcMessage::notification(
        QStringLiteral("notifications/progress"),
        QJsonObject{{QStringLiteral("progressToken"), waiter.call.progressToken},
                    {QStringLiteral("progress"), waiter.progress},
                    {QStringLiteral("message"), message}}));
}

bool StepUpFlow::handleClientResponse(const QString &sessionId, const QJsonObject &message)
{
    const QString id = message.value(QStringLiteral("id")).toString();
    const auto found = m_elicitations.constFind(id);
    if (found == m_elicitations.cend())
        return false;
    const auto entry = m_byApproval.find(*found);
    if (entry == m_byApproval.end())
        return false;
    Waiter *waiter = nullptr;
    for (Waiter &candidate : entry->waiters) {
        if (candidate.elicitationId == id)
            waiter = &candidate;
    }
    // Only the session that was asked may answer.
    if (!waiter || waiter->call.sessionId != sessionId)
        return false;
    waiter->elicitationId.clear();
    m_elicitations.remove(id);
    if (message.contains(QStringLiteral("error"))) {
        qCInfo(lcMcp) << "client could not show the elicitation for" << entry->approvalId;
        return true;
    }
    const QString action = message.value(QStringLiteral("result"))
                               .toObject()
                               .value(QStringLiteral("action"))
                               .toString();
    if (action == u"decline" || action == u"cancel") {
        const QString approvalId = entry->approvalId;
        const QString client = clientLabel(waiter->call.clientInfo);
        qCInfo(lcMcp) << "elicitation" << action << "- cancelling approval" << approvalId;
        const Status cancelled = m_broker.cancel(
            approvalId,
            QStringLiteral("%1 in the agent's client%2")
                .arg(action == u"decline" ? QStringLiteral("declined")
                                          : QStringLiteral("cancelled"),
                     client.isEmpty() ? QString() : QString(u" (" + client + u')')));
        if (!cancelled)
            qCInfo(lcMcp) << "approval" << approvalId << "was already resolved";
    }
    return true;
}

std::pair<QString, QString> StepUpFlow::endedText(const ApprovalRecord &approval,
                                                  const QString &bindingCode, const QString &action)
{
    QString text;
    QString outcome;
    const QString suffix = approval.reason.isEmpty() ? QString() : QString(u": " + approval.reason);
    switch (approval.state) {
    case ApprovalState::Denied:
        outcome = QStringLiteral("denied");
        // The companion's own denial when the person picked another code
        // than the one this agent showed: say what it means, not the code.
        if (approval.reason == ApprovalProof::bindingCodeMismatchReason) {
            text = QStringLiteral("DENIED in Countersign: the person picked a different code than "
                                  "%1, the one shown here, so the request on their screen may not "
                                  "have been this one. \"%2\" was not performed. If it was yours, "
                                  "call again and pick the code shown then.")
                       .arg(bindingCode, action);
            break;
        }
        text = QStringLiteral("DENIED in Countersign%1. \"%2\" (binding code %3) was not "
                              "performed.")
                   .arg(suffix, action, bindingCode);
        break;
    case ApprovalState::Expired:
        outcome = QStringLiteral("expired");
        text = QStringLiteral("Approval timed out: nobody approved \"%1\" with binding code %2 in "
                              "Countersign in time, so it was not performed. Call again to ask "
                              "again, then open Countersign on your desktop and pick the binding "
                              "code given then.")
                   .arg(action, bindingCode);
        break;
    default:
        outcome = QStringLiteral("cancelled");
        text = QStringLiteral("Approval cancelled%1. \"%2\" (binding code %3) was not performed.")
                   .arg(suffix, action, bindingCode);
        break;
    }
    return {text, outcome};
}

void StepUpFlow::onResolved(const ApprovalRecord &approval)
{
    const auto found = m_byApproval.find(approval.requestId);
    if (found == m_byApproval.end())
        return; // not one of ours (admin API)
    Entry &entry = *found;
    for (Waiter &waiter : entry.waiters) {
        if (waiter.elicitationId.isEmpty())
            continue;
        // The person answered in the companion: the client's form is moot.
        waiter.stream->send(JsonRpcMessage::notification(
            QStringLiteral("notifications/cancelled"),
            QJsonObject{{QStringLiteral("requestId"), waiter.elicitationId},
                        {QStringLiteral("reason"),
                         QStringLiteral("the approval was %1 in Countersign")
                             .arg(approvalStateName(approval.state))}}));
        m_elicitations.remove(waiter.elicitationId);
        waiter.elicitationId.clear();
    }

    if (approval.state == ApprovalState::Approved) {
        entry.phase = Entry::Phase::Approved;
        entry.method = methodLabel(approval.resolvedMethod);
        QList<Waiter> waiters = std::exchange(entry.waiters, {});
        // The newest connected caller gets the one call the approval allows;
        // older ones for the same operation were given up by their client.
        std::optional<Waiter> chosen;
        for (qsizetype i = waiters.size() - 1; i >= 0; --i) {
            if (!chosen && waiters[i].stream->clientStillThere()) {
                chosen = std::move(waiters[i]);
                continue;
            }
            waiters[i].stream->finish(toolErrorResult(
                waiters[i].call.rpcId,
                QStringLiteral("Approved, but the approval was used by a newer call for the same "
                               "operation."),
                QStringLiteral("superseded"), entry.approvalId));
            m_audit.finished(waiters[i].call, waiters[i].decision, QStringLiteral("superseded"),
                             entry.approvalId);
        }
        if (chosen) {
            useApproval(entry, std::move(*chosen));
            return;
        }
        entry.freshUntil = m_clock.secondsSinceEpoch() + m_timings.freshApproval.count();
        qCInfo(lcMcp) << "approval" << entry.approvalId
                      << "approved while no client waited; kept for a call again until"
                      << entry.freshUntil;
        updateTimer();
        return;
    }

    const auto [text, outcome] = endedText(approval, entry.bindingCode, entry.action);
    for (Waiter &waiter : entry.waiters) {
        waiter.stream->finish(toolErrorResult(waiter.call.rpcId, text, outcome, entry.approvalId,
                                              approvalDetails(entry)));
        m_audit.finished(waiter.call, waiter.decision, outcome, entry.approvalId, approval.reason);
    }
    if (entry.waiters.isEmpty()) {
        qCInfo(lcMcp) << "approval" << entry.approvalId << outcome << "while no client waited";
    }
    forget(QString(entry.approvalId));
}

void StepUpFlow::useApproval(Entry &entry, Waiter waiter, std::optional<ElevatedToken> redeemed)
{
    const QString approvalId = entry.approvalId;
    const Result<ElevatedToken> token =
        redeemed ? Result<ElevatedToken>(std::move(*redeemed)) : m_broker.redeem(approvalId);
    if (!token) {
        m_audit.finished(waiter.call, waiter.decision, QStringLiteral("failed"), approvalId,
                         token.error().message);
        waiter.stream->finish(
            toolErrorResult(waiter.call.rpcId,
                            QStringLiteral("Approved, but no elevated token could be issued: %1")
                                .arg(token.error().message),
                            QStringLiteral("failed"), approvalId));
        forget(approvalId);
        return;
    }
    // One approval, one upstream call. While it runs (from here, as its
    // record is being made durable), the same call again waits for its
    // result rather than raising another approval.
    entry.phase = Entry::Phase::Running;
    const ToolCall call = waiter.call;
    const AccessDecision decision = waiter.decision;
    const QString method = entry.method;
    entry.waiters = {std::move(waiter)};
    updateTimer();
    QPointer<StepUpFlow> self(this);
    // Fail closed: an approved call runs only with its record durable.
    forwardWhenRecorded(
        m_audit, this, call, decision, approvalId, token->token,
        [self, approvalId](const Error &) {
            if (self)
                self->refuseUnrecorded(approvalId);
        },
        [self, approvalId](const QJsonObject &response) {
            if (self)
                self->deliverResult(approvalId, response);
        });
    // Said only when the call was not refused at once.
    const auto running = m_byApproval.find(approvalId);
    if (running != m_byApproval.end() && !running->waiters.isEmpty()) {
        sendProgress(running->waiters.first(),
                     QStringLiteral("Approved with %1 in Countersign: elevated token issued. "
                                    "Calling %2.")
                         .arg(method, call.resourceId()));
    }
}

void StepUpFlow::refuseUnrecorded(const QString &approvalId)
{
    const auto found = m_byApproval.find(approvalId);
    if (found == m_byApproval.end())
        return;
    for (Waiter &waiter : found->waiters) {
        waiter.stream->finish(toolErrorResult(
            waiter.call.rpcId,
            QStringLiteral("Approved, but not run: the gateway could not write its audit record "
                           "(storage unavailable). Ask the gateway admin to check the disk."),
            QStringLiteral("storage_unavailable"), approvalId));
    }
    forget(QString(approvalId));
}

void StepUpFlow::deliverResult(const QString &approvalId, const QJsonObject &response)
{
    const auto found = m_byApproval.find(approvalId);
    if (found == m_byApproval.end())
        return;
    const bool failed = response.contains(QStringLiteral("error"));
    const QString detail = response.value(QStringLiteral("error"))
                               .toObject()
                               .value(QStringLiteral("message"))
                               .toString();
    bool delivered = false;
    // Every caller still waiting asked for this same operation, which ran
    // once: each gets its result.
    for (Waiter &waiter : found->waiters) {
        if (!waiter.stream->clientStillThere())
            continue;
        QJsonObject answer = response;
        answer.insert(QStringLiteral("id"), waiter.call.rpcId);
        // The answer first, its outcome record after (as for allowed calls,
        // McpProxy::callTool).
        waiter.stream->finish(answer);
        m_audit.finished(waiter.call, waiter.decision,
                         failed ? QStringLiteral("upstream_error") : QStringLiteral("completed"),
                         approvalId, detail);
        delivered = true;
    }
    if (!delivered) {
        qCInfo(lcMcp) << "approved call" << approvalId
                      << "ran while no client waited; kept for a call again";
        if (!found->waiters.isEmpty()) {
            const Waiter &first = found->waiters.constFirst();
            m_audit.finished(first.call, first.decision,
                             failed ? QStringLiteral("upstream_error")
                                    : QStringLiteral("completed_undelivered"),
                             approvalId, detail);
        }
        m_undelivered.insert(
            found->key,
            Delivered{response, approvalId,
                      m_clock.secondsSinceEpoch() + m_timings.freshApproval.count()});
    }
    forget(QString(approvalId));
}

void StepUpFlow::tick()
{
    const qint64 now = m_clock.secondsSinceEpoch();
    QStringList stale;
    for (Entry &entry : m_byApproval) {
        if (entry.phase == Entry::Phase::Running) {
            for (Waiter &waiter : entry.waiters)
                waiter.stream->keepAlive();
            continue;
        }
        if (entry.phase == Entry::Phase::Approved) {
            if (now > entry.freshUntil)
                stale.append(entry.approvalId);
            continue;
        }
        QList<Waiter> still;
        for (Waiter &waiter : entry.waiters) {
            if (!waiter.stream->clientStillThere()) {
                // The approval stays pending: the client may call again.
                qCInfo(lcMcp) << "client left while approval" << entry.approvalId << "is pending";
                if (!waiter.elicitationId.isEmpty())
                    m_elicitations.remove(waiter.elicitationId);
                continue;
            }
            sendProgress(waiter, waitingMessage(entry));
            still.append(std::move(waiter));
        }
        entry.waiters = std::move(still);
        // Nobody waits for this approval now: the person's dialog says that
        // approving runs nothing until the agent calls again.
        if (entry.waiters.isEmpty())
            m_broker.setAgentWaiting(entry.approvalId, false);
    }
    m_undelivered.removeIf(
        [now](const QHash<QString, Delivered>::iterator &it) { return it->keepUntil < now; });
    for (const QString &approvalId : stale) {
        qCInfo(lcMcp) << "approval" << approvalId << "was never used: nobody called again";
        forget(approvalId);
    }
    updateTimer();
}

void StepUpFlow::forget(const QString &approvalId)
{
    const auto found = m_byApproval.find(approvalId);
    if (found == m_byApproval.end())
        return;
    for (const Waiter &waiter : found->waiters) {
        if (!waiter.elicitationId.isEmpty())
            m_elicitations.remove(waiter.elicitationId);
    }
    m_byKey.remove(found->key);
    m_byApproval.erase(found);
    updateTimer();
}

void StepUpFlow::updateTimer()
{
    if (m_byApproval.isEmpty() && m_undelivered.isEmpty())
        m_timer.stop();
    else if (!m_timer.isActive())
        m_timer.start();
}

} // namespace countersign::gateway
