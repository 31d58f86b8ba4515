#include "privatefile.h"

#include <QFile>
#include <QSaveFile>

namespace countersign::gateway {

namespace {

constexpr auto ownerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
constexpr auto groupOrOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup
    | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::WriteOther
    | QFileDevice::ExeOther;

} // namespace

Status writePrivateFile(const QString &path, const QByteArray &content)
{
    QSaveFile file(path);
    // Permissions go on the temporary file before any byte is written.
    if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(ownerOnly)
        || file.write(content) != content.size() || !file.commit()) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    }
    return Ok{};
}

Result<QByteArray> readPrivateFile(const QString &path)
{
    QFile file(path);
    if (file.permissions() & groupOrOther) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("%1 may be read by other users; it holds a secret. "
                                        "Run: chmod 600 %1")
                             .arg(path));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    }
    return file.readAll();
}

} // namespace countersign::gateway
