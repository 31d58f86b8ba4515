#pragma once

#include <functional>

#include <QString>

namespace countersign::load {

// One client of a closed-loop benchmark: one connection that makes one call
// at a time. `sequence` numbers the calls of a loop, so that a client can
// vary its input; the callback gets why the call failed, or an empty string
// when it succeeded and its answer was checked.
class CallClient {
public:
    using Done = std::function<void(const QString &failure)>;

    CallClient() = default;
    CallClient(const CallClient &) = delete;
    CallClient &operator=(const CallClient &) = delete;
    virtual ~CallClient() = default;

    virtual void call(qint64 sequence, Done done) = 0;
};

} // namespace countersign::load
