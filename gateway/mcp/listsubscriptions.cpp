#include "listsubscriptions.h"

#include "gateway/mcp/jsonrpc.h"
#include "gateway/mcp/modernrequest.h"

#include <algorithm>

#include <QCryptographicHash>
#include <QJsonDocument>

namespace countersign::gateway {

namespace {

constexpr auto subscriptionIdMetaKey = "io.modelcontextprotocol/subscriptionId";

struct KindNames {
    const char *filter;
    const char *notification;
};

constexpr KindNames kindNames[3] = {
    {"toolsListChanged", "notifications/tools/list_changed"},
    {"promptsListChanged", "notifications/prompts/list_changed"},
    {"resourcesListChanged", "notifications/resources/list_changed"},
};

QJsonObject subscriptionMeta(const QJsonValue &id)
{
    return QJsonObject{{QLatin1String(subscriptionIdMetaKey), id}};
}

// The same list in another order is the same list.
QByteArray digestOf(const QJsonArray &items)
{
    QList<QByteArray> entries;
    entries.reserve(items.size());
    for (const QJsonValue &item : items)
        entries.append(QJsonDocument(item.toObject()).toJson(QJsonDocument::Compact));
    std::sort(entries.begin(), entries.end());
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QByteArray &entry : std::as_const(entries)) {
        hash.addData(QByteArray::number(entry.size()));
        hash.addData(QByteArrayView(":"));
        hash.addData(entry);
    }
    return hash.result();
}

} // namespace

ListSubscriptions::~ListSubscriptions()
{
    // Graceful closure: the response to subscriptions/listen says the
    // subscription ended (the gateway is stopping), not a dropped stream.
    for (const Subscription &subscription : std::as_const(m_subscriptions)) {
        subscription.stream->finish(ModernRequest::decorate(JsonRpcMessage::result(
            subscription.id,
            QJsonObject{{QStringLiteral("_meta"), subscriptionMeta(subscription.id)}})));
    }
}

std::optional<QString> ListSubscriptions::listen(const QString &agent, const QJsonValue &id,
                                                 const QJsonObject &requested,
                                                 std::shared_ptr<ResponseStream> stream)
{
    dropGone();
    const auto open = std::count_if(m_subscriptions.cbegin(), m_subscriptions.cend(),
                                    [&agent](const Subscription &s) { return s.agent == agent; });
    if (open >= maxPerAgent) {
        return QStringLiteral("at most %1 open subscriptions per agent; close one first")
            .arg(maxPerAgent);
    }
    Subscription subscription;
    subscription.agent = agent;
    subscription.id = id;
    subscription.stream = std::move(stream);
    QJsonObject honoured;
    for (int kind = 0; kind < 3; ++kind) {
        if (requested.value(QLatin1String(kindNames[kind].filter)).toBool()) {
            subscription.kinds[static_cast<std::size_t>(kind)] = true;
            honoured.insert(QLatin1String(kindNames[kind].filter), true);
        }
    }
    // resourceSubscriptions is left out of the acknowledgment: not offered.
    subscription.stream->open();
    subscription.stream->send(
        JsonRpcMessage::notification(QStringLiteral("notifications/subscriptions/acknowledged"),
                                     QJsonObject{{QStringLiteral("_meta"), subscriptionMeta(id)},
                                                 {QStringLiteral("notifications"), honoured}}));
    m_subscriptions.append(std::move(subscription));
    return std::nullopt;
}

void ListSubscriptions::observed(Kind kind, const QJsonArray &items)
{
    const int index = static_cast<int>(kind);
    const QByteArray digest = digestOf(items);
    const auto seen = m_digests.constFind(index);
    const bool changed = seen != m_digests.cend() && *seen != digest;
    m_digests.insert(index, digest);
    if (!changed)
        return;
    dropGone();
    for (const Subscription &subscription : std::as_const(m_subscriptions)) {
        if (!subscription.kinds[static_cast<std::size_t>(index)])
            continue;
        subscription.stream->send(JsonRpcMessage::notification(
            QLatin1String(kindNames[index].notification),
            QJsonObject{{QStringLiteral("_meta"), subscriptionMeta(subscription.id)}}));
    }
}

bool ListSubscriptions::wants(Kind kind) const
{
    const int index = static_cast<int>(kind);
    return std::any_of(
        m_subscriptions.cbegin(), m_subscriptions.cend(),
        [index](const Subscription &s) { return s.kinds[static_cast<std::size_t>(index)]; });
}

void ListSubscriptions::keepAlive()
{
    dropGone();
    for (const Subscription &subscription : std::as_const(m_subscriptions))
        subscription.stream->keepAlive();
}

void ListSubscriptions::dropGone()
{
    m_subscriptions.removeIf([](const Subscription &subscription) {
        return !subscription.stream->clientStillThere() || subscription.stream->isFinished();
    });
}

} // namespace countersign::gateway
