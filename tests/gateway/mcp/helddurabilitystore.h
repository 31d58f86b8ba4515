#pragma once

#include "../store/forwardingstore.h"

#include <functional>
#include <utility>
#include <vector>

#include <QMetaObject>
#include <QObject>
#include <QPointer>

namespace countersign::testing {

// Group commit on the test's command: every whenDurable() callback is held
// until the test releases them all, as made durable or as failed, the way
// the store's sync thread would after its fdatasync. hasUnsyncedCommits()
// is true from a commit (commitMade()) until the next release.
class HeldDurability final : public gateway::Durability {
public:
    bool hasUnsyncedCommits() const override { return m_unsynced; }
    void whenDurable(QObject *context, Done done) override
    {
        m_held.push_back({QPointer<QObject>(context), std::move(done)});
    }

    void commitMade() { m_unsynced = true; }
    qsizetype held() const { return static_cast<qsizetype>(m_held.size()); }
    // Calls back (queued, in order) every held callback with `status`.
    void release(const Status &status = Ok{})
    {
        m_unsynced = false;
        for (auto &[context, done] : std::exchange(m_held, {})) {
            if (!context)
                continue;
            QMetaObject::invokeMethod(
                context.data(), [done = std::move(done), status] { done(status); },
                Qt::QueuedConnection);
        }
    }

private:
    bool m_unsynced = false;
    std::vector<std::pair<QPointer<QObject>, Done>> m_held;
};

// A Store that forwards to a real one and whose durability the test
// controls (HeldDurability): what an upstream sees before and after the
// sync of a record it depends on.
class HeldDurabilityStore final : public ForwardingStore {
public:
    using ForwardingStore::ForwardingStore;

    HeldDurability &held() { return m_durability; }
    gateway::Durability &durability() override { return m_durability; }

protected:
    void afterWrite(Write write, bool succeeded) override
    {
        if (write == Write::Audit && succeeded)
            m_durability.commitMade();
    }

private:
    HeldDurability m_durability;
};

} // namespace countersign::testing
