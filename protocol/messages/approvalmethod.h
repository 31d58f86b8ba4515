#pragma once

#include <optional>

#include <QList>
#include <QString>

namespace countersign {

// How a person proves they approve: a FIDO2 security key (passkey) or a TOTP
// code from an authenticator app, checked by the gateway.
enum class ApprovalMethod {
    Passkey,
    Totp,
};

QString approvalMethodName(ApprovalMethod method); // "passkey", "totp"
std::optional<ApprovalMethod> approvalMethodFromName(QStringView name);

} // namespace countersign
