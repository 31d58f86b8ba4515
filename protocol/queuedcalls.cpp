#include "queuedcalls.h"

#include <QCoreApplication>
#include <QEvent>

// GCC defines __SANITIZE_THREAD__ under -fsanitize=thread; clang has
// __has_feature(thread_sanitizer).
#if defined(__SANITIZE_THREAD__)
#define COUNTERSIGN_TSAN_ANNOTATIONS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COUNTERSIGN_TSAN_ANNOTATIONS 1
#endif
#endif

#ifdef COUNTERSIGN_TSAN_ANNOTATIONS
#include <sanitizer/tsan_interface.h>
#endif

namespace countersign {

namespace {

// What Qt's event queue guarantees, told to ThreadSanitizer: a release by
// the posting thread after the event is complete, an acquire on the same
// address by the thread that runs or destroys it.
void releaseToTsan(void *address)
{
#ifdef COUNTERSIGN_TSAN_ANNOTATIONS
    __tsan_release(address);
#else
    Q_UNUSED(address);
#endif
}

void acquireFromTsan(void *address)
{
#ifdef COUNTERSIGN_TSAN_ANNOTATIONS
    __tsan_acquire(address);
#else
    Q_UNUSED(address);
#endif
}

QEvent::Type callEventType()
{
    static const auto type = static_cast<QEvent::Type>(QEvent::registerEventType());
    return type;
}

class CallEvent final : public QEvent {
public:
    explicit CallEvent(std::function<void()> f)
        : QEvent(callEventType())
        , function(std::move(f))
    {
    }
    // Also when the event is dropped unrun (its receiver deleted): the
    // function's captures are destroyed here, on the receiving thread.
    ~CallEvent() override { acquireFromTsan(this); }
    CallEvent(const CallEvent &) = delete;
    CallEvent &operator=(const CallEvent &) = delete;

    std::function<void()> function;
};

} // namespace

void QueuedCalls::post(std::function<void()> function)
{
    auto *call = new CallEvent(std::move(function));
    releaseToTsan(call);
    QCoreApplication::postEvent(this, call);
}

bool QueuedCalls::event(QEvent *event)
{
    // Before anything of the event is read, its type included. A no-op for
    // Qt's own events, which nobody released.
    acquireFromTsan(event);
    if (event->type() != callEventType())
        return QObject::event(event);
    static_cast<CallEvent *>(event)->function();
    return true;
}

} // namespace countersign
