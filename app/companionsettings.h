#pragma once

#include "protocol/messages/approvalmethod.h"

#include <memory>
#include <optional>

#include <QList>
#include <QString>

class QSettings;

namespace countersign {

// The person's choices the companion reads, over QSettings: whether a
// request brings a desktop notification, the approval method a request
// that allows several opens with, and the name this computer gets when
// pairing. The settings dialog (ui/) edits them; the keys are the ones
// released companions wrote ("notifications/enabled",
// "approval/defaultMethod", "pairing/defaultDeviceName"), so nothing a
// person chose is lost.
class CompanionSettings {
public:
    // The companion's own: the QSettings of AppId.
    CompanionSettings();
    // An INI file elsewhere (tests).
    explicit CompanionSettings(const QString &iniFilePath);
    ~CompanionSettings();
    CompanionSettings(const CompanionSettings &) = delete;
    CompanionSettings &operator=(const CompanionSettings &) = delete;

    // On unless turned off.
    bool notificationsEnabled() const;
    void setNotificationsEnabled(bool enabled);

    // The chosen method if it is among `methods`, else the first of them.
    ApprovalMethod defaultMethod(const QList<ApprovalMethod> &methods) const;
    void setDefaultMethod(ApprovalMethod method);

    // What the person chose, else PairingClient::defaultDeviceName().
    QString defaultDeviceName() const;
    // As stored, possibly empty (the settings field shows it).
    QString chosenDeviceName() const;
    // Empty forgets the choice. False when nothing changed.
    bool setChosenDeviceName(const QString &name);
    // Why a name cannot be this computer's name when pairing: nullopt when
    // it can, empty when it is empty (the host name is used then).
    static std::optional<QString> deviceNameProblem(const QString &name);

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace countersign
