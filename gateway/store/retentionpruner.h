#pragma once

#include "protocol/clock.h"

#include <chrono>

#include <QObject>
#include <QTimer>

namespace countersign::gateway {

class SqliteStore;

// Deletes what the store no longer needs to keep (config `retention:`,
// docs/gateway.md "Retention"): audit records and finished approvals older
// than their retention. Runs on the thread that owns the store (the
// gateway's Qt thread), at start() and then every `interval`, in batches of
// `batchSize` rows with a return to the event loop between batches, so no
// request waits behind a long delete.
class RetentionPruner : public QObject {
    Q_OBJECT

public:
    struct Settings {
        std::chrono::seconds auditRetention{90LL * 24 * 3600};
        std::chrono::seconds approvalRetention{90LL * 24 * 3600};
        std::chrono::milliseconds interval{std::chrono::hours(1)};
        int batchSize = 500;
    };

    RetentionPruner(SqliteStore &store, const Clock &clock, Settings settings,
                    QObject *parent = nullptr);

    // A pass now (queued), then one every interval.
    void start();
    // One pass, batch by batch; passFinished when it is done.
    void runPass();

Q_SIGNALS:
    void passFinished(int auditDeleted, int approvalsDeleted);

private:
    void runBatch();

    SqliteStore &m_store;
    const Clock &m_clock;
    Settings m_settings;
    QTimer m_timer;
    bool m_running = false;
    int m_auditDeleted = 0;
    int m_approvalsDeleted = 0;
};

} // namespace countersign::gateway
