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

// One paired gateway as the tray names it (its name is remote text).
struct TrayGatewayItem {
    QString name;
    bool online = false;

    friend bool operator==(const TrayGatewayItem &, const TrayGatewayItem &) = default;
};

// Everything the tray (or the fallback window) shows: plain state the app
// layer fills in from its gateway clients and inbox. No gateway logic here.
struct TrayIconState {
    int pairedGateways = 0;
    int connectedGateways = 0;
    QList<TrayGatewayItem> gateways; // may be empty while clients start
    QList<TrayPendingItem> pending;  // oldest first

    StatusIconKind iconKind() const;
    // One line naming the gateways (display-safe): "Connected to Example
    // Gateway", "Offline: Example Gateway is not reachable", "Offline: Lab
    // (1 of 2 connected)", "Connected to 2 gateways", "No gateway paired yet".
    QString statusText() const;
    // The same in counts only: "Connected", "1 of 2 gateways connected".
    QString countsText() const;
    // Whether "Reconnect now" has anything to do: a paired gateway is offline.
    bool hasOfflineGateway() const;
    // "2 approvals waiting" or the status; counts only, never remote text
    // (some trays read tooltips as markup).
    QString toolTip() const;
    // "claude-code wants to run disable_user (Example Gateway)", display-safe.
    static QString itemText(const TrayPendingItem &item);

    friend bool operator==(const TrayIconState &, const TrayIconState &) = default;

    Q_DECLARE_TR_FUNCTIONS(TrayIconState)
};

} // namespace countersign
