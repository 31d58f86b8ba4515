#include "statusicons.h"

#include "app/appid.h"

namespace countersign {

namespace {

const QString iconDirectory = QStringLiteral(":/countersign/icons/");

QString kindName(StatusIconKind kind)
{
    switch (kind) {
    case StatusIconKind::Offline:
        return QStringLiteral("offline");
    case StatusIconKind::Connected:
        return QStringLiteral("connected");
    case StatusIconKind::Pending:
        return QStringLiteral("pending");
    }
    return QStringLiteral("offline");
}

QString styleSuffix(StatusIconStyle style)
{
    switch (style) {
    case StatusIconStyle::Colour:
        return QString();
    case StatusIconStyle::OnDarkPanel:
        return QStringLiteral("-on-dark");
    case StatusIconStyle::OnLightPanel:
        return QStringLiteral("-on-light");
    }
    return QString();
}

} // namespace

QString StatusIcons::appIconPath()
{
    return iconDirectory + AppId::id() + QStringLiteral(".svg");
}

QString StatusIcons::iconPath(StatusIconKind kind, StatusIconStyle style)
{
    return iconDirectory + QStringLiteral("tray-") + kindName(kind) + styleSuffix(style)
        + QStringLiteral(".svg");
}

QIcon StatusIcons::appIcon()
{
    // The installed theme icon wins (packaging puts the same SVG in hicolor),
    // so the desktop's own scaling and caching apply.
    return QIcon::fromTheme(AppId::id(), QIcon(appIconPath()));
}

QIcon StatusIcons::icon(StatusIconKind kind, StatusIconStyle style)
{
    QIcon icon(iconPath(kind, style));
    // macOS draws mask ("template") images in the menu bar's own colour.
    icon.setIsMask(style != StatusIconStyle::Colour);
    return icon;
}

} // namespace countersign
