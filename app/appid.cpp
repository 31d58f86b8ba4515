#include "appid.h"

namespace countersign {

QString AppId::id()
{
    return QStringLiteral("io.github.countersign.Countersign");
}

QString AppId::organizationName()
{
    return QStringLiteral("countersign");
}

QString AppId::applicationName()
{
    return QStringLiteral("Countersign");
}

QString AppId::keychainService()
{
    return id();
}

} // namespace countersign
