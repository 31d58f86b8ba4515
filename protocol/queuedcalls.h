#pragma once

#include <functional>

#include <QObject>

namespace countersign {

// Runs functions handed to it from other threads on its own thread (the
// thread it lives in), in the order they were posted: what
// QMetaObject::invokeMethod(.., Qt::QueuedConnection) does, for the threads
// of ours that hand work to the Qt thread (the edge's I/O threads, the FIDO
// worker). A function still queued when the object is deleted is dropped,
// never run.
//
// Why not invokeMethod: ThreadSanitizer (COUNTERSIGN_TSAN) must see that
// the function and everything the posting thread wrote before posting
// happen before the function runs. Qt orders that with the mutex of its
// event queue, a futex inside libQt6Core, which Debian does not build with
// -fsanitize=thread, so TSan cannot see it; and invokeMethod builds its
// call object in our (instrumented) code inside the call, where nothing can
// be annotated after it. Here the event is built first, then released to
// TSan and posted; it is acquired before it runs or is destroyed
// (docs/testing.md "ThreadSanitizer"). Outside a TSan build the annotations
// are nothing.
class QueuedCalls final : public QObject {
public:
    using QObject::QObject;

    // Any thread.
    void post(std::function<void()> function);

protected:
    bool event(QEvent *event) override;
};

} // namespace countersign
