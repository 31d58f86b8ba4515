#include "trayiconstate.h"

#include "ui/safetext.h"

namespace countersign {

StatusIconKind TrayIconState::iconKind() const
{
    if (!pending.isEmpty())
        return StatusIconKind::Pending;
    if (connectedGateways > 0)
        return StatusIconKind::Connected;
    return StatusIconKind::Offline;
}

QString TrayIconState::statusText() const
{
    if (pairedGateways <= 0)
        return tr("No gateway paired yet");
    if (connectedGateways <= 0) {
        return pairedGateways == 1 ? tr("Offline: the gateway is not reachable")
                                   : tr("Offline: no gateway is reachable");
    }
    if (connectedGateways < pairedGateways)
        return tr("%1 of %2 gateways connected").arg(connectedGateways).arg(pairedGateways);
    return pairedGateways == 1 ? tr("Connected")
                               : tr("Connected to %n gateways", nullptr, pairedGateways);
}

QString TrayIconState::toolTip() const
{
    const QString app = QStringLiteral("Countersign");
    if (pending.isEmpty())
        return app + u'\n' + statusText();
    const auto count = static_cast<int>(pending.size());
    const QString waiting =
        count == 1 ? tr("1 approval waiting") : tr("%n approvals waiting", nullptr, count);
    return app + u'\n' + waiting + u'\n' + statusText();
}

QString TrayIconState::itemText(const TrayPendingItem &item)
{
    // Display-safe: controls and bidirectional overrides become visible
    // escapes. Menus and lists show plain text, but a menu reads '&' as a
    // mnemonic: the menu escapes it itself.
    const auto safe = [](const QString &text) { return displaySafeText(text).text; };
    // One-pass arg(): a "%1" inside a remote value stays text.
    return tr("%1 wants to run %2 (%3)")
        .arg(safe(item.agent), safe(item.action), safe(item.gatewayName));
}

} // namespace countersign
