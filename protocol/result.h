#pragma once

#include "error.h"

#include <utility>
#include <variant>

namespace countersign {

// A value or the reason there is none. C++20 has no std::expected; this is the
// small part of it the protocol needs. Accessing the wrong side is a
// programming error and asserts.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value)
        : m_state(std::move(value))
    {
    }
    Result(Error error)
        : m_state(std::move(error))
    {
    }

    bool ok() const { return std::holds_alternative<T>(m_state); }
    explicit operator bool() const { return ok(); }

    const T &value() const &
    {
        Q_ASSERT(ok());
        return std::get<T>(m_state);
    }
    T &value() &
    {
        Q_ASSERT(ok());
        return std::get<T>(m_state);
    }
    T &&value() &&
    {
        Q_ASSERT(ok());
        return std::get<T>(std::move(m_state));
    }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }

    const Error &error() const
    {
        Q_ASSERT(!ok());
        return std::get<Error>(m_state);
    }

private:
    std::variant<T, Error> m_state;
};

// For operations that produce nothing but can fail.
struct Ok {};
using Status = Result<Ok>;

inline Error makeError(ErrorCode code, QString message)
{
    return Error{code, std::move(message)};
}

} // namespace countersign
