#include "auditverifier.h"

#include "sqlitestore.h"

namespace countersign::gateway {

Result<AuditVerification> verifyAuditLog(const SqliteStore &store)
{
    constexpr int pageSize = 1000;
    const auto anchor = store.auditAnchor();
    if (!anchor)
        return anchor.error();
    const auto unchained = store.unchainedAuditRecords();
    if (!unchained)
        return unchained.error();
    AuditChainCheck check(anchor.value());
    qint64 after = anchor->id;
    for (;;) {
        const auto page = store.readAuditEvents(after, pageSize);
        if (!page)
            return page.error();
        for (const AuditEvent &event : page.value()) {
            if (!check.add(event))
                break;
        }
        if (check.badId() || page->size() < pageSize)
            break;
        after = page->constLast().id;
    }
    AuditVerification result;
    result.anchor = anchor.value();
    result.unchained = unchained.value();
    result.checked = check.checked();
    result.head = check.head();
    result.badId = check.badId();
    result.problem = check.problem();
    return result;
}

} // namespace countersign::gateway
