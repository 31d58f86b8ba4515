#include "companionsettings.h"

#include "app/appid.h"
#include "app/pairingclient.h"
#include "protocol/displaytext.h"

#include <QCoreApplication>
#include <QSettings>

namespace countersign {

namespace {

const QString notificationsKey = QStringLiteral("notifications/enabled");
const QString deviceNameKey = QStringLiteral("pairing/defaultDeviceName");
const QString defaultMethodKey = QStringLiteral("approval/defaultMethod");

} // namespace

CompanionSettings::CompanionSettings()
    : m_settings(std::make_unique<QSettings>(AppId::organizationName(), AppId::applicationName()))
{
}

CompanionSettings::CompanionSettings(const QString &iniFilePath)
    : m_settings(std::make_unique<QSettings>(iniFilePath, QSettings::IniFormat))
{
}

CompanionSettings::~CompanionSettings() = default;

bool CompanionSettings::notificationsEnabled() const
{
    return m_settings->value(notificationsKey, true).toBool();
}

void CompanionSettings::setNotificationsEnabled(bool enabled)
{
    m_settings->setValue(notificationsKey, enabled);
}

ApprovalMethod CompanionSettings::defaultMethod(const QList<ApprovalMethod> &methods) const
{
    const auto chosen = approvalMethodFromName(m_settings->value(defaultMethodKey).toString());
    if (chosen && methods.contains(*chosen))
        return *chosen;
    return methods.isEmpty() ? ApprovalMethod::Totp : methods.constFirst();
}

void CompanionSettings::setDefaultMethod(ApprovalMethod method)
{
    m_settings->setValue(defaultMethodKey, approvalMethodName(method));
}

QString CompanionSettings::defaultDeviceName() const
{
    const QString chosen = chosenDeviceName().trimmed();
    if (!chosen.isEmpty() && !deviceNameProblem(chosen))
        return chosen;
    return PairingClient::defaultDeviceName();
}

QString CompanionSettings::chosenDeviceName() const
{
    return m_settings->value(deviceNameKey).toString();
}

bool CompanionSettings::setChosenDeviceName(const QString &name)
{
    if (chosenDeviceName() == name)
        return false;
    if (name.isEmpty())
        m_settings->remove(deviceNameKey);
    else
        m_settings->setValue(deviceNameKey, name);
    return true;
}

std::optional<QString> CompanionSettings::deviceNameProblem(const QString &name)
{
    if (name.isEmpty())
        return QString();
    if (name.size() > PairingClient::maxDeviceNameLength || !isDisplaySafe(name))
        return QCoreApplication::translate("countersign::SettingsDialog",
                                           "Use at most 64 ordinary characters.");
    return std::nullopt;
}

} // namespace countersign
