#pragma once

#include "gateway/mcp/responsestream.h"

#include <array>
#include <memory>
#include <optional>

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

namespace countersign::gateway {

// subscriptions/listen of MCP 2026-07-28 (basic/patterns/subscriptions) for
// the list changes the gateway can see: each open subscription is a POST's
// event stream that stays open and carries notifications/tools|prompts|
// resources/list_changed when the merged list the gateway last gathered from
// its upstreams differs from the one before. Resource update subscriptions
// are not offered (one upstream session serves every agent).
class ListSubscriptions {
public:
    // Per agent, so one agent's streams never crowd out another's.
    static constexpr qsizetype maxPerAgent = 4;

    enum class Kind { Tools, Prompts, Resources };

    ~ListSubscriptions();

    // Opens a subscription with JSON-RPC id `id` on `stream` (an event
    // stream) for the filter `requested` (params.notifications), and sends
    // the acknowledgment with what the gateway honours. Returns the error
    // message when it cannot be opened (the caller answers with it).
    std::optional<QString> listen(const QString &agent, const QJsonValue &id,
                                  const QJsonObject &requested,
                                  std::shared_ptr<ResponseStream> stream);

    // A whole list as just gathered from every upstream (tools, prompts or
    // resources): when it differs from the one seen before, every
    // subscription that asked for it hears so. The first one seen is the
    // baseline.
    void observed(Kind kind, const QJsonArray &items);

    // Keep-alive comments, and forgetting subscriptions whose client left.
    void keepAlive();
    bool isEmpty() const { return m_subscriptions.isEmpty(); }
    // Which kinds any open subscription wants (for the proxy's polling).
    bool wants(Kind kind) const;

private:
    struct Subscription {
        QString agent;
        QJsonValue id;
        std::array<bool, 3> kinds{};
        std::shared_ptr<ResponseStream> stream;
    };
    void dropGone();

    QList<Subscription> m_subscriptions;
    QHash<int, QByteArray> m_digests; // Kind -> digest of the last list seen
};

} // namespace countersign::gateway
