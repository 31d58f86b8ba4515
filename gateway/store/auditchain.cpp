#include "auditchain.h"

#include "protocol/canonicaljson.h"
#include "store.h"

#include <QCryptographicHash>
#include <QJsonObject>

namespace countersign::gateway {

QByteArray auditGenesisHash()
{
    return QByteArray(auditHashSize, '\0');
}

Result<QByteArray> auditRecordCanonical(const AuditEvent &event)
{
    const QJsonObject record{
        {QStringLiteral("id"), event.id},
        {QStringLiteral("at"), event.at},
        {QStringLiteral("kind"), event.kind},
        {QStringLiteral("user_id"), event.userId},
        {QStringLiteral("request_id"), event.requestId},
        {QStringLiteral("device_id"), event.deviceId},
        {QStringLiteral("details"), event.details},
    };
    return canonicalJson(record);
}

Result<QByteArray> auditRecordHash(const QByteArray &prevHash, const AuditEvent &event)
{
    if (prevHash.size() != auditHashSize)
        return makeError(ErrorCode::InvalidField, QStringLiteral("prev_hash is not 32 bytes"));
    const auto canonical = auditRecordCanonical(event);
    if (!canonical)
        return canonical.error();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(prevHash);
    hash.addData(canonical.value());
    return hash.result();
}

AuditChainCheck::AuditChainCheck(AuditHead anchor)
    : m_head(std::move(anchor))
{
}

bool AuditChainCheck::fail(qint64 id, QString problem)
{
    m_badId = id;
    m_problem = std::move(problem);
    return false;
}

bool AuditChainCheck::add(const AuditEvent &event)
{
    if (m_badId)
        return false;
    const qint64 expected = m_head.id + 1;
    if (event.id != expected) {
        return fail(expected,
                    QStringLiteral("record %1 is missing (the next record is %2)")
                        .arg(expected)
                        .arg(event.id));
    }
    if (event.prevHash != m_head.hash) {
        return fail(event.id,
                    QStringLiteral("record %1 does not follow record %2 (prev_hash differs)")
                        .arg(event.id)
                        .arg(m_head.id));
    }
    const auto hash = auditRecordHash(event.prevHash, event);
    if (!hash)
        return fail(event.id,
                    QStringLiteral("record %1 cannot be hashed: %2")
                        .arg(event.id)
                        .arg(hash.error().message));
    if (hash.value() != event.hash) {
        return fail(event.id,
                    QStringLiteral("record %1 was changed (its hash does not match its contents)")
                        .arg(event.id));
    }
    m_head = AuditHead{event.id, event.hash};
    ++m_checked;
    return true;
}

} // namespace countersign::gateway
