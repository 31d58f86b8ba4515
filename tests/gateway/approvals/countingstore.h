#pragma once

#include "../store/forwardingstore.h"

namespace countersign::testing {

// A Store that forwards to a real one and counts what reaches the database:
// commits (a top-level inTransaction, or a write made outside any
// transaction, which commits by itself) and reads of approvals. It can also
// refuse audit records, as a full disk would. Nested inTransaction calls
// join the outer one, as the real store's do.
class CountingStore final : public ForwardingStore {
public:
    using ForwardingStore::ForwardingStore;

    int commits() const { return m_commits; }
    int approvalReads() const { return m_approvalReads; }
    void reset() { m_commits = m_approvalReads = 0; }
    void failAudit(bool fail) { m_failAudit = fail; }

    Status inTransaction(const std::function<Status()> &body) override
    {
        if (m_depth == 0)
            ++m_commits;
        ++m_depth;
        const Status done = ForwardingStore::inTransaction(body);
        --m_depth;
        return done;
    }

protected:
    std::optional<Error> beforeWrite(Write write) override
    {
        if (write == Write::Audit && m_failAudit) {
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("injected: database or disk is full"));
        }
        // A write outside a transaction is a transaction (and a commit) of
        // its own.
        if (m_depth == 0)
            ++m_commits;
        return std::nullopt;
    }
    void approvalRead() const override { ++m_approvalReads; }

private:
    int m_depth = 0;
    int m_commits = 0;
    mutable int m_approvalReads = 0;
    bool m_failAudit = false;
};

} // namespace countersign::testing
