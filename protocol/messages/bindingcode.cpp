#include "bindingcode.h"

namespace countersign {

QString bindingCodeForRequestHash(QByteArrayView requestHash)
{
    Q_ASSERT(requestHash.size() >= 4);
    quint32 prefix = 0;
    for (qsizetype i = 0; i < 4 && i < requestHash.size(); ++i)
        prefix = (prefix << 8) | static_cast<quint8>(requestHash[i]);
    return QStringLiteral("%1").arg(prefix % 100, 2, 10, QLatin1Char('0'));
}

} // namespace countersign
