#pragma once

#include "protocol/result.h"

#include <optional>

#include <QByteArray>
#include <QString>

namespace countersign::gateway {

struct AuditEvent;

// The audit log is a hash chain (docs/gateway.md, "The audit log"): each
// record stores prev_hash, the hash of the record before it, and
//
//   hash = SHA-256(prev_hash || JCS(record))
//
// where prev_hash is the 32 raw bytes and JCS(record) is the RFC 8785
// canonical JSON of {"at","details","device_id","id","kind","request_id",
// "user_id"} (protocol/canonicaljson.h). The first record after an anchor
// (the empty log, the last record written before schema 4, or a retention
// prune point) has the anchor's hash as prev_hash; the genesis anchor is 32
// zero bytes. Ids are consecutive, so a deleted record is a gap.
constexpr qsizetype auditHashSize = 32;

// Where a chain continues from: the last record's id and hash.
struct AuditHead {
    qint64 id = 0;
    QByteArray hash; // auditHashSize bytes

    friend bool operator==(const AuditHead &, const AuditHead &) = default;
};

QByteArray auditGenesisHash(); // 32 zero bytes

// JCS(record) as above; fails when a value cannot be canonicalized.
Result<QByteArray> auditRecordCanonical(const AuditEvent &event);
// The hash of `event` (its id and at set) after a record with `prevHash`.
Result<QByteArray> auditRecordHash(const QByteArray &prevHash, const AuditEvent &event);

// Checks records in id order against the chain from `anchor`; stops at the
// first bad one. Used by `countersign-gateway audit verify`.
class AuditChainCheck {
public:
    explicit AuditChainCheck(AuditHead anchor);

    // False when `event` (or a record before it that is missing) breaks the
    // chain; then badId() and problem() say where and how.
    bool add(const AuditEvent &event);

    qint64 checked() const { return m_checked; }
    const AuditHead &head() const { return m_head; }
    std::optional<qint64> badId() const { return m_badId; }
    QString problem() const { return m_problem; }

private:
    bool fail(qint64 id, QString problem);

    AuditHead m_head;
    qint64 m_checked = 0;
    std::optional<qint64> m_badId;
    QString m_problem;
};

} // namespace countersign::gateway
