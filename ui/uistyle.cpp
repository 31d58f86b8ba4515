#include "uistyle.h"

#include <QFont>
#include <QPalette>
#include <QWidget>

namespace countersign {

QColor problemColour()
{
    return QColor(0xc0, 0x1c, 0x28);
}

QColor successColour()
{
    return QColor(0x26, 0xa2, 0x69);
}

void setForeground(QWidget *widget, const QColor &colour)
{
    QPalette palette = widget->palette();
    palette.setColor(QPalette::WindowText, colour);
    widget->setPalette(palette);
}

void scaleFont(QWidget *widget, qreal factor, bool bold)
{
    QFont font = widget->font();
    font.setPointSizeF(font.pointSizeF() * factor);
    font.setBold(bold);
    widget->setFont(font);
}

} // namespace countersign
