#include "recordedforward.h"

#include <QLoggingCategory>
#include <QPointer>

Q_DECLARE_LOGGING_CATEGORY(lcMcp)

namespace countersign::gateway {

void forwardWhenRecorded(McpAudit &audit, QObject *context, const ToolCall &call,
                         const AccessDecision &decision, const QString &approvalId,
                         const QByteArray &elevatedToken,
                         std::function<void(const Error &error)> refused,
                         std::function<void(const QJsonObject &response)> done, ToolCallRelay relay)
{
    if (Status recorded = audit.decided(call, decision, approvalId); !recorded) {
        refused(recorded.error());
        return;
    }
    // Under group commit the record is committed but maybe not yet on the
    // disk: the call waits for the sync thread (one fdatasync for every
    // commit made meanwhile). A store that syncs every commit answers on the
    // next turn of the event loop.
    audit.durability().whenDurable(
        context,
        [call, elevatedToken, refused = std::move(refused), done = std::move(done),
         relay = std::move(relay)](const Status &durable) mutable {
            if (!durable) {
                qCCritical(lcMcp).noquote()
                    << "the mcp.decided record of" << call.resourceId() << "by agent"
                    << call.agentName
                    << "could not be made durable; not forwarded:" << durable.error().message;
                refused(durable.error());
                return;
            }
            forwardToolCall(call, elevatedToken, std::move(done), std::move(relay));
        });
}

} // namespace countersign::gateway
