#pragma once

#include "protocol/result.h"

#include <functional>

#include <QObject>
#include <QPointer>

namespace countersign::gateway {

// Group commit (docs/architecture.md "Durability"). A store in group-commit
// mode commits its transactions without waiting for the disk; one sync
// thread then makes every commit made so far durable with one fdatasync.
// Nothing that depends on a write may leave the gateway before that write is
// durable: an HTTP answer, a companion message, a call forwarded upstream.
// The edge holds answers back while hasUnsyncedCommits() (the durability
// gate); code that starts an outside effect itself (the MCP proxy forwarding
// a call) waits with whenDurable().
//
// A store not in group-commit mode (the default, and every CLI command)
// makes each commit durable before the method that made it returns, so
// hasUnsyncedCommits() is always false and whenDurable() only defers.
class Durability {
public:
    using Done = std::function<void(Status)>;

    virtual ~Durability() = default;

    // True when a commit has been made that is not yet known to be durable.
    // Called on the thread that owns the store.
    virtual bool hasUnsyncedCommits() const = 0;

    // Calls `done` on `context`'s thread, always later (queued, never from
    // inside this call), once every commit made before this call is durable,
    // or with an error when it cannot be made durable (the store then
    // refuses every write until the gateway restarts, as a failed fsync
    // leaves the file in an unknown state). Not called when `context` is
    // destroyed first. Callbacks run in the order they were registered.
    virtual void whenDurable(QObject *context, Done done) = 0;
};

// For stores whose every commit is durable when it returns.
class ImmediateDurability final : public Durability {
public:
    bool hasUnsyncedCommits() const override { return false; }
    void whenDurable(QObject *context, Done done) override
    {
        QMetaObject::invokeMethod(
            context, [done = std::move(done)] { done(Ok{}); }, Qt::QueuedConnection);
    }
};

} // namespace countersign::gateway
