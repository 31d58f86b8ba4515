#pragma once

#include <optional>

#include <QHash>
#include <QMetaType>
#include <QString>

namespace countersign {

// One request across every paired gateway: request ids are unique only per
// gateway, so the pair is the key (the inbox, the dialogs, notifications).
struct RequestKey {
    QString gatewayId;
    QString requestId;

    friend bool operator==(const RequestKey &, const RequestKey &) = default;

    // The id a Notifier gets for the request, and back: the Notifier
    // interface carries one string. A newline cannot occur in a gateway id
    // (a URL), so splitting at the last one is exact.
    QString notificationId() const { return gatewayId + u'\n' + requestId; }
    static std::optional<RequestKey> fromNotificationId(const QString &id)
    {
        const qsizetype newline = id.lastIndexOf(u'\n');
        if (newline <= 0)
            return std::nullopt;
        return RequestKey{id.left(newline), id.mid(newline + 1)};
    }
};

inline size_t qHash(const RequestKey &key, size_t seed = 0) noexcept
{
    return qHashMulti(seed, key.gatewayId, key.requestId);
}

} // namespace countersign

Q_DECLARE_METATYPE(countersign::RequestKey)
