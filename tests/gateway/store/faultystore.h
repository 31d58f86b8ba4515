#pragma once

#include "forwardingstore.h"

namespace countersign::testing {

// A Store that forwards to a real one and fails the writes a test names,
// as a full disk would: with ErrorCode::StorageFailure and nothing written.
// For the precise cases; the integration tests break the real SQLite file.
// Write::ResolveApproval covers approveWithPasskey too (both resolve).
class FaultyStore final : public ForwardingStore {
public:
    using ForwardingStore::ForwardingStore;

    void fail(Write write) { m_failing |= bit(write); }
    void heal() { m_failing = 0; }
    int refused() const { return m_refused; }

protected:
    std::optional<Error> beforeWrite(Write write) override
    {
        if (write == Write::ApproveWithPasskey)
            write = Write::ResolveApproval;
        if ((m_failing & bit(write)) == 0)
            return std::nullopt;
        ++m_refused;
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("injected: database or disk is full"));
    }

private:
    static unsigned bit(Write write) { return 1u << static_cast<unsigned>(write); }

    unsigned m_failing = 0;
    int m_refused = 0;
};

} // namespace countersign::testing
