#include "approvalmethod.h"

namespace countersign {

QString approvalMethodName(ApprovalMethod method)
{
    switch (method) {
    case ApprovalMethod::Passkey:
        return QStringLiteral("passkey");
    case ApprovalMethod::Totp:
        return QStringLiteral("totp");
    }
    return {};
}

std::optional<ApprovalMethod> approvalMethodFromName(QStringView name)
{
    if (name == u"passkey")
        return ApprovalMethod::Passkey;
    if (name == u"totp")
        return ApprovalMethod::Totp;
    return std::nullopt;
}

} // namespace countersign
