#include "secretstore.h"

namespace countersign {

SecretStore::SecretStore(QObject *parent)
    : QObject(parent)
{
}

SecretStore::~SecretStore() = default;

QString SecretStore::deviceKeyName(const QString &gatewayId)
{
    return QStringLiteral("device-key/") + gatewayId;
}

} // namespace countersign
