#pragma once

#include <QIcon>
#include <QString>

namespace countersign {

// What the tray icon says at a glance.
enum class StatusIconKind {
    Offline,   // no paired gateway is reachable (or none is paired)
    Connected, // at least one gateway connected, nothing waiting
    Pending,   // at least one request waits for the person (the badge)
};

// How the icon is drawn. The colour icons read on light and dark panels
// alike; the monochrome ones follow desktops whose panel icons are all one
// colour (symbolic icons on GNOME, Plasma's monochrome tray, the macOS menu
// bar, where they are also marked as masks).
enum class StatusIconStyle {
    Colour,
    OnDarkPanel,  // white glyph
    OnLightPanel, // dark glyph
};

// The companion's icons, drawn from the SVG files in resources/icons (built
// into countersign_ui as Qt resources under :/countersign/icons) by Qt's SVG
// icon engine, so they are sharp at every panel size and scale factor.
class StatusIcons {
public:
    static QIcon appIcon();
    static QIcon icon(StatusIconKind kind, StatusIconStyle style = StatusIconStyle::Colour);
    // The Pending icon with the number of waiting requests in a badge at its
    // lower right ("9+" above nine), drawn at the common panel sizes.
    static QIcon pendingIcon(int waiting, StatusIconStyle style = StatusIconStyle::Colour);
    // The badge's text: "1" to "9", then "9+".
    static QString badgeText(int waiting);

    // ":/countersign/icons/io.github.countersign.Countersign.svg"
    static QString appIconPath();
    // ":/countersign/icons/tray-pending-on-dark.svg" and the like.
    static QString iconPath(StatusIconKind kind, StatusIconStyle style);
};

} // namespace countersign
