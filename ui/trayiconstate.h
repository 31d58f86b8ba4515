#pragma once

#include "ui/statusicons.h"

#include <QCoreApplication>
#include <QList>
#include <QString>

namespace countersign {

// One request waiting for the person, as the tray lists it. The texts come
// from a verified request but are still remote: the tray shows them only
// display-safe and plain.
struct TrayPendingItem {
    QString gatewayId;
    QString requestId;
    QString gatewayName;
    QString agent;  // SARC subject agent
    QString action; // SARC action name

    friend bool operator==(const TrayPendingItem &, const TrayPendingItem &) = default;
};

// Everything the tray (or the fallback window) shows: plain state the app
// layer fills in from its gateway clients and inbox. No gateway logic here.
struct TrayIconState {
    int pairedGateways = 0;
    int connectedGateways = 0;
    QList<TrayPendingItem> pending; // oldest first

    StatusIconKind iconKind() const;
    // One line: "Connected", "Offline: no gateway is reachable",
    // "1 of 2 gateways connected", "No gateway paired yet".
    QString statusText() const;
    // "2 approvals waiting" or the status; counts only, never remote text
    // (some trays read tooltips as markup).
    QString toolTip() const;
    // "claude-code wants to run disable_user (Example Gateway)", display-safe.
    static QString itemText(const TrayPendingItem &item);

    friend bool operator==(const TrayIconState &, const TrayIconState &) = default;

    Q_DECLARE_TR_FUNCTIONS(TrayIconState)
};

} // namespace countersign
