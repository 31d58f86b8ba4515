#include "statusicons.h"

#include "app/appid.h"
#include "ui/uistyle.h"

#include <QFont>
#include <QPainter>
#include <QPixmap>

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

QString StatusIcons::badgeText(int waiting)
{
    constexpr int maxShown = 9;
    return waiting > maxShown ? QStringLiteral("9+") : QString::number(qMax(waiting, 0));
}

QIcon StatusIcons::pendingIcon(int waiting, StatusIconStyle style)
{
    const QIcon base(iconPath(StatusIconKind::Pending, style));
    if (waiting <= 0)
        return icon(StatusIconKind::Pending, style);
    const QString text = badgeText(waiting);
    QIcon badged;
    // The sizes panels ask for (16 to 48, and large for HiDPI); an SVG
    // engine cannot draw the number, so each size is a pixmap.
    for (const int size : {16, 22, 24, 32, 48, 64, 128}) {
        QPixmap pixmap = base.pixmap(size, size);
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        const qreal diameter = size * (text.size() > 1 ? 0.68 : 0.6);
        const QRectF badge(size - diameter, size - diameter, diameter, diameter);
        painter.setPen(QPen(Qt::white, qMax(1.0, size / 24.0)));
        painter.setBrush(problemColour());
        painter.drawEllipse(badge.adjusted(0.5, 0.5, -0.5, -0.5));
        QFont font;
        font.setBold(true);
        font.setPixelSize(qMax(6, static_cast<int>(diameter * (text.size() > 1 ? 0.5 : 0.72))));
        painter.setFont(font);
        painter.setPen(Qt::white);
        painter.drawText(badge, Qt::AlignCenter, text);
        painter.end();
        badged.addPixmap(pixmap);
    }
    return badged;
}

} // namespace countersign
