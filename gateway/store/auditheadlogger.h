#pragma once

#include "auditchain.h"

#include <chrono>
#include <optional>

#include <QObject>
#include <QTimer>

namespace countersign::gateway {

class SqliteStore;

// Logs the audit chain's head (id and hash) at info level on
// countersign.gateway.audit: at start(), every `interval` when it moved,
// and at stop(). An operator who ships the gateway's logs elsewhere can
// compare them with `countersign-gateway audit verify`: a rewritten log
// cannot reproduce a head that was logged before.
class AuditHeadLogger : public QObject {
    Q_OBJECT

public:
    static constexpr std::chrono::minutes defaultInterval{10};

    explicit AuditHeadLogger(SqliteStore &store,
                             std::chrono::milliseconds interval = defaultInterval,
                             QObject *parent = nullptr);

    void start();
    void stop();
    // Logs the head when it differs from the last one logged (or always).
    void logHead(bool always = false);

private:
    SqliteStore &m_store;
    QTimer m_timer;
    std::optional<AuditHead> m_logged;
};

} // namespace countersign::gateway
