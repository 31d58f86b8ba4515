#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QString>

namespace countersign::gateway {

// Files that hold secrets (the signing key, the store's encryption key):
// written atomically with mode 0600 from the start, and refused on read when
// group or others may read them, because then the secret may already be out.
Status writePrivateFile(const QString &path, const QByteArray &content);
Result<QByteArray> readPrivateFile(const QString &path);

} // namespace countersign::gateway
