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

namespace {

// A gateway's name in a menu line: display-safe and short.
QString gatewayNameShown(const QString &name)
{
    constexpr qsizetype maxNameLength = 40;
    QString shown = displaySafeText(name).text;
    if (shown.size() > maxNameLength)
        shown = shown.left(maxNameLength - 1) + u'…';
    return shown;
}

} // namespace

bool TrayIconState::hasOfflineGateway() const
{
    return pairedGateways > 0 && connectedGateways < pairedGateways;
}

QString TrayIconState::statusText() const
{
    if (pairedGateways <= 0 || gateways.isEmpty())
        return countsText();
    QStringList offline;
    for (const TrayGatewayItem &gateway : gateways) {
        if (!gateway.online)
            offline.append(gatewayNameShown(gateway.name));
    }
    const auto total = static_cast<int>(gateways.size());
    if (total == 1) {
        const QString name = gatewayNameShown(gateways.constFirst().name);
        return offline.isEmpty() ? tr("Connected to %1").arg(name)
                                 : tr("Offline: %1 is not reachable").arg(name);
    }
    if (offline.isEmpty())
        return tr("Connected to %n gateways", nullptr, total);
    if (offline.size() == total)
        return tr("Offline: no gateway is reachable");
    constexpr qsizetype maxNamesListed = 3;
    QString names = offline.mid(0, maxNamesListed).join(QStringLiteral(", "));
    if (offline.size() > maxNamesListed)
        names += QStringLiteral(", …");
    return tr("Offline: %1 (%2 of %3 connected)").arg(names).arg(total - offline.size()).arg(total);
}

QString TrayIconState::countsText() const
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
        return app + u'\n' + countsText();
    const auto count = static_cast<int>(pending.size());
    const QString waiting =
        count == 1 ? tr("1 approval waiting") : tr("%n approvals waiting", nullptr, count);
    return app + u'\n' + waiting + u'\n' + countsText();
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
